//! An article file (TOML front matter, then Markdown): parsing never panics,
//! whatever it accepts goes through validation without panicking, and a
//! draft that validates keeps the promises storage relies on.
#![no_main]

use chrono::{TimeZone, Utc};
use dateline_core::article::{ArticleStatus, MAX_BODY_BYTES, MAX_HEADLINE_CHARS, MAX_TAGS};
use dateline_core::{Language, Slug, front_matter};
use dateline_fuzz::text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let Ok(file) = front_matter::parse(text) else {
        return;
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    let draft = match file.input.validate(&Language::english(), now) {
        Ok(draft) => draft,
        Err(errors) => {
            assert!(!errors.is_empty(), "refused without a reason: {text:?}");
            return;
        }
    };
    assert!(!draft.headline.is_empty());
    assert!(draft.headline.chars().count() <= MAX_HEADLINE_CHARS);
    assert!(draft.body_markdown.len() <= MAX_BODY_BYTES + 1);
    assert!(draft.tags.len() <= MAX_TAGS);
    for slug in std::iter::once(&draft.slug)
        .chain(draft.authors.iter().map(|a| &a.slug))
        .chain(draft.tags.iter().map(|t| &t.slug))
        .chain(draft.section.iter().map(|s| &s.slug))
        .chain(draft.translation_of.iter())
    {
        assert_eq!(Slug::parse(slug.as_str()).as_ref(), Ok(slug), "{text:?}");
    }
    match draft.status {
        ArticleStatus::Scheduled => assert!(draft.published_at.is_some_and(|t| t > now)),
        ArticleStatus::Published | ArticleStatus::Archived => {
            assert!(draft.published_at.is_some_and(|t| t <= now))
        }
        ArticleStatus::Draft => {}
    }
    if let Some(image) = &draft.featured_image {
        assert!(
            dateline_core::article::is_acceptable_link(&image.url),
            "{text:?}"
        );
    }
});
