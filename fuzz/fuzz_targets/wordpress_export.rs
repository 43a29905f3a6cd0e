//! A WordPress export file, read as the importer reads it: the reader never
//! panics and ends (a fatal error is its last entry), a long thread's parts
//! follow their post and end with a last one, and every post it
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
        meta: vec![(
            "outlet".into(),
            dateline_wordpress::article::MetaField::Outlet,
        )],
        language: "en".into(),
    };
    let mut fatal = false;
    // The post whose comments come by parts (two to an entry here).
    let mut open: Option<i64> = None;
    for entry in WxrReader::new(xml.as_bytes()).with_comments_per_entry(2) {
        assert!(!fatal, "an entry after a fatal error, from {xml:?}");
        if let Ok(Entry::Comments { post_id, last, .. }) = &entry {
            assert_eq!(open, Some(*post_id), "a part of no open post, from {xml:?}");
            if *last {
                open = None;
            }
            continue;
        }
        if entry.is_ok() {
            assert_eq!(open, None, "an entry inside a long thread, from {xml:?}");
        }
        match entry {
            Ok(Entry::Site(site)) => catalog.site = site,
            Ok(Entry::Author(a)) => {
                catalog.authors.insert(a.login.clone(), a);
            }
            Ok(Entry::Term(t)) => {
                catalog.categories.insert(t.slug.clone(), t);
            }
            Ok(Entry::Post(post)) => {
                if post.more_comments {
                    open = Some(post.id);
                }
                if let Disposition::Article(m) = map_post(&post, &catalog, &options) {
                    for p in &m.old_paths {
                        assert!(p.starts_with('/'), "{p:?} from {xml:?}");
                        assert!(p == "/" || !p.ends_with('/'), "{p:?} from {xml:?}");
                    }
                    let _ = m.input.validate(
                        &dateline_core::language::Language::english(),
                        chrono::Utc::now(),
                    );
                }
            }
            Ok(Entry::Comments { .. }) => {}
            Err(e) => fatal = e.fatal,
        }
    }
    assert!(
        fatal || open.is_none(),
        "a long thread never closed, from {xml:?}"
    );
});
