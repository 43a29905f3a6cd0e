//! Turns the Markdown editors and readers write into HTML that is safe to
//! put on a page, and into plain text for excerpts, search and mail.
//!
//! Everything that leaves this crate as HTML is the output of an `ammonia`
//! policy (`policy.rs`): no script, no event handler, no `javascript:`
//! link survives, whatever was written. HTML is never edited after it was
//! sanitized unless it is sanitized again after; the editors' questions are
//! carried by paragraph, never by characters in the text. Bodies too large
//! or too deeply nested to sanitize in time are refused before the
//! sanitizer sees them (`shape.rs`), and `offload` runs renders off the
//! serving threads, in bounded number and time. This crate knows nothing
//! of the database or of HTTP.

mod comment;
mod markdown;
mod offload;
mod page;
mod policy;
mod questions;
mod shape;
mod text;
mod tokens;

pub use comment::{comment_text, render_comment, sanitize_comment_html};
pub use markdown::{Passage, RenderedBody, render_article};
pub use offload::offload;
pub use page::{ParagraphExtras, page_body};
pub use policy::{for_mail, is_clean, is_clean_page};
pub use questions::QUESTION_SYNTAX;
pub use text::{escape_html, excerpt, plain_text};

use std::fmt;

/// Why a body was not rendered. The messages are for the writer, beside
/// the body field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderError {
    TooLarge {
        max_bytes: usize,
    },
    TooDeep {
        max: usize,
    },
    TooManyElements {
        max: usize,
    },
    /// The sanitized HTML did not come out the same when read again.
    Unsettled,
    TimedOut {
        seconds: u64,
    },
    /// Rendering stopped before it finished (a bug; logged by the caller).
    Failed,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { max_bytes } => write!(
                f,
                "The body is larger than {} MB; split the article.",
                max_bytes / (1024 * 1024)
            ),
            Self::TooDeep { max } => write!(
                f,
                "The body nests blocks more than {max} deep (quotes, lists or HTML elements inside each other); flatten it."
            ),
            Self::TooManyElements { max } => write!(
                f,
                "The body makes more than {max} HTML elements; split the article or simplify its markup."
            ),
            Self::Unsettled => f.write_str(
                "The body's HTML could not be laid out the same way twice; look for unclosed or misplaced tags.",
            ),
            Self::TimedOut { seconds } => write!(
                f,
                "Rendering the body took longer than {seconds} seconds (the server may be busy); try again in a moment, or simplify the body."
            ),
            Self::Failed => f.write_str("Rendering the body failed; try again."),
        }
    }
}

impl std::error::Error for RenderError {}
