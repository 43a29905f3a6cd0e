//! Readers' comments: a small Markdown subset (emphasis, links, quotes, code,
//! lists) to sanitized HTML. Raw HTML a reader types is shown as text, not
//! interpreted; headings, images and tables are not part of the subset and
//! come out as plain paragraphs and link text. Links are marked as user
//! content (`rel="nofollow ugc noopener"`). Quotes and lists nested
//! deeper than `MAX_NESTING` are shown flat: the HTML parser's cost grows
//! with the square of the depth (50,000 `>` took 7 seconds), and no reader
//! needs more.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use std::collections::HashSet;
use std::sync::LazyLock;

static COMMENT_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut b = ammonia::Builder::default();
    b.tags(tags)
        .tag_attributes(Default::default())
        .generic_attributes(HashSet::new())
        .add_tag_attributes("a", ["href"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("nofollow ugc noopener"));
    b
});

/// How deep a comment's elements may nest before deeper ones are dropped
/// (their words stay, in the deepest element kept).
const MAX_NESTING: usize = 16;

/// Renders a comment's Markdown to HTML safe to put on a page.
pub fn render_comment(markdown: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).filter_map(outside_subset);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, flattened(events));
    sanitize_comment_html(&raw)
}

/// HTML through the comments' policy: only the subset's elements, `href`
/// with http(s) or mailto, `rel="nofollow ugc noopener"` on every link.
/// What `render_comment` gives comes through it unchanged (the fuzz target
/// `comment_markdown` checks that it does).
pub fn sanitize_comment_html(html: &str) -> String {
    COMMENT_SANITIZER.clean(html).to_string()
}

/// `events` with every element deeper than `MAX_NESTING` taken out, its
/// start and its end alike.
fn flattened<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut kept: Vec<bool> = Vec::new();
    let mut depth = 0;
    events.filter(move |event| match event {
        Event::Start(_) => {
            let keep = depth < MAX_NESTING;
            depth += usize::from(keep);
            kept.push(keep);
            keep
        }
        Event::End(_) => {
            let keep = kept.pop().unwrap_or(true);
            depth -= usize::from(keep && depth > 0);
            keep
        }
        _ => true,
    })
}

/// Keeps the subset; turns the rest into what a reader would expect to see.
fn outside_subset(event: Event<'_>) -> Option<Event<'_>> {
    match event {
        // Typed HTML is text: a reader writing "<b>" meant those characters.
        Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
        Event::Start(Tag::Heading { .. }) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::Heading(_)) => Some(Event::End(TagEnd::Paragraph)),
        // An image becomes its alt text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        Event::Rule => None,
        other => Some(other),
    }
}

/// The words of a comment without markup, for feeds' summaries and mail.
pub fn comment_text(markdown: &str) -> String {
    let mut out = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_subset() {
        let html = render_comment(
            "I *agree* with **this**.\n\n> quoted\n\n- one\n- two\n\n`x = 1`\n\n[source](https://example.org/a)",
        );
        for want in [
            "<em>agree</em>",
            "<strong>this</strong>",
            "<blockquote>",
            "<li>one</li>",
            "<code>x = 1</code>",
            r#"<a href="https://example.org/a" rel="nofollow ugc noopener">source</a>"#,
        ] {
            assert!(html.contains(want), "{want} missing from {html}");
        }
    }

    #[test]
    fn typed_html_is_text() {
        let html = render_comment("<b>bold</b> <script>alert(1)</script>");
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn nothing_runs_and_nothing_outside_the_subset() {
        for hostile in [
            "[x](javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "![img](https://evil.example/x.png)",
            "# heading",
            "<img src=x onerror=alert(1)>",
            "[x](/relative \"t\")",
            "<a href=\"https://e.example\" onclick=\"alert(1)\">a</a>",
        ] {
            let html = render_comment(hostile);
            for bad in ["javascript:", "data:", "<img", "<h1", "href=\"/"] {
                assert!(
                    !html.contains(bad),
                    "{bad} survived in {html} from {hostile}"
                );
            }
            // Inside tags, only the attributes the subset allows.
            for tag in html.split('<').skip(1).filter_map(|t| t.split_once('>')) {
                for attr in tag.0.split_whitespace().skip(1) {
                    let name = attr.split('=').next().unwrap_or_default();
                    assert!(
                        ["href", "rel", "start", "noopener\"", "ugc"].contains(&name),
                        "{name} in {html}"
                    );
                }
            }
        }
    }

    #[test]
    fn deep_nesting_is_flat_and_quick() {
        let started = std::time::Instant::now();
        let html = render_comment(&format!("{}deep", ">".repeat(50_000)));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(html.matches("<blockquote>").count(), MAX_NESTING);
        assert!(html.contains("deep"));
        let lists: String = (0..200)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        let html = render_comment(&lists);
        assert!(html.matches("<ul>").count() <= MAX_NESTING, "{html}");
        assert_eq!(html.matches('x').count(), 200, "every item's words stay");
    }

    #[test]
    fn plain_text() {
        assert_eq!(comment_text("A *b*\n\n- c\n- d"), "A b c d");
    }
}
