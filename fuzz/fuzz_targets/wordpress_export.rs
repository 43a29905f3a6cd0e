//! A WordPress export file, read as the importer reads it: the reader never
//! panics and ends (a fatal error is its last entry), and every post it
//! gives can be mapped to an article without panicking, with old addresses
//! that are keys (`/`-rooted, no trailing slash).
#![no_main]

use dateline_fuzz::text;
use dateline_wordpress::article::{Catalog, Disposition, MapOptions, map_post};
use dateline_wordpress::{Entry, WxrReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(xml) = text(data) else { return };
    let mut catalog = Catalog::default();
    let options = MapOptions {
        meta: vec![("outlet".into(), dateline_wordpress::article::MetaField::Outlet)],
        language: "en".into(),
    };
    let mut fatal = false;
    for entry in WxrReader::new(xml.as_bytes()) {
        assert!(!fatal, "an entry after a fatal error, from {xml:?}");
        match entry {
            Ok(Entry::Site(site)) => catalog.site = site,
            Ok(Entry::Author(a)) => {
                catalog.authors.insert(a.login.clone(), a);
            }
            Ok(Entry::Term(t)) => {
                catalog.categories.insert(t.slug.clone(), t);
            }
            Ok(Entry::Post(post)) => {
                if let Disposition::Article(m) = map_post(&post, &catalog, &options) {
                    for p in &m.old_paths {
                        assert!(p.starts_with('/'), "{p:?} from {xml:?}");
                        assert!(p == "/" || !p.ends_with('/'), "{p:?} from {xml:?}");
                    }
                    let _ = m.input.validate(&dateline_core::language::Language::english(), chrono::Utc::now());
                }
            }
            Err(e) => fatal = e.fatal,
        }
    }
});
