//! Many new articles in one transaction: what an import saves. Each article
//! is rendered before the transaction (all of them side by side, in the
//! renderer's bounded turns). One commit instead of one per article is the
//! first half of a fast import (each commit writes every page it touched
//! again); the second is writing the batch together (`together.rs`): each
//! table's rows for all of its articles in a few multi-row statements,
//! instead of some forty statements per article.
//!
//! Writing together is for the common case, checked first: every right
//! (an operator's), no translation link to resolve, and a slug no other
//! article has or had. The others, and all of them when writing together
//! meets a conflict after all, are written one by one exactly as `save`
//! writes one, each under a savepoint of its own, so that one refused (a
//! slug taken, a name its rights do not allow) is rolled back alone and
//! reported, and the others still land.

use super::body::{self, Rendered};
use super::save::{SaveTarget, Saved, SavedBy, write};
use super::together::{self, NewArticle};
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
    create_prepared(db, prepare_new(items.to_vec()).await, by).await
}

/// The first half of `create_many`, which needs no database: each draft's
/// body rendered, anchored and indexed (in the renderer's bounded turns),
/// so that a caller can prepare a batch while the one before is written.
pub async fn prepare_new(items: Vec<(ArticleDraft, DateTime<Utc>)>) -> Vec<Result<NewArticle>> {
    futures_util::future::join_all(items.into_iter().map(|(draft, at)| async move {
        let snapshot = serde_json::to_string(&draft).map_err(|e| DbError::Config(e.to_string()))?;
        let rendered = body::render(&draft.body_markdown, Some(&draft)).await?;
        let anchored = body::anchor(&rendered, &[]).await?;
        Ok(NewArticle {
            draft,
            at,
            snapshot,
            rendered,
            anchored,
        })
    }))
    .await
}

/// The second half of `create_many`: writes what `prepare_new` made (an
/// error there is that article's result).
pub async fn create_prepared(
    db: &Db,
    prepared: Vec<Result<NewArticle>>,
    by: &SavedBy,
) -> Result<Vec<Result<Saved>>> {
    let mut out: Vec<Option<Result<Saved>>> = (0..prepared.len()).map(|_| None).collect();
    let mut ready: Vec<(usize, NewArticle)> = Vec::with_capacity(prepared.len());
    for (i, prepared) in prepared.into_iter().enumerate() {
        match prepared {
            Ok(new) => ready.push((i, new)),
            Err(e) => out[i] = Some(Err(e)),
        }
    }
    let mut tx = db.write_tx().await?;
    let mut changed = false;
    let fit = together::fit(&mut tx, ready.iter().map(|(_, n)| &n.draft), by).await?;
    let (fitting, rest): (Vec<_>, Vec<_>) = ready.into_iter().zip(fit).partition(|(_, fits)| *fits);
    let fitting: Vec<(usize, NewArticle)> = fitting.into_iter().map(|(n, _)| n).collect();
    let mut one_by_one: Vec<(usize, NewArticle)> = rest.into_iter().map(|(n, _)| n).collect();
    if !fitting.is_empty() {
        let savepoint = Savepoint::begin(&mut tx, "new_articles").await?;
        let news: Vec<&NewArticle> = fitting.iter().map(|(_, n)| n).collect();
        match together::write(&mut tx, &news, by).await {
            Ok(saved) => {
                savepoint.release(&mut tx).await?;
                changed = true;
                for ((i, _), saved) in fitting.iter().zip(saved) {
                    out[*i] = Some(Ok(saved));
                }
            }
            // Another save took a slug since the check: each on its own.
            Err(DbError::Conflict { .. }) => {
                savepoint.roll_back(&mut tx).await?;
                one_by_one.extend(fitting);
                one_by_one.sort_by_key(|(i, _)| *i);
            }
            Err(e) => return Err(e),
        }
    }
    for (i, new) in &one_by_one {
        let written = write_one(&mut tx, new, by).await?;
        changed |= written.is_ok();
        out[*i] = Some(written);
    }
    if changed {
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    out.into_iter()
        .map(|r| r.ok_or_else(|| DbError::Config("an article of the batch was not written".into())))
        .collect()
}

/// Writes one new article under a savepoint: `Err` inside `Ok` when it was
/// refused (and nothing of it stays).
async fn write_one(
    tx: &mut sqlx::AnyConnection,
    new: &NewArticle,
    by: &SavedBy,
) -> Result<Result<Saved>> {
    let NewArticle {
        draft,
        at,
        snapshot,
        rendered,
        anchored,
    } = new;
    let fields = fields(rendered)?;
    let savepoint = Savepoint::begin(tx, "new_article").await?;
    let written = write(
        tx,
        SaveTarget::New,
        draft,
        snapshot,
        &[],
        (rendered, anchored, fields),
        *at,
        by,
    )
    .await;
    let written = match written {
        Ok(Some(saved)) => {
            crate::audit::status_changed(tx, &saved, None, &draft.headline, None, *at, &by.who)
                .await
                .map(|()| saved)
        }
        Ok(None) => Err(DbError::Config(
            "a new article had passages before it was saved".into(),
        )),
        Err(e) => Err(e),
    };
    match written {
        Ok(saved) => {
            savepoint.release(tx).await?;
            Ok(Ok(saved))
        }
        Err(e @ (DbError::Conflict { .. } | DbError::Invalid(_) | DbError::NotFound)) => {
            savepoint.roll_back(tx).await?;
            Ok(Err(e))
        }
        Err(e) => Err(e),
    }
}

/// What a rendered body made of its draft (it always has a draft here).
pub(super) fn fields(rendered: &Rendered) -> Result<&body::DraftFields> {
    rendered
        .fields
        .as_ref()
        .ok_or_else(|| DbError::Config("a rendered body lost its draft".into()))
}
