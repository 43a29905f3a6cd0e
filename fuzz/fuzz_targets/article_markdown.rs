//! An article body, Markdown to the HTML Dateline stores and the body an
//! article page shows. Never panics; the stored HTML is a fixed point of the
//! stored policy (`dateline_render::is_clean`: re-sanitizing changes
//! nothing) and holds no element, attribute or URL scheme the policy
//! forbids (the attribute marking a question's paragraph included); the
//! page's body (dateline, markers and classes added) is a fixed point of
//! the page policy; plain text and excerpts hold no control or private-use
//! character. Refusals (too large, too deep, too many elements) are fine.
#![no_main]

use dateline_fuzz::{ARTICLE_POLICY, assert_within_policy, text};
use dateline_render::{ParagraphExtras, excerpt, is_clean, is_clean_page, page_body, plain_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(markdown) = text(data) else { return };
    let Ok(rendered) = dateline_render::render_article(markdown) else {
        return;
    };
    let anchors: Vec<String> = (1..=rendered.passages.len())
        .map(|i| format!("p{i}"))
        .collect();
    let Ok(html) = rendered.html(&anchors) else {
        return;
    };
    assert!(
        is_clean(&html),
        "the stored HTML is not a fixed point of the stored policy: {html:?} from {markdown:?}"
    );
    // The question's marking attribute is outside the policy: this also
    // checks that none survives.
    assert_within_policy(&html, &ARTICLE_POLICY, markdown);
    let words = plain_text(&html);
    for c in words.chars().chain(excerpt(&words, 280).chars()) {
        assert!(
            !(('\u{E000}'..='\u{F8FF}').contains(&c) || c.is_control() && c != '\n'),
            "{c:?} in the text {words:?} from {markdown:?}"
        );
    }
    let extras: Vec<ParagraphExtras> = rendered
        .passages
        .iter()
        .zip(&anchors)
        .map(|(p, anchor)| ParagraphExtras {
            class: p.question.as_ref().map(|_| "asked"),
            last: format!(
                "\u{a0}<a class=\"passage-marker\" href=\"/report/{anchor}\" data-anchor=\"{anchor}\"><span class=\"marker-icon\" aria-hidden=\"true\">+</span></a>"
            ),
        })
        .collect();
    let page = page_body(
        &html,
        Some("<span class=\"dateline\">BAGHDAD</span> "),
        &extras,
    );
    assert!(
        is_clean_page(&page),
        "the page body is not a fixed point of the page policy: {page:?} from {markdown:?}"
    );
});
