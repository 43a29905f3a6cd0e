//! Articles: saving a draft with everything tied to it (`save.rs`: the
//! body rendered and anchored before the transaction in `body.rs`, the
//! authors, section and tags it names in `names.rs`, its old addresses in
//! `redirects.rs`), bodies rendered again after the renderer changed
//! (`rerender.rs`), publishing what is due, deleting, and reading articles
//! back (`read.rs`).

mod batch;
mod body;
mod names;
mod read;
mod redirects;
mod rerender;
mod save;
mod together;

pub use batch::{create_many, create_prepared, prepare_new};
pub(crate) use read::load_summaries;
pub use read::{
    ArticleFilter, Revision, SlugLookup, bodies, find, find_published, id_for_slug,
    last_published_change, list, months_with_articles, navigation_pages, published_count,
    published_since, published_slugs, revisions,
};
pub(crate) use rerender::render_older_bodies;
pub(crate) use save::save_restoring;
pub use save::{SaveTarget, Saved, SavedBy, save};
pub use together::NewArticle;

use crate::{Db, Result, search, site, ts};
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use dateline_core::audit::Who;

/// Moves scheduled articles whose time has come to published. Returns how
/// many moved; bumps the content version when any did.
pub async fn publish_due(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    // Called every second by every server: look before taking the write lock.
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM articles WHERE status = 'scheduled' AND published_at <= $1 LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(db.pool())
    .await?;
    if due.is_none() {
        return Ok(0);
    }
    let mut tx = db.write_tx().await?;
    let published: Vec<(i64, Option<i64>)> = sqlx::query_as("UPDATE articles SET status = 'published', first_published_at = COALESCE(first_published_at, published_at) WHERE status = 'scheduled' AND published_at <= $1 RETURNING id, published_at")
        .bind(ts(now))
        .fetch_all(&mut *tx)
        .await?;
    for (id, at) in &published {
        search::set_published(&mut tx, ArticleId(*id), *at).await?;
        let event = crate::audit::Event::new(
            "article.published",
            "article",
            Some(*id),
            "at its scheduled time",
        );
        crate::audit::record_in(&mut tx, &Who::system(), now, &event).await?;
    }
    if !published.is_empty() {
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(published.len() as u64)
}

/// Deletes an article and everything tied to it (revisions, bodies, search
/// terms, redirects go with it). Returns whether there was one.
pub async fn delete(db: &Db, id: ArticleId, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    // Translations stay linked to each other, without this one.
    let gone: Option<(String, String)> =
        sqlx::query_as("DELETE FROM articles WHERE id = $1 RETURNING headline, status")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((headline, status)) = &gone {
        let event = crate::audit::Event::new(
            "article.deleted",
            "article",
            Some(id.0),
            format!("\u{201c}{headline}\u{201d} ({status})"),
        );
        crate::audit::record_in(&mut tx, by, now, &event).await?;
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(gone.is_some())
}
