//! Newsletter subscribers: signing up (double opt-in), confirming,
//! preferences, unsubscribing, import, export and erasure.

use crate::audit::{Event, record_in};
use crate::mail::{NewMail, enqueue_in, suppress_in};
use crate::sql::Sql;
use crate::views::{PageRequest, Paged};
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Duration, Utc};
use dateline_core::audit::Who;
use dateline_core::newsletter::{Frequency, SubscriberStatus};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow, Row};

/// At most one confirmation (or "already subscribed") mail per address in
/// this long.
pub const CONFIRMATION_EVERY: Duration = Duration::hours(1);

#[derive(Debug, Clone, FromRow)]
struct SubscriberRow {
    id: i64,
    email: String,
    name: String,
    status: String,
    frequency: String,
    sections: String,
    source: String,
    created_at: i64,
    confirmed_at: Option<i64>,
    last_confirmation_at: Option<i64>,
}

const COLUMNS: &str = "id, email, name, status, frequency, sections, source, created_at, confirmed_at, last_confirmation_at";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub status: SubscriberStatus,
    pub frequency: Frequency,
    /// Section slugs; empty means every section.
    pub sections: Vec<String>,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_confirmation_at: Option<DateTime<Utc>>,
}

impl From<SubscriberRow> for Subscriber {
    fn from(r: SubscriberRow) -> Self {
        Self {
            id: r.id,
            email: r.email,
            name: r.name,
            status: SubscriberStatus::parse(&r.status).unwrap_or(SubscriberStatus::Pending),
            frequency: Frequency::parse(&r.frequency).unwrap_or(Frequency::Each),
            sections: serde_json::from_str(&r.sections).unwrap_or_default(),
            source: r.source,
            created_at: from_ts(r.created_at),
            confirmed_at: r.confirmed_at.map(from_ts),
            last_confirmation_at: r.last_confirmation_at.map(from_ts),
        }
    }
}

impl Subscriber {
    fn may_be_mailed_again(&self, now: DateTime<Utc>) -> bool {
        self.last_confirmation_at
            .is_none_or(|t| now - t >= CONFIRMATION_EVERY)
    }
}

async fn by_email_in(conn: &mut AnyConnection, email: &str) -> Result<Option<Subscriber>> {
    let row: Option<SubscriberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subscribers WHERE email = $1"
    )))
    .bind(email.to_owned())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Subscriber::from))
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Subscriber>> {
    let row: Option<SubscriberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subscribers WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Subscriber::from))
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<Subscriber>> {
    let row: Option<SubscriberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subscribers WHERE email = $1"
    )))
    .bind(email.trim().to_lowercase())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Subscriber::from))
}

/// Which mail a sign-up needs, given where the address stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMail {
    /// A new or returning address: confirm it.
    Confirm,
    /// Already subscribed: say so, with the link to the preferences.
    AlreadySubscribed,
}

/// What a sign-up did. The page a reader sees is the same in every case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signup {
    /// A mail was queued.
    Mailed(SignupMail),
    /// Nothing was sent: one went out recently, or the address is suppressed.
    Quiet,
}

/// Signs an address up (or back up): it stays pending until confirmed. The
/// message `mail` renders (for the subscriber and the kind of mail needed)
/// is queued in the same transaction.
pub async fn sign_up(
    db: &Db,
    email: &str,
    name: &str,
    now: DateTime<Utc>,
    mail: impl FnOnce(&Subscriber, SignupMail) -> Option<NewMail>,
) -> Result<Signup> {
    let email = email.trim().to_lowercase();
    let mut tx = db.write_tx().await?;
    let suppressed: Option<String> =
        sqlx::query_scalar("SELECT reason FROM mail_suppressions WHERE email = $1")
            .bind(email.clone())
            .fetch_optional(&mut *tx)
            .await?;
    if suppressed.is_some() {
        tx.commit().await?;
        return Ok(Signup::Quiet);
    }
    let existing = by_email_in(&mut tx, &email).await?;
    let (subscriber, kind) = match existing {
        None => {
            sqlx::query("INSERT INTO subscribers (email, name, status, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3)")
                .bind(email.clone())
                .bind(name.trim().to_owned())
                .bind(ts(now))
                .execute(&mut *tx)
                .await?;
            let s = by_email_in(&mut tx, &email)
                .await?
                .ok_or(DbError::NotFound)?;
            (s, SignupMail::Confirm)
        }
        Some(s) => {
            if !s.may_be_mailed_again(now) {
                tx.commit().await?;
                return Ok(Signup::Quiet);
            }
            match s.status {
                SubscriberStatus::Confirmed => (s, SignupMail::AlreadySubscribed),
                SubscriberStatus::Pending | SubscriberStatus::Unsubscribed => {
                    if !name.trim().is_empty() {
                        sqlx::query(
                            "UPDATE subscribers SET name = $1, updated_at = $2 WHERE id = $3",
                        )
                        .bind(name.trim().to_owned())
                        .bind(ts(now))
                        .bind(s.id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    (s, SignupMail::Confirm)
                }
                SubscriberStatus::Bounced | SubscriberStatus::Complained => {
                    tx.commit().await?;
                    return Ok(Signup::Quiet);
                }
            }
        }
    };
    let Some(message) = mail(&subscriber, kind) else {
        tx.commit().await?;
        return Ok(Signup::Quiet);
    };
    enqueue_in(&mut tx, &message, now).await?;
    sqlx::query("UPDATE subscribers SET last_confirmation_at = $1 WHERE id = $2")
        .bind(ts(now))
        .bind(subscriber.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Signup::Mailed(kind))
}

/// Confirms a subscription (from the link in the confirmation mail) and
/// queues the welcome mail with it. Confirming twice changes nothing.
/// Returns the subscriber, or `None` if there is none (erased since).
pub async fn confirm(
    db: &Db,
    id: i64,
    now: DateTime<Utc>,
    welcome: impl FnOnce(&Subscriber) -> Option<NewMail>,
) -> Result<Option<Subscriber>> {
    let mut tx = db.write_tx().await?;
    let row: Option<SubscriberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subscribers WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(s) = row.map(Subscriber::from) else {
        tx.commit().await?;
        return Ok(None);
    };
    if matches!(
        s.status,
        SubscriberStatus::Pending | SubscriberStatus::Unsubscribed
    ) {
        sqlx::query("UPDATE subscribers SET status = 'confirmed', confirmed_at = $1, unsubscribed_at = NULL, updated_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let confirmed = Subscriber {
            status: SubscriberStatus::Confirmed,
            confirmed_at: Some(now),
            ..s
        };
        if let Some(mail) = welcome(&confirmed) {
            enqueue_in(&mut tx, &mail, now).await?;
        }
        tx.commit().await?;
        return Ok(Some(confirmed));
    }
    tx.commit().await?;
    Ok(Some(s))
}

/// Unsubscribes; queued newsletters to the address are skipped.
pub async fn unsubscribe(db: &Db, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query("UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = $1, updated_at = $1 WHERE id = $2 AND status IN ('pending', 'confirmed')")
        .bind(ts(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    cancel_queued_bulk_in(&mut tx, id, now).await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

async fn cancel_queued_bulk_in(
    conn: &mut AnyConnection,
    subscriber: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let ids: Vec<(i64, Option<i64>)> = sqlx::query_as("SELECT id, send_id FROM mail_messages WHERE subscriber_id = $1 AND send_id IS NOT NULL AND status IN ('queued', 'held')")
        .bind(subscriber)
        .fetch_all(&mut *conn)
        .await?;
    for (id, send) in ids {
        sqlx::query("UPDATE mail_messages SET status = 'skipped', last_error = 'unsubscribed' WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        if let Some(send) = send {
            sqlx::query("UPDATE newsletter_sends SET skipped = skipped + 1 WHERE id = $1")
                .bind(send)
                .execute(&mut *conn)
                .await?;
            crate::sends::finish_if_settled(&mut *conn, send, now).await?;
        }
    }
    Ok(())
}

/// Saves a subscriber's preferences.
pub async fn set_preferences(
    db: &Db,
    id: i64,
    name: &str,
    frequency: Frequency,
    sections: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
    let sections = serde_json::to_string(sections).map_err(|e| DbError::Config(e.to_string()))?;
    let done = sqlx::query("UPDATE subscribers SET name = $1, frequency = $2, sections = $3, updated_at = $4 WHERE id = $5")
        .bind(name.trim().to_owned())
        .bind(frequency.as_str())
        .bind(sections)
        .bind(ts(now))
        .bind(id)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Marks an address as bounced or complaining, by hand.
pub async fn mark(
    db: &Db,
    id: i64,
    status: SubscriberStatus,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    let s = get(db, id).await?.ok_or(DbError::NotFound)?;
    let reason = match status {
        SubscriberStatus::Complained => "complaint",
        _ => "manual",
    };
    let mut tx = db.write_tx().await?;
    suppress_in(&mut tx, &s.email, reason, "marked in the newsroom", now).await?;
    cancel_queued_bulk_in(&mut tx, id, now).await?;
    let event = Event::new(
        "subscriber.marked",
        "subscriber",
        Some(id),
        format!("{}: {reason}, no more mail", s.email),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an address and everything tied to it: its subscription, its
/// messages (sent or not), delivery events and suppression.
pub async fn erase(db: &Db, email: &str, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let email = email.trim().to_lowercase();
    let mut tx = db.write_tx().await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
        .bind(email.clone())
        .fetch_optional(&mut *tx)
        .await?;
    let mut removed = 0;
    for sql in [
        "DELETE FROM mail_messages WHERE to_address = $1",
        "DELETE FROM mail_events WHERE email = $1",
        "DELETE FROM mail_suppressions WHERE email = $1",
        "DELETE FROM subscribers WHERE email = $1",
    ] {
        removed += sqlx::query(sql)
            .bind(email.clone())
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    if removed > 0 {
        // Not the address: it was erased.
        let summary = format!("an address and everything tied to it ({removed} records)");
        record_in(
            &mut tx,
            by,
            now,
            &Event::new("subscriber.erased", "subscriber", id, summary),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(removed > 0)
}

/// A subscriber to import, as a file gives it.
pub use dateline_core::subscriber_csv::ImportRow;

/// Adds confirmed subscribers (they consented elsewhere); addresses already
/// here are left as they are. Returns how many were new.
pub async fn import(db: &Db, rows: &[ImportRow], now: DateTime<Utc>, by: &Who) -> Result<u64> {
    let mut added = 0;
    let mut tx = db.write_tx().await?;
    for chunk in rows.chunks(200) {
        let mut sql = Sql::new(
            "INSERT INTO subscribers (email, name, status, frequency, sections, source, created_at, updated_at, confirmed_at) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let sections = serde_json::to_string(&r.sections).unwrap_or_else(|_| "[]".into());
            sql.push("(")
                .bind(r.email.clone())
                .push(", ")
                .bind(r.name.clone())
                .push(", 'confirmed', ")
                .bind(r.frequency.as_str().to_owned())
                .push(", ")
                .bind(sections)
                .push(", 'import', ")
                .bind(ts(now))
                .push(", ")
                .bind(ts(now))
                .push(", ")
                .bind(ts(now))
                .push(")");
        }
        sql.push(" ON CONFLICT (email) DO NOTHING");
        added += sql.query().execute(&mut *tx).await?.rows_affected();
    }
    if !rows.is_empty() {
        let summary = format!(
            "{added} of {} addresses added (the others were here)",
            rows.len()
        );
        record_in(
            &mut tx,
            by,
            now,
            &Event::new("subscriber.imported", "subscriber", None, summary),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// Records an export of every subscriber (it writes nothing else).
pub async fn record_export(db: &Db, count: u64, now: DateTime<Utc>, by: &Who) -> Result<()> {
    let event = Event::new(
        "subscriber.exported",
        "subscriber",
        None,
        format!("{count} subscribers as CSV"),
    );
    crate::audit::record(db, by, now, &event).await
}

/// Which subscribers a list shows.
#[derive(Debug, Clone, Default)]
pub struct SubscriberFilter {
    pub status: Option<SubscriberStatus>,
    /// Part of the address or name.
    pub text: Option<String>,
}

pub async fn list(db: &Db, f: &SubscriberFilter, page: PageRequest) -> Result<Paged<Subscriber>> {
    let push = |sql: &mut Sql| {
        sql.push(" WHERE 1 = 1");
        if let Some(s) = f.status {
            sql.push(" AND status = ").bind(s.as_str().to_owned());
        }
        if let Some(t) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = format!(
                "%{}%",
                t.to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            sql.push(" AND (email LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(name) LIKE ")
                .bind(pattern)
                .push(" ESCAPE '\\')");
        }
    };
    let mut count = Sql::new("SELECT COUNT(*) FROM subscribers");
    push(&mut count);
    let total: i64 = count.query_scalar().fetch_one(db.pool()).await?;
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM subscribers"));
    push(&mut sql);
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(i64::from(page.per_page))
        .push(" OFFSET ")
        .bind(page.offset());
    let rows: Vec<SubscriberRow> = sql.query_as().fetch_all(db.pool()).await?;
    Ok(Paged {
        items: rows.into_iter().map(Subscriber::from).collect(),
        total: total as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

/// How many subscribers are in each status.
pub async fn counts(db: &Db) -> Result<Vec<(SubscriberStatus, i64)>> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status")
        .fetch_all(db.pool())
        .await?;
    let mut out: Vec<(SubscriberStatus, i64)> =
        SubscriberStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for r in rows {
        let status: String = r.try_get("status")?;
        let n: i64 = r.try_get("n")?;
        if let Some(slot) = out.iter_mut().find(|(s, _)| s.as_str() == status) {
            slot.1 = n;
        }
    }
    Ok(out)
}

/// Every subscriber, in id order, a batch at a time (for export).
pub async fn batch_after(db: &Db, after_id: i64, limit: u32) -> Result<Vec<Subscriber>> {
    let rows: Vec<SubscriberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subscribers WHERE id > $1 ORDER BY id LIMIT $2"
    )))
    .bind(after_id)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Subscriber::from).collect())
}
