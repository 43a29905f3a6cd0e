//! Dateline's HTTP side: the router, one handler file per resource, the view
//! structs templates see, feeds, the Content API, and the page cache.
//!
//! This crate holds no SQL: it asks `dateline_db` for read models and turns
//! them into pages. Every error leaves through `error.rs`.

mod assets;
pub mod auth;
mod cache;
mod commenting;
mod error;
mod extract;
mod handlers;
mod mail_limit;
pub mod metrics;
mod newsroom;
mod old_addresses;
mod openapi;
mod refresh;
mod router;
mod security_headers;
mod state;
mod templates;
mod urls;
mod views;

pub use cache::PageCache;
pub use error::AppError;
pub use newsroom::accounts::{check_new_user, issue_operator_token};
pub use newsroom::images::{ImageStore, store_image, work_turns};
pub use refresh::{refresh_once, run_refresh_loop};
pub use router::{metrics_router, router};
pub use state::{AppState, WebConfig};
pub use urls::Urls;
