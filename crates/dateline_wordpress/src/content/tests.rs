use super::*;

fn attachment(url: &str, parent: i64, alt: &str) -> Attachment {
    Attachment {
        url: url.to_owned(),
        parent,
        alt: alt.to_owned(),
        caption: String::new(),
    }
}

fn library() -> HashMap<i64, Attachment> {
    HashMap::from([
        (
            3,
            attachment("https://old.test/wp-content/uploads/c.jpg", 7, "Third"),
        ),
        (
            4,
            attachment(
                "https://old.test/wp-content/uploads/a.png",
                7,
                "First \"one\"",
            ),
        ),
        (
            5,
            attachment("https://old.test/wp-content/uploads/b.jpg", 9, "Elsewhere"),
        ),
        (
            6,
            attachment("https://old.test/wp-content/uploads/notes.pdf", 7, ""),
        ),
        (
            8,
            attachment("https://old.test/wp-content/uploads/song.mp3", 7, ""),
        ),
    ])
}

fn convert(raw: &str) -> Converted {
    let attachments = library();
    post_body(
        raw,
        &Context {
            post_id: 7,
            attachments: &attachments,
        },
    )
}

fn html(raw: &str) -> String {
    convert(raw).html
}

/// Whether `html` is one CommonMark HTML block of type 6.
fn is_one_html_block(html: &str) -> bool {
    html.is_empty() || (starts_type_6(html) && !html.split('\n').any(text::is_blank))
}

#[test]
fn empty_input_gives_an_empty_body() {
    let converted = convert("");
    assert_eq!(converted.html, "");
    assert!(converted.images.is_empty() && converted.unknown_shortcodes.is_empty());
    assert_eq!(html(" \n\n \t\n"), "");
}

#[test]
fn gutenberg_block_comments_go() {
    let raw = r#"<!-- wp:paragraph -->
<p>Opening <em>words</em>.</p>
<!-- /wp:paragraph -->

<!-- wp:heading {"level":3,"className":"x"} -->
<h3 class="wp-block-heading x">A heading</h3>
<!-- /wp:heading -->

<!-- wp:image {"id":5,"sizeSlug":"large","linkDestination":"none"} -->
<figure class="wp-block-image size-large"><img src="https://old.test/wp-content/uploads/b.jpg?w=1&amp;h=2" alt="A bridge" class="wp-image-5"/><figcaption class="wp-element-caption">The bridge</figcaption></figure>
<!-- /wp:image -->

<!-- wp:separator /-->

<!-- wp:list -->
<ul class="wp-block-list"><!-- wp:list-item -->
<li>One</li>
<!-- /wp:list-item -->

<!-- wp:list-item -->
<li>Two
with a line end</li>
<!-- /wp:list-item --></ul>
<!-- /wp:list -->

<!--more-->"#;
    let converted = convert(raw);
    assert_eq!(
        converted.html,
        r#"<p>Opening <em>words</em>.</p>
<h3 class="wp-block-heading x">A heading</h3>
<figure class="wp-block-image size-large"><img src="https://old.test/wp-content/uploads/b.jpg?w=1&amp;h=2" alt="A bridge" class="wp-image-5"/><figcaption class="wp-element-caption">The bridge</figcaption></figure>
<ul class="wp-block-list">
<li>One</li>
<li>Two
with a line end</li>
</ul>
<!--more-->"#
    );
    assert_eq!(
        converted.images,
        ["https://old.test/wp-content/uploads/b.jpg?w=1&h=2"]
    );
}

#[test]
fn gutenberg_embeds_become_links() {
    let raw = r#"<!-- wp:embed {"url":"https://www.youtube.com/watch?v=x1","type":"video"} -->
<figure class="wp-block-embed is-type-video"><div class="wp-block-embed__wrapper">
https://www.youtube.com/watch?v=x1
</div></figure>
<!-- /wp:embed -->"#;
    assert_eq!(
        html(raw),
        "<figure class=\"wp-block-embed is-type-video\"><div class=\"wp-block-embed__wrapper\">\n<p><a href=\"https://www.youtube.com/watch?v=x1\">https://www.youtube.com/watch?v=x1</a></p>\n</div></figure>"
    );
}

#[test]
fn classic_text_becomes_paragraphs_and_line_breaks() {
    assert_eq!(
        html(
            "First paragraph,\nsecond line.\n\nSecond paragraph.\r\n\r\n\r\nThird *stays* _as_ is."
        ),
        "<p>First paragraph,<br>\nsecond line.</p>\n<p>Second paragraph.</p>\n<p>Third *stays* _as_ is.</p>"
    );
}

#[test]
fn a_caption_with_a_linked_image_becomes_a_figure() {
    let converted = convert(
        r#"Before.

[caption id="attachment_4" align="alignright" width="300"]<a href="https://old.test/big.png"><img class="size-medium" src="https://old.test/wp-content/uploads/a.png" alt="Harbour" width="300" height="200" /></a> The harbour at <em>dawn</em>[/caption]

After."#,
    );
    assert_eq!(
        converted.html,
        r#"<p>Before.</p>
<figure><a href="https://old.test/big.png"><img class="size-medium" src="https://old.test/wp-content/uploads/a.png" alt="Harbour" width="300" height="200" /></a><figcaption>The harbour at <em>dawn</em></figcaption></figure>
<p>After.</p>"#
    );
    assert_eq!(
        converted.images,
        ["https://old.test/wp-content/uploads/a.png"]
    );
    assert!(converted.unknown_shortcodes.is_empty());
}

#[test]
fn a_caption_attribute_is_the_caption() {
    assert_eq!(
        html(
            r#"[caption id="" align="alignnone" width="200" caption="Old &amp; wise"]<img src="/wp-content/uploads/x.jpg" alt="" />[/caption]"#
        ),
        r#"<figure><img src="/wp-content/uploads/x.jpg" alt="" /><figcaption>Old &amp; wise</figcaption></figure>"#
    );
}

#[test]
fn a_caption_inside_text_stands_apart() {
    assert_eq!(
        html(r#"Text [wp_caption]<img src="/a.jpg">Cap[/wp_caption] more"#),
        "<p>Text</p>\n<figure><img src=\"/a.jpg\"><figcaption>Cap</figcaption></figure>\n<p>more</p>"
    );
}

#[test]
fn a_caption_inside_an_unknown_shortcode_is_expanded() {
    let converted = convert(
        "[column width=\"1/2\"]Left\n\n[caption]<img src=\"/wp-content/uploads/x.jpg\" alt=\"\"> Cap[/caption][/column]",
    );
    assert_eq!(
        converted.html,
        "<p>Left</p>\n<figure><img src=\"/wp-content/uploads/x.jpg\" alt=\"\"><figcaption>Cap</figcaption></figure>"
    );
    assert_eq!(converted.unknown_shortcodes, ["column"]);
    assert_eq!(converted.images, ["/wp-content/uploads/x.jpg"]);
}

#[test]
fn a_gallery_with_ids_shows_them_in_order() {
    let converted = convert(r#"[gallery ids="4, 99,3" columns="2"]"#);
    assert_eq!(
        converted.html,
        r#"<figure><img src="https://old.test/wp-content/uploads/a.png" alt="First &quot;one&quot;"><img src="https://old.test/wp-content/uploads/c.jpg" alt="Third"></figure>"#
    );
    assert_eq!(
        converted.images,
        [
            "https://old.test/wp-content/uploads/a.png",
            "https://old.test/wp-content/uploads/c.jpg"
        ]
    );
}

#[test]
fn a_gallery_without_ids_shows_the_posts_images_by_id() {
    assert_eq!(
        html("[gallery]"),
        r#"<figure><img src="https://old.test/wp-content/uploads/c.jpg" alt="Third"><img src="https://old.test/wp-content/uploads/a.png" alt="First &quot;one&quot;"></figure>"#
    );
    let attachments = library();
    let unknown_post = post_body(
        "[gallery]",
        &Context {
            post_id: 1234,
            attachments: &attachments,
        },
    );
    assert_eq!(unknown_post.html, "");
}

#[test]
fn an_embed_becomes_a_link() {
    assert_eq!(
        html("Watch:\n\n[embed width=\"500\"]https://vimeo.com/1?a=1&amp;b=2[/embed]"),
        "<p>Watch:</p>\n<p><a href=\"https://vimeo.com/1?a=1&amp;b=2\">https://vimeo.com/1?a=1&amp;b=2</a></p>"
    );
    assert_eq!(
        html("[embed]javascript:alert(1)[/embed]"),
        "<p>javascript:alert(1)</p>"
    );
}

#[test]
fn audio_and_video_become_links_to_their_files() {
    assert_eq!(
        html(r#"[audio mp3="https://old.test/wp-content/uploads/Interview%20One.mp3"][/audio]"#),
        r#"<p><a href="https://old.test/wp-content/uploads/Interview%20One.mp3">Listen: Interview One.mp3</a></p>"#
    );
    assert_eq!(
        html(r#"[video width="640" mp4="/wp-content/uploads/clip.mp4" poster="/p.jpg"]"#),
        r#"<p><a href="/wp-content/uploads/clip.mp4">Watch: clip.mp4</a></p>"#
    );
}

#[test]
fn a_playlist_lists_its_files() {
    assert_eq!(
        html(r#"[playlist ids="8"]"#),
        r#"<ul><li><a href="https://old.test/wp-content/uploads/song.mp3">song.mp3</a></li></ul>"#
    );
    assert_eq!(html("[playlist]"), html(r#"[playlist ids="8"]"#));
}

#[test]
fn unknown_shortcodes_are_listed_and_removed() {
    let converted = convert(
        "[contact-form-7 id=\"5\" title=\"Contact\"]\n\nIntro.\n\n[pullquote align=\"left\"]A quoted line[/pullquote]\n\n[pullquote]Another[/pullquote]",
    );
    assert_eq!(
        converted.html,
        "<p>Intro.</p>\n<p>A quoted line</p>\n<p>Another</p>"
    );
    assert_eq!(
        converted.unknown_shortcodes,
        ["contact-form-7", "pullquote", "pullquote"]
    );
}

#[test]
fn brackets_in_reporting_stay() {
    let converted =
        convert("The minister said he [sic] would resign [1]. [Editor's note: he did.]");
    assert_eq!(
        converted.html,
        "<p>The minister said he [sic] would resign [1]. [Editor's note: he did.]</p>"
    );
    assert!(converted.unknown_shortcodes.is_empty());
}

#[test]
fn escaped_shortcodes_are_shown() {
    let converted = convert("Use [[caption]] to caption, and [[gallery ids=\"1\"]].");
    assert_eq!(
        converted.html,
        "<p>Use [caption] to caption, and [gallery ids=\"1\"].</p>"
    );
    assert!(converted.unknown_shortcodes.is_empty());
}

#[test]
fn a_bare_url_paragraph_becomes_a_link() {
    assert_eq!(
        html("Look:\n\nhttps://twitter.com/x/status/1\n\nhttp://example.com/a b"),
        "<p>Look:</p>\n<p><a href=\"https://twitter.com/x/status/1\">https://twitter.com/x/status/1</a></p>\n<p>http://example.com/a b</p>"
    );
}

#[test]
fn pre_keeps_its_blank_lines_without_blank_lines() {
    let converted = convert(
        "Code:\n\n<pre>line one\n\nline three\n\n\n  line six *x*\n   \nend</pre>\n\nDone.",
    );
    assert_eq!(
        converted.html,
        "<p>Code:</p>\n<pre>line one\n&#10;line three\n&#10;&#10;  line six *x*\n   &#10;end</pre>\n<p>Done.</p>"
    );
    assert!(is_one_html_block(&converted.html));
}

#[test]
fn a_body_starting_with_pre_gets_an_opener() {
    assert_eq!(
        html("<pre>a\n\nb</pre>\nAfter"),
        "<div></div>\n<pre>a\n&#10;b</pre>\n<p>After</p>"
    );
    assert_eq!(
        html("<!--more-->\n\nText"),
        "<div></div>\n<!--more-->\n<p>Text</p>"
    );
}

#[test]
fn a_blockquote_over_blank_lines_keeps_its_structure() {
    assert_eq!(
        html("<blockquote>\n\nPara one\n\nPara two\n\n</blockquote>\n\nAfter"),
        "<blockquote>\n<p>Para one</p>\n<p>Para two</p>\n</blockquote>\n<p>After</p>"
    );
}

#[test]
fn arabic_text_is_intact() {
    let raw = "<!-- wp:paragraph -->\n<p dir=\"rtl\">وصل الوفد إلى بغداد صباح اليوم.</p>\n<!-- /wp:paragraph -->\n\nالفقرة الثانية\nسطر جديد";
    assert_eq!(
        html(raw),
        "<p dir=\"rtl\">وصل الوفد إلى بغداد صباح اليوم.</p>\n<p>الفقرة الثانية\nسطر جديد</p>"
    );
}

#[test]
fn control_characters_are_removed_and_counted() {
    let converted = convert("Bad\u{0}text\u{1b} here\u{FFFF}\u{E000}.");
    assert_eq!(converted.html, "<p>Badtext here.</p>");
    assert_eq!(converted.controls_removed, 4);
}

#[test]
fn every_body_is_one_html_block() {
    let inputs = [
        "plain",
        "  leading spaces\n\n\n\ntrailing  \n\n",
        "<pre>\n\n\nx\n\n</pre>",
        "<PRE class=\"code\">a\n \n\t\nb</PRE>\n\n\n<pre>c\n\nd</pre>",
        "<!-- a comment -->",
        "<!-- wp:paragraph --><!-- /wp:paragraph -->",
        "<script>\n\nalert(1)\n\n</script>",
        "<style>p{}\n\n</style>text",
        "<span>inline</span>\n\n<em>x</em>",
        "    indented code in Markdown\n\n        more",
        "* list?\n\n- item\n\n1. item",
        "# Heading?\n\n> quote?",
        "<div>\n\n<div>\n\n\n</div>\n\n</div>",
        "<ul>\n\n<li>a\n\n\nb</li>\n\n</ul>",
        "<table>\n\n<tr><td>1\n\n2</td></tr>\n\n</table>",
        "<img src=\"a.png\" alt=\"x\n\ny\">",
        "<p>unclosed\n\n<p>paragraphs\n\n",
        "[caption]<img src=\"/a.jpg\">\n\n\nText\n\n[/caption]",
        "[pullquote]\n\nquoted\n\n[/pullquote]",
        "</div>\n\nstray closing",
        "text <pre>never closed\n\n\n",
        "<textarea>\n\n</textarea>",
        "\u{0}\u{1}",
        "&nbsp;\n\n&nbsp;",
        "<!--\n\nunterminated comment",
        "https://example.com\n\nhttps://example.com/<b>",
        "\u{A0}\n\u{A0}\n\nx",
    ];
    for raw in inputs {
        let body = html(raw);
        assert!(is_one_html_block(&body), "{raw:?} gave {body:?}");
        assert!(!body.contains("\n\n"), "{raw:?} gave {body:?}");
        assert_eq!(body, body.trim(), "{raw:?}");
    }
}

#[test]
fn starts_type_6_reads_tags_as_commonmark_does() {
    for yes in [
        "<p>",
        "<P class=x>",
        "</div>",
        "<hr/>",
        "<figure\n",
        "<h2>",
        "<table",
    ] {
        assert!(starts_type_6(yes), "{yes}");
    }
    for no in [
        "<pre>",
        "<span>",
        "<p2>",
        "<paragraph>",
        "text",
        "<!-- x -->",
        "<hr/x>",
        "<script>",
    ] {
        assert!(!starts_type_6(no), "{no}");
    }
}

#[test]
fn urls_for_bodies() {
    for yes in [
        "https://a.test/x",
        "HTTP://A.TEST",
        "/wp-content/uploads/a.jpg",
    ] {
        assert!(is_body_url(yes), "{yes}");
    }
    for no in [
        "javascript:alert(1)",
        "//evil.test/x",
        "/\\evil",
        "https://",
        "data:x",
        "https://a b",
        "https://a\"b",
        "ftp://x",
        "",
    ] {
        assert!(!is_body_url(no), "{no}");
    }
}

#[test]
fn plain_text_for_titles_and_names() {
    assert_eq!(
        plain_text("Tom &amp; Jerry&#8217;s <em>big</em>  day"),
        "Tom & Jerry’s big day"
    );
    assert_eq!(plain_text("<p>One</p><p>Two<br>Three</p>"), "One Two Three");
    assert_eq!(plain_text("  a\u{1}b &#1;c \n\t d "), "ab c d");
    assert_eq!(
        plain_text("x<script>alert(1)</script>y<style>p{}</style>z"),
        "xyz"
    );
    assert_eq!(plain_text("5 &lt; 6 and 7 < 8"), "5 < 6 and 7 < 8");
    assert_eq!(plain_text("بغداد&nbsp;اليوم"), "بغداد اليوم");
    assert_eq!(plain_text(""), "");
}
