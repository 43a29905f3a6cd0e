//! "Notify of": readers who follow an article's comments (every new comment,
//! replies to their own comments, or replies below one comment), the one
//! confirmation an address gives, and the notifications an approved comment
//! makes — queued as outbox rows, one per follower, and rendered when they
//! are delivered.
//!
//! Nobody is notified of their own comment, nor of a comment that is not
//! approved; a held comment notifies when a moderator approves it, once.

use crate::mail::{NewMail, enqueue_in};
use crate::sql::Sql;
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use serde::Serialize;
use sqlx::FromRow;

/// What a reader follows on an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowKind {
    /// Every new comment.
    All,
    /// Replies, at any depth, to any comment of theirs on the article.
    Replies,
    /// Replies, at any depth, below one comment.
    Comment,
}

impl FollowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowKind::All => "all",
            FollowKind::Replies => "replies",
            FollowKind::Comment => "comment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "all" => Some(FollowKind::All),
            "replies" => Some(FollowKind::Replies),
            "comment" => Some(FollowKind::Comment),
            _ => None,
        }
    }

    /// How a mail or page names it.
    pub fn describe(self) -> &'static str {
        match self {
            FollowKind::All => "every new comment",
            FollowKind::Replies => "replies to your comments",
            FollowKind::Comment => "replies to your comment",
        }
    }
}

/// An address that follows comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Follower {
    pub id: i64,
    pub email: String,
    pub confirmed_at: Option<i64>,
    pub stopped_at: Option<i64>,
}

impl Follower {
    pub fn confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// One thing followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Follow {
    pub id: i64,
    pub follower_id: i64,
    pub email: String,
    pub article_id: ArticleId,
    pub article_slug: String,
    pub article_headline: String,
    pub kind: FollowKind,
    pub comment_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct FollowRow {
    id: i64,
    follower_id: i64,
    email: String,
    article_id: i64,
    slug: String,
    headline: String,
    kind: String,
    comment_id: i64,
    created_at: i64,
}

impl From<FollowRow> for Follow {
    fn from(r: FollowRow) -> Self {
        Self {
            id: r.id,
            follower_id: r.follower_id,
            email: r.email,
            article_id: ArticleId(r.article_id),
            article_slug: r.slug,
            article_headline: r.headline,
            kind: FollowKind::parse(&r.kind).unwrap_or(FollowKind::All),
            comment_id: (r.comment_id != 0).then_some(r.comment_id),
            created_at: from_ts(r.created_at),
        }
    }
}

const FOLLOW_SELECT: &str = "SELECT f.id, f.follower_id, fo.email, f.article_id, a.slug, a.headline, f.kind, f.comment_id, f.created_at \
     FROM comment_follows f JOIN comment_followers fo ON fo.id = f.follower_id JOIN articles a ON a.id = f.article_id";

/// What a follow request did, for the caller's own use (a reader is told
/// the same whatever it was, so nobody learns who follows what).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// The address is confirmed: notifications start now.
    Active,
    /// A confirmation mail was queued.
    ConfirmationSent,
    /// Not confirmed, and a confirmation went out within the hour: nothing sent.
    ConfirmationHeld,
}

/// Follows an article (or one comment's replies) for `email`. An address
/// not yet confirmed gets a confirmation mail, made by `confirmation` from
/// the follower's id, at most once an hour; `confirmed` says the address is
/// confirmed already (it came from a signed-in newsroom account).
pub async fn follow(
    db: &Db,
    email: &str,
    article: ArticleId,
    kind: FollowKind,
    comment_id: Option<i64>,
    now: DateTime<Utc>,
    confirmation: impl FnOnce(i64) -> Option<NewMail>,
) -> Result<Followed> {
    if kind == FollowKind::Comment && comment_id.is_none() {
        return Err(DbError::invalid(
            "kind",
            "Say which comment's replies to follow.",
        ));
    }
    let mut tx = db.write_tx().await?;
    sqlx::query(
        "INSERT INTO comment_followers (email, created_at) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING",
    )
    .bind(email.to_owned())
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    let follower: Follower = sqlx::query_as(
        "SELECT id, email, confirmed_at, stopped_at FROM comment_followers WHERE email = $1",
    )
    .bind(email.to_owned())
    .fetch_one(&mut *tx)
    .await?;
    // Following again after stopping everything starts notifications again.
    if follower.stopped_at.is_some() {
        sqlx::query("UPDATE comment_followers SET stopped_at = NULL WHERE id = $1")
            .bind(follower.id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO comment_follows (follower_id, article_id, kind, comment_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (follower_id, article_id, kind, comment_id) DO NOTHING",
    )
    .bind(follower.id)
    .bind(article.0)
    .bind(kind.as_str())
    .bind(comment_id.unwrap_or(0))
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    let outcome = if follower.confirmed() {
        Followed::Active
    } else {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT last_sent_at FROM comment_mail_limits WHERE email = $1 AND purpose = 'follow'",
        )
        .bind(email.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let recent =
            last.is_some_and(|t| now.timestamp() - t < crate::comments::MAIL_EVERY.num_seconds());
        match (recent, confirmation(follower.id)) {
            (false, Some(mail)) => {
                sqlx::query(
                    "INSERT INTO comment_mail_limits (email, purpose, last_sent_at) VALUES ($1, 'follow', $2) \
                     ON CONFLICT (email, purpose) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                )
                .bind(email.to_owned())
                .bind(ts(now))
                .execute(&mut *tx)
                .await?;
                enqueue_in(&mut tx, &mail, now).await?;
                Followed::ConfirmationSent
            }
            _ => Followed::ConfirmationHeld,
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Marks an address confirmed (idempotent). Returns it.
pub async fn confirm(db: &Db, follower: i64, now: DateTime<Utc>) -> Result<Follower> {
    let mut tx = db.write_tx().await?;
    sqlx::query(
        "UPDATE comment_followers SET confirmed_at = COALESCE(confirmed_at, $1), stopped_at = NULL WHERE id = $2",
    )
    .bind(ts(now))
    .bind(follower)
    .execute(&mut *tx)
    .await?;
    let f: Option<Follower> = sqlx::query_as(
        "SELECT id, email, confirmed_at, stopped_at FROM comment_followers WHERE id = $1",
    )
    .bind(follower)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    f.ok_or(DbError::NotFound)
}

pub async fn follower(db: &Db, id: i64) -> Result<Option<Follower>> {
    Ok(sqlx::query_as(
        "SELECT id, email, confirmed_at, stopped_at FROM comment_followers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Follow>> {
    let row: Option<FollowRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{FOLLOW_SELECT} WHERE f.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Follow::from))
}

/// Ends one follow. Returns whether there was one.
pub async fn unfollow(db: &Db, id: i64) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let n = sqlx::query("DELETE FROM comment_follows WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n > 0)
}

/// Stops every notification to an address (its follows are kept, so
/// following anything again, or confirming, starts them again).
pub async fn stop_all(db: &Db, follower: i64, now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.write_tx().await?;
    sqlx::query("UPDATE comment_followers SET stopped_at = $1 WHERE id = $2")
        .bind(ts(now))
        .bind(follower)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes the notifications of up to `limit` comments approved since the
/// last call: one queued message per follower to notify, in the transaction
/// that marks the comment done, so it happens once even with several
/// processes. Returns how many messages were queued.
pub async fn fan_out_due(db: &Db, now: DateTime<Utc>, limit: u32) -> Result<u64> {
    // Read first: an idle worker must not take the write lock.
    let due: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT id, article_id, path, author_email FROM comments WHERE notify_due = 1 ORDER BY id LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    let mut queued = 0;
    for (id, article, path, author) in due {
        let ancestors: Vec<i64> = path
            .split('/')
            .filter_map(|s| s.parse::<i64>().ok())
            .filter(|a| *a != id)
            .collect();
        let mut tx = db.write_tx().await?;
        let taken = sqlx::query(
            "UPDATE comments SET notify_due = 0, notified_at = $1 WHERE id = $2 AND notify_due = 1 AND status = 'approved'",
        )
        .bind(ts(now))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            // Another process made them, or the comment is no longer shown.
            sqlx::query(
                "UPDATE comments SET notify_due = 0 WHERE id = $1 AND status <> 'approved'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            continue;
        }
        let ancestors = if ancestors.is_empty() {
            vec![0]
        } else {
            ancestors
        };
        // One message per follower (their earliest matching follow gives
        // the unsubscribe link), never to the comment's own writer.
        let mut q = Sql::new(
            "INSERT INTO mail_messages (kind, comment_id, follow_id, to_address, to_name, status, priority, next_attempt_at, created_at) \
             SELECT 'comment_notification', ",
        );
        q.bind(id)
            .push(", MIN(f.id), fo.email, '', 'queued', ")
            .bind(crate::mail::PRIORITY_PERSONAL)
            .push(", ")
            .bind(ts(now))
            .push(", ")
            .bind(ts(now))
            .push(
                " FROM comment_follows f JOIN comment_followers fo ON fo.id = f.follower_id \
                 WHERE f.article_id = ",
            )
            .bind(article)
            .push(" AND fo.confirmed_at IS NOT NULL AND fo.stopped_at IS NULL AND fo.email <> ")
            .bind(author)
            .push(" AND (f.kind = 'all' OR (f.kind = 'comment' AND f.comment_id IN (")
            .bind_list(ancestors.iter().copied())
            .push(")) OR (f.kind = 'replies' AND fo.email IN (SELECT author_email FROM comments WHERE id IN (")
            .bind_list(ancestors.iter().copied())
            .push(") AND status = 'approved'))) GROUP BY fo.email");
        queued += q.query().execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
    }
    Ok(queued)
}

/// Whether some comment's notifications are still to be made.
pub async fn fan_out_pending(db: &Db) -> Result<bool> {
    let n: Option<i64> = sqlx::query_scalar("SELECT id FROM comments WHERE notify_due = 1 LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    Ok(n.is_some())
}

/// Follows of an article, or of an address, for the newsroom.
pub async fn list(
    db: &Db,
    article: Option<ArticleId>,
    email: Option<&str>,
    limit: u32,
) -> Result<Vec<Follow>> {
    let mut q = Sql::new(FOLLOW_SELECT);
    q.push(" WHERE 1 = 1");
    if let Some(a) = article {
        q.push(" AND f.article_id = ").bind(a.0);
    }
    if let Some(e) = email {
        q.push(" AND fo.email = ").bind(e.to_owned());
    }
    q.push(" ORDER BY f.id DESC LIMIT ").bind(i64::from(limit));
    let rows: Vec<FollowRow> = q.query_as().fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(Follow::from).collect())
}

/// Forgets an address that followed comments, with everything it followed
/// and any notification still queued to it. Returns whether there was one.
pub async fn erase_email(db: &Db, email: &str) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let n = sqlx::query("DELETE FROM comment_followers WHERE email = $1")
        .bind(email.to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM comment_mail_limits WHERE email = $1")
        .bind(email.to_owned())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}
