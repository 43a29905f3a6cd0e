//! Many new articles in one transaction: what an import saves. Each article
//! is rendered before the transaction (all of them side by side, in the
//! renderer's bounded turns) and written exactly as `save` writes one, under
//! a savepoint of its own, so that one refused (a slug taken, a name its
//! rights do not allow) is rolled back alone and reported, and the others
//! still land. One commit instead of one per article is what makes a large
//! import fast: each commit writes every page it touched again.

use super::body;
use super::save::{SaveTarget, Saved, SavedBy, write};
use crate::sql::Savepoint;
use crate::{Db, DbError, Result, site};
use chrono::{DateTime, Utc};
use dateline_core::ArticleDraft;

/// Creates an article for each `(draft, at)` (`at`: the time the save is
/// recorded at), in one transaction. The outer error is storage failing
/// (nothing is written then); each inner one is that article refused.
pub async fn create_many(
    db: &Db,
    items: &[(ArticleDraft, DateTime<Utc>)],
    by: &SavedBy,
) -> Result<Vec<Result<Saved>>> {
    let prepared = futures_util::future::join_all(items.iter().map(|(draft, _)| async move {
        let snapshot = serde_json::to_string(draft).map_err(|e| DbError::Config(e.to_string()))?;
        let rendered = body::render(&draft.body_markdown, Some(draft)).await?;
        let anchored = body::anchor(&rendered, &[]).await?;
        Ok::<_, DbError>((snapshot, rendered, anchored))
    }))
    .await;
    let mut out = Vec::with_capacity(items.len());
    let mut tx = db.write_tx().await?;
    let mut changed = false;
    for ((draft, at), prepared) in items.iter().zip(prepared) {
        let (snapshot, rendered, anchored) = match prepared {
            Ok(p) => p,
            Err(e) => {
                out.push(Err(e));
                continue;
            }
        };
        let Some(fields) = &rendered.fields else {
            return Err(DbError::Config("a rendered body lost its draft".into()));
        };
        let savepoint = Savepoint::begin(&mut tx, "new_article").await?;
        let written = write(
            &mut tx,
            SaveTarget::New,
            draft,
            &snapshot,
            &[],
            (&rendered, &anchored, fields),
            *at,
            by,
        )
        .await;
        let written = match written {
            Ok(Some(saved)) => crate::audit::status_changed(
                &mut tx,
                &saved,
                None,
                &draft.headline,
                None,
                *at,
                &by.who,
            )
            .await
            .map(|()| saved),
            Ok(None) => Err(DbError::Config(
                "a new article had passages before it was saved".into(),
            )),
            Err(e) => Err(e),
        };
        match written {
            Ok(saved) => {
                savepoint.release(&mut tx).await?;
                changed = true;
                out.push(Ok(saved));
            }
            Err(e @ (DbError::Conflict { .. } | DbError::Invalid(_) | DbError::NotFound)) => {
                savepoint.roll_back(&mut tx).await?;
                out.push(Err(e));
            }
            Err(e) => return Err(e),
        }
    }
    if changed {
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(out)
}
