//! Which files an archive carries, and where they may land: only files a
//! media row names, only image types the upload pipeline writes, only inside
//! the media folder.

use dateline_db::archive::Column;
use serde_json::Value;
use std::path::{Component, Path, PathBuf};

/// Extensions the image pipeline writes.
const IMAGE_TYPES: &[&str] = &["jpg", "jpeg", "png", "gif", "webp"];

/// The files (paths under the media folder, decoded) one row of the media
/// table names: its largest copy and every width.
pub fn files_of(columns: &[Column], row: &[Value]) -> Vec<String> {
    let at = |name: &str| columns.iter().position(|c| c.name == name);
    let mut out = Vec::new();
    if let Some(p) = at("path").and_then(|i| row.get(i)).and_then(Value::as_str) {
        out.extend(relative(p));
    }
    let variants = at("variants")
        .and_then(|i| row.get(i))
        .and_then(Value::as_str)
        .and_then(|v| serde_json::from_str::<Vec<Value>>(v).ok())
        .unwrap_or_default();
    for v in variants {
        if let Some(p) = v.get("path").and_then(Value::as_str) {
            out.extend(relative(p));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `/media/uploads/2026/11/a%20b-480.jpg` → `uploads/2026/11/a b-480.jpg`,
/// or nothing for a path that is not a safe file under the media folder.
pub fn relative(url_path: &str) -> Option<String> {
    let rest = url_path.strip_prefix("/media/")?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()?
        .into_owned();
    safe(&decoded).then_some(decoded)
}

/// A relative path of normal parts only, ending in an image type.
pub fn safe(relative: &str) -> bool {
    let path = Path::new(relative);
    let parts_ok = !relative.is_empty()
        && !relative.contains('\\')
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(p) if !p.is_empty()));
    let ext_ok = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_TYPES.contains(&e.to_ascii_lowercase().as_str()));
    parts_ok && ext_ok
}

/// Where `relative` lives in a data directory.
pub fn on_disk(data_dir: &Path, relative: &str) -> PathBuf {
    data_dir.join("media").join(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_inside_the_media_folder() {
        assert_eq!(
            relative("/media/uploads/2026/11/a%20b-480.jpg").as_deref(),
            Some("uploads/2026/11/a b-480.jpg")
        );
        for bad in [
            "/media/../etc/passwd.jpg",
            "/media/uploads/%2e%2e/%2e%2e/x.jpg",
            "/media//etc/x.jpg",
            "/media/uploads/page.html",
            "/media/uploads/x.jpg/..",
            "/elsewhere/x.jpg",
            "/media/uploads\\..\\x.jpg",
        ] {
            assert_eq!(relative(bad), None, "{bad}");
        }
        assert!(!safe("/abs/x.png"));
        assert!(safe("uploads/2026/11/x-1600.WEBP"));
    }
}
