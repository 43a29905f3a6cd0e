//! Newsroom sessions and the way to one: sign-in attempts on an account
//! counted before any password is checked (one statement, so parallel
//! requests and other processes see each other; attempts per client address
//! are counted by `limits`), the second step of a two-factor sign-in, and
//! the sign-in itself.
//!
//! A session and a second step are known by hashes the caller computes;
//! nothing here sees a password or a code.

use crate::accounts::{self, LOCK_AFTER_FAILURES, LOCK_FOR, User};
use crate::audit::{Event, record_in};
use crate::sql::Sql;
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Duration, Utc};
use dateline_core::UserId;
use dateline_core::audit::Who;
use sqlx::FromRow;

/// Whether an account may be tried once more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAttempt {
    /// Counted. `last` is true when this is the attempt that locks the
    /// account unless it succeeds.
    Counted { last: bool },
    /// Locked until then: not counted, and nothing may be checked.
    Locked(DateTime<Utc>),
}

/// Counts an attempt on an account before its password or code is checked:
/// the [`LOCK_AFTER_FAILURES`]th attempt in a row locks it for [`LOCK_FOR`]
/// (a success then unlocks it), and a locked account takes no attempt.
pub async fn count_account_attempt(
    db: &Db,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<AccountAttempt> {
    let counted: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE NULL END \
         WHERE id = $3 AND (locked_until IS NULL OR locked_until <= $4) \
         RETURNING failed_logins",
    )
    .bind(LOCK_AFTER_FAILURES)
    .bind(ts(now + LOCK_FOR))
    .bind(user.0)
    .bind(ts(now))
    .fetch_optional(db.pool())
    .await?;
    match counted {
        Some(n) => Ok(AccountAttempt::Counted {
            last: n >= LOCK_AFTER_FAILURES,
        }),
        None => {
            let until: Option<i64> =
                sqlx::query_scalar("SELECT locked_until FROM users WHERE id = $1")
                    .bind(user.0)
                    .fetch_optional(db.pool())
                    .await?
                    .flatten();
            Ok(AccountAttempt::Locked(until.map_or(now, from_ts)))
        }
    }
}

/// Clears an account's attempts after its owner proved who they are again
/// (their password, to change it or turn two-factor sign-in off).
pub async fn clear_account_attempts(db: &Db, user: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(user.0)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Records a failed sign-in (its attempt was counted before), and the lock
/// when it was the last attempt allowed. `user` is `None` for an address
/// with no account (what was typed is not recorded: it may be a password).
pub async fn record_failure(
    db: &Db,
    user: Option<&User>,
    step: &str,
    locked: bool,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let (id, label) = match user {
        Some(u) => (Some(u.id.0), u.label()),
        None => (None, "an address with no account".to_owned()),
    };
    let failed = Event::new("sign_in.failed", "user", id, format!("{label}: {step}"));
    record_in(&mut tx, by, now, &failed).await?;
    if locked {
        let event = Event::new(
            "sign_in.locked",
            "user",
            id,
            format!(
                "{label}: locked for {} minutes after {LOCK_AFTER_FAILURES} failed attempts",
                LOCK_FOR.num_minutes()
            ),
        );
        record_in(&mut tx, by, now, &event).await?;
    }
    tx.commit().await
}

/// A session about to be made.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user: UserId,
    pub csrf_token: &'a str,
    pub expires_at: DateTime<Utc>,
    pub user_agent: &'a str,
    pub ip_prefix: &'a str,
}

/// Signs a user in: the session, the account's attempts cleared, the second
/// step (if there was one) used up, and the audit entry, in one transaction.
/// `how` says what was checked ("password", "password and code", …).
pub async fn sign_in(
    db: &Db,
    session: &NewSession<'_>,
    challenge: Option<&str>,
    how: &str,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let user = accounts::user_in(&mut tx, session.user)
        .await?
        .ok_or(DbError::NotFound)?;
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(session.user.0)
        .execute(&mut *tx)
        .await?;
    if let Some(challenge) = challenge {
        sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1")
            .bind(challenge.to_owned())
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip_prefix) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)")
        .bind(session.token_hash.to_owned())
        .bind(session.user.0)
        .bind(session.csrf_token.to_owned())
        .bind(ts(now))
        .bind(ts(session.expires_at))
        .bind(session.user_agent.chars().take(300).collect::<String>())
        .bind(session.ip_prefix.to_owned())
        .execute(&mut *tx)
        .await?;
    let event = Event::new(
        "sign_in.succeeded",
        "user",
        Some(user.id.0),
        format!("{} ({how})", user.label()),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await
}

/// Starts the second step of a sign-in whose password was right: returns
/// nothing, the caller holds the token whose hash this is.
pub async fn create_challenge(
    db: &Db,
    token_hash: &str,
    user: UserId,
    next: &str,
    now: DateTime<Utc>,
    valid: Duration,
) -> Result<()> {
    sqlx::query("INSERT INTO sign_in_challenges (token_hash, user_id, next_path, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash.to_owned())
        .bind(user.0)
        .bind(next.to_owned())
        .bind(ts(now))
        .bind(ts(now + valid))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A second step waiting for its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub user: UserId,
    pub next: String,
    pub expires_at: DateTime<Utc>,
}

/// The live second step with this hash, if any (without counting).
pub async fn challenge(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Challenge>> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT user_id, next_path, expires_at FROM sign_in_challenges WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash.to_owned())
    .bind(ts(now))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(user, next, expires)| Challenge {
        user: UserId(user),
        next,
        expires_at: from_ts(expires),
    }))
}

/// Counts an attempt at a second step before its code is checked; `None`
/// when it has expired or has had `max` attempts (it is then used up).
pub async fn count_challenge_attempt(
    db: &Db,
    token_hash: &str,
    max: i64,
    now: DateTime<Utc>,
) -> Result<Option<Challenge>> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "UPDATE sign_in_challenges SET attempts = attempts + 1 \
         WHERE token_hash = $1 AND expires_at > $2 AND attempts < $3 \
         RETURNING user_id, next_path, expires_at",
    )
    .bind(token_hash.to_owned())
    .bind(ts(now))
    .bind(max)
    .fetch_optional(db.pool())
    .await?;
    if row.is_none() {
        sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(db.pool())
            .await?;
    }
    Ok(row.map(|(user, next, expires)| Challenge {
        user: UserId(user),
        next,
        expires_at: from_ts(expires),
    }))
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user: User,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: String,
    pub ip_prefix: String,
}

#[derive(FromRow)]
struct SessionRow {
    token_hash: String,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    user_agent: String,
    ip_prefix: String,
    user_id: i64,
}

/// The live session with this token hash, if any, with its user (a disabled
/// user has none). Marks it seen at most every few minutes, so reading a page
/// does not always write.
pub async fn session(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT token_hash, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip_prefix, user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash.to_owned())
    .bind(ts(now))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some(user) = accounts::user(db, UserId(row.user_id))
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    if now.timestamp() - row.last_seen_at > 300 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(ts(now))
            .bind(row.token_hash.clone())
            .execute(db.pool())
            .await?;
    }
    Ok(Some(Session {
        token_hash: row.token_hash,
        user,
        csrf_token: row.csrf_token,
        created_at: from_ts(row.created_at),
        last_seen_at: from_ts(row.last_seen_at),
        expires_at: from_ts(row.expires_at),
        user_agent: row.user_agent,
        ip_prefix: row.ip_prefix,
    }))
}

/// A user's live sessions, newest first.
pub async fn sessions_of(db: &Db, user: &User, now: DateTime<Utc>) -> Result<Vec<Session>> {
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT token_hash, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip_prefix, user_id FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC",
    )
    .bind(user.id.0)
    .bind(ts(now))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Session {
            token_hash: row.token_hash,
            user: user.clone(),
            csrf_token: row.csrf_token,
            created_at: from_ts(row.created_at),
            last_seen_at: from_ts(row.last_seen_at),
            expires_at: from_ts(row.expires_at),
            user_agent: row.user_agent,
            ip_prefix: row.ip_prefix,
        })
        .collect())
}

/// Ends one session (of `user`, so nobody ends another's by guessing).
pub async fn end_session(db: &Db, user: UserId, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2")
        .bind(token_hash.to_owned())
        .bind(user.0)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every session of a user but `keep`.
pub async fn end_other_sessions(
    db: &Db,
    user: UserId,
    keep: Option<&str>,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<u64> {
    let mut tx = db.write_tx().await?;
    let target = accounts::user_in(&mut tx, user)
        .await?
        .ok_or(DbError::NotFound)?;
    let mut sql = Sql::new("DELETE FROM sessions WHERE user_id = ");
    sql.bind(user.0);
    if let Some(keep) = keep {
        sql.push(" AND token_hash <> ").bind(keep.to_owned());
    }
    let ended = sql.query().execute(&mut *tx).await?.rows_affected();
    let event = Event::new(
        "user.signed_out",
        "user",
        Some(user.0),
        format!("{}: {ended} session(s) ended", target.label()),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Forgets expired sessions, reset links and second steps.
pub async fn sweep_expired(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(db.pool())
        .await?
        .rows_affected();
    let b = sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1")
        .bind(ts(now - Duration::days(1)))
        .execute(db.pool())
        .await?
        .rows_affected();
    let c = sqlx::query("DELETE FROM sign_in_challenges WHERE expires_at <= $1")
        .bind(ts(now))
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(a + b + c)
}
