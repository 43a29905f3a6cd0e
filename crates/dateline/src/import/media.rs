//! Images of an imported site: files from a copy of its `wp-content/uploads`
//! (`--uploads DIR`) stored as Dateline media, through the same checks,
//! bounds and resizing as an upload, each once (what a file became is
//! remembered, so a second run reuses it), with the old addresses that
//! pointed at them.

use dateline_db::Db;
use dateline_db::imports::{self, Imported};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// The part of an address after `/wp-content/uploads/`, percent-decoded:
/// `2024/03/well.jpg`; None for anything else.
pub fn uploads_path(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("/wp-content/uploads/")?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode(rest);
    let safe = !decoded.is_empty()
        && decoded
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && !decoded.contains('\\');
    safe.then_some(decoded)
}

fn percent_decode(s: &str) -> String {
    dateline_core::legacy::path_key(&format!("/{s}"))
        .trim_start_matches('/')
        .to_string()
}

/// `2024/03/well-300x200.jpg` → `2024/03/well.jpg`: the original of a
/// size WordPress made, when the name says it is one.
pub fn original_of(path: &str) -> Option<String> {
    let (stem, ext) = path.rsplit_once('.')?;
    let (base, size) = stem.rsplit_once('-')?;
    let (w, h) = size.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(w) && digits(h)).then(|| format!("{base}.{ext}"))
}

fn is_image(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Imports files from an uploads folder on demand.
pub struct Uploads {
    dir: PathBuf,
    data_dir: PathBuf,
    turns: Arc<Semaphore>,
    max_bytes: u64,
    /// What each uploads path became (None: not there or refused).
    done: Mutex<HashMap<String, Option<String>>>,
}

/// What became of one image.
pub enum Outcome {
    /// Its Dateline address.
    Stored(String),
    Missing,
    Refused(String),
}

impl Uploads {
    pub fn new(dir: &Path, data_dir: &Path, max_bytes: u64) -> anyhow::Result<Self> {
        anyhow::ensure!(
            dir.is_dir(),
            "--uploads {}: not a folder; give a copy of the site's wp-content/uploads",
            dir.display()
        );
        Ok(Self {
            dir: dir.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
            turns: Arc::new(dateline_web::work_turns()),
            max_bytes,
            done: Mutex::new(HashMap::new()),
        })
    }

    fn known(&self, path: &str) -> Option<Option<String>> {
        self.done.lock().ok().and_then(|d| d.get(path).cloned())
    }

    fn note(&self, path: &str, result: Option<String>) {
        if let Ok(mut d) = self.done.lock() {
            d.insert(path.to_string(), result);
        }
    }

    /// The Dateline address of the image at uploads path `path` (or of its
    /// original, for a size WordPress made), importing it the first time.
    pub async fn image(&self, db: &Db, source: &str, path: &str) -> anyhow::Result<Outcome> {
        if !is_image(path) {
            return Ok(Outcome::Missing);
        }
        let mut candidates = vec![path.to_string()];
        candidates.extend(original_of(path));
        for candidate in &candidates {
            if let Some(done) = self.known(candidate) {
                if let Some(url) = done {
                    return Ok(Outcome::Stored(url));
                }
                continue;
            }
            if let Some(before) = imports::find(db, source, "media", candidate).await? {
                self.note(candidate, Some(before.digest.clone()));
                return Ok(Outcome::Stored(before.digest));
            }
            let file = self.dir.join(candidate);
            let Ok(bytes) = tokio::fs::read(&file).await else {
                self.note(candidate, None);
                continue;
            };
            let to = dateline_web::ImageStore {
                db,
                data_dir: &self.data_dir,
                turns: &self.turns,
                max_bytes: self.max_bytes,
            };
            let name = candidate.rsplit('/').next().unwrap_or(candidate);
            match dateline_web::store_image(&to, name, bytes.into(), None).await {
                Ok(media) => {
                    let item = Imported {
                        target_id: media.id,
                        digest: media.path.clone(),
                        revision: 0,
                    };
                    imports::remember(db, source, "media", candidate, &item, chrono::Utc::now())
                        .await?;
                    self.note(candidate, Some(media.path.clone()));
                    return Ok(Outcome::Stored(media.path));
                }
                Err(e) => {
                    self.note(candidate, None);
                    return Ok(Outcome::Refused(e.to_string()));
                }
            }
        }
        Ok(Outcome::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            uploads_path("https://a.example/wp-content/uploads/2024/03/well.jpg?x=1").as_deref(),
            Some("2024/03/well.jpg")
        );
        assert_eq!(
            uploads_path("/wp-content/uploads/2024/03/%d8%a8%d8%a6%d8%b1.jpg").as_deref(),
            Some("2024/03/بئر.jpg")
        );
        assert_eq!(
            uploads_path("https://a.example/wp-content/uploads/../../etc/passwd"),
            None
        );
        assert_eq!(uploads_path("https://a.example/images/x.jpg"), None);
        assert_eq!(
            original_of("2024/03/well-300x200.jpg").as_deref(),
            Some("2024/03/well.jpg")
        );
        assert_eq!(original_of("2024/03/well-side.jpg"), None);
        assert_eq!(original_of("2024/03/well.jpg"), None);
    }
}
