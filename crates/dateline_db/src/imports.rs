//! What an import from another system stores besides its articles (which
//! go through `articles::save` like any other): which source item became
//! which row, the old site's addresses, comments with their threads and
//! dates as they were, and mentions (pingbacks, trackbacks).
//!
//! Every function here is one transaction, so an interrupted import leaves
//! whole items behind and a second run finishes the job.

use crate::{Db, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use dateline_core::comment::CommentStatus;
use sqlx::{AnyConnection, FromRow};
use std::collections::HashMap;

mod comments;
mod wpdiscuz;
pub use comments::{CommentsAdded, ImportedComment, add_comments, add_comments_many};
pub use wpdiscuz::{FollowsAdded, ImportedFollow, ImportedVote, add_follows, add_votes, set_bio};

/// The Dateline row a source item became, and what it was made from.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Imported {
    pub target_id: i64,
    pub digest: String,
    pub revision: i64,
}

/// What `source`'s item `source_id` of `kind` became, if it was imported.
pub async fn find(db: &Db, source: &str, kind: &str, source_id: &str) -> Result<Option<Imported>> {
    Ok(sqlx::query_as(
        "SELECT target_id, digest, revision FROM imported_items WHERE source = $1 AND kind = $2 AND source_id = $3",
    )
    .bind(source)
    .bind(kind)
    .bind(source_id)
    .fetch_optional(db.pool())
    .await?)
}

/// `find` for several items of one kind, in a few statements: what each
/// became, by source id (items never imported are absent).
pub async fn find_many(
    db: &Db,
    source: &str,
    kind: &str,
    source_ids: &[String],
) -> Result<std::collections::HashMap<String, Imported>> {
    let mut out = std::collections::HashMap::with_capacity(source_ids.len());
    for chunk in source_ids.chunks(500) {
        let mut q = crate::sql::Sql::for_backend(
            db.backend(),
            "SELECT source_id, target_id, digest, revision FROM imported_items WHERE source = ",
        );
        q.bind(source.to_owned())
            .push(" AND kind = ")
            .bind(kind.to_owned())
            .push(" AND source_id IN (")
            .bind_list(chunk.iter().cloned())
            .push(")");
        let found: Vec<(String, i64, String, i64)> = q.query_as().fetch_all(db.pool()).await?;
        out.extend(found.into_iter().map(|(id, target_id, digest, revision)| {
            (
                id,
                Imported {
                    target_id,
                    digest,
                    revision,
                },
            )
        }));
    }
    Ok(out)
}

/// Records what a source item became (again, after an update).
pub async fn remember(
    db: &Db,
    source: &str,
    kind: &str,
    source_id: &str,
    item: &Imported,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    remember_in(&mut tx, source, kind, source_id, item, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn remember_in(
    conn: &mut AnyConnection,
    source: &str,
    kind: &str,
    source_id: &str,
    item: &Imported,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO imported_items (source, kind, source_id, target_id, digest, revision, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, kind, source_id) DO UPDATE SET \
         target_id = excluded.target_id, digest = excluded.digest, revision = excluded.revision, imported_at = excluded.imported_at",
    )
    .bind(source)
    .bind(kind)
    .bind(source_id)
    .bind(item.target_id)
    .bind(&item.digest)
    .bind(item.revision)
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// What follows an imported article's save: what the source item became,
/// the old site's feed id and pin, and its old addresses.
#[derive(Debug)]
pub struct ArticleImport<'a> {
    pub source: &'a str,
    pub source_id: &'a str,
    pub item: &'a Imported,
    pub feed_guid: &'a str,
    pub pinned: bool,
    pub paths: &'a [(String, LegacyTarget)],
}

/// Stores `ArticleImport`s in one transaction. Returns how many old
/// addresses were new or changed.
pub async fn finish_articles(
    db: &Db,
    imports: &[ArticleImport<'_>],
    now: DateTime<Utc>,
) -> Result<u64> {
    if imports.is_empty() {
        return Ok(0);
    }
    let mut tx = db.write_tx().await?;
    let mut changed = 0;
    for a in imports {
        remember_in(&mut tx, a.source, "post", a.source_id, a.item, now).await?;
        changed += sqlx::query(
            "UPDATE articles SET feed_guid = $1, pinned = $2 WHERE id = $3 AND (feed_guid <> $1 OR pinned <> $2)",
        )
        .bind(a.feed_guid)
        .bind(i64::from(a.pinned))
        .bind(a.item.target_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    let paths: Vec<(String, LegacyTarget)> = imports
        .iter()
        .flat_map(|a| a.paths.iter().cloned())
        .collect();
    let added = add_legacy_paths_in(&mut tx, &paths).await?;
    if changed > 0 {
        crate::site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// Where an old address goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyTarget {
    /// An article, wherever its slug is now.
    Article(ArticleId),
    /// A Dateline path (a section, a tag, an author, a feed).
    Path(String),
}

/// Records old addresses; an address already known is pointed at its new
/// target (a newer export may have moved it). Returns how many were new
/// or changed.
pub async fn add_legacy_paths(db: &Db, paths: &[(String, LegacyTarget)]) -> Result<u64> {
    let mut tx = db.write_tx().await?;
    let changed = add_legacy_paths_in(&mut tx, paths).await?;
    tx.commit().await?;
    Ok(changed)
}

async fn add_legacy_paths_in(
    conn: &mut AnyConnection,
    paths: &[(String, LegacyTarget)],
) -> Result<u64> {
    // One row per address (the last target given wins): a statement may
    // not change a row twice.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, (path, _)) in paths.iter().enumerate() {
        last.insert(path.as_str(), i);
    }
    let rows: Vec<&(String, LegacyTarget)> = paths
        .iter()
        .enumerate()
        .filter(|(i, (path, _))| last.get(path.as_str()) == Some(i))
        .map(|(_, row)| row)
        .collect();
    let mut changed = 0;
    for chunk in rows.chunks(PATH_ROWS) {
        let mut sql = crate::sql::Sql::for_conn(
            conn,
            "INSERT INTO legacy_paths (path, article_id, target) VALUES ",
        );
        for (i, (path, target)) in chunk.iter().enumerate() {
            let (article, target) = match target {
                LegacyTarget::Article(id) => (Some(id.0), String::new()),
                LegacyTarget::Path(p) => (None, p.clone()),
            };
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(path.clone())
                .push(", ")
                .bind(article)
                .push(", ")
                .bind(target)
                .push(")");
        }
        sql.push(
            " ON CONFLICT (path) DO UPDATE SET article_id = excluded.article_id, target = excluded.target \
             WHERE legacy_paths.article_id IS DISTINCT FROM excluded.article_id OR legacy_paths.target <> excluded.target",
        );
        changed += sql.query().execute(&mut *conn).await?.rows_affected();
    }
    Ok(changed)
}

/// Old addresses per statement (three values each).
const PATH_ROWS: usize = 300;

/// The Dateline path an old address now answers with, if any. An article
/// that is not published is not revealed: its old address is not found,
/// as the article itself is not.
pub async fn legacy_target(db: &Db, path: &str) -> Result<Option<String>> {
    #[derive(FromRow)]
    struct Row {
        article_id: Option<i64>,
        target: String,
        slug: Option<String>,
        status: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT l.article_id, l.target, a.slug, a.status FROM legacy_paths l \
         LEFT JOIN articles a ON a.id = l.article_id WHERE l.path = $1",
    )
    .bind(path)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.and_then(|r| match r {
        Row {
            article_id: Some(_),
            slug: Some(slug),
            status: Some(status),
            ..
        } if status == "published" => Some(format!("/{slug}")),
        Row {
            article_id: None,
            target,
            ..
        } if !target.is_empty() => Some(target),
        _ => None,
    }))
}

/// A pingback or trackback as the old site had it.
#[derive(Debug, Clone)]
pub struct ImportedMention {
    pub source_id: String,
    pub kind: String,
    pub status: CommentStatus,
    pub source_name: String,
    pub source_url: String,
    pub excerpt: String,
    pub created_at: DateTime<Utc>,
}

/// Stores an article's mentions; those imported before are left alone.
/// Returns how many were added.
pub async fn add_mentions(
    db: &Db,
    source: &str,
    article: ArticleId,
    mentions: &[ImportedMention],
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut tx = db.write_tx().await?;
    let mut added = 0;
    for m in mentions {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT target_id FROM imported_items WHERE source = $1 AND kind = 'mention' AND source_id = $2",
        )
        .bind(source)
        .bind(&m.source_id)
        .fetch_optional(&mut *tx)
        .await?;
        if known.is_some() {
            continue;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mentions (article_id, kind, status, source_name, source_url, excerpt, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(article.0)
        .bind(&m.kind)
        .bind(m.status.as_str())
        .bind(&m.source_name)
        .bind(&m.source_url)
        .bind(&m.excerpt)
        .bind(ts(m.created_at))
        .fetch_one(&mut *tx)
        .await?;
        let item = Imported {
            target_id: id,
            digest: m.status.as_str().into(),
            revision: 0,
        };
        remember_in(&mut tx, source, "mention", &m.source_id, &item, now).await?;
        added += 1;
    }
    if added > 0 {
        crate::site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// A mention shown under a report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mention {
    pub kind: String,
    pub source_name: String,
    pub source_url: String,
    pub excerpt: String,
    pub created_at: DateTime<Utc>,
}

/// An article's approved mentions, oldest first.
pub async fn mentions(db: &Db, article: ArticleId) -> Result<Vec<Mention>> {
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT kind, source_name, source_url, excerpt, created_at FROM mentions \
         WHERE article_id = $1 AND status = 'approved' ORDER BY created_at, id LIMIT 200",
    )
    .bind(article.0)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, source_name, source_url, excerpt, at)| Mention {
            kind,
            source_name,
            source_url,
            excerpt,
            created_at: from_ts(at),
        })
        .collect())
}

/// Brings the planner's statistics up to date after many rows went in:
/// PostgreSQL plans an import's lookups from what it last measured, and a
/// table measured empty at the start is scanned whole for each item once it
/// holds thousands. (SQLite's lookups here are by key whatever it knows.)
pub async fn refresh_statistics(db: &Db) -> Result<()> {
    if db.backend() == crate::Backend::Postgres {
        sqlx::query(
            "ANALYZE imported_items, legacy_paths, articles, article_bodies, article_revisions, \
             comments, mentions, authors, tags, sections, slug_redirects, search_docs, search_terms",
        )
        .execute(db.pool())
        .await?;
    }
    Ok(())
}
