//! WordPress exports (WXR 1.0–1.2, as Tools → Export writes them): a reader
//! that streams the file one item at a time (`wxr.rs`), and the conversion of
//! WordPress's content — Gutenberg block comments, shortcodes, wpautop's
//! paragraphs, comment HTML — into what Dateline's renderer takes
//! (`content.rs`). Pure: no database, no network, no files but the reader it
//! is given. What becomes of each item is decided by the importer in
//! `dateline_db::import` and the `dateline import wordpress` command.

pub mod article;
pub mod content;
pub mod php;
mod text;
pub mod wxr;

pub use wxr::{Author, Comment, Entry, Post, Site, Term, WxrError, WxrReader};
