//! Newsletter sends: one article (or one digest) to every subscriber it is
//! for. Creating a send queues a message per recipient in one statement and
//! one transaction: a send is either wholly queued or not at all.

use crate::audit::{Event, record_in};
use crate::mail::PRIORITY_BULK;
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use dateline_core::audit::Who;
use dateline_core::newsletter::Frequency;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
struct SendRow {
    id: i64,
    kind: String,
    article_id: Option<i64>,
    articles: String,
    period: Option<String>,
    subject: String,
    status: String,
    created_at: i64,
    finished_at: Option<i64>,
    queued: i64,
    sent: i64,
    failed: i64,
    bounced: i64,
    skipped: i64,
}

const COLUMNS: &str = "id, kind, article_id, articles, period, subject, status, created_at, finished_at, queued, sent, failed, bounced, skipped";

/// A send and how far it has got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Send {
    pub id: i64,
    /// article or digest
    pub kind: String,
    pub article_id: Option<ArticleId>,
    /// For a digest: its articles.
    pub articles: Vec<i64>,
    pub period: Option<String>,
    pub subject: String,
    /// sending, paused, cancelled or done
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub bounced: i64,
    pub skipped: i64,
}

impl From<SendRow> for Send {
    fn from(r: SendRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            article_id: r.article_id.map(ArticleId),
            articles: serde_json::from_str(&r.articles).unwrap_or_default(),
            period: r.period,
            subject: r.subject,
            status: r.status,
            created_at: from_ts(r.created_at),
            finished_at: r.finished_at.map(from_ts),
            queued: r.queued,
            sent: r.sent,
            failed: r.failed,
            bounced: r.bounced,
            skipped: r.skipped,
        }
    }
}

impl Send {
    /// Messages not yet settled.
    pub fn remaining(&self) -> i64 {
        (self.queued - self.sent - self.failed - self.bounced - self.skipped).max(0)
    }

    /// Messages settled a second since the send was made (to one decimal),
    /// and, while it is sending, the seconds left at that rate.
    pub fn progress(&self, now: DateTime<Utc>) -> (f64, Option<i64>) {
        let elapsed = (self.finished_at.unwrap_or(now) - self.created_at)
            .num_milliseconds()
            .max(1) as f64
            / 1000.0;
        let rate = ((self.queued - self.remaining()) as f64 / elapsed * 10.0).round() / 10.0;
        let left = (self.status == "sending" && rate > 0.0 && self.remaining() > 0)
            .then(|| (self.remaining() as f64 / rate).ceil() as i64);
        (rate, left)
    }

    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "sending" | "paused")
    }
}

/// Why a send was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The article already went to subscribers.
    AlreadySent {
        send: i64,
        at: DateTime<Utc>,
        sent: i64,
    },
    NotPublished,
    /// A page (About, Contact) is never mailed to subscribers.
    APage,
    /// `SendMode::Marked`, and the article is not marked (any more): another
    /// process made its send.
    NotMarked,
}

/// Which subscribers an article's send is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    /// Everyone it is for; refused if the article was sent before.
    First,
    /// Everyone it is for who has not had it yet (subscribers since).
    Again,
    /// The send of an article marked to go out when published; taking the
    /// mark off is part of the same transaction, so it is made once.
    Marked,
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Send>> {
    let row: Option<SendRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM newsletter_sends WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Send::from))
}

/// The newest sends first.
pub async fn recent(db: &Db, limit: u32) -> Result<Vec<Send>> {
    let rows: Vec<SendRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM newsletter_sends ORDER BY id DESC LIMIT $1"
    )))
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Send::from).collect())
}

/// The sends of one article, newest first.
pub async fn of_article(db: &Db, article: ArticleId) -> Result<Vec<Send>> {
    let rows: Vec<SendRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM newsletter_sends WHERE article_id = $1 ORDER BY id DESC"
    )))
    .bind(article.0)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Send::from).collect())
}

/// Which of these articles went (or are going) to subscribers: they have
/// a send that was not cancelled.
pub async fn sent_articles(
    db: &Db,
    articles: &[ArticleId],
) -> Result<std::collections::HashSet<ArticleId>> {
    if articles.is_empty() {
        return Ok(Default::default());
    }
    let mut sql = crate::sql::Sql::new(
        "SELECT DISTINCT article_id FROM newsletter_sends WHERE status <> 'cancelled' AND article_id IN (",
    );
    sql.bind_list(articles.iter().map(|a| a.0)).push(")");
    let ids: Vec<i64> = sql.query_scalar().fetch_all(db.pool()).await?;
    Ok(ids.into_iter().map(ArticleId).collect())
}

/// Mails a published article to the subscribers who want each article and
/// follow its section (see [`SendMode`] for which of them).
pub async fn send_article(
    db: &Db,
    article: ArticleId,
    subject: &str,
    mode: SendMode,
    by: &Who,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Send, Refusal>> {
    let again = mode == SendMode::Again;
    let mut tx = db.write_tx().await?;
    if mode == SendMode::Marked {
        let taken =
            sqlx::query("UPDATE articles SET newsletter = 0 WHERE id = $1 AND newsletter = 1")
                .bind(article.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if taken == 0 {
            tx.commit().await?;
            return Ok(Err(Refusal::NotMarked));
        }
    }
    let row = sqlx::query_as::<_, (String, Option<String>, String)>(
        "SELECT a.status, s.slug, a.kind FROM articles a LEFT JOIN sections s ON s.id = a.section_id WHERE a.id = $1",
    )
    .bind(article.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(DbError::NotFound)?;
    if row.2 == "page" {
        tx.commit().await?;
        return Ok(Err(Refusal::APage));
    }
    if row.0 != "published" {
        tx.commit().await?;
        return Ok(Err(Refusal::NotPublished));
    }
    if !again {
        let previous: Option<(i64, i64, i64)> = sqlx::query_as("SELECT id, created_at, sent FROM newsletter_sends WHERE article_id = $1 AND status <> 'cancelled' ORDER BY id LIMIT 1")
            .bind(article.0)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((send, at, sent)) = previous {
            tx.commit().await?;
            return Ok(Err(Refusal::AlreadySent {
                send,
                at: from_ts(at),
                sent,
            }));
        }
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO newsletter_sends (kind, article_id, subject, status, created_by, created_at) VALUES ('article', $1, $2, 'sending', $3, $4) RETURNING id")
        .bind(article.0)
        .bind(subject.to_owned())
        .bind(by.user.map(|u| u.0))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
    // Subscribers who follow every section, or this one.
    let section_pattern = row.1.map(|slug| format!("%\"{slug}\"%"));
    let mut sql = crate::sql::Sql::new(
        "INSERT INTO mail_messages (kind, send_id, subscriber_id, to_address, to_name, status, priority, next_attempt_at, created_at) \
         SELECT 'newsletter', ",
    );
    sql.bind(id)
        .push(", s.id, s.email, s.name, 'queued', ")
        .bind(PRIORITY_BULK)
        .push(", ")
        .bind(ts(now))
        .push(", ")
        .bind(ts(now));
    sql.push(" FROM subscribers s WHERE s.status = 'confirmed' AND s.frequency = 'each' AND NOT EXISTS (SELECT 1 FROM mail_suppressions x WHERE x.email = s.email)");
    if let Some(pattern) = section_pattern {
        sql.push(" AND (s.sections = '[]' OR s.sections LIKE ")
            .bind(pattern)
            .push(")");
    }
    if again {
        sql.push(" AND NOT EXISTS (SELECT 1 FROM mail_messages m JOIN newsletter_sends ns ON ns.id = m.send_id WHERE ns.article_id = ")
            .bind(article.0)
            .push(" AND m.subscriber_id = s.id AND m.status IN ('sent', 'queued', 'sending', 'held'))");
    }
    let queued = sql.query().execute(&mut *tx).await?.rows_affected() as i64;
    finish_creation(&mut tx, id, queued, now).await?;
    let summary = format!(
        "article {}: \u{201c}{subject}\u{201d} to {queued} subscribers",
        article.0
    );
    record_in(
        &mut tx,
        by,
        now,
        &Event::new("newsletter.started", "send", Some(id), summary),
    )
    .await?;
    sqlx::query("UPDATE articles SET newsletter = 0 WHERE id = $1")
        .bind(article.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    get(db, id).await?.ok_or(DbError::NotFound).map(Ok)
}

/// Marks a send done once every message it queued is settled. Called in
/// the transactions that settle messages.
pub(crate) async fn finish_if_settled(
    conn: &mut AnyConnection,
    send: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE newsletter_sends SET status = 'done', finished_at = $1 WHERE id = $2 AND status = 'sending' AND sent + failed + bounced + skipped >= queued")
        .bind(ts(now))
        .bind(send)
        .execute(conn)
        .await?;
    Ok(())
}

async fn finish_creation(
    conn: &mut AnyConnection,
    id: i64,
    queued: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE newsletter_sends SET queued = $1 WHERE id = $2")
        .bind(queued)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if queued == 0 {
        sqlx::query("UPDATE newsletter_sends SET status = 'done', finished_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Queues a digest of `articles` for subscribers of `frequency` (daily or
/// weekly), once per `period`. Returns `None` when that period's digest
/// exists already (another process made it, or this one did before a
/// restart).
pub async fn send_digest(
    db: &Db,
    frequency: Frequency,
    period: &str,
    articles: &[i64],
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Option<Send>> {
    let mut tx = db.write_tx().await?;
    let list = serde_json::to_string(articles).map_err(|e| DbError::Config(e.to_string()))?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO newsletter_sends (kind, articles, period, subject, status, created_at) VALUES ('digest', $1, $2, $3, 'sending', $4) ON CONFLICT (period) DO NOTHING RETURNING id",
    )
    .bind(list)
    .bind(period.to_owned())
    .bind(subject.to_owned())
    .bind(ts(now))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        tx.commit().await?;
        return Ok(None);
    };
    // A period with nothing published is recorded, with nobody to mail.
    let queued = if articles.is_empty() {
        0
    } else {
        sqlx::query(
        "INSERT INTO mail_messages (kind, send_id, subscriber_id, to_address, to_name, status, priority, next_attempt_at, created_at) \
         SELECT 'digest', $1, s.id, s.email, s.name, 'queued', $2, $3, $3 FROM subscribers s \
         WHERE s.status = 'confirmed' AND s.frequency = $4 AND NOT EXISTS (SELECT 1 FROM mail_suppressions x WHERE x.email = s.email)",
    )
    .bind(id)
    .bind(PRIORITY_BULK)
    .bind(ts(now))
    .bind(frequency.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected() as i64
    };
    finish_creation(&mut tx, id, queued, now).await?;
    let summary = format!("{period} digest: \u{201c}{subject}\u{201d} to {queued} subscribers");
    let event = Event::new("newsletter.started", "send", Some(id), summary);
    record_in(&mut tx, &Who::system(), now, &event).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Whether the digest of a period has been made.
pub async fn digest_exists(db: &Db, period: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM newsletter_sends WHERE period = $1")
        .bind(period.to_owned())
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// Pauses a send: its queued messages wait until it is resumed.
pub async fn pause(db: &Db, id: i64, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query(
        "UPDATE newsletter_sends SET status = 'paused' WHERE id = $1 AND status = 'sending'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() > 0 {
        sqlx::query(
            "UPDATE mail_messages SET status = 'held' WHERE send_id = $1 AND status = 'queued'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let event = Event::new(
            "newsletter.paused",
            "send",
            Some(id),
            "nothing more goes out until resumed",
        );
        record_in(&mut tx, by, now, &event).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Resumes a paused send where it stopped.
pub async fn resume(db: &Db, id: i64, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query(
        "UPDATE newsletter_sends SET status = 'sending' WHERE id = $1 AND status = 'paused'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() > 0 {
        sqlx::query(
            "UPDATE mail_messages SET status = 'queued' WHERE send_id = $1 AND status = 'held'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let event = Event::new("newsletter.resumed", "send", Some(id), "going out again");
        record_in(&mut tx, by, now, &event).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Cancels a send: what has not gone out yet never will.
pub async fn cancel(db: &Db, id: i64, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query("UPDATE newsletter_sends SET status = 'cancelled', finished_at = $1 WHERE id = $2 AND status IN ('sending', 'paused')")
        .bind(ts(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() > 0 {
        let stopped = sqlx::query("UPDATE mail_messages SET status = 'cancelled' WHERE send_id = $1 AND status IN ('queued', 'held')").bind(id).execute(&mut *tx).await?.rows_affected();
        let summary = format!("{stopped} messages not yet sent will not be");
        record_in(
            &mut tx,
            by,
            now,
            &Event::new("newsletter.cancelled", "send", Some(id), summary),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Marks an article to be mailed when it is published (or not).
pub async fn set_article_newsletter(db: &Db, article: ArticleId, on: bool) -> Result<()> {
    sqlx::query("UPDATE articles SET newsletter = $1 WHERE id = $2")
        .bind(i64::from(on))
        .bind(article.0)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Published articles marked to be mailed that have no send yet.
pub async fn articles_to_mail(db: &Db) -> Result<Vec<ArticleId>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM articles WHERE newsletter = 1 AND status = 'published' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(ids.into_iter().map(ArticleId).collect())
}

/// Whether the article is marked to be mailed when published.
pub async fn article_newsletter(db: &Db, article: ArticleId) -> Result<bool> {
    let v: Option<i64> = sqlx::query_scalar("SELECT newsletter FROM articles WHERE id = $1")
        .bind(article.0)
        .fetch_optional(db.pool())
        .await?;
    Ok(v == Some(1))
}
