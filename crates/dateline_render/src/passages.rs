//! Passages: the paragraphs of an article that readers can comment on, and
//! the questions editors ask about some of them.
//!
//! **The syntax.** A paragraph whose last line is `{? … }` carries the
//! editors' question about that paragraph:
//!
//! ```text
//! Engineers say the canal will be repaired before the summer.
//! {? Has work started on the canal where you live? }
//! ```
//!
//! The same line standing alone, as the paragraph after, asks about the
//! paragraph before it. The line never reaches the page as text: it becomes
//! the question beside the passage. Any other `{?` stays what it is.
//!
//! **Finding paragraphs.** Everything here works on the sanitized HTML, not
//! the Markdown, so a paragraph written as raw HTML counts like any other:
//! ammonia's serializer writes every paragraph as a bare `<p>`, quotes every
//! attribute with `"` and escapes `<` in text, so a small scanner that steps
//! over whole tags finds each `<p>` and its `</p>` exactly.

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use std::borrow::Cow;

/// How an editor writes a question, for help texts.
pub const QUESTION_SYNTAX: &str = "{? … }";

/// Marks a question between rendering and sanitizing. Private-use
/// characters: an editor cannot type them (they are removed first).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// One paragraph of a rendered body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Its words, without markup, whitespace collapsed.
    pub text: String,
    /// The editors' question about it.
    pub question: Option<String>,
}

/// The Markdown without the characters that mark questions internally.
pub(crate) fn without_markers(markdown: &str) -> Cow<'_, str> {
    if markdown.contains([OPEN, CLOSE]) {
        Cow::Owned(markdown.replace([OPEN, CLOSE], ""))
    } else {
        Cow::Borrowed(markdown)
    }
}

/// Whether a text event is a question marked by `mark_questions`.
pub(crate) fn is_question(text: &str) -> bool {
    text.starts_with(OPEN)
}

/// Finds `{? … }` lines at the end of paragraphs and replaces each with one
/// marked text event at the end of the paragraph it asks about.
pub(crate) fn mark_questions(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut paragraph: Option<Vec<Event<'_>>> = None;
    for event in events {
        match (&mut paragraph, event) {
            (None, Event::Start(Tag::Paragraph)) => paragraph = Some(Vec::new()),
            (Some(_), Event::End(TagEnd::Paragraph)) => {
                let inner = paragraph.take().unwrap_or_default();
                close_paragraph(&mut out, inner);
            }
            (Some(p), e) => p.push(e),
            (None, e) => out.push(e),
        }
    }
    out
}

fn close_paragraph<'a>(out: &mut Vec<Event<'a>>, mut inner: Vec<Event<'a>>) {
    let last_break = inner
        .iter()
        .rposition(|e| matches!(e, Event::SoftBreak | Event::HardBreak));
    let tail_start = last_break.map_or(0, |i| i + 1);
    match question_in(&inner[tail_start..]) {
        Some(q) if last_break.is_some() => {
            inner.truncate(tail_start - 1);
            inner.push(marked(&q));
        }
        // A paragraph that is only a question asks about the one before.
        Some(q) if matches!(out.last(), Some(Event::End(TagEnd::Paragraph))) => {
            let at = out.len() - 1;
            out.insert(at, marked(&q));
            return;
        }
        _ => {}
    }
    out.push(Event::Start(Tag::Paragraph));
    out.extend(inner);
    out.push(Event::End(TagEnd::Paragraph));
}

fn marked(question: &str) -> Event<'static> {
    Event::Text(CowStr::from(format!("{OPEN}{question}{CLOSE}")))
}

/// The question in a paragraph's last line, when that line is `{? … }`.
fn question_in(line: &[Event<'_>]) -> Option<String> {
    let mut s = String::new();
    for e in line {
        match e {
            // A question is plain text: markup typed in it shows as typed.
            Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) => s.push_str(t),
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. })
            | Event::End(
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link,
            ) => {}
            _ => return None,
        }
    }
    let q = s.trim().strip_prefix("{?")?.strip_suffix('}')?.trim();
    let q: String = q.split_whitespace().collect::<Vec<_>>().join(" ");
    (!q.is_empty()).then_some(q)
}

/// Takes the marked questions out of sanitized HTML: the HTML without them,
/// and every paragraph's text and question, in order.
pub(crate) fn take_questions(html: &str) -> (String, Vec<Passage>) {
    let mut passages = Vec::new();
    let html = paragraphs_mut(html, |_, open, inner| {
        let (inner, question) = match (inner.find(OPEN), inner.rfind(CLOSE)) {
            (Some(o), Some(c)) if o < c => (
                format!(
                    "{}{}",
                    inner[..o].trim_end(),
                    &inner[c + CLOSE.len_utf8()..]
                ),
                Some(text_of(&inner[o + OPEN.len_utf8()..c])),
            ),
            _ => (inner.to_owned(), None),
        };
        passages.push(Passage {
            text: text_of(&inner),
            question,
        });
        (open.to_owned(), inner)
    });
    (html, passages)
}

/// Gives the paragraphs of rendered HTML their ids, in order; paragraphs
/// beyond `anchors` keep none. Anchors are made by Dateline (`p12`).
pub fn with_anchors(html: &str, anchors: &[String]) -> String {
    paragraphs_mut(html, |i, open, inner| {
        let open = match anchors.get(i) {
            Some(a) if a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                format!("<p id=\"{a}\">")
            }
            _ => open.to_owned(),
        };
        (open, inner.to_owned())
    })
}

/// Rebuilds sanitized HTML with each paragraph's opening tag and inner HTML
/// as `f(index, opening tag, inner HTML)` returns them.
pub fn paragraphs_mut(
    html: &str,
    mut f: impl FnMut(usize, &str, &str) -> (String, String),
) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut at = 0;
    let mut index = 0;
    while let Some(rel) = html[at..].find('<') {
        let start = at + rel;
        let end = tag_end(html, start);
        let tag = &html[start..end];
        if tag == "<p>" || tag.starts_with("<p ") {
            let close = closing_p(html, end);
            out.push_str(&html[at..start]);
            let (open, inner) = f(index, tag, &html[end..close]);
            out.push_str(&open);
            out.push_str(&inner);
            out.push_str("</p>");
            at = (close + "</p>".len()).min(html.len());
            index += 1;
        } else {
            out.push_str(&html[at..end]);
            at = end;
        }
    }
    out.push_str(&html[at..]);
    out
}

/// Where the tag starting at `start` ends (just after its `>`), stepping
/// over quoted attribute values.
fn tag_end(html: &str, start: usize) -> usize {
    let mut quoted = false;
    for (i, b) in html.bytes().enumerate().skip(start + 1) {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return i + 1,
            _ => {}
        }
    }
    html.len()
}

/// Where the `</p>` closing a paragraph whose content starts at `from` is.
fn closing_p(html: &str, from: usize) -> usize {
    let mut at = from;
    while let Some(rel) = html[at..].find('<') {
        let start = at + rel;
        if html[start..].starts_with("</p>") {
            return start;
        }
        at = tag_end(html, start);
    }
    html.len()
}

/// The words of a piece of sanitized HTML: tags removed, the entities the
/// serializer writes decoded, whitespace collapsed.
pub(crate) fn text_of(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut at = 0;
    while let Some(rel) = html[at..].find('<') {
        let start = at + rel;
        raw.push_str(&html[at..start]);
        at = tag_end(html, start);
    }
    raw.push_str(&html[at..]);
    let decoded = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use crate::render_article;

    #[test]
    fn a_last_line_question_leaves_the_text_and_joins_its_paragraph() {
        let r = render_article(
            "Engineers say the canal will be *repaired*.\n{? Has work started near you? }\n\nSecond one.\n",
        );
        assert_eq!(
            r.html,
            "<p>Engineers say the canal will be <em>repaired</em>.</p>\n<p>Second one.</p>\n"
        );
        assert_eq!(r.passages.len(), 2);
        assert_eq!(
            r.passages[0].text,
            "Engineers say the canal will be repaired."
        );
        assert_eq!(
            r.passages[0].question.as_deref(),
            Some("Has work started near you?")
        );
        assert_eq!(r.passages[1].question, None);
        assert!(!r.text.contains("work started"), "{}", r.text);
    }

    #[test]
    fn a_question_alone_asks_about_the_paragraph_before() {
        let r = render_article("The dam is finished.\n\n{? Did you see it? }\n\nMore.\n");
        assert_eq!(r.html, "<p>The dam is finished.</p>\n<p>More.</p>\n");
        assert_eq!(r.passages[0].question.as_deref(), Some("Did you see it?"));
        // Nothing before it to ask about: it stays text.
        let r = render_article("## Head\n\n{? Orphan? }\n");
        assert!(r.html.contains("{? Orphan? }"), "{}", r.html);
        assert_eq!(r.passages[0].question, None);
    }

    #[test]
    fn questions_are_escaped_and_markers_cannot_be_typed() {
        let r = render_article("Text.\n{? Is <b>this</b> & \"that\" fair? }\n");
        assert_eq!(
            r.passages[0].question.as_deref(),
            Some("Is <b>this</b> & \u{201c}that\u{201d} fair?")
        );
        let r = render_article("A \u{e000}sneaky\u{e001} line.\n");
        assert_eq!(r.passages[0].question, None);
        assert_eq!(r.passages[0].text, "A sneaky line.");
    }

    #[test]
    fn raw_html_paragraphs_count_and_anchors_go_in_order() {
        let r = render_article(
            "One.\n\n<p>Two &amp; <a href=\"https://e.org\" title=\"a<p>b</p>\">more</a></p>\n\n> Quoted three.\n\n```\n<p>not a paragraph</p>\n```\n",
        );
        let texts: Vec<&str> = r.passages.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["One.", "Two & more", "Quoted three."]);
        let anchored = super::with_anchors(&r.html, &["p1".into(), "p2".into(), "p3".into()]);
        assert!(anchored.contains("<p id=\"p1\">One.</p>"), "{anchored}");
        assert!(
            anchored.contains("<p id=\"p2\">Two &amp; <a href"),
            "{anchored}"
        );
        assert!(
            anchored.contains("<p id=\"p3\">Quoted three.</p>"),
            "{anchored}"
        );
        assert!(anchored.contains("&lt;p&gt;not a paragraph"), "{anchored}");
        // Anchors are never anything but a plain id.
        let odd = super::with_anchors("<p>x</p>", &["a\" onclick=\"x".into()]);
        assert_eq!(odd, "<p>x</p>");
    }
}
