//! Dateline's mail: what a message says (templates, text and HTML), how it is
//! put together (MIME, headers), and where it goes.
//!
//! For now messages are written as `.eml` files to an outbox folder, which is
//! also what a fresh install without an SMTP server uses. This crate knows
//! nothing of HTTP.

mod message;
mod outbox;
mod templates;

pub use message::{Mail, MailError, build};
pub use outbox::Outbox;
pub use templates::{PasswordReset, render_password_reset};
