//! The outbox: every message Dateline sends is a row here first, written in
//! the same transaction as whatever caused it. Workers claim rows with a
//! lease, deliver them, and record the outcome; a worker that dies leaves
//! leases that run out, and the rows are claimed again.

use crate::sql::Sql;
use crate::{Backend, Db, Result, from_ts, ts};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow, Row};
use std::collections::BTreeMap;

/// Priorities: lower goes first.
pub const PRIORITY_PERSONAL: i64 = 0;
pub const PRIORITY_BULK: i64 = 10;

/// A message to queue with its content already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// What it is: confirm, welcome, password_reset, invitation, ...
    pub kind: String,
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub subscriber_id: Option<i64>,
}

/// Queues a message inside the caller's transaction.
pub(crate) async fn enqueue_in(
    conn: &mut AnyConnection,
    mail: &NewMail,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO mail_messages (kind, subscriber_id, to_address, to_name, subject, text_body, html_body, status, priority, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $9) RETURNING id",
    )
    .bind(mail.kind.clone())
    .bind(mail.subscriber_id)
    .bind(mail.to.clone())
    .bind(mail.to_name.clone())
    .bind(mail.subject.clone())
    .bind(mail.text.clone())
    .bind(mail.html.clone())
    .bind(PRIORITY_PERSONAL)
    .bind(ts(now))
    .fetch_one(conn)
    .await?)
}

/// Queues one message on its own.
pub async fn enqueue(db: &Db, mail: &NewMail, now: DateTime<Utc>) -> Result<i64> {
    let mut tx = db.write_tx().await?;
    let id = enqueue_in(&mut tx, mail, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// A message a worker holds.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub send_id: Option<i64>,
    pub subscriber_id: Option<i64>,
    pub to_address: String,
    pub to_name: String,
    pub subject: Option<String>,
    pub text_body: Option<String>,
    pub html_body: Option<String>,
    pub attempts: i64,
    /// Set when the address is suppressed: the message is to be skipped.
    pub suppressed: Option<String>,
    /// The subscriber's sections as stored (see [`Claimed::follows`]), read
    /// with the claim so a digest needs no query per reader.
    pub sections: Option<String>,
    /// A comment notification's comment and the follow it answers, read
    /// with the claim so a notification needs no query of its own: the
    /// follow's kind and follower (none when it ended), whether the follow
    /// is off (the follower stopped everything since, or it is not
    /// confirmed), whether the comment is still shown.
    pub comment_id: Option<i64>,
    pub follow_id: Option<i64>,
    pub follow_kind: Option<String>,
    pub follower_id: Option<i64>,
    pub follow_off: i64,
    pub comment_shown: i64,
}

impl Claimed {
    /// The section slugs the subscriber follows (empty for all), or `None`
    /// when the message has no subscriber any more.
    pub fn follows(&self) -> Option<Vec<String>> {
        self.sections
            .as_deref()
            .map(|json| serde_json::from_str(json).unwrap_or_default())
    }
}

/// Takes up to `limit` due messages for `lease`, first by priority then in
/// order. Two workers never hold the same message.
pub async fn claim(
    db: &Db,
    limit: u32,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<Claimed>> {
    // An idle worker asks often; a read first keeps it from taking the
    // write lock (and growing SQLite's WAL) when nothing is due.
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM mail_messages WHERE status = 'queued' AND next_attempt_at <= $1 LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(db.pool())
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut sql = Sql::new(
        "UPDATE mail_messages SET status = 'sending', attempts = attempts + 1, lease_until = ",
    );
    sql.bind(ts(now + lease))
        .push(" WHERE id IN (SELECT id FROM mail_messages WHERE status = 'queued' AND next_attempt_at <= ")
        .bind(ts(now))
        .push(" ORDER BY priority, next_attempt_at, id LIMIT ")
        .bind(i64::from(limit))
        .push(lock)
        .push(") RETURNING id");
    let mut tx = db.write_tx().await?;
    let ids: Vec<i64> = sql.query_scalar().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT m.id, m.kind, m.send_id, m.subscriber_id, m.to_address, m.to_name, m.subject, m.text_body, m.html_body, m.attempts, sup.reason AS suppressed, s.sections, m.comment_id, m.follow_id, \
         cf.kind AS follow_kind, cf.follower_id, \
         CAST(CASE WHEN cfo.stopped_at IS NULL AND cf.confirmed_at IS NOT NULL THEN 0 ELSE 1 END AS BIGINT) AS follow_off, \
         CAST(CASE WHEN cc.status = 'approved' AND cc.deleted_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS comment_shown \
         FROM mail_messages m LEFT JOIN mail_suppressions sup ON sup.email = m.to_address \
         LEFT JOIN subscribers s ON s.id = m.subscriber_id \
         LEFT JOIN comment_follows cf ON cf.id = m.follow_id \
         LEFT JOIN comment_followers cfo ON cfo.id = cf.follower_id \
         LEFT JOIN comments cc ON cc.id = m.comment_id WHERE m.id IN (",
    );
    sql.bind_list(ids).push(") ORDER BY m.priority, m.id");
    Ok(sql.query_as().fetch_all(db.pool()).await?)
}

/// Puts back messages whose worker's lease ran out (it stopped or crashed),
/// to be claimed again. Returns how many.
pub async fn reclaim_expired(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    let expired: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM mail_messages WHERE status = 'sending' AND lease_until < $1 LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(db.pool())
    .await?;
    if expired.is_none() {
        return Ok(0);
    }
    let mut tx = db.write_tx().await?;
    let done = sqlx::query("UPDATE mail_messages SET status = 'queued', lease_until = NULL WHERE status = 'sending' AND lease_until < $1")
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Puts back messages a worker took but did not start on (it is stopping).
/// Their attempt does not count.
pub async fn release(db: &Db, ids: &[i64]) -> Result<()> {
    let mut tx = db.write_tx().await?;
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(
            "UPDATE mail_messages SET status = 'queued', lease_until = NULL, attempts = attempts - 1 WHERE status = 'sending' AND id IN (",
        );
        sql.bind_list(chunk.iter().copied()).push(")");
        sql.query().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What happened to a claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again at this time.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// Refused for good (the server's answer).
    Failed {
        error: String,
    },
    /// Refused for good because the address does not exist: it is
    /// suppressed from now on.
    Bounced {
        error: String,
    },
    /// Not sent, on purpose (suppressed address, nothing for this reader).
    Skipped {
        reason: String,
    },
}

/// Records outcomes in one transaction: statuses, the sends' counters, and
/// suppressions for bounces. A send whose every message is settled is done.
pub async fn record(db: &Db, outcomes: &[(Claimed, Outcome)], now: DateTime<Utc>) -> Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let mut tx = db.write_tx().await?;
    let sent: Vec<i64> = outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::Sent)
        .map(|(m, _)| m.id)
        .collect();
    for chunk in sent.chunks(500) {
        let mut sql = Sql::new("UPDATE mail_messages SET status = 'sent', sent_at = ");
        sql.bind(ts(now))
            .push(", lease_until = NULL, last_error = NULL WHERE id IN (");
        sql.bind_list(chunk.iter().copied()).push(")");
        sql.query().execute(&mut *tx).await?;
    }
    // Counters per send: (sent, failed, bounced, skipped).
    let mut counts: BTreeMap<i64, [i64; 4]> = BTreeMap::new();
    for (m, outcome) in outcomes {
        let slot = match outcome {
            Outcome::Sent => Some(0),
            Outcome::Failed { .. } => Some(1),
            Outcome::Bounced { .. } => Some(2),
            Outcome::Skipped { .. } => Some(3),
            Outcome::Retry { .. } => None,
        };
        if let (Some(send), Some(slot)) = (m.send_id, slot) {
            counts.entry(send).or_default()[slot] += 1;
        }
        let (status, error, next) = match outcome {
            Outcome::Sent => continue,
            Outcome::Retry { error, at } => ("queued", error.as_str(), *at),
            Outcome::Failed { error } => ("failed", error.as_str(), now),
            Outcome::Bounced { error } => ("bounced", error.as_str(), now),
            Outcome::Skipped { reason } => ("skipped", reason.as_str(), now),
        };
        sqlx::query("UPDATE mail_messages SET status = $1, last_error = $2, next_attempt_at = $3, lease_until = NULL WHERE id = $4")
            .bind(status)
            .bind(error.chars().take(1000).collect::<String>())
            .bind(ts(next))
            .bind(m.id)
            .execute(&mut *tx)
            .await?;
        if let Outcome::Bounced { error } = outcome {
            suppress_in(&mut tx, &m.to_address, "hard_bounce", error, now).await?;
        }
    }
    for (send, [s, f, b, k]) in counts {
        sqlx::query("UPDATE newsletter_sends SET sent = sent + $1, failed = failed + $2, bounced = bounced + $3, skipped = skipped + $4 WHERE id = $5")
            .bind(s)
            .bind(f)
            .bind(b)
            .bind(k)
            .bind(send)
            .execute(&mut *tx)
            .await?;
        crate::sends::finish_if_settled(&mut tx, send, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Stops all mail to an address, and marks its subscription.
pub(crate) async fn suppress_in(
    conn: &mut AnyConnection,
    email: &str,
    reason: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO mail_suppressions (email, reason, detail, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING")
        .bind(email.to_owned())
        .bind(reason.to_owned())
        .bind(detail.chars().take(1000).collect::<String>())
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    let status = if reason == "complaint" {
        "complained"
    } else {
        "bounced"
    };
    sqlx::query("UPDATE subscribers SET status = $1, updated_at = $2 WHERE email = $3")
        .bind(status)
        .bind(ts(now))
        .bind(email.to_owned())
        .execute(&mut *conn)
        .await?;
    insert_event(conn, email, reason, detail, now).await
}

async fn insert_event(
    conn: &mut AnyConnection,
    email: &str,
    kind: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_events (email, kind, detail, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(email.to_owned())
    .bind(kind.to_owned())
    .bind(detail.chars().take(1000).collect::<String>())
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether an address is suppressed, and why.
pub async fn suppression(db: &Db, email: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT reason FROM mail_suppressions WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Suppresses an address after a hard bounce or a complaint reported by
/// the mail provider, or by hand; its queued messages are skipped.
pub async fn suppress(
    db: &Db,
    email: &str,
    reason: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let email = email.trim().to_lowercase();
    let mut tx = db.write_tx().await?;
    suppress_in(&mut tx, &email, reason, detail, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a delivery event that changes nothing (a soft bounce).
pub async fn note_event(
    db: &Db,
    email: &str,
    kind: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    insert_event(&mut conn, &email.trim().to_lowercase(), kind, detail, now).await
}

/// Messages by status, for operators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub queued: i64,
    pub sending: i64,
    pub held: i64,
    pub sent: i64,
    pub failed: i64,
    pub bounced: i64,
    pub skipped: i64,
    pub cancelled: i64,
}

pub async fn counts(db: &Db) -> Result<QueueCounts> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM mail_messages GROUP BY status")
        .fetch_all(db.pool())
        .await?;
    let mut c = QueueCounts::default();
    for r in rows {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("status")?.as_str() {
            "queued" => c.queued = n,
            "sending" => c.sending = n,
            "held" => c.held = n,
            "sent" => c.sent = n,
            "failed" => c.failed = n,
            "bounced" => c.bounced = n,
            "skipped" => c.skipped = n,
            "cancelled" => c.cancelled = n,
            _ => {}
        }
    }
    Ok(c)
}

/// Messages still to deliver (queued or held by a worker); what `mail work
/// --until-empty` waits for.
pub async fn outstanding(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_messages WHERE status IN ('queued', 'sending')",
    )
    .fetch_one(db.pool())
    .await?)
}

/// When the next queued message is due, if any is.
pub async fn next_due(db: &Db) -> Result<Option<DateTime<Utc>>> {
    let t: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(next_attempt_at) FROM mail_messages WHERE status = 'queued'",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(t.map(from_ts))
}

/// A message, as an operator sees it (tests and the admin use this).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The latest messages to an address.
pub async fn messages_to(db: &Db, email: &str) -> Result<Vec<MessageRow>> {
    Ok(sqlx::query_as("SELECT id, kind, to_address, status, attempts, last_error FROM mail_messages WHERE to_address = $1 ORDER BY id")
        .bind(email.trim().to_lowercase())
        .fetch_all(db.pool())
        .await?)
}
