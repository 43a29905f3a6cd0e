//! Imported comments: threads kept whole, old numbers kept where free,
//! a second run of the same file writing nothing.

use super::{Imported, remember_in};
use crate::comments::{next_comments_version, path_segment};
use crate::sql::{Savepoint, Sql};
use crate::{Backend, Db, DbError, Result, ts};
use chrono::{DateTime, Utc};
use dateline_core::comment::CommentStatus;
use dateline_core::{ArticleId, UserId};
use sqlx::{AnyConnection, FromRow};
use std::collections::HashMap;

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
    let mut added = add_comments_many(db, source, &[(article, comments)], now).await?;
    Ok(added.pop().unwrap_or_default())
}

/// `add_comments` for several articles, in one transaction (an import's
/// batch of posts): one result per article, in order.
pub async fn add_comments_many(
    db: &Db,
    source: &str,
    articles: &[(ArticleId, &[ImportedComment])],
    now: DateTime<Utc>,
) -> Result<Vec<CommentsAdded>> {
    let mut out = Vec::with_capacity(articles.len());
    if articles.is_empty() {
        return Ok(out);
    }
    let mut tx = db.write_tx().await?;
    for (article, comments) in articles {
        out.push(add_in(&mut tx, db.backend(), source, *article, comments, now).await?);
    }
    tx.commit().await?;
    Ok(out)
}

async fn add_in(
    conn: &mut AnyConnection,
    backend: Backend,
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
        let found: Vec<(String, i64)> = q.query_as().fetch_all(&mut *conn).await?;
        if found.is_empty() {
            continue;
        }
        let mut q =
            crate::sql::Sql::new("SELECT id, thread_id, depth, path FROM comments WHERE id IN (");
        q.bind_list(found.iter().map(|(_, id)| *id)).push(")");
        let places: HashMap<i64, (i64, i64, String)> = q
            .query_as::<(i64, i64, i64, String)>()
            .fetch_all(&mut *conn)
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
    let known: HashMap<&str, &ImportedComment> =
        comments.iter().map(|c| (c.source_id.as_str(), c)).collect();
    let todo: Vec<&ImportedComment> = parents_first(comments, &known)
        .into_iter()
        .filter(|c| !placed.contains_key(c.source_id.as_str()))
        .collect();
    if let Some(added) = add_kept(conn, backend, source, article, &todo, &placed, now).await? {
        out.added = added;
        return Ok(out);
    }
    let mut explicit_ids = false;
    for c in todo {
        if placed.contains_key(c.source_id.as_str()) {
            continue;
        }
        let parent = match &c.parent_source_id {
            None => None,
            Some(p) => match placed.get(p.as_str()) {
                Some(place) => Some(place.clone()),
                None => match imported_place(&mut *conn, source, p).await? {
                    Some(place) => Some(place),
                    None => {
                        out.orphans.push(c.source_id.clone());
                        None
                    }
                },
            },
        };
        let kept = match c.keep_id {
            Some(id) => insert_comment(&mut *conn, article, c, parent.as_ref(), Some(id)).await?,
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
                    catch_up_sequence(&mut *conn, backend).await?;
                }
                insert_comment(&mut *conn, article, c, parent.as_ref(), None)
                    .await?
                    .ok_or(DbError::NotFound)?
            }
        };
        remember_in(
            &mut *conn,
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
        catch_up_sequence(&mut *conn, backend).await?;
    }
    if out.added > 0 {
        recount(&mut *conn, article).await?;
    }
    Ok(out)
}

/// Rows per multi-row statement (15 values each), under both databases'
/// limits on bound values.
const ROWS: usize = 400;

/// The common case, in a few multi-row statements: every new comment keeps
/// its old number, and each reply's parent is among them or was imported
/// before. `None` when that does not hold (a number is taken, a parent is
/// elsewhere or missing), and then nothing was written (what was, under a
/// savepoint, is rolled back): the caller goes comment by comment.
async fn add_kept(
    conn: &mut AnyConnection,
    backend: Backend,
    source: &str,
    article: ArticleId,
    todo: &[&ImportedComment],
    placed: &HashMap<&str, Place>,
    now: DateTime<Utc>,
) -> Result<Option<u64>> {
    let savepoint = Savepoint::begin(conn, "kept_numbers").await?;
    let added = write_kept(conn, backend, source, article, todo, placed, now).await?;
    match added {
        Some(_) => savepoint.release(conn).await?,
        None => savepoint.roll_back(conn).await?,
    }
    Ok(added)
}

async fn write_kept(
    conn: &mut AnyConnection,
    backend: Backend,
    source: &str,
    article: ArticleId,
    todo: &[&ImportedComment],
    placed: &HashMap<&str, Place>,
    now: DateTime<Utc>,
) -> Result<Option<u64>> {
    let mut places: HashMap<&str, Place> = HashMap::new();
    let mut rows: Vec<(&ImportedComment, Option<i64>, Place)> = Vec::with_capacity(todo.len());
    for c in todo {
        let Some(id) = c.keep_id else {
            return Ok(None);
        };
        let parent = match &c.parent_source_id {
            None => None,
            Some(p) => match places.get(p.as_str()).or_else(|| placed.get(p.as_str())) {
                Some(place) => Some(place.clone()),
                None => return Ok(None),
            },
        };
        let place = match &parent {
            Some(p) => Place {
                id,
                thread_id: p.thread_id,
                depth: p.depth + 1,
                path: format!("{}/{}", p.path, path_segment(id)),
            },
            None => Place {
                id,
                thread_id: id,
                depth: 0,
                path: path_segment(id),
            },
        };
        places.insert(&c.source_id, place.clone());
        rows.push((c, parent.map(|p| p.id), place));
    }
    for chunk in rows.chunks(ROWS) {
        let mut q = Sql::new("SELECT COUNT(*) FROM comments WHERE id IN (");
        q.bind_list(chunk.iter().map(|(_, _, p)| p.id)).push(")");
        let taken: i64 = q.query_scalar().fetch_one(&mut *conn).await?;
        if taken > 0 {
            return Ok(None);
        }
    }
    for chunk in rows.chunks(ROWS) {
        let mut q = Sql::new(
            "INSERT INTO comments (id, article_id, parent_id, depth, status, author_name, author_email, \
             author_url, user_id, body_markdown, body_html, created_at, updated_at, thread_id, path) VALUES ",
        );
        for (i, (c, parent, place)) in chunk.iter().enumerate() {
            let created = ts(c.created_at);
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(place.id)
                .push(", ")
                .bind(article.0)
                .push(", ")
                .bind(*parent)
                .push(", ");
            q.bind(place.depth)
                .push(", ")
                .bind(c.status.as_str().to_owned())
                .push(", ");
            q.bind(c.author_name.clone())
                .push(", ")
                .bind(c.author_email.to_lowercase())
                .push(", ");
            q.bind(c.author_url.clone())
                .push(", ")
                .bind(c.user_id.map(|u| u.0))
                .push(", ");
            q.bind(c.body_markdown.clone())
                .push(", ")
                .bind(c.body_html.clone())
                .push(", ");
            q.bind(created)
                .push(", ")
                .bind(created)
                .push(", ")
                .bind(place.thread_id)
                .push(", ");
            q.bind(place.path.clone()).push(")");
        }
        q.push(" ON CONFLICT (id) DO NOTHING");
        let stored = q.query().execute(&mut *conn).await?.rows_affected();
        if stored != chunk.len() as u64 {
            return Ok(None);
        }
    }
    let at = ts(now);
    for chunk in rows.chunks(ROWS) {
        let mut q = Sql::new(
            "INSERT INTO imported_items (source, kind, source_id, target_id, digest, revision, imported_at) VALUES ",
        );
        for (i, (c, _, place)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(source.to_owned())
                .push(", 'comment', ")
                .bind(c.source_id.clone())
                .push(", ");
            q.bind(place.id)
                .push(", ")
                .bind(c.status.as_str().to_owned())
                .push(", 0, ")
                .bind(at)
                .push(")");
        }
        q.push(
            " ON CONFLICT (source, kind, source_id) DO UPDATE SET target_id = excluded.target_id, \
             digest = excluded.digest, revision = excluded.revision, imported_at = excluded.imported_at",
        );
        q.query().execute(&mut *conn).await?;
    }
    if !rows.is_empty() {
        catch_up_sequence(&mut *conn, backend).await?;
        recount(&mut *conn, article).await?;
    }
    Ok(Some(rows.len() as u64))
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
        .bind(c.status.as_str().to_owned())
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
pub(super) async fn recount(conn: &mut AnyConnection, article: ArticleId) -> Result<()> {
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
