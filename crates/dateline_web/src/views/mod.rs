//! What templates may see. Each page gets a view struct built from read models;
//! the database rows never reach a template.

pub mod article;
pub mod comments;
pub mod page;

pub use article::{ArticleCard, ArticlePageView};
pub use page::{ErrorView, Link, PageMeta, PaginationView, SiteView};
