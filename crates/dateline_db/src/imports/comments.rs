//! Imported comments: threads kept whole, old numbers kept where free,
//! a second run of the same file writing nothing.

use super::{Imported, remember_in};
use crate::comments::{next_comments_version, path_segment};
use crate::sql::{Savepoint, Sql, insert_rows};
use crate::{Backend, Db, DbError, Result, ts};
use chrono::{DateTime, Utc};
use dateline_core::comment::CommentStatus;
use dateline_core::{ArticleId, UserId};
use sqlx::{AnyConnection, FromRow};
use std::collections::{HashMap, HashSet};

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
///
/// The common case goes in a few statements for the whole batch: every new
/// comment keeps its old number, and each reply's parent is among them or
/// was imported before. An article where that does not hold (a number is
/// taken, a parent is elsewhere or missing) goes comment by comment.
pub async fn add_comments_many(
    db: &Db,
    source: &str,
    articles: &[(ArticleId, &[ImportedComment])],
    now: DateTime<Utc>,
) -> Result<Vec<CommentsAdded>> {
    if articles.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.write_tx().await?;
    let backend = db.backend();
    let all = articles.iter().flat_map(|(_, cs)| cs.iter());
    let before = imported_places(&mut tx, source, all).await?;
    let mut plans: Vec<Plan<'_>> = articles
        .iter()
        .map(|(article, comments)| Plan::new(*article, comments, &before))
        .collect();
    let kept: Vec<(usize, Vec<KeptRow<'_>>)> = plans
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.todo.is_empty())
        .filter_map(|(i, p)| kept_rows(&p.todo, &p.placed).map(|rows| (i, rows)))
        .collect();
    let together =
        !kept.is_empty() && add_kept(&mut tx, backend, source, &kept, &plans, now).await?;
    for (i, rows) in &kept {
        if together
            || add_kept(&mut tx, backend, source, &[(*i, rows.clone())], &plans, now).await?
        {
            plans[*i].out.added = rows.len() as u64;
            plans[*i].todo.clear();
        }
    }
    let mut out = Vec::with_capacity(plans.len());
    for mut plan in plans {
        if !plan.todo.is_empty() {
            one_by_one(&mut tx, backend, source, &mut plan, now).await?;
        }
        out.push(plan.out);
    }
    tx.commit().await?;
    Ok(out)
}

/// An article's comments: where those imported before are, and the others
/// in the order they go in (parents first).
struct Plan<'a> {
    article: ArticleId,
    placed: HashMap<&'a str, Place>,
    todo: Vec<&'a ImportedComment>,
    out: CommentsAdded,
}

impl<'a> Plan<'a> {
    fn new(
        article: ArticleId,
        comments: &'a [ImportedComment],
        before: &HashMap<String, Place>,
    ) -> Self {
        let mut out = CommentsAdded::default();
        let mut placed: HashMap<&str, Place> = HashMap::new();
        for c in comments {
            if let Some(place) = before.get(&c.source_id) {
                placed.insert(&c.source_id, place.clone());
                out.already_there += 1;
            }
        }
        // Parents imported before (an earlier part of a long thread).
        for p in comments
            .iter()
            .filter_map(|c| c.parent_source_id.as_deref())
        {
            if let Some(place) = before.get(p) {
                placed.entry(p).or_insert_with(|| place.clone());
            }
        }
        let known: HashMap<&str, &ImportedComment> =
            comments.iter().map(|c| (c.source_id.as_str(), c)).collect();
        let todo = parents_first(comments, &known)
            .into_iter()
            .filter(|c| !placed.contains_key(c.source_id.as_str()))
            .collect();
        Self {
            article,
            placed,
            todo,
            out,
        }
    }
}

/// Where the comments imported from this source before are, by source id,
/// for `comments` and their parents: a second run of the same file writes
/// nothing, and a thread stored in parts finds the parents of each part.
/// Two lookups by primary key (in chunks), so that no database's planner
/// can choose to scan every comment.
async fn imported_places<'a>(
    conn: &mut AnyConnection,
    source: &str,
    comments: impl Iterator<Item = &'a ImportedComment>,
) -> Result<HashMap<String, Place>> {
    let mut ids: Vec<String> = Vec::new();
    let mut asked: HashSet<&str> = HashSet::new();
    for c in comments {
        for id in std::iter::once(c.source_id.as_str()).chain(c.parent_source_id.as_deref()) {
            if asked.insert(id) {
                ids.push(id.to_owned());
            }
        }
    }
    let mut before = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::for_conn(
            conn,
            "SELECT source_id, target_id FROM imported_items WHERE source = ",
        );
        q.bind(source.to_owned())
            .push(" AND kind = 'comment' AND source_id IN (")
            .bind_list(chunk.iter().cloned())
            .push(")");
        let found: Vec<(String, i64)> = q.query_as().fetch_all(&mut *conn).await?;
        if found.is_empty() {
            continue;
        }
        let mut q = Sql::for_conn(
            conn,
            "SELECT id, thread_id, depth, path FROM comments WHERE id IN (",
        );
        q.bind_list(found.iter().map(|(_, id)| *id)).push(")");
        let places: HashMap<i64, Place> = q
            .query_as::<Place>()
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        before.extend(
            found
                .into_iter()
                .filter_map(|(sid, id)| places.get(&id).map(|p| (sid, p.clone()))),
        );
    }
    Ok(before)
}

/// Stores an article's comments one at a time: a number that is taken is
/// given up for a new one, a parent is looked for among all imported
/// comments, a comment without one starts a thread.
async fn one_by_one(
    conn: &mut AnyConnection,
    backend: Backend,
    source: &str,
    plan: &mut Plan<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (article, out) = (plan.article, &mut plan.out);
    let mut explicit_ids = false;
    for c in std::mem::take(&mut plan.todo) {
        if plan.placed.contains_key(c.source_id.as_str()) {
            continue;
        }
        let parent = match &c.parent_source_id {
            None => None,
            Some(p) => match plan.placed.get(p.as_str()) {
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
        plan.placed.insert(&c.source_id, place);
        out.added += 1;
    }
    if explicit_ids {
        catch_up_sequence(&mut *conn, backend).await?;
    }
    if out.added > 0 {
        recount(&mut *conn, article).await?;
    }
    Ok(())
}

/// A comment that keeps its number: its parent's id and its place.
type KeptRow<'a> = (&'a ImportedComment, Option<i64>, Place);

/// The rows of an article's new comments when every one keeps its old
/// number and each reply's parent is among them or was imported before;
/// `None` otherwise.
fn kept_rows<'a>(
    todo: &[&'a ImportedComment],
    placed: &HashMap<&str, Place>,
) -> Option<Vec<KeptRow<'a>>> {
    let mut places: HashMap<&str, Place> = HashMap::new();
    let mut rows = Vec::with_capacity(todo.len());
    for c in todo {
        let id = c.keep_id?;
        let parent = match &c.parent_source_id {
            None => None,
            Some(p) => Some(
                places
                    .get(p.as_str())
                    .or_else(|| placed.get(p.as_str()))?
                    .clone(),
            ),
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
        rows.push((*c, parent.map(|p| p.id), place));
    }
    Some(rows)
}

/// Stores the kept-number rows of the articles `kept` names (by their
/// index in `plans`), all or none, under a savepoint: false (and nothing
/// written) when a number is taken here.
async fn add_kept(
    conn: &mut AnyConnection,
    backend: Backend,
    source: &str,
    kept: &[(usize, Vec<KeptRow<'_>>)],
    plans: &[Plan<'_>],
    now: DateTime<Utc>,
) -> Result<bool> {
    let savepoint = Savepoint::begin(conn, "kept_numbers").await?;
    let rows: Vec<(ArticleId, &KeptRow<'_>)> = kept
        .iter()
        .flat_map(|(i, rows)| rows.iter().map(move |r| (plans[*i].article, r)))
        .collect();
    let written = write_kept(conn, source, &rows, now).await?;
    if !written {
        savepoint.roll_back(conn).await?;
        return Ok(false);
    }
    catch_up_sequence(&mut *conn, backend).await?;
    let articles: Vec<ArticleId> = kept.iter().map(|(i, _)| plans[*i].article).collect();
    recount_many(&mut *conn, &articles).await?;
    savepoint.release(conn).await?;
    Ok(true)
}

/// Bound values in one `comments` row as `write_kept` writes it.
const COMMENT_BINDS: usize = 15;

async fn write_kept(
    conn: &mut AnyConnection,
    source: &str,
    rows: &[(ArticleId, &KeptRow<'_>)],
    now: DateTime<Utc>,
) -> Result<bool> {
    for chunk in rows.chunks(crate::sql::MAX_BINDS) {
        let mut q = Sql::for_conn(conn, "SELECT COUNT(*) FROM comments WHERE id IN (");
        q.bind_list(chunk.iter().map(|(_, (_, _, p))| p.id))
            .push(")");
        let taken: i64 = q.query_scalar().fetch_one(&mut *conn).await?;
        if taken > 0 {
            return Ok(false);
        }
    }
    let stored = insert_rows(
        conn,
        "INSERT INTO comments (id, article_id, parent_id, depth, status, author_name, author_email, \
         author_url, user_id, body_markdown, body_html, created_at, updated_at, thread_id, path) VALUES ",
        " ON CONFLICT (id) DO NOTHING",
        COMMENT_BINDS,
        rows,
        |q, (article, (c, parent, place))| {
            let created = ts(c.created_at);
            q.bind(place.id).push(", ").bind(article.0).push(", ");
            q.bind(*parent).push(", ").bind(place.depth).push(", ");
            q.bind(c.status.as_str().to_owned()).push(", ");
            q.bind(c.author_name.clone()).push(", ");
            q.bind(c.author_email.to_lowercase()).push(", ");
            q.bind(c.author_url.clone()).push(", ");
            q.bind(c.user_id.map(|u| u.0)).push(", ");
            q.bind(c.body_markdown.clone()).push(", ");
            q.bind(c.body_html.clone()).push(", ");
            q.bind(created).push(", ").bind(created).push(", ");
            q.bind(place.thread_id).push(", ").bind(place.path.clone());
        },
    )
    .await?;
    if stored != rows.len() as u64 {
        return Ok(false);
    }
    let at = ts(now);
    insert_rows(
        conn,
        "INSERT INTO imported_items (source, kind, source_id, target_id, digest, revision, imported_at) VALUES ",
        " ON CONFLICT (source, kind, source_id) DO UPDATE SET target_id = excluded.target_id, \
         digest = excluded.digest, revision = excluded.revision, imported_at = excluded.imported_at",
        5,
        rows,
        |q, (_, (c, _, place))| {
            q.bind(source.to_owned()).push(", 'comment', ");
            q.bind(c.source_id.clone()).push(", ").bind(place.id).push(", ");
            q.bind(c.status.as_str().to_owned()).push(", 0, ").bind(at);
        },
    )
    .await?;
    Ok(true)
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
    let mut done: HashSet<&str> = HashSet::new();
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

/// `recount` for several articles, in one statement.
async fn recount_many(conn: &mut AnyConnection, articles: &[ArticleId]) -> Result<()> {
    let version = next_comments_version(conn).await?;
    for chunk in articles.chunks(500) {
        let mut q = Sql::for_conn(
            conn,
            "UPDATE articles SET \
             comment_count = (SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id AND c.status = 'approved'), \
             inline_count = (SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id AND c.status = 'approved' AND c.anchor IS NOT NULL), \
             comments_version = ",
        );
        q.bind(version)
            .push(" WHERE id IN (")
            .bind_list(chunk.iter().map(|a| a.0))
            .push(")");
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}
