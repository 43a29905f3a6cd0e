//! Limits that hold across processes and under parallel requests: an
//! attempt is counted by one atomic statement before the work it limits,
//! and the count it returns decides. Nothing here reads a count and writes
//! it back in two steps (two requests would both read the old count).

use crate::{Db, Result, ts};
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

/// An attempt as counted: how many there were in the window so far, this
/// one included, and when the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub attempts: i64,
    pub window_ends: DateTime<Utc>,
}

impl Counted {
    /// Whether this attempt is past `max` in its window.
    pub fn over(&self, max: i64) -> bool {
        self.attempts > max
    }

    /// Whole seconds until the window ends (at least 1).
    pub fn retry_after(&self, now: DateTime<Utc>) -> u64 {
        u64::try_from((self.window_ends - now).num_seconds())
            .unwrap_or(0)
            .max(1)
    }
}

/// Something limited, tried once: `scope` by `key` (a keyed hash, never
/// the thing itself), counted in a fixed window of `window` that starts with
/// the key's first attempt.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub window: Duration,
}

/// Counts one attempt; see [`count_attempts`].
pub async fn count_attempt(
    db: &Db,
    scope: &str,
    key: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Counted> {
    let counted = count_attempts(db, &[Attempt { scope, key, window }], now).await?;
    Ok(counted[0])
}

/// Counts each attempt, in one transaction, and returns their counts in the
/// same order. Forgets windows that have ended.
pub async fn count_attempts(
    db: &Db,
    attempts: &[Attempt<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<Counted>> {
    let mut tx = db.write_tx().await?;
    sqlx::query("DELETE FROM attempt_counts WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    let mut counted = Vec::with_capacity(attempts.len());
    for a in attempts {
        // On conflict the right-hand sides read the row as it was, so a
        // window that has ended starts again at 1, and one still open
        // counts on.
        let (n, window_start): (i64, i64) = sqlx::query_as(
            "INSERT INTO attempt_counts (scope, key, window_start, attempts, expires_at) VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT (scope, key) DO UPDATE SET \
               attempts = CASE WHEN attempt_counts.expires_at <= $3 THEN 1 ELSE attempt_counts.attempts + 1 END, \
               window_start = CASE WHEN attempt_counts.expires_at <= $3 THEN $3 ELSE attempt_counts.window_start END, \
               expires_at = CASE WHEN attempt_counts.expires_at <= $3 THEN $4 ELSE attempt_counts.expires_at END \
             RETURNING attempts, window_start",
        )
        .bind(a.scope.to_owned())
        .bind(a.key.to_owned())
        .bind(ts(now))
        .bind(ts(now + a.window))
        .fetch_one(&mut *tx)
        .await?;
        counted.push(Counted {
            attempts: n,
            window_ends: crate::from_ts(window_start) + a.window,
        });
    }
    tx.commit().await?;
    Ok(counted)
}

/// Forgets the attempts at `scope` under `key` (a sign-in that succeeded
/// clears its address's failures).
pub async fn forget(db: &Db, scope: &str, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM attempt_counts WHERE scope = $1 AND key = $2")
        .bind(scope.to_owned())
        .bind(key.to_owned())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Takes the one mail about comments an address may get per `every` for
/// `purpose` (a follow's confirmation, a commenter's data link), inside the
/// transaction that queues it. `false` when one went out within `every`:
/// the statement writes only when the last one is old enough, so two
/// requests at once cannot both take it.
pub(crate) async fn take_mail_turn(
    conn: &mut AnyConnection,
    email: &str,
    purpose: &str,
    every: Duration,
    now: DateTime<Utc>,
) -> Result<bool> {
    let taken: Option<i64> = sqlx::query_scalar(
        "INSERT INTO comment_mail_limits (email, purpose, last_sent_at) VALUES ($1, $2, $3) \
         ON CONFLICT (email, purpose) DO UPDATE SET last_sent_at = excluded.last_sent_at \
         WHERE comment_mail_limits.last_sent_at <= $4 \
         RETURNING last_sent_at",
    )
    .bind(email.to_owned())
    .bind(purpose.to_owned())
    .bind(ts(now))
    .bind(ts(now - every))
    .fetch_optional(conn)
    .await?;
    Ok(taken.is_some())
}
