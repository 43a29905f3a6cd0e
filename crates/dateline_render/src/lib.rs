//! Turns the Markdown editors write into HTML that is safe to put on a page,
//! and into plain text for excerpts and search.
//!
//! Everything that leaves this crate as HTML has been through `ammonia`: no
//! script, no event handler, no `javascript:` link survives, whatever was
//! written. This crate knows nothing of the database or of HTTP.

mod comment;
mod markdown;
mod passages;
mod text;

pub use comment::{comment_text, render_comment, sanitize_comment_html};
pub use markdown::{RenderedBody, render_article};
pub use passages::{Passage, QUESTION_SYNTAX, paragraphs_mut, with_anchors};
pub use text::excerpt;
