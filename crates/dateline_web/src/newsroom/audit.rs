//! Reading the audit log, for admins only (the newsroom page and the admin
//! API). Nothing here writes it: the storage functions that make changes do.

use crate::error::AppError;
use crate::newsroom::require;
use crate::state::AppState;
use dateline_core::{Actor, Capability};
use dateline_db::audit::{self, Entry, Filter};

/// Entries a page shows at most.
pub const PAGE_SIZE: u32 = 50;

/// A page of entries matching `filter`, newest first, and the `before` of
/// the next page when there is one.
pub async fn page(
    state: &AppState,
    actor: &Actor,
    filter: &Filter,
    limit: u32,
) -> Result<(Vec<Entry>, Option<i64>), AppError> {
    require(actor, Capability::ManageUsers)?;
    let limit = limit.clamp(1, 200);
    let mut entries = audit::entries(&state.db, filter, limit + 1).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next = more.then(|| entries.last().map(|e| e.id)).flatten();
    Ok((entries, next))
}
