//! "Notify of": readers who follow an article's comments (every new comment,
//! replies to their own comments, or replies below one comment), the
//! confirmation each follow needs, the browsers that proved they read an
//! address's mail, and the notifications an approved comment makes — queued
//! as outbox rows, one per follower, and rendered when they are delivered.
//!
//! Asking to follow proves nothing about who owns the address: a follow
//! starts only when a link mailed to the address confirms it, or when whoever
//! asks proved before that they read its mail. Nobody can therefore start
//! mail to someone else's address, nor undo their "stop all". Nobody is
//! notified of their own comment, nor of a comment that is not approved; a
//! held comment notifies when a moderator approves it, once.

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

/// An address that follows comments: when it first confirmed a follow, and
/// when it last stopped them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct Follower {
    pub id: i64,
    pub email: String,
    pub confirmed_at: Option<i64>,
    pub stopped_at: Option<i64>,
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
    /// When the address's owner confirmed it; none while it waits (and
    /// after "stop all").
    pub confirmed_at: Option<DateTime<Utc>>,
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
    confirmed_at: Option<i64>,
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
            confirmed_at: r.confirmed_at.map(from_ts),
        }
    }
}

const FOLLOW_SELECT: &str = "SELECT f.id, f.follower_id, fo.email, f.article_id, a.slug, a.headline, f.kind, f.comment_id, f.created_at, f.confirmed_at \
     FROM comment_follows f JOIN comment_followers fo ON fo.id = f.follower_id JOIN articles a ON a.id = f.article_id";

/// What a follow request did, for the caller's own use (a reader is told
/// the same whatever it was, so nobody learns who follows what).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// Notifications start now: whoever asked proved they read the
    /// address's mail, or the same follow was confirmed already.
    Active,
    /// A confirmation mail was queued.
    ConfirmationSent,
    /// It waits for confirmation, and one went to the address within the
    /// hour: nothing sent (the page of that mail's link lists it).
    ConfirmationHeld,
}

/// What a reader asks to follow, and for which address.
#[derive(Debug, Clone, Copy)]
pub struct FollowRequest<'a> {
    pub email: &'a str,
    pub article: ArticleId,
    pub kind: FollowKind,
    /// The comment whose replies, for [`FollowKind::Comment`].
    pub comment_id: Option<i64>,
    /// Whoever asks showed they read the address's mail (a newsroom account
    /// with that address, a browser that confirmed it before).
    pub proven: bool,
}

/// Follows an article (or one comment's replies). A proven request starts
/// at once, even after "stop all". Any other waits for a confirmation mail,
/// made by `confirmation` from the follow's id, at most one an hour per
/// address.
pub async fn follow(
    db: &Db,
    request: &FollowRequest<'_>,
    now: DateTime<Utc>,
    confirmation: impl FnOnce(i64) -> Option<NewMail>,
) -> Result<Followed> {
    let FollowRequest {
        email,
        article,
        kind,
        comment_id,
        proven,
    } = *request;
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
    let (follow_id, confirmed_at): (i64, Option<i64>) = sqlx::query_as(
        "SELECT id, confirmed_at FROM comment_follows WHERE follower_id = $1 AND article_id = $2 AND kind = $3 AND comment_id = $4",
    )
    .bind(follower.id)
    .bind(article.0)
    .bind(kind.as_str())
    .bind(comment_id.unwrap_or(0))
    .fetch_one(&mut *tx)
    .await?;
    let outcome = if proven {
        confirm_in(&mut tx, follower.id, &[follow_id], now).await?;
        Followed::Active
    } else if confirmed_at.is_some() && follower.stopped_at.is_none() {
        Followed::Active
    } else {
        match confirmation(follow_id) {
            Some(mail)
                if crate::limits::take_mail_turn(
                    &mut tx,
                    email,
                    "follow",
                    crate::comments::MAIL_EVERY,
                    now,
                )
                .await? =>
            {
                enqueue_in(&mut tx, &mail, now).await?;
                Followed::ConfirmationSent
            }
            _ => Followed::ConfirmationHeld,
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Starts `follows` (of `follower`) and marks the address confirmed and no
/// longer stopped: its owner just said so.
async fn confirm_in(
    conn: &mut sqlx::AnyConnection,
    follower: i64,
    follows: &[i64],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut q = Sql::new("UPDATE comment_follows SET confirmed_at = COALESCE(confirmed_at, ");
    q.bind(ts(now))
        .push(") WHERE follower_id = ")
        .bind(follower)
        .push(" AND id IN (")
        .bind_list(follows.iter().copied())
        .push(")");
    q.query().execute(&mut *conn).await?;
    sqlx::query(
        "UPDATE comment_followers SET confirmed_at = COALESCE(confirmed_at, $1), stopped_at = NULL WHERE id = $2",
    )
    .bind(ts(now))
    .bind(follower)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Confirms a follow from the link mailed for it, with the address's other
/// waiting follows its owner ticked on that link's page (`others`; any
/// that are not this address's are ignored). Returns the follow, or `None`
/// when it is gone.
pub async fn confirm(
    db: &Db,
    follow: i64,
    others: &[i64],
    now: DateTime<Utc>,
) -> Result<Option<Follow>> {
    let Some(f) = get(db, follow).await? else {
        return Ok(None);
    };
    let mut tx = db.write_tx().await?;
    let ids: Vec<i64> = std::iter::once(follow)
        .chain(others.iter().copied())
        .collect();
    confirm_in(&mut tx, f.follower_id, &ids, now).await?;
    tx.commit().await?;
    get(db, follow).await
}

/// The follows of an address still waiting for its confirmation, oldest
/// first: what the page of a confirmation link offers to confirm too.
pub async fn waiting(db: &Db, follower: i64) -> Result<Vec<Follow>> {
    let rows: Vec<FollowRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{FOLLOW_SELECT} WHERE f.follower_id = $1 AND f.confirmed_at IS NULL ORDER BY f.id LIMIT 50"
    )))
    .bind(follower)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Follow::from).collect())
}

/// Remembers that the browser whose commenter secret hashes to
/// `owner_hash` confirmed a link mailed to `email`.
pub async fn prove_address(
    db: &Db,
    owner_hash: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if owner_hash.is_empty() {
        return Ok(());
    }
    let mut tx = db.write_tx().await?;
    sqlx::query(
        "INSERT INTO proven_addresses (owner_hash, email, proven_at) VALUES ($1, $2, $3) \
         ON CONFLICT (owner_hash, email) DO UPDATE SET proven_at = excluded.proven_at",
    )
    .bind(owner_hash.to_owned())
    .bind(email.to_owned())
    .bind(ts(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether that browser proved it reads `email`'s mail.
pub async fn proved_address(db: &Db, owner_hash: &str, email: &str) -> Result<bool> {
    if owner_hash.is_empty() {
        return Ok(false);
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM proven_addresses WHERE owner_hash = $1 AND email = $2",
    )
    .bind(owner_hash.to_owned())
    .bind(email.to_owned())
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
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

/// Stops every notification to an address. Its follows are kept (the
/// reader's export lists them) but unconfirmed: only its owner starts
/// any of them again, one by one, by confirming.
pub async fn stop_all(db: &Db, follower: i64, now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.write_tx().await?;
    sqlx::query("UPDATE comment_followers SET stopped_at = $1 WHERE id = $2")
        .bind(ts(now))
        .bind(follower)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE comment_follows SET confirmed_at = NULL WHERE follower_id = $1")
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
            .push(" AND f.confirmed_at IS NOT NULL AND fo.stopped_at IS NULL AND fo.email <> ")
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

/// Forgets an address that followed comments, with everything it followed,
/// any notification still queued to it and the browsers that proved it.
/// Returns whether there was one.
pub async fn erase_email(db: &Db, email: &str) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    sqlx::query("DELETE FROM proven_addresses WHERE email = $1")
        .bind(email.to_owned())
        .execute(&mut *tx)
        .await?;
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
