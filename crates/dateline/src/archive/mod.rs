//! A whole site in one file, for `dateline export`, `import dateline`,
//! `backup` and `restore`: a gzipped tar, read and written as a stream.
//!
//! ```text
//! manifest.json                 what wrote it, its versions, every table's columns
//! tables/<table>/000001.jsonl   rows as JSON arrays, one per line, ~4 MB a chunk
//! media/<path>                  every file a media row names (originals and widths)
//! summary.json                  rows per table and files written: a file without
//!                               it, or whose counts differ, was cut short
//! ```
//!
//! `docs/archive.md` describes the format for people who read it with other
//! tools. The storage side (which tables, what secrets are, how rows load)
//! is `dateline_db::archive`.

pub mod export;
pub mod import;
mod media;

use dateline_db::archive::Column;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The name in every manifest, so a tar of something else is told apart.
pub const FORMAT: &str = "dateline-archive";
/// The archive layout's version: a reader refuses a newer one.
pub const VERSION: u32 = 1;

pub const MANIFEST: &str = "manifest.json";
pub const SUMMARY: &str = "summary.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// The Dateline that wrote it.
    pub dateline: String,
    /// The newest migration of the database it was written from.
    pub schema: i64,
    /// sqlite or postgres.
    pub database: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Whether password hashes, tokens, sessions and the site's key are in.
    pub secrets: bool,
    pub tables: Vec<TableColumns>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TableColumns {
    pub name: String,
    pub columns: Vec<Column>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub rows: BTreeMap<String, u64>,
    pub media_files: u64,
    pub media_bytes: u64,
    /// Files a media row names that were not on disk when it was written.
    #[serde(default)]
    pub media_missing: Vec<String>,
}

/// What a long archive job reports as it goes.
pub trait Progress: Send + Sync {
    fn total(&self, units: u64);
    fn at(&self, units: u64, what: &str);
}
