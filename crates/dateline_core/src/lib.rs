//! Dateline's domain: what an article, an author, a section and a tag are,
//! and what makes one valid.
//!
//! This crate never touches the network, the disk or the database; every other
//! crate may depend on it, and it depends on none of them.

pub mod article;
pub mod audit;
pub mod auth;
pub mod comment;
pub mod front_matter;
pub mod i18n;
pub mod ids;
pub mod language;
pub mod legacy;
pub mod newsletter;
pub mod passage;
pub mod search_text;
pub mod signing;
pub mod slug;
pub mod subscriber_csv;
pub mod totp;
pub mod validation;

pub use article::{
    ArticleDraft, ArticleKind, ArticleStatus, AuthorRef, FeaturedImage, Provenance, SectionRef,
    TagRef,
};
pub use auth::{Actor, Capability, Role, SaveRights, UserId};
pub use ids::{ArticleId, AuthorId, SectionId, TagId};
pub use language::{Direction, Language};
pub use slug::Slug;
pub use validation::{FieldError, ValidationErrors};
