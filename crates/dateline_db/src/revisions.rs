//! Restoring an earlier revision of an article: its content comes back as a
//! new revision, through the same save as any other (rendered outside the
//! write lock, with the rights of whoever restores), audited as a restore.

use crate::articles::{SaveTarget, Saved, SavedBy, save_restoring};
use crate::{Db, DbError, Result, from_ts};
use chrono::{DateTime, Utc};
use dateline_core::{ArticleDraft, ArticleId, ArticleStatus};
use sqlx::Row;

/// Brings back revision `revision`'s content as a new revision, keeping the
/// article's status and publication time (restoring text never publishes or
/// unpublishes anything). A save made meanwhile makes it a stale revision,
/// so nobody's newer text is overwritten unseen.
pub async fn restore(
    db: &Db,
    id: ArticleId,
    revision: i64,
    now: DateTime<Utc>,
    by: &SavedBy,
) -> Result<Saved> {
    let current = sqlx::query("SELECT a.status, a.published_at, a.revision AS current, r.draft FROM articles a JOIN article_revisions r ON r.article_id = a.id AND r.revision = $2 WHERE a.id = $1")
        .bind(id.0)
        .bind(revision)
        .fetch_optional(db.pool())
        .await?
        .ok_or(DbError::NotFound)?;
    let mut draft: ArticleDraft = serde_json::from_str(&current.try_get::<String, _>("draft")?)
        .map_err(|e| DbError::Config(format!("revision is not readable: {e}")))?;
    let status: String = current.try_get("status")?;
    draft.status = ArticleStatus::parse(&status).ok_or_else(|| {
        DbError::Config(format!("article {} has an unknown status {status:?}", id.0))
    })?;
    draft.published_at = current
        .try_get::<Option<i64>, _>("published_at")?
        .map(from_ts);
    let target = SaveTarget::Existing {
        id,
        expected_revision: Some(current.try_get("current")?),
    };
    save_restoring(db, target, &draft, revision, now, by).await
}
