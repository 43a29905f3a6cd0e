//! Two-factor sign-in's storage: a user's TOTP secret (pending until a first
//! code confirms it), the last time step accepted (so each code works once),
//! and single-use recovery codes, stored as hashes the caller computes.
//!
//! Turning it on, off, resetting it and using a recovery code are audited in
//! the same transaction. Nothing here computes or checks a code.

use crate::accounts::{self, User};
use crate::audit::{Event, record_in};
use crate::{Db, DbError, Result, ts};
use chrono::{DateTime, Utc};
use dateline_core::UserId;
use dateline_core::audit::Who;
use sqlx::AnyConnection;

/// The secret being set up for `user`, if one was started.
pub async fn pending_secret(db: &Db, user: UserId) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT totp_pending FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(db.pool())
            .await?
            .flatten(),
    )
}

/// Starts (or starts again) setting up two-factor sign-in with `secret`.
pub async fn set_pending_secret(db: &Db, user: UserId, secret: &str) -> Result<()> {
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(secret.to_owned())
        .bind(user.0)
        .execute(db.pool())
        .await?;
    Ok(())
}

async fn replace_codes(conn: &mut AnyConnection, user: UserId, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user.0)
            .bind(hash.clone())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Turns two-factor sign-in on with the pending `secret`, confirmed by a
/// code of time step `step` (which is then used up), and stores new
/// recovery codes. False when `secret` is no longer the pending one (set up
/// again meanwhile, in another tab).
pub async fn enable(
    db: &Db,
    user: UserId,
    secret: &str,
    step: i64,
    recovery_hashes: &[String],
    now: DateTime<Utc>,
    by: &Who,
) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query("UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_enabled_at = $1, totp_last_step = $2 WHERE id = $3 AND totp_pending = $4")
        .bind(ts(now))
        .bind(step)
        .bind(user.0)
        .bind(secret.to_owned())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    replace_codes(&mut tx, user, recovery_hashes).await?;
    let target = accounts::user_in(&mut tx, user)
        .await?
        .ok_or(DbError::NotFound)?;
    let event = Event::new(
        "two_factor.enabled",
        "user",
        Some(user.0),
        format!(
            "{}, with {} recovery codes",
            target.label(),
            recovery_hashes.len()
        ),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await?;
    Ok(true)
}

/// Marks time step `step` used for `user`: true only if it is later than
/// the last one accepted, so of two requests with the same code one wins.
pub async fn use_step(db: &Db, user: UserId, step: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)")
        .bind(step)
        .bind(user.0)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses up the recovery code with this hash; false when `user` has no such
/// unused code.
pub async fn use_recovery_code(
    db: &Db,
    user: &User,
    code_hash: &str,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
        .bind(ts(now))
        .bind(user.id.0)
        .bind(code_hash.to_owned())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let left = codes_left_in(&mut tx, user.id).await?;
    let event = Event::new(
        "two_factor.recovery_code_used",
        "user",
        Some(user.id.0),
        format!("{}: {left} recovery codes left", user.label()),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await?;
    Ok(true)
}

async fn codes_left_in(conn: &mut AnyConnection, user: UserId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user.0)
    .fetch_one(conn)
    .await?)
}

/// How many unused recovery codes `user` has.
pub async fn recovery_codes_left(db: &Db, user: UserId) -> Result<i64> {
    codes_left_in(&mut *db.pool().acquire().await?, user).await
}

/// Replaces `user`'s recovery codes with new ones.
pub async fn replace_recovery_codes(
    db: &Db,
    user: &User,
    hashes: &[String],
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    replace_codes(&mut tx, user.id, hashes).await?;
    let event = Event::new(
        "two_factor.recovery_codes_replaced",
        "user",
        Some(user.id.0),
        format!(
            "{}: {} new codes, the old ones no longer work",
            user.label(),
            hashes.len()
        ),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await
}

/// Turns two-factor sign-in off for `user` (their own choice, an admin's
/// reset, or an operator's at the command line): the secret and recovery
/// codes are forgotten. False when it was not on.
pub async fn disable(db: &Db, user: UserId, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let target = accounts::user_in(&mut tx, user)
        .await?
        .ok_or(DbError::NotFound)?;
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = $1 WHERE id = $2")
        .bind(ts(now))
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
    replace_codes(&mut tx, user, &[]).await?;
    if !target.two_factor() {
        tx.commit().await?;
        return Ok(false);
    }
    let (action, summary) = if by.user == Some(user) {
        ("two_factor.disabled", target.label())
    } else {
        (
            "two_factor.reset",
            format!("{}: turned off, to be set up again", target.label()),
        )
    };
    record_in(
        &mut tx,
        by,
        now,
        &Event::new(action, "user", Some(user.0), summary),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
