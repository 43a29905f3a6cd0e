//! WordPress content as the importer converts it. A post's body: never
//! panics, never holds a blank line (so Markdown reads it as one HTML block
//! and interprets nothing in it), and the article renderer takes it, its
//! stored HTML within the stored policy. A comment: its Markdown renders
//! within the comments' policy. Names and meta as text never panic.
#![no_main]

use dateline_fuzz::{ARTICLE_POLICY, COMMENT_POLICY, assert_within_policy, text};
use dateline_wordpress::content::{self, Attachment, Context};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let Some(raw) = text(data) else { return };
    let attachments = HashMap::from([(
        4,
        Attachment {
            url: "https://old.example/wp-content/uploads/2024/03/a.jpg".into(),
            parent: 7,
            alt: "An \"alt\" <text>".into(),
            caption: "A caption".into(),
        },
    )]);
    let out = content::post_body(
        raw,
        &Context {
            post_id: 7,
            attachments: &attachments,
        },
    );
    assert!(
        !out.html.split('\n').any(|l| l.trim().is_empty()) || out.html.is_empty(),
        "a blank line in the body {:?} from {raw:?}",
        out.html
    );
    if let Ok(rendered) = dateline_render::render_article(&out.html) {
        let anchors: Vec<String> = (1..=rendered.passages.len())
            .map(|i| format!("p{i}"))
            .collect();
        if let Ok(html) = rendered.html(&anchors) {
            assert!(dateline_render::is_clean(&html), "{html:?} from {raw:?}");
            assert_within_policy(&html, &ARTICLE_POLICY, raw);
        }
    }
    let markdown = content::comment_markdown(raw);
    let html = dateline_render::render_comment(&markdown);
    assert_within_policy(&html, &COMMENT_POLICY, &markdown);
    let _ = content::plain_text(raw);
    let _ = dateline_wordpress::php::meta_text(raw);
});
