//! Newsroom accounts: users, their sessions, password resets and API tokens.
//!
//! Secrets never reach the database: sessions, resets and tokens are stored
//! by the hash the caller computes, and passwords as argon2id strings.

use crate::sql::Sql;
use crate::{Db, DbError, Result, from_ts, site, ts};
use chrono::{DateTime, Duration, Utc};
use dateline_core::{Role, Slug, UserId};
use serde::Serialize;
use sqlx::{FromRow, Row};

/// Consecutive failed logins that lock an account.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_FOR: Duration = Duration::minutes(15);

#[derive(Debug, Clone, FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    password_hash: String,
    author_id: Option<i64>,
    failed_logins: i64,
    locked_until: Option<i64>,
    disabled_at: Option<i64>,
    created_at: i64,
}

const USER_COLUMNS: &str = "id, email, name, role, password_hash, author_id, failed_logins, locked_until, disabled_at, created_at";

/// A newsroom account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    /// The author profile (byline) this user writes under.
    pub author_id: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: UserId(r.id),
            email: r.email,
            name: r.name,
            role: Role::parse(&r.role).unwrap_or(Role::Contributor),
            password_hash: r.password_hash,
            author_id: r.author_id,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until.map(from_ts),
            disabled: r.disabled_at.is_some(),
            created_at: from_ts(r.created_at),
        }
    }
}

impl User {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

/// Creates a user with an author profile of the same name (an existing
/// profile with that slug and no account is taken over: the byline of
/// imported articles becomes this user's).
pub async fn create_user(
    db: &Db,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<User> {
    let email = email.trim().to_lowercase();
    let mut tx = db.write_tx().await?;
    let slug = Slug::from_text(name, "author").to_string();
    sqlx::query("INSERT INTO authors (slug, name, bio, created_at, updated_at) VALUES ($1, $2, '', $3, $3) ON CONFLICT (slug) DO NOTHING")
        .bind(slug.clone())
        .bind(name.to_owned())
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
    let author_id: Option<i64> = sqlx::query_scalar(
        "SELECT a.id FROM authors a WHERE a.slug = $1 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.author_id = a.id)",
    )
    .bind(slug)
    .fetch_optional(&mut *tx)
    .await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO users (email, name, role, password_hash, author_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id")
        .bind(email.clone())
        .bind(name.trim().to_owned())
        .bind(role.as_str().to_owned())
        .bind(password_hash.to_owned())
        .bind(author_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if DbError::is_unique_violation(&e) {
                DbError::Conflict {
                    field: "email".into(),
                    message: format!("There is already an account for {email}."),
                }
            } else {
                e.into()
            }
        })?;
    site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    user(db, UserId(id)).await?.ok_or(DbError::NotFound)
}

pub async fn user(db: &Db, id: UserId) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(User::from))
}

pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    )))
    .bind(email.trim().to_lowercase())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(User::from))
}

/// Every user, by name.
pub async fn users(db: &Db) -> Result<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY name, id"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// How many active admins there are (the last one may not be demoted).
pub async fn active_admins(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL",
    )
    .fetch_one(db.pool())
    .await?)
}

/// Changes a user's name and role.
pub async fn update_user(
    db: &Db,
    id: UserId,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<()> {
    let done = sqlx::query("UPDATE users SET name = $1, role = $2, updated_at = $3 WHERE id = $4")
        .bind(name.trim().to_owned())
        .bind(role.as_str().to_owned())
        .bind(ts(now))
        .bind(id.0)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Disables or re-enables an account; disabling ends its sessions and
/// revokes its tokens.
pub async fn set_disabled(db: &Db, id: UserId, disabled: bool, now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.write_tx().await?;
    sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled.then_some(ts(now)))
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets a new password hash, clears any lockout, and ends every session of
/// the user except `keep` (the one that made the change, if any).
pub async fn set_password(
    db: &Db,
    id: UserId,
    password_hash: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3")
        .bind(password_hash.to_owned())
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound);
    }
    let mut sql = Sql::new("DELETE FROM sessions WHERE user_id = ");
    sql.bind(id.0);
    if let Some(keep) = keep {
        sql.push(" AND token_hash <> ").bind(keep.to_owned());
    }
    sql.query().execute(&mut *tx).await?;
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a failed login; the account locks after
/// [`LOCK_AFTER_FAILURES`] in a row. Returns the user as it now is.
pub async fn record_failed_login(db: &Db, id: UserId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END \
         WHERE id = $3",
    )
    .bind(LOCK_AFTER_FAILURES)
    .bind(ts(now + LOCK_FOR))
    .bind(id.0)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Clears the failed-login count after a successful login.
pub async fn record_successful_login(db: &Db, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id.0)
        .execute(db.pool())
        .await?;
    Ok(())
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

/// A new session that ends at `expires_at`.
#[allow(clippy::too_many_arguments)]
pub async fn create_session(
    db: &Db,
    token_hash: &str,
    user: UserId,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    user_agent: &str,
    ip_prefix: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip_prefix) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)")
        .bind(token_hash.to_owned())
        .bind(user.0)
        .bind(csrf_token.to_owned())
        .bind(ts(now))
        .bind(ts(expires_at))
        .bind(user_agent.chars().take(300).collect::<String>())
        .bind(ip_prefix.to_owned())
        .execute(db.pool())
        .await?;
    Ok(())
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
    let Some(user) = user(db, UserId(row.user_id)).await?.filter(|u| !u.disabled) else {
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
pub async fn end_other_sessions(db: &Db, user: UserId, keep: Option<&str>) -> Result<u64> {
    let mut sql = Sql::new("DELETE FROM sessions WHERE user_id = ");
    sql.bind(user.0);
    if let Some(keep) = keep {
        sql.push(" AND token_hash <> ").bind(keep.to_owned());
    }
    Ok(sql.query().execute(db.pool()).await?.rows_affected())
}

/// Forgets expired sessions and reset links.
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
    Ok(a + b)
}

/// Stores a reset link's hash. Returns false when one was already made for
/// this user within `min_interval` (a reset cannot be used to flood a mailbox).
/// The mail carrying the link is queued in the same transaction.
pub async fn create_password_reset(
    db: &Db,
    user: UserId,
    token_hash: &str,
    now: DateTime<Utc>,
    valid_for: Duration,
    min_interval: Duration,
    mail: &crate::mail::NewMail,
) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let recent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets WHERE user_id = $1 AND created_at > $2",
    )
    .bind(user.0)
    .bind(ts(now - min_interval))
    .fetch_one(&mut *tx)
    .await?;
    if recent > 0 {
        tx.commit().await?;
        return Ok(false);
    }
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash.to_owned())
        .bind(user.0)
        .bind(ts(now))
        .bind(ts(now + valid_for))
        .execute(&mut *tx)
        .await?;
    crate::mail::enqueue_in(&mut tx, mail, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// The user a live, unused reset link belongs to.
pub async fn password_reset_user(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<User>> {
    let id: Option<i64> = sqlx::query_scalar("SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
        .bind(token_hash.to_owned())
        .bind(ts(now))
        .fetch_optional(db.pool())
        .await?;
    match id {
        Some(id) => Ok(user(db, UserId(id)).await?.filter(|u| !u.disabled)),
        None => Ok(None),
    }
}

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

pub async fn create_token(
    db: &Db,
    name: &str,
    prefix: &str,
    token_hash: &str,
    user: UserId,
    created_by: UserId,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(sqlx::query_scalar("INSERT INTO api_tokens (name, prefix, token_hash, user_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(name.trim().to_owned())
        .bind(prefix.to_owned())
        .bind(token_hash.to_owned())
        .bind(user.0)
        .bind(created_by.0)
        .bind(ts(now))
        .fetch_one(db.pool())
        .await?)
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

pub async fn revoke_token(db: &Db, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(id)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() > 0)
}

/// The user a live token acts as (none for a revoked token or a disabled
/// user).
pub async fn token_user(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
    let row = sqlx::query("SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(token_hash.to_owned())
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let last_used: Option<i64> = row.try_get("last_used_at")?;
    if last_used.is_none_or(|t| now.timestamp() - t > 60) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(row.try_get::<i64, _>("id")?)
            .execute(db.pool())
            .await?;
    }
    Ok(user(db, UserId(row.try_get("user_id")?))
        .await?
        .filter(|u| !u.disabled))
}
