//! Newsroom accounts: users, their roles and passwords, and password resets.
//! Sessions and sign-in attempts are in `sessions`, API tokens in `tokens`,
//! two-factor sign-in in `two_factor`.
//!
//! Secrets never reach the database: resets are stored by the hash the
//! caller computes, and passwords as argon2id strings. Every change to who
//! can do what is written to the audit log in its own transaction.

use crate::audit::{Event, record_in};
use crate::sql::Sql;
use crate::{Db, DbError, Result, from_ts, site, ts};
use chrono::{DateTime, Duration, Utc};
use dateline_core::audit::Who;
use dateline_core::{Role, Slug, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

/// Consecutive failed sign-ins that lock an account.
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
    totp_secret: Option<String>,
    totp_last_step: Option<i64>,
}

const USER_COLUMNS: &str = "id, email, name, role, password_hash, author_id, failed_logins, locked_until, disabled_at, created_at, totp_secret, totp_last_step";

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
    /// The confirmed TOTP secret (base32), when two-factor sign-in is on.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// The last time step whose code was accepted.
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
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
            totp_secret: r.totp_secret,
            totp_last_step: r.totp_last_step,
        }
    }
}

impl User {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    /// Whether signing in also asks for a code.
    pub fn two_factor(&self) -> bool {
        self.totp_secret.is_some()
    }

    /// "Name <address>", as the audit log names an account.
    pub fn label(&self) -> String {
        format!("{} <{}>", self.name, self.email)
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
    by: &Who,
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
    let event = Event::new(
        "user.created",
        "user",
        Some(id),
        format!("{} <{email}> as {role}", name.trim()),
    );
    record_in(&mut tx, by, now, &event).await?;
    site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    user(db, UserId(id)).await?.ok_or(DbError::NotFound)
}

pub async fn user(db: &Db, id: UserId) -> Result<Option<User>> {
    user_in(&mut *db.pool().acquire().await?, id).await
}

pub(crate) async fn user_in(conn: &mut AnyConnection, id: UserId) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(User::from))
}

/// A user who must exist for the change in hand.
async fn existing(conn: &mut AnyConnection, id: UserId) -> Result<User> {
    user_in(conn, id).await?.ok_or(DbError::NotFound)
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
    by: &Who,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let before = existing(&mut tx, id).await?;
    let name = name.trim();
    sqlx::query("UPDATE users SET name = $1, role = $2, updated_at = $3 WHERE id = $4")
        .bind(name.to_owned())
        .bind(role.as_str().to_owned())
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    if before.role != role {
        let event = Event::new(
            "user.role_changed",
            "user",
            Some(id.0),
            format!("{}: {} → {role}", before.label(), before.role),
        );
        record_in(&mut tx, by, now, &event).await?;
    }
    if before.name != name {
        let event = Event::new(
            "user.renamed",
            "user",
            Some(id.0),
            format!("{} is now named {name}", before.label()),
        );
        record_in(&mut tx, by, now, &event).await?;
    }
    tx.commit().await
}

/// Disables or re-enables an account; disabling ends its sessions and
/// revokes its tokens.
pub async fn set_disabled(
    db: &Db,
    id: UserId,
    disabled: bool,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let before = existing(&mut tx, id).await?;
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
    if before.disabled != disabled {
        let (action, summary) = if disabled {
            (
                "user.disabled",
                format!("{}: signed out, tokens revoked", before.label()),
            )
        } else {
            ("user.enabled", before.label())
        };
        record_in(
            &mut tx,
            by,
            now,
            &Event::new(action, "user", Some(id.0), summary),
        )
        .await?;
    }
    tx.commit().await
}

/// Deletes an account for good. Its sessions, tokens and two-factor codes
/// go with it; its articles, revisions and uploads stay, without an owner;
/// the audit log keeps its name.
pub async fn delete_user(db: &Db, id: UserId, now: DateTime<Utc>, by: &Who) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let before = existing(&mut tx, id).await?;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    let event = Event::new(
        "user.deleted",
        "user",
        Some(id.0),
        format!("{} ({})", before.label(), before.role),
    );
    record_in(&mut tx, by, now, &event).await?;
    site::bump_content_version(&mut tx).await?;
    tx.commit().await
}

/// Sets a new password hash, clears any lockout, and ends every session of
/// the user except `keep` (the one that made the change, if any).
pub async fn set_password(
    db: &Db,
    id: UserId,
    password_hash: &str,
    keep: Option<&str>,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let before = existing(&mut tx, id).await?;
    sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3")
        .bind(password_hash.to_owned())
        .bind(ts(now))
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    let mut sql = Sql::new("DELETE FROM sessions WHERE user_id = ");
    sql.bind(id.0);
    if let Some(keep) = keep {
        sql.push(" AND token_hash <> ").bind(keep.to_owned());
    }
    sql.query().execute(&mut *tx).await?;
    let used = sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
    )
    .bind(ts(now))
    .bind(id.0)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let how = if by.user == Some(id) {
        "by its owner"
    } else if used > 0 && by.user.is_none() {
        "with a reset link"
    } else {
        "for them"
    };
    let event = Event::new(
        "user.password_changed",
        "user",
        Some(id.0),
        format!("{} ({how}); other sessions ended", before.label()),
    );
    record_in(&mut tx, by, now, &event).await?;
    tx.commit().await
}

/// Stores a reset link's hash. Returns false when one was already made for
/// this user within `min_interval` (a reset cannot be used to flood a mailbox).
/// The mail carrying the link is queued in the same transaction.
#[allow(clippy::too_many_arguments)]
pub async fn create_password_reset(
    db: &Db,
    user: UserId,
    token_hash: &str,
    now: DateTime<Utc>,
    valid_for: Duration,
    min_interval: Duration,
    mail: &crate::mail::NewMail,
    by: &Who,
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
    let target = existing(&mut tx, user).await?;
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash.to_owned())
        .bind(user.0)
        .bind(ts(now))
        .bind(ts(now + valid_for))
        .execute(&mut *tx)
        .await?;
    crate::mail::enqueue_in(&mut tx, mail, now).await?;
    let event = Event::new(
        "user.reset_link_sent",
        "user",
        Some(user.0),
        format!(
            "{}, valid {} minutes",
            target.label(),
            valid_for.num_minutes()
        ),
    );
    record_in(&mut tx, by, now, &event).await?;
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
