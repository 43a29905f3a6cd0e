//! What an import from another system stores besides its articles (which
//! go through `articles::save` like any other): which source item became
//! which row, the old site's addresses, comments with their threads and
//! dates as they were, and mentions (pingbacks, trackbacks).
//!
//! Every function here is one transaction, so an interrupted import leaves
//! whole items behind and a second run finishes the job.

use crate::comments::{next_comments_version, path_segment};
use crate::{Backend, Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::comment::CommentStatus;
use dateline_core::{ArticleId, UserId};
use sqlx::{AnyConnection, FromRow};
use std::collections::HashMap;

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

/// Stores an `ArticleImport` in one transaction. Returns how many old
/// addresses were new or changed.
pub async fn finish_article(db: &Db, a: &ArticleImport<'_>, now: DateTime<Utc>) -> Result<u64> {
    let (source, source_id, item, feed_guid, pinned, paths) = (
        a.source,
        a.source_id,
        a.item,
        a.feed_guid,
        a.pinned,
        a.paths,
    );
    let mut tx = db.write_tx().await?;
    remember_in(&mut tx, source, "post", source_id, item, now).await?;
    let changed = sqlx::query(
        "UPDATE articles SET feed_guid = $1, pinned = $2 WHERE id = $3 AND (feed_guid <> $1 OR pinned <> $2)",
    )
    .bind(feed_guid)
    .bind(i64::from(pinned))
    .bind(item.target_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed > 0 {
        crate::site::bump_content_version(&mut tx).await?;
    }
    let added = add_legacy_paths_in(&mut tx, paths).await?;
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
    let mut changed = 0;
    for (path, target) in paths {
        let (article, target) = match target {
            LegacyTarget::Article(id) => (Some(id.0), String::new()),
            LegacyTarget::Path(p) => (None, p.clone()),
        };
        changed += sqlx::query(
            "INSERT INTO legacy_paths (path, article_id, target) VALUES ($1, $2, $3) \
             ON CONFLICT (path) DO UPDATE SET article_id = excluded.article_id, target = excluded.target \
             WHERE legacy_paths.article_id IS DISTINCT FROM excluded.article_id OR legacy_paths.target <> excluded.target",
        )
        .bind(path)
        .bind(article)
        .bind(target)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(changed)
}

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

/// A comment as the old site had it.
#[derive(Debug, Clone)]
pub struct ImportedComment {
    pub source_id: String,
    pub parent_source_id: Option<String>,
    /// Keep this number as the comment's id when it is free, so that old
    /// `#comment-N` links still find it.
    pub keep_id: Option<i64>,
    pub status: CommentStatus,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub user_id: Option<UserId>,
    pub body_markdown: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

/// What `add_comments` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentsAdded {
    pub added: u64,
    pub already_there: u64,
    /// Source ids of comments whose parent was in neither the file nor
    /// the database: they start threads of their own.
    pub orphans: Vec<String>,
    /// Comments that could not keep their old number (taken here).
    pub renumbered: u64,
}

/// Where a stored comment sits in its thread.
#[derive(Debug, Clone, FromRow)]
struct Place {
    id: i64,
    thread_id: i64,
    depth: i64,
    path: String,
}

/// Stores an article's comments, parents before replies, in one
/// transaction; comments imported before are left as they are. The
/// article's counts are set from what it holds afterwards.
pub async fn add_comments(
    db: &Db,
    source: &str,
    article: ArticleId,
    comments: &[ImportedComment],
    now: DateTime<Utc>,
) -> Result<CommentsAdded> {
    let mut out = CommentsAdded::default();
    // Which of these comments came from this source before, found by the
    // primary key (in chunks): a second run of the same file writes nothing.
    // Two lookups by primary key, so that no database's planner can choose
    // to scan every comment for each post.
    let mut before: Vec<(String, i64, i64, i64, String)> = Vec::new();
    for chunk in comments.chunks(500) {
        let mut q =
            crate::sql::Sql::new("SELECT source_id, target_id FROM imported_items WHERE source = ");
        q.bind(source.to_owned())
            .push(" AND kind = 'comment' AND source_id IN (")
            .bind_list(chunk.iter().map(|c| c.source_id.clone()))
            .push(")");
        let found: Vec<(String, i64)> = q.query_as().fetch_all(db.pool()).await?;
        if found.is_empty() {
            continue;
        }
        let mut q =
            crate::sql::Sql::new("SELECT id, thread_id, depth, path FROM comments WHERE id IN (");
        q.bind_list(found.iter().map(|(_, id)| *id)).push(")");
        let places: HashMap<i64, (i64, i64, String)> = q
            .query_as::<(i64, i64, i64, String)>()
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .map(|(id, t, d, p)| (id, (t, d, p)))
            .collect();
        before.extend(found.into_iter().filter_map(|(sid, id)| {
            places
                .get(&id)
                .map(|(t, d, p)| (sid, id, *t, *d, p.clone()))
        }));
    }
    let before: HashMap<String, Place> = before
        .into_iter()
        .map(|(sid, id, thread_id, depth, path)| {
            (
                sid,
                Place {
                    id,
                    thread_id,
                    depth,
                    path,
                },
            )
        })
        .collect();
    let mut placed: HashMap<&str, Place> = HashMap::new();
    for c in comments {
        if let Some(place) = before.get(&c.source_id) {
            placed.insert(&c.source_id, place.clone());
            out.already_there += 1;
        }
    }
    if placed.len() == comments.len() {
        return Ok(out);
    }
    let mut tx = db.write_tx().await?;
    let known: HashMap<&str, &ImportedComment> =
        comments.iter().map(|c| (c.source_id.as_str(), c)).collect();
    let mut explicit_ids = false;
    for c in parents_first(comments, &known) {
        if placed.contains_key(c.source_id.as_str()) {
            continue;
        }
        let parent = match &c.parent_source_id {
            None => None,
            Some(p) => match placed.get(p.as_str()) {
                Some(place) => Some(place.clone()),
                None => match imported_place(&mut tx, source, p).await? {
                    Some(place) => Some(place),
                    None => {
                        out.orphans.push(c.source_id.clone());
                        None
                    }
                },
            },
        };
        let kept = match c.keep_id {
            Some(id) => insert_comment(&mut tx, article, c, parent.as_ref(), Some(id)).await?,
            None => None,
        };
        let place = match kept {
            Some(place) => {
                explicit_ids = true;
                place
            }
            None => {
                if c.keep_id.is_some() {
                    out.renumbered += 1;
                }
                if explicit_ids {
                    catch_up_sequence(&mut tx, db.backend()).await?;
                }
                insert_comment(&mut tx, article, c, parent.as_ref(), None)
                    .await?
                    .ok_or(DbError::NotFound)?
            }
        };
        remember_in(
            &mut tx,
            source,
            "comment",
            &c.source_id,
            &Imported {
                target_id: place.id,
                digest: c.status.as_str().into(),
                revision: 0,
            },
            now,
        )
        .await?;
        placed.insert(&c.source_id, place);
        out.added += 1;
    }
    if explicit_ids {
        catch_up_sequence(&mut tx, db.backend()).await?;
    }
    if out.added > 0 {
        recount(&mut tx, article).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Ids given by hand do not move PostgreSQL's sequence (SQLite's
/// AUTOINCREMENT follows by itself): the next comment must not be handed
/// one of them.
async fn catch_up_sequence(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT MAX(id) FROM comments))",
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Comments ordered so that each comes after its parent (when its parent
/// is among them); a cycle or a missing parent does not lose a comment.
fn parents_first<'a>(
    comments: &'a [ImportedComment],
    known: &HashMap<&str, &'a ImportedComment>,
) -> Vec<&'a ImportedComment> {
    let mut out = Vec::with_capacity(comments.len());
    let mut done: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for c in comments {
        // Walk up to the first ancestor not yet placed, then place down.
        let mut chain = vec![c];
        let mut cur = c;
        while let Some(parent) = cur.parent_source_id.as_deref().and_then(|p| known.get(p)) {
            if done.contains(parent.source_id.as_str())
                || chain.iter().any(|x| x.source_id == parent.source_id)
            {
                break;
            }
            chain.push(parent);
            cur = parent;
        }
        for x in chain.into_iter().rev() {
            if done.insert(x.source_id.as_str()) {
                out.push(x);
            }
        }
    }
    out
}

async fn imported_place(
    conn: &mut AnyConnection,
    source: &str,
    source_id: &str,
) -> Result<Option<Place>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.thread_id, c.depth, c.path FROM imported_items i JOIN comments c ON c.id = i.target_id \
         WHERE i.source = $1 AND i.kind = 'comment' AND i.source_id = $2",
    )
    .bind(source)
    .bind(source_id)
    .fetch_optional(conn)
    .await?)
}

/// Stores one comment under `parent`. With `id`, under that number when it
/// is free (None when it is taken); else under the sequence's next.
async fn insert_comment(
    conn: &mut AnyConnection,
    article: ArticleId,
    c: &ImportedComment,
    parent: Option<&Place>,
    id: Option<i64>,
) -> Result<Option<Place>> {
    let created = ts(c.created_at);
    let depth = parent.map_or(0, |p| p.depth + 1);
    let place = |id: i64| match parent {
        Some(p) => (p.thread_id, format!("{}/{}", p.path, path_segment(id))),
        None => (id, path_segment(id)),
    };
    let columns = "article_id, parent_id, depth, status, author_name, author_email, author_url, \
                   user_id, body_markdown, body_html, created_at, updated_at, thread_id, path";
    let (sql, known) = match id {
        // Its place in the thread is known before it is stored: one statement.
        Some(id) => (
            format!(
                "INSERT INTO comments (id, {columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14) \
                 ON CONFLICT (id) DO NOTHING RETURNING id"
            ),
            Some((id, place(id))),
        ),
        None => (
            format!(
                "INSERT INTO comments ({columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 0, '') RETURNING id"
            ),
            None,
        ),
    };
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    if let Some((id, _)) = &known {
        q = q.bind(*id);
    }
    q = q
        .bind(article.0)
        .bind(parent.map(|p| p.id))
        .bind(depth)
        .bind(c.status.as_str())
        .bind(&c.author_name)
        .bind(c.author_email.to_lowercase())
        .bind(&c.author_url)
        .bind(c.user_id.map(|u| u.0))
        .bind(&c.body_markdown)
        .bind(&c.body_html)
        .bind(created);
    if let Some((_, (thread, path))) = &known {
        q = q.bind(*thread).bind(path.clone());
    }
    let Some(stored): Option<i64> = q.fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let (thread_id, path) = match known {
        Some((_, tp)) => tp,
        None => {
            let (thread_id, path) = place(stored);
            sqlx::query("UPDATE comments SET thread_id = $1, path = $2 WHERE id = $3")
                .bind(thread_id)
                .bind(&path)
                .bind(stored)
                .execute(&mut *conn)
                .await?;
            (thread_id, path)
        }
    };
    Ok(Some(Place {
        id: stored,
        thread_id,
        depth,
        path,
    }))
}

/// Sets the article's counts from its comments and marks them changed.
async fn recount(conn: &mut AnyConnection, article: ArticleId) -> Result<()> {
    let version = next_comments_version(conn).await?;
    sqlx::query(
        "UPDATE articles SET \
         comment_count = (SELECT COUNT(*) FROM comments WHERE article_id = $1 AND status = 'approved'), \
         inline_count = (SELECT COUNT(*) FROM comments WHERE article_id = $1 AND status = 'approved' AND anchor IS NOT NULL), \
         comments_version = $2 WHERE id = $1",
    )
    .bind(article.0)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
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
