//! Static assets (stylesheet, icon) built into the binary and served under
//! names that carry a hash of their content, so they can be cached forever
//! and a new release is never hidden behind an old copy.

use axum::body::Bytes;
use std::collections::HashMap;

struct Asset {
    bytes: Bytes,
    content_type: &'static str,
}

pub struct Assets {
    by_path: HashMap<String, Asset>,
    urls: HashMap<&'static str, String>,
}

const BUILT_IN: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/style.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../assets/icon.svg"),
    ),
    (
        "comments.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/comments.js"),
    ),
    (
        "admin.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/admin.css"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/admin.js"),
    ),
];

impl Assets {
    pub fn embedded() -> Self {
        let mut by_path = HashMap::new();
        let mut urls = HashMap::new();
        for (name, content_type, bytes) in BUILT_IN {
            let hash = xxhash_rust::xxh3::xxh3_64(bytes);
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            let file = format!("{stem}.{:012x}.{ext}", hash & 0xffff_ffff_ffff);
            urls.insert(*name, format!("/static/{file}"));
            by_path.insert(
                file,
                Asset {
                    bytes: Bytes::from_static(bytes),
                    content_type,
                },
            );
        }
        Self { by_path, urls }
    }

    /// The versioned URL of a built-in asset, e.g. `/static/style.1a2b3c4d5e6f.css`.
    pub fn url(&self, name: &str) -> String {
        self.urls
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("/static/{name}"))
    }

    /// The content type and bytes of the asset at a versioned file name.
    pub fn get(&self, file: &str) -> Option<(&'static str, Bytes)> {
        let asset = self.by_path.get(file)?;
        Some((asset.content_type, asset.bytes.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_templates_name_is_built_in() {
        let assets = Assets::embedded();
        for name in [
            "style.css",
            "icon.svg",
            "admin.css",
            "admin.js",
            "comments.js",
        ] {
            let url = assets.url(name);
            let file = url.trim_start_matches("/static/");
            assert!(assets.get(file).is_some(), "{name} is not built in ({url})");
        }
    }
}
