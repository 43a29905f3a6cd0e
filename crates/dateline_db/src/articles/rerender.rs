//! Bodies rendered again after the renderer changed. An article whose
//! `anchored` flag is 0 (saved before passages existed, or marked by a
//! migration that changed how bodies render, such as
//! `0009_render_bodies_again.sql`) gets its body HTML, passages, automatic
//! excerpt and search terms made again from its Markdown and latest
//! revision when the database is opened. No revision is made, and nothing
//! else about the article changes.

use super::body::{self, Anchored, Rendered};
use crate::passages::{self, KnownRow};
use crate::{Db, DbError, Result, search, site};
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;

/// Renders again every article marked for it, calling `progress(done,
/// total)` as it goes; bumps the content version once when any was.
pub(crate) async fn render_older_bodies(db: &Db, mut progress: impl FnMut(u64, u64)) -> Result<()> {
    let pending: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM articles WHERE anchored = 0 ORDER BY id")
            .fetch_all(db.pool())
            .await?;
    if pending.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let total = pending.len() as u64;
    for (done, id) in pending.iter().enumerate() {
        rerender(db, ArticleId(*id), now).await?;
        progress(done as u64 + 1, total);
    }
    let mut tx = db.write_tx().await?;
    site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(
        articles = pending.len(),
        "rendered older articles' bodies again"
    );
    Ok(())
}

async fn rerender(db: &Db, id: ArticleId, now: DateTime<Utc>) -> Result<()> {
    let markdown: Option<String> =
        sqlx::query_scalar("SELECT body_markdown FROM article_bodies WHERE article_id = $1")
            .bind(id.0)
            .fetch_optional(db.pool())
            .await?;
    let latest = super::revisions(db, id).await?.into_iter().next();
    let rendered = body::render(
        markdown.as_deref().unwrap_or_default(),
        latest.as_ref().map(|r| &r.draft),
    )
    .await;
    loop {
        let known = passages::known_in(&mut *db.pool().acquire().await?, id).await?;
        let done = match &rendered {
            Ok(r) => Ok((r, body::anchor(r, &known).await?)),
            Err(DbError::Invalid(why)) => Err(why),
            Err(other) => return Err(DbError::Config(other.to_string())),
        };
        let mut tx = db.write_tx().await?;
        if passages::known_in(&mut tx, id).await? != known {
            continue;
        }
        match &done {
            Ok((rendered, anchored)) => {
                store(
                    &mut tx,
                    id,
                    rendered,
                    anchored,
                    &known,
                    latest.as_ref(),
                    now,
                )
                .await?
            }
            Err(why) => {
                tracing::warn!(article = id.0, %why, "a body could not be rendered again; it shows empty until an editor changes it");
                set_body(&mut tx, id, "").await?;
            }
        }
        tx.commit().await?;
        return Ok(());
    }
}

async fn store(
    conn: &mut sqlx::AnyConnection,
    id: ArticleId,
    rendered: &Rendered,
    anchored: &Anchored,
    known: &[KnownRow],
    latest: Option<&super::Revision>,
    now: DateTime<Utc>,
) -> Result<()> {
    set_body(conn, id, &anchored.html).await?;
    passages::store_in(
        conn,
        id,
        &anchored.anchoring,
        rendered.passages(),
        known,
        now,
    )
    .await?;
    if let (Some(fields), Some(latest)) = (&rendered.fields, latest) {
        sqlx::query("UPDATE articles SET excerpt = $1 WHERE id = $2")
            .bind(fields.excerpt.clone())
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        search::index_article(conn, id, &latest.draft, &fields.terms).await?;
    }
    Ok(())
}

/// Stores the body's HTML and marks it rendered by the current renderer.
async fn set_body(conn: &mut sqlx::AnyConnection, id: ArticleId, html: &str) -> Result<()> {
    sqlx::query("UPDATE article_bodies SET body_html = $1 WHERE article_id = $2")
        .bind(html.to_owned())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE articles SET anchored = 1 WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
