//! Image uploads: checked, resized and stored at a few widths for
//! `srcset`, and recorded in the library.
//!
//! Decoding and resizing (`image_work.rs`) are the costly part, so they run
//! off the async threads, at most `AT_ONCE` images at a time, each within
//! `WORK_TIME`; an upload that cannot get its turn within `WAIT_FOR_TURN` is
//! told to try again. Nothing here may decode an image outside that bound.

use super::image_work;
use crate::auth::Upload;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Datelike, Utc};
use dateline_core::{Actor, Capability, Slug};
use dateline_db::media::{self, Media, NewMedia, Variant};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Images decoded and resized at once, whatever the number of uploads: each
/// may hold a couple of hundred megabytes while it is worked on.
pub const AT_ONCE: usize = 2;
/// How long an upload waits for its turn.
const WAIT_FOR_TURN: Duration = Duration::from_secs(30);
/// How long one image may take to decode and resize.
const WORK_TIME: Duration = Duration::from_secs(30);

/// The turns at image work, shared by every door an image comes through.
pub fn work_turns() -> Semaphore {
    Semaphore::new(AT_ONCE)
}

fn busy() -> AppError {
    AppError::Unavailable(
        "Other images are being processed right now; try this one again in a minute.".into(),
    )
}

/// How long image work may wait and take.
struct Bounds {
    wait_for_turn: Duration,
    work_time: Duration,
}

const BOUNDS: Bounds = Bounds {
    wait_for_turn: WAIT_FOR_TURN,
    work_time: WORK_TIME,
};

/// Decodes and resizes `bytes` in its turn, off the async threads.
async fn process_in_turn(
    turns: &Arc<Semaphore>,
    bounds: &Bounds,
    bytes: axum::body::Bytes,
) -> Result<image_work::Processed, AppError> {
    let turn = tokio::time::timeout(bounds.wait_for_turn, turns.clone().acquire_owned())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let deadline = Instant::now() + bounds.work_time;
    let work = tokio::task::spawn_blocking(move || {
        // The turn is held until the work really ends, even after the
        // upload stopped waiting for it.
        let _turn = turn;
        image_work::process(&bytes, deadline)
    });
    // A step in progress cannot be stopped: the work gives up at its next
    // step, and the uploader hears now.
    match tokio::time::timeout(bounds.work_time + Duration::from_millis(500), work).await {
        Ok(done) => done.map_err(|e| AppError::Internal(e.into()))?,
        Err(_) => Err(image_work::took_too_long()),
    }
}

/// Checks, resizes and stores an uploaded image; records it in the library.
pub async fn store(state: &AppState, actor: &Actor, upload: Upload) -> Result<Media, AppError> {
    crate::newsroom::require(actor, Capability::UploadMedia)?;
    let to = ImageStore {
        db: &state.db,
        data_dir: &state.config.data_dir,
        turns: &state.image_turns,
        max_bytes: state.config.max_upload_bytes,
    };
    store_image(&to, &upload.file_name, upload.bytes, Some(actor.user)).await
}

/// Where images go, and the turns at the work they take.
pub struct ImageStore<'a> {
    pub db: &'a dateline_db::Db,
    pub data_dir: &'a std::path::Path,
    pub turns: &'a Arc<Semaphore>,
    pub max_bytes: u64,
}

/// Checks, resizes and stores an image, within the same bounds whatever
/// door it came through (an upload, an import on the command line), and
/// records it in the library as `by`'s.
pub async fn store_image(
    to: &ImageStore<'_>,
    file_name: &str,
    bytes: axum::body::Bytes,
    by: Option<dateline_core::UserId>,
) -> Result<Media, AppError> {
    if bytes.len() as u64 > to.max_bytes {
        return Err(AppError::PayloadTooLarge(format!(
            "That image is larger than {} MB; upload a smaller one.",
            to.max_bytes / (1024 * 1024)
        )));
    }
    let processed = process_in_turn(to.turns, &BOUNDS, bytes).await?;

    let now = Utc::now();
    let folder = format!("uploads/{}/{:02}", now.year(), now.month());
    let dir = to.data_dir.join("media").join(&folder);
    std::fs::create_dir_all(&dir)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot create {}: {e}", dir.display())))?;
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let name = Slug::from_text(stem, "image");
    let unique = &crate::auth::secrets::new_secret()[..8];
    let mut variants = Vec::new();
    let mut total = 0u64;
    for (w, data) in &processed.copies {
        let file = format!(
            "{}-{}-{w}.{}",
            unique.to_ascii_lowercase().replace(['-', '_'], "x"),
            name,
            processed.extension
        );
        std::fs::write(dir.join(&file), data)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot write {file}: {e}")))?;
        total += data.len() as u64;
        variants.push(Variant {
            width: *w,
            path: format!("/media/{folder}/{}", crate::urls::seg(&file)),
        });
    }
    let path = variants.last().map(|v| v.path.clone()).unwrap_or_default();
    let record = NewMedia {
        path,
        original_name: file_name.chars().take(200).collect(),
        content_type: processed.content_type.to_owned(),
        width: processed.width,
        height: processed.height,
        bytes: total,
        variants,
    };
    Ok(media::record(to.db, &record, by, now).await?)
}

/// `srcset` for an image URL that is one of our uploads.
pub async fn srcset(state: &AppState, url: &str) -> Option<String> {
    if !url.starts_with("/media/uploads/") {
        return None;
    }
    let m = media::by_path(&state.db, url).await.ok()??;
    (m.variants.len() > 1).then(|| {
        m.variants
            .iter()
            .map(|v| format!("{} {}w", v.path, v.width))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> axum::body::Bytes {
        let mut out = Vec::new();
        image::DynamicImage::new_rgb8(w, h)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out.into()
    }

    #[tokio::test]
    async fn an_upload_waits_its_turn_and_is_told_when_none_comes() {
        let turns = Arc::new(work_turns());
        let quick = Bounds {
            wait_for_turn: Duration::from_millis(100),
            work_time: Duration::from_secs(30),
        };
        let taken = turns
            .clone()
            .acquire_many_owned(AT_ONCE as u32)
            .await
            .unwrap();
        let refused = process_in_turn(&turns, &quick, png(64, 64)).await;
        assert!(
            matches!(&refused, Err(AppError::Unavailable(m)) if m.contains("try this one again")),
            "{:?}",
            refused.err()
        );
        drop(taken);
        assert!(process_in_turn(&turns, &quick, png(64, 64)).await.is_ok());
        assert_eq!(turns.available_permits(), AT_ONCE);
    }

    #[tokio::test]
    async fn work_that_runs_late_gives_up_and_gives_its_turn_back() {
        let turns = Arc::new(work_turns());
        let hasty = Bounds {
            wait_for_turn: Duration::from_secs(1),
            work_time: Duration::from_millis(1),
        };
        let late = process_in_turn(&turns, &hasty, png(4000, 3000)).await;
        assert!(
            matches!(&late, Err(AppError::Unavailable(m)) if m.contains("too long")),
            "{:?}",
            late.err()
        );
        // The turn comes back once the work has stopped.
        let all =
            tokio::time::timeout(Duration::from_secs(60), turns.acquire_many(AT_ONCE as u32)).await;
        assert!(all.is_ok(), "a turn was never given back");
    }
}
