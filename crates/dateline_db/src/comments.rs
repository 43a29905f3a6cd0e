//! Comments: posting, threads in pages, votes, moderation, bans, and what
//! tells every process which articles' pages to drop; what a comment's
//! writer does and is known by is in [`writer`].
//!
//! Counts on the article (`comment_count`, `inline_count`) and the comments
//! version are changed in the transaction that changes what readers see, so
//! a count never disagrees with the list for long and no page stays stale.
//! Addresses of readers never arrive here whole: the web layer passes keyed
//! hashes and truncated networks.

use crate::rows::{COMMENT_COLUMNS, CommentRow};
use crate::sql::Sql;
use crate::views::{CommentView, PageRequest, Paged};
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::audit::Who;
use dateline_core::comment::{CommentSettings, CommentSort, CommentStatus};
use dateline_core::{ArticleId, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

mod writer;
pub use writer::{MAIL_EVERY, OwnerEdit, banned, edit_by_owner, known_writer, mail_commenter};

/// Digits of each id in a comment's path; enough for ids below 10^12.
const PATH_DIGITS: usize = 12;

pub(crate) fn path_segment(id: i64) -> String {
    format!("{id:0width$}", width = PATH_DIGITS)
}

/// The site's comment settings (defaults for anything never set).
pub async fn settings(db: &Db) -> Result<CommentSettings> {
    let raw: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'comments'")
            .fetch_optional(db.pool())
            .await?;
    Ok(raw
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or_default())
}

/// Replaces the comment settings; pages show them, so the content version moves.
pub async fn save_settings(
    db: &Db,
    settings: &CommentSettings,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    settings.validate().map_err(DbError::Invalid)?;
    let json = serde_json::to_value(settings).map_err(|e| crate::DbError::Config(e.to_string()))?;
    let mut tx = db.write_tx().await?;
    let old: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'comments'")
            .fetch_optional(&mut *tx)
            .await?;
    let old = old
        .and_then(|r| serde_json::from_str::<CommentSettings>(&r).ok())
        .unwrap_or_default();
    let old = serde_json::to_value(old).map_err(|e| crate::DbError::Config(e.to_string()))?;
    crate::audit::settings_changed(&mut tx, "comments", &old, &json, by, now).await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ('comments', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(json.to_string())
        .execute(&mut *tx)
        .await?;
    crate::site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// What the comment section needs to know of its article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct CommentTarget {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub language: String,
    pub direction: String,
    pub published_at: Option<i64>,
    pub comments_closed: i64,
    pub comment_count: i64,
    pub inline_count: i64,
}

impl CommentTarget {
    /// True when readers may comment now: comments are on, the editor has not
    /// closed them, and the article is younger than the site's limit.
    pub fn open(&self, settings: &CommentSettings, now: DateTime<Utc>) -> bool {
        let young = settings.close_after_days == 0
            || self.published_at.is_some_and(|p| {
                now.timestamp() - p < i64::from(settings.close_after_days) * 86_400
            });
        settings.enabled && self.comments_closed == 0 && young
    }
}

/// An article already read for its page is its comment section's target:
/// no second query.
impl From<&crate::views::ArticleSummary> for CommentTarget {
    fn from(a: &crate::views::ArticleSummary) -> Self {
        Self {
            id: a.id.0,
            slug: a.slug.clone(),
            headline: a.headline.clone(),
            language: a.language.to_string(),
            direction: a.direction.as_str().to_owned(),
            published_at: a.published_at.map(ts),
            comments_closed: i64::from(a.comments_closed),
            comment_count: a.comment_count,
            inline_count: a.inline_count,
        }
    }
}

const TARGET_COLUMNS: &str = "id, slug, headline, language, direction, published_at, comments_closed, comment_count, inline_count";

/// The published article with this slug, as a comment section sees it.
pub async fn target_by_slug(db: &Db, slug: &str) -> Result<Option<CommentTarget>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TARGET_COLUMNS} FROM articles WHERE slug = $1 AND status = 'published'"
    )))
    .bind(slug.to_owned())
    .fetch_optional(db.pool())
    .await?)
}

/// The published article with this id, as a comment section sees it.
pub async fn target_by_id(db: &Db, id: ArticleId) -> Result<Option<CommentTarget>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TARGET_COLUMNS} FROM articles WHERE id = $1 AND status = 'published'"
    )))
    .bind(id.0)
    .fetch_optional(db.pool())
    .await?)
}

/// Opens or closes an article's comments (editors).
pub async fn set_closed(db: &Db, article: ArticleId, closed: bool) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let n = sqlx::query("UPDATE articles SET comments_closed = $1 WHERE id = $2")
        .bind(i64::from(closed))
        .bind(article.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(DbError::NotFound);
    }
    touch_article(&mut tx, article.0).await?;
    tx.commit().await?;
    Ok(())
}

/// A comment ready to store: validated, rendered, its status decided.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub article_id: ArticleId,
    pub parent_id: Option<i64>,
    pub status: CommentStatus,
    pub held_because: String,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub user_id: Option<UserId>,
    pub body_markdown: String,
    pub body_html: String,
    pub ip_hash: String,
    pub ip_prefix: String,
    pub user_agent: String,
    pub owner_hash: String,
    pub anchor: Option<String>,
}

/// Stores a comment; a reply must answer an approved comment of the same
/// article. Returns the stored comment.
pub async fn create(db: &Db, new: &NewComment, now: DateTime<Utc>) -> Result<CommentRow> {
    let mut tx = db.write_tx().await?;
    // A reply belongs to its thread's passage, whatever it was sent with.
    let (thread_id, depth, parent_path, anchor) = match new.parent_id {
        None => (None, 0, String::new(), new.anchor.clone()),
        Some(parent) => {
            let row: Option<(i64, i64, String, i64, Option<String>)> = sqlx::query_as(
                "SELECT thread_id, depth, path, article_id, anchor FROM comments WHERE id = $1 AND status = 'approved' AND deleted_at IS NULL",
            )
            .bind(parent)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some((thread, depth, path, article, anchor)) if article == new.article_id.0 => {
                    (Some(thread), depth + 1, path, anchor)
                }
                _ => {
                    return Err(DbError::invalid(
                        "parent_id",
                        "The comment you are replying to is no longer there. Your reply is kept below; post it as a new comment, or copy it.",
                    ));
                }
            }
        }
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO comments (article_id, parent_id, thread_id, depth, path, status, held_because, \
         author_name, author_email, author_url, user_id, body_markdown, body_html, ip_hash, ip_prefix, \
         user_agent, owner_hash, anchor, created_at, updated_at) \
         VALUES ($1, $2, 0, $3, '', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
    )
    .bind(new.article_id.0)
    .bind(new.parent_id)
    .bind(depth)
    .bind(new.status.as_str())
    .bind(new.held_because.clone())
    .bind(new.author_name.clone())
    .bind(new.author_email.clone())
    .bind(new.author_url.clone())
    .bind(new.user_id.map(|u| u.0))
    .bind(new.body_markdown.clone())
    .bind(new.body_html.clone())
    .bind(new.ip_hash.clone())
    .bind(new.ip_prefix.clone())
    .bind(new.user_agent.clone())
    .bind(new.owner_hash.clone())
    .bind(anchor.clone())
    .bind(ts(now))
    .fetch_one(&mut *tx)
    .await?;
    let path = if parent_path.is_empty() {
        path_segment(id)
    } else {
        format!("{parent_path}/{}", path_segment(id))
    };
    let row: CommentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE comments SET thread_id = $1, path = $2, notify_due = $4 WHERE id = $3 RETURNING {}",
        COMMENT_COLUMNS.replace("c.", "")
    )))
    .bind(thread_id.unwrap_or(id))
    .bind(path)
    .bind(id)
    .bind(i64::from(new.status == CommentStatus::Approved))
    .fetch_one(&mut *tx)
    .await?;
    if new.status == CommentStatus::Approved {
        count_change(&mut tx, new.article_id.0, 1, i64::from(anchor.is_some())).await?;
    }
    tx.commit().await?;
    Ok(row)
}

async fn fetch_in(conn: &mut AnyConnection, id: i64) -> Result<CommentRow> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_one(conn)
    .await?)
}

/// One comment, whatever its status.
pub async fn get(db: &Db, id: i64) -> Result<Option<CommentRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

/// Moves the article's counts and marks its comments changed.
async fn count_change(
    conn: &mut AnyConnection,
    article_id: i64,
    all: i64,
    inline: i64,
) -> Result<()> {
    let version = next_comments_version(conn).await?;
    sqlx::query(
        "UPDATE articles SET comment_count = comment_count + $1, inline_count = inline_count + $2, comments_version = $3 WHERE id = $4",
    )
    .bind(all)
    .bind(inline)
    .bind(version)
    .bind(article_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks an article's comments changed without changing its counts (a
/// vote, an edit).
async fn touch_article(conn: &mut AnyConnection, article_id: i64) -> Result<()> {
    count_change(conn, article_id, 0, 0).await
}

pub(crate) async fn next_comments_version(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE site_state SET value = value + 1 WHERE key = 'comments_version' RETURNING value",
    )
    .fetch_one(conn)
    .await?)
}

/// Whether a comment in this state is counted and shown.
fn visible(status: &str, deleted: bool) -> bool {
    status == CommentStatus::Approved.as_str() && !deleted
}

/// The current comments version.
pub async fn comments_version(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM site_state WHERE key = 'comments_version'")
            .fetch_one(db.pool())
            .await?,
    )
}

/// Slugs of articles whose comments changed after version `since`.
pub async fn changed_since(db: &Db, since: i64) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, slug FROM articles WHERE comments_version > $1")
            .bind(since)
            .fetch_all(db.pool())
            .await?,
    )
}

/// Where a page of threads starts: after the thread with this sort key and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: i64,
}

impl Cursor {
    /// `KEY.ID`, as it appears in a "Load more" link.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.key, self.id)
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (k, i) = s.split_once('.')?;
        Some(Self {
            key: k.parse().ok()?,
            id: i.parse().ok()?,
        })
    }
}

/// A page of threads, each thread's comments in reading order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ThreadPage {
    /// Threads' first comments in the page's order, each followed by its
    /// replies (each reply after its parent, older first).
    pub comments: Vec<CommentView>,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

/// Which threads a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThreadFilter<'a> {
    #[default]
    All,
    /// Inline feedback only: threads on any passage.
    Inline,
    /// Threads on one passage.
    Passage(&'a str),
}

/// The threads of an article in `sort` order, `limit` at a time, starting
/// after `after`. Only approved comments (and placeholders of deleted ones
/// that still have replies).
pub async fn threads(
    db: &Db,
    article: ArticleId,
    filter: ThreadFilter<'_>,
    sort: CommentSort,
    after: Option<Cursor>,
    limit: u32,
) -> Result<ThreadPage> {
    let (key, op, order) = match sort {
        CommentSort::Newest => ("c.created_at", "<", "DESC"),
        CommentSort::Oldest => ("c.created_at", ">", "ASC"),
        CommentSort::Votes => ("c.score", "<", "DESC"),
    };
    let mut q = Sql::new(&format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.article_id = "
    ));
    q.bind(article.0)
        .push(" AND c.status = 'approved' AND c.parent_id IS NULL");
    match filter {
        ThreadFilter::All => {}
        ThreadFilter::Inline => {
            q.push(" AND c.anchor IS NOT NULL");
        }
        ThreadFilter::Passage(anchor) => {
            q.push(" AND c.anchor = ").bind(anchor.to_owned());
        }
    }
    if let Some(c) = after {
        q.push(&format!(" AND ({key} {op} "))
            .bind(c.key)
            .push(&format!(" OR ({key} = "))
            .bind(c.key)
            .push(&format!(" AND c.id {op} "))
            .bind(c.id)
            .push("))");
    }
    q.push(&format!(" ORDER BY {key} {order}, c.id {order} LIMIT "))
        .bind(i64::from(limit) + 1);
    let mut roots: Vec<CommentRow> = q.query_as().fetch_all(db.pool()).await?;
    let next = if roots.len() > limit as usize {
        roots.truncate(limit as usize);
        roots.last().map(|r| {
            Cursor {
                key: match sort {
                    CommentSort::Votes => r.score,
                    _ => r.created_at,
                },
                id: r.id,
            }
            .encode()
        })
    } else {
        None
    };
    let comments = with_replies(db, &roots).await?;
    Ok(ThreadPage { comments, next })
}

/// Each root followed by its approved replies in reading order.
async fn with_replies(db: &Db, roots: &[CommentRow]) -> Result<Vec<CommentView>> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(&format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.status = 'approved' AND c.parent_id IS NOT NULL AND c.thread_id IN ("
    ));
    q.bind_list(roots.iter().map(|r| r.id))
        .push(") ORDER BY c.thread_id, c.path");
    let replies: Vec<CommentRow> = q.query_as().fetch_all(db.pool()).await?;
    let mut by_thread: std::collections::HashMap<i64, Vec<&CommentRow>> =
        std::collections::HashMap::new();
    for r in &replies {
        by_thread.entry(r.thread_id).or_default().push(r);
    }
    let mut out = Vec::with_capacity(roots.len() + replies.len());
    for root in roots {
        // A deleted comment is kept only while replies hang from it.
        let replies = by_thread.remove(&root.id).unwrap_or_default();
        if root.deleted_at.is_some() && replies.is_empty() {
            continue;
        }
        out.push(CommentView::from(root));
        out.extend(replies.into_iter().map(CommentView::from));
    }
    Ok(out)
}

/// The whole thread a comment belongs to (for its permalink), if the
/// comment is shown to readers.
pub async fn thread_of(db: &Db, comment_id: i64) -> Result<Option<(CommentRow, Vec<CommentView>)>> {
    let Some(c) = get(db, comment_id).await? else {
        return Ok(None);
    };
    if c.status != CommentStatus::Approved.as_str() {
        return Ok(None);
    }
    let root: Option<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.id = $1 AND c.status = 'approved'"
    )))
    .bind(c.thread_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(root) = root else {
        return Ok(Some((c.clone(), vec![CommentView::from(&c)])));
    };
    let comments = with_replies(db, std::slice::from_ref(&root)).await?;
    Ok(Some((c, comments)))
}

/// Approved comments of an article written after comment `after_id`, oldest
/// first: what a reader already on the page has not seen.
pub async fn approved_after(
    db: &Db,
    article: ArticleId,
    after_id: i64,
    limit: u32,
) -> Result<Vec<CommentView>> {
    let rows: Vec<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.article_id = $1 AND c.status = 'approved' AND c.deleted_at IS NULL AND c.id > $2 ORDER BY c.id LIMIT $3"
    )))
    .bind(article.0)
    .bind(after_id)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(CommentView::from).collect())
}

/// The id of an article's newest approved comment (0 when it has none):
/// where a page that does not show the newest starts counting new ones.
pub async fn newest_id(db: &Db, article: ArticleId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(id), 0) FROM comments WHERE article_id = $1 AND status = 'approved'",
    )
    .bind(article.0)
    .fetch_one(db.pool())
    .await?)
}

/// The newest approved comments of an article, newest first (its feed).
pub async fn recent(db: &Db, article: ArticleId, limit: u32) -> Result<Vec<CommentView>> {
    let rows: Vec<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.article_id = $1 AND c.status = 'approved' AND c.deleted_at IS NULL ORDER BY c.created_at DESC, c.id DESC LIMIT $2"
    )))
    .bind(article.0)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(CommentView::from).collect())
}

/// Comments on an article written from the browser holding this owner
/// secret (by its hash), newest first: held ones are shown to their writer.
pub async fn by_owner(db: &Db, article: ArticleId, owner_hash: &str) -> Result<Vec<CommentRow>> {
    if owner_hash.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.article_id = $1 AND c.owner_hash = $2 AND c.status IN ('approved', 'pending') AND c.deleted_at IS NULL ORDER BY c.id DESC LIMIT 50"
    )))
    .bind(article.0)
    .bind(owner_hash.to_owned())
    .fetch_all(db.pool())
    .await?)
}

/// Votes cast by this voter since `since`.
pub async fn recent_votes(db: &Db, voter: &str, since: DateTime<Utc>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM comment_votes WHERE voter = $1 AND created_at >= $2",
    )
    .bind(voter.to_owned())
    .bind(ts(since))
    .fetch_one(db.pool())
    .await?)
}

/// Replaces a comment's text; `by_writer` marks it "(edited)" for readers
/// (a moderator's correction is not).
async fn set_body(
    conn: &mut AnyConnection,
    id: i64,
    markdown: &str,
    html: &str,
    now: DateTime<Utc>,
    by_writer: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE comments SET body_markdown = $1, body_html = $2, updated_at = $3, \
         edited_at = CASE WHEN $4 = 1 THEN $3 ELSE edited_at END WHERE id = $5",
    )
    .bind(markdown.to_owned())
    .bind(html.to_owned())
    .bind(ts(now))
    .bind(i64::from(by_writer))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a comment; one with replies stays as a placeholder so the
/// thread keeps its shape.
async fn remove(conn: &mut AnyConnection, row: &CommentRow, now: DateTime<Utc>) -> Result<()> {
    let replies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments WHERE parent_id = $1")
        .bind(row.id)
        .fetch_one(&mut *conn)
        .await?;
    if replies > 0 {
        sqlx::query(
            "UPDATE comments SET deleted_at = $1, updated_at = $1, body_markdown = '', body_html = '' WHERE id = $2",
        )
        .bind(ts(now))
        .bind(row.id)
        .execute(conn)
        .await?;
    } else {
        sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(row.id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The vote counts of a comment after a reader's vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VoteResult {
    pub upvotes: i64,
    pub downvotes: i64,
    pub score: i64,
    /// The reader's vote now: 1, -1, or 0 when voting the same way again took
    /// it back.
    pub yours: i64,
    /// The comment's article, whose pages the vote changes.
    #[serde(skip)]
    pub article_id: i64,
}

/// Records a reader's vote (1 or -1) on an approved comment. Voting the same
/// way again takes the vote back; the other way changes it.
pub async fn vote(
    db: &Db,
    comment_id: i64,
    voter: &str,
    value: i64,
    now: DateTime<Utc>,
) -> Result<VoteResult> {
    let value = value.signum();
    let mut tx = db.write_tx().await?;
    let row = fetch_in(&mut tx, comment_id)
        .await
        .map_err(|_| DbError::NotFound)?;
    if !visible(&row.status, row.deleted_at.is_some()) {
        return Err(DbError::NotFound);
    }
    let previous: Option<i64> =
        sqlx::query_scalar("SELECT value FROM comment_votes WHERE comment_id = $1 AND voter = $2")
            .bind(comment_id)
            .bind(voter.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
    let yours = if previous == Some(value) { 0 } else { value };
    if yours == 0 {
        sqlx::query("DELETE FROM comment_votes WHERE comment_id = $1 AND voter = $2")
            .bind(comment_id)
            .bind(voter.to_owned())
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO comment_votes (comment_id, voter, value, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (comment_id, voter) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
        )
        .bind(comment_id)
        .bind(voter.to_owned())
        .bind(yours)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    }
    let before = previous.unwrap_or(0);
    let up = i64::from(yours == 1) - i64::from(before == 1);
    let down = i64::from(yours == -1) - i64::from(before == -1);
    let (upvotes, downvotes, score): (i64, i64, i64) = sqlx::query_as(
        "UPDATE comments SET upvotes = upvotes + $1, downvotes = downvotes + $2, score = score + $1 - $2 WHERE id = $3 RETURNING upvotes, downvotes, score",
    )
    .bind(up)
    .bind(down)
    .bind(comment_id)
    .fetch_one(&mut *tx)
    .await?;
    touch_article(&mut tx, row.article_id).await?;
    tx.commit().await?;
    Ok(VoteResult {
        upvotes,
        downvotes,
        score,
        yours,
        article_id: row.article_id,
    })
}

/// Moderators' changes, one comment at a time or in bulk.
#[derive(Debug, Clone)]
pub enum Moderation {
    Status(CommentStatus),
    /// Removes the comment (a placeholder stays while replies hang from it).
    Delete,
    Edit {
        markdown: String,
        html: String,
    },
}

impl Moderation {
    fn action(&self) -> String {
        match self {
            Moderation::Status(s) => s.as_str().to_owned(),
            Moderation::Delete => "delete".into(),
            Moderation::Edit { .. } => "edit".into(),
        }
    }
}

/// What a moderation changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moderated {
    pub changed: u64,
    /// Articles whose comments readers see changed.
    pub articles: Vec<i64>,
}

/// Applies a moderator's change to each comment in `ids`, all in one
/// transaction, recording who did what.
pub async fn moderate(
    db: &Db,
    ids: &[i64],
    change: &Moderation,
    by: &Who,
    now: DateTime<Utc>,
) -> Result<Moderated> {
    let mut tx = db.write_tx().await?;
    let mut changed = 0;
    let mut articles = Vec::new();
    for &id in ids {
        let Ok(row) = fetch_in(&mut tx, id).await else {
            continue;
        };
        let was = visible(&row.status, row.deleted_at.is_some());
        let now_visible = match change {
            Moderation::Status(status) => {
                if row.status == status.as_str() {
                    continue;
                }
                // A comment notifies its followers once, when first approved.
                sqlx::query(
                    "UPDATE comments SET status = $1, updated_at = $2, \
                     notify_due = CASE WHEN $1 = 'approved' AND notified_at IS NULL THEN 1 ELSE 0 END WHERE id = $3",
                )
                    .bind(status.as_str())
                    .bind(ts(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                visible(status.as_str(), row.deleted_at.is_some())
            }
            Moderation::Delete => {
                remove(&mut tx, &row, now).await?;
                false
            }
            Moderation::Edit { markdown, html } => {
                set_body(&mut tx, id, markdown, html, now, false).await?;
                was
            }
        };
        if !matches!(change, Moderation::Delete) {
            sqlx::query(
                "INSERT INTO comment_events (comment_id, action, user_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(change.action())
            .bind(by.user.map(|u| u.0))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        }
        let delta = i64::from(now_visible) - i64::from(was);
        if delta != 0 || (was && now_visible) {
            count_change(
                &mut tx,
                row.article_id,
                delta,
                delta * i64::from(row.anchor.is_some()),
            )
            .await?;
            if !articles.contains(&row.article_id) {
                articles.push(row.article_id);
            }
        }
        changed += 1;
    }
    crate::audit::moderated(&mut tx, &change.action(), ids.len(), changed, by, now).await?;
    tx.commit().await?;
    Ok(Moderated { changed, articles })
}

/// What moderators see of a comment.
#[derive(Debug, Clone, Serialize)]
pub struct ModerationItem {
    pub comment: CommentView,
    pub author_email: String,
    pub ip_hash: String,
    pub ip_prefix: String,
    pub user_agent: String,
    pub held_because: String,
    pub article_slug: String,
    pub article_headline: String,
    /// What moderators did to it, oldest first: (action, who, when).
    pub history: Vec<(String, String, DateTime<Utc>)>,
}

/// Which comments the moderation queue lists.
#[derive(Debug, Clone, Default)]
pub struct ModerationFilter {
    pub status: Option<CommentStatus>,
    pub email: Option<String>,
    pub ip_hash: Option<String>,
    pub article: Option<ArticleId>,
}

/// Comments for moderators, newest first.
pub async fn moderation_list(
    db: &Db,
    filter: &ModerationFilter,
    page: PageRequest,
) -> Result<Paged<ModerationItem>> {
    let filtered = |select: &str| {
        let mut q = Sql::new(select);
        q.push(" FROM comments c JOIN articles a ON a.id = c.article_id WHERE 1 = 1");
        if let Some(s) = filter.status {
            q.push(" AND c.status = ").bind(s.as_str().to_owned());
        }
        if let Some(e) = &filter.email {
            q.push(" AND c.author_email = ").bind(e.clone());
        }
        if let Some(h) = &filter.ip_hash {
            q.push(" AND c.ip_hash = ").bind(h.clone());
        }
        if let Some(a) = filter.article {
            q.push(" AND c.article_id = ").bind(a.0);
        }
        q
    };
    let total: i64 = filtered("SELECT COUNT(*)")
        .query_scalar()
        .fetch_one(db.pool())
        .await?;
    let mut q = filtered(&format!(
        "SELECT {COMMENT_COLUMNS}, a.slug AS article_slug, a.headline AS article_headline"
    ));
    q.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
        .bind(i64::from(page.per_page))
        .push(" OFFSET ")
        .bind(page.offset());
    let rows: Vec<ModerationRow> = q.query_as().fetch_all(db.pool()).await?;
    let mut history = events_of(db, rows.iter().map(|r| r.comment.id)).await?;
    let items = rows
        .into_iter()
        .map(|r| ModerationItem {
            comment: CommentView::from(&r.comment),
            history: history.remove(&r.comment.id).unwrap_or_default(),
            author_email: r.comment.author_email,
            ip_hash: r.comment.ip_hash,
            ip_prefix: r.comment.ip_prefix,
            user_agent: r.comment.user_agent,
            held_because: r.comment.held_because,
            article_slug: r.article_slug,
            article_headline: r.article_headline,
        })
        .collect();
    Ok(Paged {
        items,
        total: total as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

#[derive(FromRow)]
struct ModerationRow {
    #[sqlx(flatten)]
    comment: CommentRow,
    article_slug: String,
    article_headline: String,
}

type History = std::collections::HashMap<i64, Vec<(String, String, DateTime<Utc>)>>;

async fn events_of(db: &Db, ids: impl Iterator<Item = i64>) -> Result<History> {
    let ids: Vec<i64> = ids.collect();
    let mut out = History::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new(
        "SELECT e.comment_id, e.action, COALESCE(u.name, ''), e.created_at FROM comment_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.comment_id IN (",
    );
    q.bind_list(ids).push(") ORDER BY e.id");
    let rows: Vec<(i64, String, String, i64)> = q.query_as().fetch_all(db.pool()).await?;
    for (id, action, who, at) in rows {
        out.entry(id).or_default().push((action, who, from_ts(at)));
    }
    Ok(out)
}

/// How many comments are in each status.
pub async fn status_counts(db: &Db) -> Result<Vec<(CommentStatus, i64)>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM comments GROUP BY status")
            .fetch_all(db.pool())
            .await?;
    Ok(CommentStatus::ALL
        .into_iter()
        .map(|s| {
            let n = rows
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map_or(0, |(_, n)| *n);
            (s, n)
        })
        .collect())
}

/// What may not comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BanKind {
    Email,
    /// A keyed hash of a client address, as comments store it.
    Ip,
}

impl BanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BanKind::Email => "email",
            BanKind::Ip => "ip",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(BanKind::Email),
            "ip" => Some(BanKind::Ip),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Ban {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub label: String,
    pub reason: String,
    pub created_at: i64,
}

/// Bans an address or a client; banning twice keeps the first.
pub async fn ban(
    db: &Db,
    kind: BanKind,
    value: &str,
    label: &str,
    reason: &str,
    by: &Who,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO comment_bans (kind, value, label, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, value) DO NOTHING RETURNING id",
    )
    .bind(kind.as_str())
    .bind(value.to_owned())
    .bind(label.to_owned())
    .bind(reason.to_owned())
    .bind(by.user.map(|u| u.0))
    .bind(ts(now))
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = id {
        crate::audit::banned(&mut tx, id, label, reason, true, by, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn unban(db: &Db, id: i64, now: DateTime<Utc>, by: &Who) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let label: Option<String> =
        sqlx::query_scalar("DELETE FROM comment_bans WHERE id = $1 RETURNING label")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(label) = label {
        crate::audit::banned(&mut tx, id, &label, "", false, by, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn bans(db: &Db) -> Result<Vec<Ban>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, value, label, reason, created_at FROM comment_bans ORDER BY id DESC",
    )
    .fetch_all(db.pool())
    .await?)
}

/// Every comment written with this address, oldest first (for its writer's
/// export).
pub async fn by_email(db: &Db, email: &str) -> Result<Vec<(CommentRow, String)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        comment: CommentRow,
        slug: String,
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS}, a.slug FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.author_email = $1 ORDER BY c.id"
    )))
    .bind(email.to_owned())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| (r.comment, r.slug)).collect())
}

/// Erases everything written with this address: comments without replies
/// go, comments with replies become placeholders without name, address or
/// text. Returns how many comments were touched.
pub async fn erase_email(db: &Db, email: &str, now: DateTime<Utc>) -> Result<u64> {
    let mut tx = db.write_tx().await?;
    let rows: Vec<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c WHERE c.author_email = $1 ORDER BY c.id DESC"
    )))
    .bind(email.to_owned())
    .fetch_all(&mut *tx)
    .await?;
    for row in &rows {
        let was = visible(&row.status, row.deleted_at.is_some());
        remove(&mut tx, row, now).await?;
        sqlx::query(
            "UPDATE comments SET author_name = '', author_email = '', author_url = '', ip_hash = '', ip_prefix = '', user_agent = '', owner_hash = '', deleted_at = COALESCE(deleted_at, $1) WHERE id = $2",
        )
        .bind(ts(now))
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
        if was {
            count_change(
                &mut tx,
                row.article_id,
                -1,
                -i64::from(row.anchor.is_some()),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(published_days_ago: i64, closed: bool) -> CommentTarget {
        CommentTarget {
            id: 1,
            slug: "a".into(),
            headline: "A".into(),
            language: "en".into(),
            direction: "ltr".into(),
            published_at: Some(Utc::now().timestamp() - published_days_ago * 86_400),
            comments_closed: i64::from(closed),
            comment_count: 0,
            inline_count: 0,
        }
    }

    #[test]
    fn comments_close_by_hand_by_age_and_site_wide() {
        let now = Utc::now();
        let mut s = CommentSettings::default();
        assert!(target(400, false).open(&s, now), "no age limit by default");
        assert!(!target(1, true).open(&s, now), "closed by an editor");
        s.close_after_days = 30;
        assert!(target(29, false).open(&s, now));
        assert!(!target(31, false).open(&s, now), "older than the limit");
        s.enabled = false;
        assert!(!target(1, false).open(&s, now), "comments off");
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            key: 1_764_000_000,
            id: 42,
        };
        assert_eq!(Cursor::parse(&c.encode()), Some(c));
        assert_eq!(Cursor::parse("-3.7"), Some(Cursor { key: -3, id: 7 }));
        assert_eq!(Cursor::parse("x.1"), None);
        assert_eq!(Cursor::parse("17"), None);
    }
}
