//! Site-wide state: settings an editor changes, and the content version that
//! tells every process its cached pages are out of date.

use crate::{Db, Result};
use chrono::{DateTime, Utc};
use dateline_core::Language;
use dateline_core::audit::Who;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Raises the content version. Call inside the transaction that changes
/// anything a public page shows.
pub(crate) async fn bump_content_version(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("UPDATE site_state SET value = value + 1 WHERE key = 'content_version'")
        .execute(conn)
        .await?;
    Ok(())
}

/// The current content version.
pub async fn content_version(db: &Db) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM site_state WHERE key = 'content_version'")
            .fetch_one(db.pool())
            .await?,
    )
}

/// A link in the site's navigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavLink {
    pub label: String,
    pub url: String,
}

/// What an editor sets about the site as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSettings {
    pub title: String,
    pub description: String,
    pub language: Language,
    /// Articles per page on the front page and in lists.
    pub per_page: u32,
    /// Extra navigation links; sections are always listed.
    pub navigation: Vec<NavLink>,
    /// The hour (0–23, UTC) daily and weekly digests go out.
    pub digest_hour: u32,
    /// The day weekly digests go out: 1 is Monday, 7 Sunday.
    pub digest_weekday: u32,
    /// Admins must sign in with a second factor; one without it is sent to
    /// set it up before anything else.
    pub require_admin_two_factor: bool,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            title: "Dateline".into(),
            description: "Independent reporting, translated and explained.".into(),
            language: Language::english(),
            per_page: 20,
            navigation: Vec::new(),
            digest_hour: 7,
            digest_weekday: 1,
            require_admin_two_factor: false,
        }
    }
}

/// The site's settings (defaults for anything never set).
pub async fn settings(db: &Db) -> Result<SiteSettings> {
    let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'site'")
        .fetch_optional(db.pool())
        .await?;
    Ok(raw
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or_default())
}

/// Replaces the site's settings, recording which of them changed.
pub async fn save_settings(
    db: &Db,
    settings: &SiteSettings,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<()> {
    let json = serde_json::to_value(settings).map_err(|e| crate::DbError::Config(e.to_string()))?;
    let mut tx = db.write_tx().await?;
    let old: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'site'")
        .fetch_optional(&mut *tx)
        .await?;
    let old = old
        .and_then(|r| serde_json::from_str::<SiteSettings>(&r).ok())
        .unwrap_or_default();
    let old = serde_json::to_value(old).map_err(|e| crate::DbError::Config(e.to_string()))?;
    crate::audit::settings_changed(&mut tx, "site", &old, &json, by, now).await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ('site', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(json.to_string())
        .execute(&mut *tx)
        .await?;
    bump_content_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The top-level keys whose values differ between two JSON objects.
pub(crate) fn changed_keys(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(old.keys().filter(|k| !new.contains_key(*k)).cloned())
        .collect();
    keys.sort();
    keys
}

/// The site's secret key, for signing links in mail. Made on first use from
/// `fresh` (random bytes the caller supplies); every process of a site then
/// reads the same key.
pub async fn secret_key(db: &Db, fresh: &str) -> Result<String> {
    let mut tx = db.write_tx().await?;
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('secret_key', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(fresh.to_owned())
    .execute(&mut *tx)
    .await?;
    let key: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'secret_key'")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(key)
}
