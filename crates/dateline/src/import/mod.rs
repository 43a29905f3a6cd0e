//! Moving a site in: from a WordPress export (`wordpress.rs`), with what
//! an import did told back as a summary (`summary.rs`).

pub mod media;
pub mod summary;
pub mod wordpress;
pub mod wordpress_db;
