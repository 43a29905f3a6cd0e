//! What the newsroom does, whichever door it comes in by: the admin pages and
//! the admin API call these functions, which check permissions
//! (`dateline_core::auth`) before they touch anything.

pub mod accounts;
pub mod articles;
pub mod audit;
pub mod comments;
mod image_work;
pub mod images;
pub mod preview;
pub mod revisions;
pub mod sign_in;
pub mod two_factor;

use crate::error::AppError;
use dateline_core::{Actor, Capability};

/// Refuses unless the actor has `capability`, saying what it takes.
pub fn require(actor: &Actor, capability: Capability) -> Result<(), AppError> {
    if actor.can(capability) {
        return Ok(());
    }
    let needs = match capability {
        Capability::ManageUsers | Capability::ManageTokens | Capability::ManageSettings => {
            "an admin"
        }
        Capability::ManageTaxonomy | Capability::SeeAllArticles | Capability::Moderate => {
            "an editor or admin"
        }
        _ => "a newsroom account",
    };
    Err(AppError::Forbidden(format!(
        "Only {needs} can do this; your role is {}.",
        actor.role
    )))
}
