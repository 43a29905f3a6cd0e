//! The editors' questions on paragraphs, taken out of the Markdown's events.
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
//! **Carried by paragraph.** A question leaves the event stream here, and
//! the paragraph it asks about opens with `<p data-dateline-question="N-k">`
//! instead of `<p>`, where `N` is a nonce chosen for this render after the
//! writer was done, and `k` the question's index. The sanitizer's first
//! pass keeps that attribute only with this nonce (`policy::marking`);
//! nothing in the writer's text carries a question.

use crate::policy::QUESTION_ATTRIBUTE;
use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// How an editor writes a question, for help texts.
pub const QUESTION_SYNTAX: &str = "{? … }";

/// Takes the `{? … }` lines out of `events`: the events with each asked
/// paragraph's opening marked with `nonce`, and the questions in order.
pub(crate) fn take<'a>(events: Vec<Event<'a>>, nonce: &str) -> (Vec<Event<'a>>, Vec<String>) {
    let mut out: Vec<Event<'a>> = Vec::with_capacity(events.len());
    let mut questions = Vec::new();
    // Where the paragraph that just closed opens in `out`, while nothing
    // else came after it.
    let mut previous: Option<usize> = None;
    let mut paragraph: Option<Vec<Event<'a>>> = None;
    for event in events {
        match (&mut paragraph, event) {
            (None, Event::Start(Tag::Paragraph)) => paragraph = Some(Vec::new()),
            (Some(_), Event::End(TagEnd::Paragraph)) => {
                let mut inner = paragraph.take().unwrap_or_default();
                let opening = out.len();
                match last_line_question(&inner) {
                    Some((question, Some(line_break))) => {
                        inner.truncate(line_break);
                        out.push(marked_opening(nonce, questions.len()));
                        questions.push(question);
                    }
                    // A paragraph that is only a question asks about the
                    // one before, when that one has none yet.
                    Some((question, None))
                        if previous
                            .is_some_and(|at| matches!(out[at], Event::Start(Tag::Paragraph))) =>
                    {
                        if let Some(at) = previous.take() {
                            out[at] = marked_opening(nonce, questions.len());
                            questions.push(question);
                        }
                        continue;
                    }
                    // Nothing to ask about: it stays text.
                    _ => out.push(Event::Start(Tag::Paragraph)),
                }
                out.extend(inner);
                out.push(Event::End(TagEnd::Paragraph));
                previous = Some(opening);
            }
            (Some(p), e) => p.push(e),
            (None, e) => {
                previous = None;
                out.push(e);
            }
        }
    }
    (out, questions)
}

fn marked_opening(nonce: &str, k: usize) -> Event<'static> {
    Event::Html(CowStr::from(format!(
        "<p {QUESTION_ATTRIBUTE}=\"{nonce}-{k}\">"
    )))
}

/// The question on a paragraph's last line, and where the line break
/// before it is (none when the question is the whole paragraph).
fn last_line_question(inner: &[Event<'_>]) -> Option<(String, Option<usize>)> {
    let last_break = inner
        .iter()
        .rposition(|e| matches!(e, Event::SoftBreak | Event::HardBreak));
    let question = question_in(&inner[last_break.map_or(0, |i| i + 1)..])?;
    Some((question, last_break))
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
    let q = s.trim().strip_prefix("{?")?.strip_suffix('}')?;
    let q = crate::text::clean(q);
    (!q.is_empty()).then_some(q)
}
