//! A reader's comment, Markdown to HTML: never panics, and what comes out is
//! a fixed point of the comments' sanitizer policy (nothing it forbids, every
//! link `rel="nofollow ugc noopener"`). The plain text never panics either.
#![no_main]

use dateline_fuzz::{COMMENT_POLICY, assert_within_policy, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(markdown) = text(data) else { return };
    let html = dateline_render::render_comment(markdown);
    assert_eq!(
        dateline_render::sanitize_comment_html(&html),
        html,
        "sanitizing the output again changed it; from {markdown:?}"
    );
    assert_within_policy(&html, &COMMENT_POLICY, markdown);
    let _ = dateline_render::comment_text(markdown);
});
