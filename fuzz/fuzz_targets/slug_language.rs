//! Slugs and language tags as they come in URLs and forms: never a panic; a
//! slug that parses is its own canonical form, a slug made from any text is
//! valid, and a language tag that parses parses again to itself.
#![no_main]

use dateline_core::{Language, Slug};
use dateline_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    if let Ok(slug) = Slug::parse(text) {
        assert_eq!(Slug::parse(slug.as_str()).as_ref(), Ok(&slug));
    }
    // Every fallback the code uses; three are the site's own paths.
    for fallback in ["article", "author", "tag", "section", "image"] {
        let made = Slug::from_text(text, fallback);
        assert_eq!(
            Slug::parse(made.as_str()).as_ref(),
            Ok(&made),
            "from {text:?}"
        );
    }
    if let Ok(language) = Language::parse(text) {
        assert_eq!(Language::parse(language.as_str()).as_ref(), Ok(&language));
        let _ = (
            language.direction(),
            language.english_name(),
            language.native_name(),
        );
    }
});
