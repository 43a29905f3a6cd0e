//! API tokens for the admin API: made and revoked by admins (audited), each
//! acting as one user with that user's role. Only a token's hash and its
//! first characters are stored.

use crate::accounts::{self, User};
use crate::audit::{Event, record_in};
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::UserId;
use dateline_core::audit::Who;
use serde::Serialize;
use sqlx::Row;

/// An API token, as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub user_id: UserId,
    pub user_name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// A new token acting as `user`, made by `by`.
pub async fn create_token(
    db: &Db,
    name: &str,
    prefix: &str,
    token_hash: &str,
    user: UserId,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<i64> {
    let mut tx = db.write_tx().await?;
    let owner = accounts::user_in(&mut tx, user)
        .await?
        .ok_or(DbError::NotFound)?;
    let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (name, prefix, token_hash, user_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(name.trim().to_owned())
        .bind(prefix.to_owned())
        .bind(token_hash.to_owned())
        .bind(user.0)
        .bind(by.user.map(|u| u.0))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
    let event = Event::new(
        "token.created",
        "token",
        Some(id),
        format!(
            "\"{}\" ({prefix}…) acting as {} ({})",
            name.trim(),
            owner.label(),
            owner.role
        ),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every token, newest first.
pub async fn tokens(db: &Db) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query("SELECT t.id, t.name, t.prefix, t.user_id, u.name AS user_name, t.created_at, t.last_used_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC")
        .fetch_all(db.pool())
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ApiToken {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                prefix: r.try_get("prefix")?,
                user_id: UserId(r.try_get("user_id")?),
                user_name: r.try_get("user_name")?,
                created_at: from_ts(r.try_get("created_at")?),
                last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(from_ts),
                revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            })
        })
        .collect()
}

/// Revokes a live token; false when there was none.
pub async fn revoke_token(db: &Db, id: i64, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let revoked: Option<(String, String)> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING name, prefix",
    )
    .bind(ts(now))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((name, prefix)) = &revoked {
        let event = Event::new(
            "token.revoked",
            "token",
            Some(id),
            format!("\"{name}\" ({prefix}…)"),
        );
        record_in(&mut tx, by, now, &event).await?;
    }
    tx.commit().await?;
    Ok(revoked.is_some())
}

/// The token's id and the user it acts as, for a live token (none for a
/// revoked token or a disabled user).
pub async fn token_user(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(i64, User)>> {
    let row = sqlx::query("SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(token_hash.to_owned())
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("id")?;
    let last_used: Option<i64> = row.try_get("last_used_at")?;
    if last_used.is_none_or(|t| now.timestamp() - t > 60) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(db.pool())
            .await?;
    }
    Ok(accounts::user(db, UserId(row.try_get("user_id")?))
        .await?
        .filter(|u| !u.disabled)
        .map(|u| (id, u)))
}
