//! What a reader sends with a comment (body, name, email, website, separated
//! by 0x1F) through the checks and hold rules: never panics; an accepted
//! comment is normalised as the checks promise; and the hold rule's link
//! count sees every link the rendered comment will show.
#![no_main]

use dateline_core::comment::{CommentInput, CommentSettings, count_links, hold_reason};
use dateline_core::newsletter::normalize_email;
use dateline_fuzz::{fields, link_count, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else { return };
    let [body, name, email, website] = fields(text);
    let settings = CommentSettings {
        blocked_words: vec!["casino".into(), "  ".into()],
        ..CommentSettings::default()
    };
    let input = CommentInput {
        body: body.into(),
        name: name.into(),
        email: email.into(),
        website: website.into(),
    };
    let rendered = dateline_render::render_comment(body);
    assert!(
        count_links(body) >= link_count(&rendered),
        "the hold rule counts {} links, the page shows {}: {body:?} → {rendered}",
        count_links(body),
        link_count(&rendered)
    );
    let Ok(draft) = input.validate(&settings) else {
        return;
    };
    assert!(!draft.body.is_empty() && draft.body.trim() == draft.body);
    assert!(draft.body.chars().count() <= settings.max_chars as usize);
    assert!(!draft.body.contains("\r\n"));
    assert!(!draft.name.is_empty() && draft.name.chars().count() <= 80);
    assert_eq!(
        draft.name.split_whitespace().collect::<Vec<_>>().join(" "),
        draft.name
    );
    assert_eq!(
        normalize_email(&draft.email).as_deref(),
        Ok(draft.email.as_str())
    );
    assert!(
        draft.website.is_empty()
            || draft.website.starts_with("https://")
            || draft.website.starts_with("http://"),
        "{:?}",
        draft.website
    );
    let _ = hold_reason(&draft, &settings, false);
    let _ = hold_reason(&draft, &settings, true);
});
