//! A comment's writer: their edits and deletions within the window, whether
//! the site knows them (the rule that holds first comments) or refuses them
//! (bans), and the mail that brings them the link to their own data.
//!
//! Whether a change is held is decided by the caller with the same rules as
//! a new comment; this module stores what was decided and never lets a
//! held text be shown.

use super::{count_change, fetch_in, remove, set_body, touch_article, visible};
use crate::rows::CommentRow;
use crate::{Db, DbError, Result};
use chrono::{DateTime, Utc};

/// A writer's change to their own comment.
pub enum OwnerEdit<'a> {
    /// New text; `hold` (the rule that holds it) takes it off the page until
    /// a moderator approves it.
    Body {
        markdown: &'a str,
        html: &'a str,
        hold: Option<&'a str>,
    },
    Delete,
}

/// Applies a writer's edit or deletion while the edit window (`edit_minutes`
/// from posting) is open. The owner hash must match; anything else is
/// `NotFound`, so nobody learns whether a comment is someone else's.
pub async fn edit_by_owner(
    db: &Db,
    id: i64,
    owner_hash: &str,
    edit: OwnerEdit<'_>,
    edit_minutes: u32,
    now: DateTime<Utc>,
) -> Result<CommentRow> {
    let mut tx = db.write_tx().await?;
    let row = fetch_in(&mut tx, id).await.map_err(|_| DbError::NotFound)?;
    let window_open = now.timestamp() < row.created_at + i64::from(edit_minutes) * 60;
    if owner_hash.is_empty()
        || row.owner_hash != owner_hash
        || row.deleted_at.is_some()
        || !matches!(row.status.as_str(), "approved" | "pending")
    {
        return Err(DbError::NotFound);
    }
    if !window_open {
        return Err(DbError::invalid(
            "body",
            format!(
                "Comments can be changed for {edit_minutes} minutes after they are posted; this one can no longer be. Write a reply instead."
            ),
        ));
    }
    let was_visible = visible(&row.status, false);
    let inline = i64::from(row.anchor.is_some());
    match edit {
        OwnerEdit::Body {
            markdown,
            html,
            hold,
        } => {
            set_body(&mut tx, id, markdown, html, now, true).await?;
            match hold {
                Some(reason) => {
                    // Its followers were told of it when it was approved;
                    // approving it again tells nobody again (`notified_at`).
                    sqlx::query(
                        "UPDATE comments SET status = 'pending', held_because = $1 WHERE id = $2",
                    )
                    .bind(reason.to_owned())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    if was_visible {
                        count_change(&mut tx, row.article_id, -1, -inline).await?;
                    }
                }
                None if was_visible => touch_article(&mut tx, row.article_id).await?,
                None => {}
            }
        }
        OwnerEdit::Delete => {
            remove(&mut tx, &row, now).await?;
            if was_visible {
                count_change(&mut tx, row.article_id, -1, -inline).await?;
            }
        }
    }
    let after = fetch_in(&mut tx, id).await.unwrap_or(row);
    tx.commit().await?;
    Ok(after)
}

/// Whether the writer of a new comment with `email`, from the browser whose
/// commenter secret hashes to `owner_hash`, is known: the address has a
/// comment a moderator let through, and this browser wrote one such comment
/// or proved it reads the address's mail. An address alone proves nothing
/// (anyone can type it), so a stranger using a known address is held.
pub async fn known_writer(db: &Db, email: &str, owner_hash: &str) -> Result<bool> {
    if owner_hash.is_empty() {
        return Ok(false);
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM comments c WHERE c.author_email = $1 AND c.status = 'approved' \
           AND (c.owner_hash = $2 OR EXISTS (SELECT 1 FROM proven_addresses p WHERE p.owner_hash = $2 AND p.email = $1)) \
         LIMIT 1) t",
    )
    .bind(email.to_owned())
    .bind(owner_hash.to_owned())
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Whether comments from this address, or this client (`ip_hash`), are
/// refused.
pub async fn banned(db: &Db, ip_hash: &str, email: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM comment_bans WHERE (kind = 'email' AND value = $1) OR (kind = 'ip' AND value = $2)",
    )
    .bind(email.to_owned())
    .bind(ip_hash.to_owned())
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// At most one mail about comments per address and purpose in this long.
pub const MAIL_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// Queues a mail to a commenter about their own comments (the link to
/// export or erase them), made by `mail` from the id of their latest
/// comment, unless they have none or one went out within [`MAIL_EVERY`].
/// Returns whether it was queued; callers answer the same either way.
pub async fn mail_commenter(
    db: &Db,
    email: &str,
    purpose: &str,
    now: DateTime<Utc>,
    mail: impl FnOnce(i64, i64) -> Option<crate::mail::NewMail>,
) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let latest: Option<(i64, i64)> = sqlx::query_as(
        "SELECT MAX(id), COUNT(*) FROM comments WHERE author_email = $1 HAVING COUNT(*) > 0",
    )
    .bind(email.to_owned())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((comment_id, count)) = latest else {
        return Ok(false);
    };
    let Some(message) = mail(comment_id, count) else {
        return Ok(false);
    };
    if !crate::limits::take_mail_turn(&mut tx, email, purpose, MAIL_EVERY, now).await? {
        return Ok(false);
    }
    crate::mail::enqueue_in(&mut tx, &message, now).await?;
    tx.commit().await?;
    Ok(true)
}
