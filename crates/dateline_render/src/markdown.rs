//! An article's Markdown to sanitized HTML, its text and its passages.
//!
//! 1. Markdown to events (pulldown-cmark); headings start at level two;
//!    nesting deeper than `shape::MAX_DEPTH` is refused here already.
//! 2. Questions leave the events; their paragraphs open marked with this
//!    render's nonce (`questions.rs`).
//! 3. The raw HTML is measured (`shape::check`), then sanitized with the
//!    marking policy until it settles (`policy.rs`).
//! 4. The passages (each paragraph's words and question) and the text are
//!    read from that sanitized HTML, which is not changed (`tokens.rs`).
//! 5. `RenderedBody::html` makes what is stored or shown: the paragraphs
//!    given their anchors as ids, sanitized again with the stored policy,
//!    and checked to be that policy's fixed point with every anchor in place.

use crate::policy::{self, QUESTION_ATTRIBUTE};
use crate::{RenderError, shape, tokens};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The largest body rendered, in bytes of Markdown.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One paragraph of a rendered body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Its words, without markup, whitespace collapsed.
    pub text: String,
    /// The editors' question about it.
    pub question: Option<String>,
}

/// An article body, rendered and sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    /// Sanitized by the marking policy: the asked paragraphs still carry
    /// this render's nonce. Never leaves the crate.
    marked: String,
    /// The words a reader sees, paragraphs separated by blank lines.
    pub text: String,
    /// Every paragraph, in order, with the editors' question on it.
    pub passages: Vec<Passage>,
}

/// Renders an article's Markdown. Raw HTML in it is sanitized, not trusted;
/// a paragraph's last line `{? … }` is the editors' question on it. Refuses
/// bodies too large or too deeply nested to sanitize in time.
pub fn render_article(markdown: &str) -> Result<RenderedBody, RenderError> {
    if markdown.trim().len() > MAX_BODY_BYTES {
        return Err(RenderError::TooLarge {
            max_bytes: MAX_BODY_BYTES,
        });
    }
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let events = events_within_depth(Parser::new_ext(markdown, options).map(demote_h1))?;
    let nonce = nonce()?;
    let (events, questions) = crate::questions::take(events, &nonce);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    shape::check(&raw)?;
    let marked = policy::settle(&policy::marking(&nonce), &raw).ok_or(RenderError::Unsettled)?;

    let tokens = tokens::tokens(&marked);
    let passages = tokens::paragraphs(&tokens)
        .into_iter()
        .map(|p| Passage {
            question: tokens::attribute(p.tag, QUESTION_ATTRIBUTE)
                .and_then(|v| {
                    v.strip_prefix(nonce.as_str())?
                        .strip_prefix('-')?
                        .parse()
                        .ok()
                })
                .and_then(|k: usize| questions.get(k).cloned()),
            text: p.text,
        })
        .collect();
    Ok(RenderedBody {
        text: tokens::plain_text(&tokens),
        passages,
        marked,
    })
}

impl RenderedBody {
    /// The HTML to store or show: paragraph `i` has `anchors[i]` as its id
    /// (paragraphs beyond `anchors` have none), sanitized with the stored
    /// policy. Refused, rather than stored wrong, if the result does not
    /// keep every paragraph and anchor in place.
    pub fn html(&self, anchors: &[String]) -> Result<String, RenderError> {
        let anchors: Vec<Option<&String>> = anchors
            .iter()
            .map(|a| policy::is_anchor(a).then_some(a))
            .collect();
        let tokens = tokens::tokens(&self.marked);
        let copy = tokens::rewrite(&tokens, |i, _| {
            let id = anchors.get(i).copied().flatten()?;
            Some(tokens::Change {
                set: vec![("id", id.clone())],
                first: "",
                last: "",
            })
        });
        let html = policy::STORED.clean(&copy).to_string();
        let settled = policy::is_clean(&html)
            && tokens::paragraphs(&tokens::tokens(&html))
                .iter()
                .map(|p| tokens::attribute(p.tag, "id"))
                .eq((0..self.passages.len())
                    .map(|i| anchors.get(i).copied().flatten().map(String::as_str)));
        if settled {
            Ok(html)
        } else {
            Err(RenderError::Unsettled)
        }
    }
}

/// The events, refused when blocks nest deeper than the sanitizer can take
/// in time (before they become megabytes of HTML).
fn events_within_depth<'a>(
    events: impl Iterator<Item = Event<'a>>,
) -> Result<Vec<Event<'a>>, RenderError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for event in events {
        match &event {
            Event::Start(_) => {
                depth += 1;
                if depth > shape::MAX_DEPTH {
                    return Err(RenderError::TooDeep {
                        max: shape::MAX_DEPTH,
                    });
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(event);
    }
    Ok(out)
}

/// A value no writer can know before their text is rendered.
fn nonce() -> Result<String, RenderError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| RenderError::Failed)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::is_clean;

    fn html(markdown: &str) -> String {
        render_article(markdown).unwrap().html(&[]).unwrap()
    }

    fn anchors(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("p{i}")).collect()
    }

    #[test]
    fn renders_markdown() {
        let r =
            render_article("# Big\n\nA *very* [good](https://example.org) day.\n\n- one\n- two\n")
                .unwrap();
        let h = r.html(&[]).unwrap();
        assert!(h.contains("<h2>Big</h2>"), "{h}");
        assert!(h.contains("<em>very</em>"));
        assert!(
            h.contains(r#"<a href="https://example.org" rel="noopener">good</a>"#),
            "{h}"
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
        let h = html(hostile);
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "data:",
            "<iframe",
            "style=",
        ] {
            assert!(!h.contains(bad), "{bad} survived in {h}");
        }
    }

    #[test]
    fn keeps_arabic_text() {
        let r = render_article("قال **المزارعون** إن المياه شحيحة.").unwrap();
        assert!(r.html(&[]).unwrap().contains("<strong>المزارعون</strong>"));
        assert_eq!(r.text, "قال المزارعون إن المياه شحيحة.");
    }

    #[test]
    fn a_last_line_question_leaves_the_text_and_joins_its_paragraph() {
        let r = render_article(
            "Engineers say the canal will be *repaired*.\n{? Has work started near you? }\n\nSecond one.\n",
        )
        .unwrap();
        assert_eq!(
            r.html(&[]).unwrap(),
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
        let r = render_article("The dam is finished.\n\n{? Did you see it? }\n\nMore.\n").unwrap();
        assert_eq!(
            r.html(&[]).unwrap(),
            "<p>The dam is finished.</p>\n<p>More.</p>\n"
        );
        assert_eq!(r.passages[0].question.as_deref(), Some("Did you see it?"));
        // Nothing before it to ask about: it stays text.
        let r = render_article("## Head\n\n{? Orphan? }\n").unwrap();
        assert!(r.html(&[]).unwrap().contains("{? Orphan? }"));
        assert_eq!(r.passages[0].question, None);
        // One question per paragraph: a second stays text.
        let r = render_article("Para.\n{? One? }\n\n{? Two? }\n").unwrap();
        assert_eq!(r.passages[0].question.as_deref(), Some("One?"));
        assert_eq!(r.passages[1].text, "{? Two? }");
    }

    #[test]
    fn questions_are_text_and_markers_cannot_be_typed() {
        let r = render_article("Text.\n{? Is <b>this</b> & \"that\" fair? }\n").unwrap();
        assert_eq!(
            r.passages[0].question.as_deref(),
            Some("Is <b>this</b> & \u{201c}that\u{201d} fair?")
        );
        let r = render_article("A \u{e000}sneaky\u{e001} line.\n").unwrap();
        assert_eq!(r.passages[0].question, None);
        assert_eq!(r.passages[0].text, "A sneaky line.");
    }

    /// Issue 12, finding 1: the two forms the security review found. Each
    /// came out as an <img> with an onerror handler.
    #[test]
    fn typed_markers_cannot_cut_into_tags() {
        for payload in [
            "Intro ![&#xE000;](https://x.invalid/a.png) &#xE001;&quot; onerror=&quot;window.pwned=1&quot; x=\n",
            "![&#xE000;](https://x.invalid/a.png) &#xE001; `\" onerror=window.pwned=1 x=`\n",
        ] {
            let r = render_article(payload).unwrap();
            let h = r.html(&anchors(r.passages.len())).unwrap();
            assert!(is_clean(&h), "{h}");
            // The quote and what follows it are words, not attributes.
            for token in crate::tokens::tokens(&h) {
                if let html5ever::tokenizer::Token::TagToken(tag) = token {
                    for a in &tag.attrs {
                        assert!(["src", "alt", "id"].contains(&&*a.name.local), "{h}");
                    }
                }
            }
            assert!(r.passages[0].text.contains("onerror="), "shown as typed");
            assert!(!h.contains(['\u{e000}', '\u{e001}']), "{h}");
            assert_eq!(r.passages.len(), 1);
            assert_eq!(r.passages[0].question, None);
            assert!(!r.text.contains(['\u{e000}', '\u{e001}']), "{}", r.text);
        }
    }

    #[test]
    fn a_question_cannot_be_forged_in_raw_html() {
        let r = render_article(
            "<p data-dateline-question=\"00000000000000000000000000000000-0\">Forged.</p>\n\nReal.\n{? Real question? }\n",
        )
        .unwrap();
        assert_eq!(r.passages[0].question, None);
        assert_eq!(r.passages[1].question.as_deref(), Some("Real question?"));
        assert!(!r.html(&[]).unwrap().contains("data-dateline"));
    }

    #[test]
    fn raw_html_paragraphs_count_and_anchors_go_in_order() {
        let r = render_article(
            "One.\n\n<p>Two &amp; <a href=\"https://e.org\" title=\"a<p>b</p>\">more</a></p>\n\n> Quoted three.\n\n```\n<p>not a paragraph</p>\n```\n",
        )
        .unwrap();
        let texts: Vec<&str> = r.passages.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["One.", "Two & more", "Quoted three."]);
        let anchored = r.html(&anchors(3)).unwrap();
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
        assert!(is_clean(&anchored));
        // Anchors are never anything but a plain id; a writer's id goes.
        let r = render_article("<p id=\"p9\">x</p>").unwrap();
        assert_eq!(r.html(&["a\" onclick=\"x".into()]).unwrap(), "<p>x</p>");
    }

    #[test]
    fn paragraphs_the_parser_rearranges_are_settled_first() {
        let r = render_article("<p>a<object><p>b</p></object></p>\n\nc\n").unwrap();
        let h = r.html(&anchors(r.passages.len())).unwrap();
        assert!(is_clean(&h), "{h}");
        assert_eq!(h.matches("<p id=").count(), r.passages.len(), "{h}");
    }

    #[test]
    fn text_is_what_readers_see() {
        let r = render_article(
            "Intro <script>window.pwned=1</script>with &#xE000;marks&#xE001; here\u{1}.\n\n`<img src=x>` code\n",
        )
        .unwrap();
        assert_eq!(r.text, "Intro with marks here.\n\n<img src=x> code");
    }

    #[test]
    fn too_deep_or_too_large_is_refused_at_once() {
        let started = std::time::Instant::now();
        for deep in [
            "<div>".repeat(80_000),
            format!("{}x", "> ".repeat(100_000)),
            (0..5_000).map(|i| format!("<p><b id={i}></p>")).collect(),
        ] {
            assert!(
                matches!(render_article(&deep), Err(RenderError::TooDeep { .. })),
                "{}",
                &deep[..40]
            );
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            render_article(&"x".repeat(MAX_BODY_BYTES + 1)),
            Err(RenderError::TooLarge {
                max_bytes: MAX_BODY_BYTES
            })
        );
    }
}
