//! Restoring an earlier revision of an article: its content comes back as a
//! new revision, through the same save as any other, audited as a restore.

use crate::articles::{SaveTarget, Saved, save_in};
use crate::{Db, DbError, Result, from_ts, site};
use chrono::{DateTime, Utc};
use dateline_core::audit::Who;
use dateline_core::{ArticleDraft, ArticleId, ArticleStatus};
use sqlx::Row;

/// Brings back revision `revision`'s content as a new revision, keeping the
/// article's status and publication time (restoring text never publishes or
/// unpublishes anything); audited as a restore.
pub async fn restore(
    db: &Db,
    id: ArticleId,
    revision: i64,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<Saved> {
    let mut tx = db.write_tx().await?;
    let current = sqlx::query("SELECT a.status, a.published_at, r.draft FROM articles a JOIN article_revisions r ON r.article_id = a.id AND r.revision = $2 WHERE a.id = $1")
        .bind(id.0)
        .bind(revision)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(DbError::NotFound)?;
    let mut draft: ArticleDraft = serde_json::from_str(&current.try_get::<String, _>("draft")?)
        .map_err(|e| DbError::Config(format!("revision is not readable: {e}")))?;
    draft.status = ArticleStatus::parse(&current.try_get::<String, _>("status")?)
        .unwrap_or(ArticleStatus::Draft);
    draft.published_at = current
        .try_get::<Option<i64>, _>("published_at")?
        .map(from_ts);
    let target = SaveTarget::Existing {
        id,
        expected_revision: None,
    };
    let saved = save_in(&mut tx, target, &draft, now, by.user).await?;
    if saved.changed {
        let restored = Some(revision);
        crate::audit::status_changed(&mut tx, &saved, None, &draft.headline, restored, now, by)
            .await?;
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(saved)
}
