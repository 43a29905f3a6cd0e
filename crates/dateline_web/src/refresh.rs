//! The loop that keeps this process in step with the database: it publishes
//! scheduled articles whose time has come, moves the page cache to the
//! current content version, which any process (a second server, the command
//! line) may have raised, drops the pages of articles whose comments
//! changed, and now and then forgets expired sessions.

use crate::state::AppState;
use chrono::Utc;
use dateline_db::{articles, comments, site};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often expired sessions and reset links are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Runs once now, then every `interval` until `shutdown` is cancelled.
pub async fn run_refresh_loop(state: AppState, interval: Duration, shutdown: CancellationToken) {
    let mut last_sweep = std::time::Instant::now();
    loop {
        if let Err(e) = refresh_once(&state).await {
            tracing::warn!(error = %e, "refresh failed; will retry");
        }
        if last_sweep.elapsed() >= SWEEP_EVERY {
            last_sweep = std::time::Instant::now();
            match dateline_db::sessions::sweep_expired(&state.db, Utc::now()).await {
                Ok(n) if n > 0 => {
                    tracing::info!(count = n, "forgot expired sessions and reset links")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot forget expired sessions"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// One pass: publish what is due, then follow the content version.
pub async fn refresh_once(state: &AppState) -> Result<(), dateline_db::DbError> {
    let published = articles::publish_due(&state.db, Utc::now()).await?;
    if published > 0 {
        tracing::info!(count = published, "published scheduled articles");
    }
    let version = site::content_version(&state.db).await?;
    state.cache.set_version(version);
    let seen = state.cache.comments_seen();
    let comments_version = comments::comments_version(&state.db).await?;
    if comments_version > seen {
        for (id, slug) in comments::changed_since(&state.db, seen).await? {
            state.comments_changed(id, &slug);
        }
        state.cache.set_comments_seen(comments_version);
    }
    Ok(())
}
