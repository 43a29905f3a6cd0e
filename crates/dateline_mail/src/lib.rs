//! Dateline's mail, the one way Dateline sends anything: what a message says
//! (templates, text and HTML), how it is put together (MIME, Message-ID,
//! List-Unsubscribe), how it goes out (SMTP with a pool of connections, or
//! `.eml` files in an outbox folder when no server is set), and the workers
//! that take messages from the database outbox, deliver them and record what
//! happened.
//!
//! This crate knows nothing of HTTP.

mod compose;
pub mod links;
mod message;
mod outbox;
pub mod schedule;
pub mod subscriber_csv;
pub mod templates;
mod transport;
pub mod worker;

#[cfg(feature = "test-support")]
pub mod test_smtp;

pub use links::Links;
pub use message::{Headers, Mail, MailError, Unsubscribe, build};
pub use outbox::Outbox;
pub use transport::{DeliveryError, Transport};
pub use worker::{MailConfig, Worker};
