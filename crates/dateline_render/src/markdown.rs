use crate::passages::Passage;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use std::collections::HashSet;
use std::sync::LazyLock;

/// An article body, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    /// Sanitized HTML, safe to insert into a page as is. Its paragraphs are
    /// bare `<p>` tags, in the order of `passages`; `with_anchors` gives
    /// them their ids.
    pub html: String,
    /// The words of the body without markup, paragraphs separated by blank lines.
    pub text: String,
    /// Every paragraph of `html`, in order, with the editors' question on it.
    pub passages: Vec<Passage>,
}

static ARTICLE_SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "del",
        "em",
        "figcaption",
        "figure",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "section",
        "span",
    ]
    .into_iter()
    .collect();
    let mut b = ammonia::Builder::default();
    b.tags(tags)
        .add_tag_attributes("img", ["src", "alt", "title", "width", "height"])
        .add_tag_attributes("a", ["href", "title", "id"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("sup", ["class", "id"])
        .add_tag_attributes("section", ["class"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener"));
    b
});

/// Renders an article's Markdown. Headings start at level two (the headline is
/// the page's only `h1`); raw HTML in the Markdown is sanitized, not trusted.
/// A paragraph's last line `{? … }` is the editors' question on it (see
/// `passages.rs`); it leaves the HTML and the text and goes to `passages`.
pub fn render_article(markdown: &str) -> RenderedBody {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let markdown = crate::passages::without_markers(markdown);
    let events: Vec<Event<'_>> = Parser::new_ext(&markdown, options).map(demote_h1).collect();
    let events = crate::passages::mark_questions(events);
    let text = plain_text(&events);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    let (html, passages) =
        crate::passages::take_questions(&ARTICLE_SANITIZER.clean(&raw).to_string());
    RenderedBody {
        html,
        text,
        passages,
    }
}

fn demote_h1(event: Event<'_>) -> Event<'_> {
    use pulldown_cmark::HeadingLevel::{H1, H2};
    match event {
        Event::Start(Tag::Heading {
            level: H1,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: H2,
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(H1)) => Event::End(TagEnd::Heading(H2)),
        other => other,
    }
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut out = String::new();
    for event in events {
        match event {
            Event::Text(t) if crate::passages::is_question(t) => {}
            Event::Text(t) | Event::Code(t) => out.push_str(t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::TableCell,
            ) => {
                let trimmed = out.trim_end().len();
                out.truncate(trimmed);
                out.push_str("\n\n");
            }
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let r =
            render_article("# Big\n\nA *very* [good](https://example.org) day.\n\n- one\n- two\n");
        assert!(r.html.contains("<h2>Big</h2>"), "{}", r.html);
        assert!(r.html.contains("<em>very</em>"));
        assert!(
            r.html
                .contains(r#"<a href="https://example.org" rel="noopener">good</a>"#),
            "{}",
            r.html
        );
        assert_eq!(r.text, "Big\n\nA very good day.\n\none\n\ntwo");
    }

    #[test]
    fn removes_anything_that_could_run() {
        let hostile = concat!(
            "<script>alert(1)</script>\n\n",
            "<img src=x onerror=alert(2)>\n\n",
            "[click](javascript:alert(3))\n\n",
            "<a href=\"data:text/html,<script>alert(4)</script>\">x</a>\n\n",
            "<iframe src=\"https://evil.example\"></iframe>\n\n",
            "<p style=\"background:url(javascript:alert(5))\">styled</p>\n",
        );
        let html = render_article(hostile).html;
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "data:",
            "<iframe",
            "style=",
        ] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }

    #[test]
    fn keeps_arabic_text() {
        let r = render_article("قال **المزارعون** إن المياه شحيحة.");
        assert!(r.html.contains("<strong>المزارعون</strong>"));
        assert_eq!(r.text, "قال المزارعون إن المياه شحيحة.");
    }
}
