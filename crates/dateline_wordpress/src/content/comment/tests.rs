use super::*;

#[test]
fn converts_paragraphs_and_line_breaks() {
    assert_eq!(
        comment_markdown("First line\nsecond line\n\nNew paragraph."),
        "First line\\\nsecond line\n\nNew paragraph."
    );
    assert_eq!(
        comment_markdown("<p>One</p>\n<p>Two<br />\nlines</p>"),
        "One\n\nTwo\\\nlines"
    );
    assert_eq!(comment_markdown("  \n\n  "), "");
}

#[test]
fn converts_emphasis_and_links() {
    assert_eq!(
        comment_markdown(
            r#"I <em>really</em> <strong>agree</strong> with <a href="https://example.com/a?b=1&amp;c=2">this piece</a>."#
        ),
        "I *really* **agree** with [this piece](<https://example.com/a?b=1&c=2>)."
    );
    assert_eq!(
        comment_markdown("<b> spaced </b>word <i></i>x <del>old</del> <cite>Title</cite>"),
        "**spaced** word x ~~old~~ *Title*"
    );
    assert_eq!(
        comment_markdown(r#"<a href="mailto:a@b.test">mail</a> <a href="/rel">rel</a>"#),
        "[mail](<mailto:a@b.test>) rel"
    );
}

#[test]
fn unsafe_links_keep_only_their_text() {
    assert_eq!(
        comment_markdown(
            r#"<a href="javascript:alert(1)">click</a> <a href=" JaVaScRiPt:x">two</a> <a>three</a>"#
        ),
        "click two three"
    );
}

#[test]
fn converts_quotes_lists_and_code() {
    assert_eq!(
        comment_markdown("<blockquote>Quoted\n\nTwice</blockquote>\nReply"),
        "> Quoted\n>\n> Twice\n\nReply"
    );
    assert_eq!(
        comment_markdown("<ul>\n<li>one</li>\n<li>two <em>x</em></li>\n</ul>"),
        "- one\n- two *x*"
    );
    assert_eq!(
        comment_markdown("<ol start=\"3\"><li>c<li>d</ol>"),
        "3. c\n4. d"
    );
    assert_eq!(
        comment_markdown("<ul><li>a<ul><li>b</li></ul></li></ul>"),
        "- a\n  - b"
    );
    assert_eq!(
        comment_markdown("Use <code>a*b_c</code> or <code>x`y</code>"),
        "Use `a*b_c` or ``x`y``"
    );
    assert_eq!(
        comment_markdown("<pre>\nfn main() {\n\n    x &lt; 1;\n}\n</pre>"),
        "```\nfn main() {\n\n    x < 1;\n}\n```"
    );
}

#[test]
fn other_tags_stay_text() {
    let markdown = comment_markdown("Hi <script>alert(1)</script> <img src=x onerror=alert(1)>!");
    assert_eq!(
        markdown,
        "Hi \\<script>alert(1)\\</script> \\<img src=x onerror=alert(1)>!"
    );
    assert!(!markdown.contains(" <"));
    assert!(!markdown.starts_with('<'));
}

#[test]
fn decodes_entities() {
    assert_eq!(
        comment_markdown("Tom &amp; Jerry&#8217;s &quot;show&quot; &lt;b&gt; &amp;copy;"),
        "Tom & Jerry’s \"show\" \\<b> \\&copy;"
    );
}

#[test]
fn escapes_markdown_from_text() {
    assert_eq!(
        comment_markdown(
            "# not a heading\n> not a quote\n- not a list\n1. not a list\n2024) nor this\n+ x\n=== no"
        ),
        "\\# not a heading\\\n\\> not a quote\\\n\\- not a list\\\n1\\. not a list\\\n2024\\) nor this\\\n\\+ x\\\n\\=== no"
    );
    assert_eq!(
        comment_markdown("a *star* and _under_ and [link](x) and `tick` and ~tilde~ and \\"),
        "a \\*star\\* and \\_under\\_ and \\[link\\](x) and \\`tick\\` and \\~tilde\\~ and \\\\"
    );
    assert_eq!(comment_markdown("    indented"), "indented");
}

#[test]
fn keeps_emoji_and_other_scripts() {
    assert_eq!(comment_markdown("شكراً 👍🏽 <em>😀</em>"), "شكراً 👍🏽 *😀*");
}

#[test]
fn strips_control_characters() {
    assert_eq!(comment_markdown("a\u{1}b&#2;c\r\nd&#13;e"), "abc\\\nd e");
}

#[test]
fn survives_deep_and_broken_markup() {
    let deep = "<blockquote>".repeat(1000) + "x" + &"</blockquote>".repeat(1000);
    let markdown = comment_markdown(&deep);
    assert!(markdown.ends_with('x'));
    assert!(markdown.matches('>').count() <= MAX_NESTING + 1);
    let spans = "<em><strong>".repeat(500) + "y";
    assert!(comment_markdown(&spans).contains('y'));
    for raw in [
        "<",
        "<a href=",
        "</li></ul></blockquote>",
        "<li>",
        "<pre>",
        "<code>",
        "<ol start=99999999999999999999><li>x",
    ] {
        let _ = comment_markdown(raw);
    }
}
