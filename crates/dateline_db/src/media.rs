//! Uploaded images: one row per upload, with the widths stored on disk.

use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::UserId;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

/// One stored width of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub width: u32,
    /// URL path, e.g. `/media/uploads/2026/11/7-river-960.jpg`.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub id: i64,
    /// The largest width's URL path: what an article's featured image names.
    pub path: String,
    pub original_name: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Narrowest first.
    pub variants: Vec<Variant>,
    pub created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct MediaRow {
    id: i64,
    path: String,
    original_name: String,
    content_type: String,
    width: i64,
    height: i64,
    bytes: i64,
    variants: String,
    created_at: i64,
}

impl From<MediaRow> for Media {
    fn from(r: MediaRow) -> Self {
        Self {
            id: r.id,
            path: r.path,
            original_name: r.original_name,
            content_type: r.content_type,
            width: r.width as u32,
            height: r.height as u32,
            bytes: r.bytes as u64,
            variants: serde_json::from_str(&r.variants).unwrap_or_default(),
            created_at: from_ts(r.created_at),
        }
    }
}

const COLUMNS: &str =
    "id, path, original_name, content_type, width, height, bytes, variants, created_at";

/// What an upload stored, to be recorded.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub path: String,
    pub original_name: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub variants: Vec<Variant>,
}

pub async fn record(
    db: &Db,
    m: &NewMedia,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Media> {
    let variants =
        serde_json::to_string(&m.variants).map_err(|e| DbError::Config(e.to_string()))?;
    let id: i64 = sqlx::query_scalar("INSERT INTO media (path, original_name, content_type, width, height, bytes, variants, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(m.path.clone())
        .bind(m.original_name.clone())
        .bind(m.content_type.clone())
        .bind(i64::from(m.width))
        .bind(i64::from(m.height))
        .bind(m.bytes as i64)
        .bind(variants)
        .bind(by.map(|u| u.0))
        .bind(ts(now))
        .fetch_one(db.pool())
        .await?;
    get(db, id).await?.ok_or(DbError::NotFound)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Media>> {
    let row: Option<MediaRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Media::from))
}

/// The upload whose largest width lives at `path` (an article's image URL).
pub async fn by_path(db: &Db, path: &str) -> Result<Option<Media>> {
    let row: Option<MediaRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media WHERE path = $1"
    )))
    .bind(path.to_owned())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Media::from))
}

/// The newest uploads.
pub async fn recent(db: &Db, limit: u32) -> Result<Vec<Media>> {
    let rows: Vec<MediaRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM media ORDER BY id DESC LIMIT $1"
    )))
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Media::from).collect())
}
