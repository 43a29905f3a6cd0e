//! An article page's body: a stored body with the page's own markup added
//! (the dateline at the head of the first paragraph, each paragraph's
//! marker at its end, a class on the paragraphs the editors asked about),
//! then sanitized again with `policy::PAGE`, so that nothing added, and
//! nothing a mistake here could do to the stored HTML, reaches the page
//! unsanitized.

use crate::policy::{PAGE, settle};
use crate::tokens::{self, Change};

/// What the page adds to one paragraph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParagraphExtras {
    /// A class for its opening tag (one `policy::PAGE` allows).
    pub class: Option<&'static str>,
    /// Markup to end it with.
    pub last: String,
}

/// The body an article page shows: `lead` (markup, such as the dateline)
/// opens the first paragraph, or a paragraph of its own when the body does
/// not open with one; paragraph `i` gets `paragraphs[i]`.
pub fn page_body(stored: &str, lead: Option<&str>, paragraphs: &[ParagraphExtras]) -> String {
    let tokens = tokens::tokens(stored);
    let opens_with_paragraph = tokens
        .first()
        .is_some_and(|t| tokens::is_start(t, "p").is_some());
    let copy = tokens::rewrite(&tokens, |i, _| {
        let first = match lead {
            Some(lead) if i == 0 && opens_with_paragraph => lead,
            _ => "",
        };
        let extras = paragraphs.get(i);
        Some(Change {
            set: extras
                .and_then(|e| e.class)
                .map(|c| ("class", c.to_owned()))
                .into_iter()
                .collect(),
            first,
            last: extras.map_or("", |e| e.last.as_str()),
        })
    });
    let copy = match lead {
        Some(lead) if !opens_with_paragraph => {
            format!("<p class=\"dateline-alone\">{lead}</p>\n{copy}")
        }
        _ => copy,
    };
    // Settled, not cleaned once: markup added inside a link the writer left
    // open (`<a>` wrapping later blocks) nests links, which a browser reads
    // another way; a second pass gives the tree it would build. Should it
    // never settle, the page shows the body without its markers.
    settle(&PAGE, &copy).unwrap_or_else(|| PAGE.clean(stored).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::is_clean_page;

    #[test]
    fn adds_the_pages_markup_and_nothing_else() {
        let stored = "<p id=\"p1\">One.</p>\n<p id=\"p2\">Two.</p>\n<p>Three.</p>";
        let html = page_body(
            stored,
            Some("<span class=\"dateline\">ROME</span> — "),
            &[
                ParagraphExtras {
                    class: Some("asked"),
                    last: " <a class=\"passage-marker asked\" href=\"/a/passages/p1\" data-anchor=\"p1\">?</a>".into(),
                },
                ParagraphExtras {
                    class: None,
                    last: "<img src=x onerror=alert(1)><script>alert(2)</script>".into(),
                },
            ],
        );
        assert_eq!(
            html,
            "<p class=\"asked\" id=\"p1\"><span class=\"dateline\">ROME</span> — One. <a class=\"passage-marker asked\" href=\"/a/passages/p1\" data-anchor=\"p1\" rel=\"noopener\">?</a></p>\n<p id=\"p2\">Two.<img src=\"x\"></p>\n<p>Three.</p>"
        );
        assert!(is_clean_page(&html));
    }

    #[test]
    fn a_lead_before_a_body_without_paragraphs() {
        let html = page_body(
            "<h2>x</h2>",
            Some("<span class=\"dateline\">ROME</span> — "),
            &[],
        );
        assert_eq!(
            html,
            "<p class=\"dateline-alone\"><span class=\"dateline\">ROME</span> — </p>\n<h2>x</h2>"
        );
    }

    /// Found by the `article_markdown` fuzz target: a raw `<a>` left open
    /// wraps the paragraphs after it, so a marker added at a paragraph's
    /// end lands inside a link, and a browser reads nested links another
    /// way. The page body must still be what sanitizing it again gives.
    #[test]
    fn markers_inside_an_unclosed_link_settle() {
        let rendered = crate::render_article("\0<a>\n>>>>>>>s").expect("renders");
        let anchors: Vec<String> = (1..=rendered.passages.len())
            .map(|i| format!("p{i}"))
            .collect();
        let stored = rendered.html(&anchors).expect("stored");
        let extras: Vec<ParagraphExtras> = anchors
            .iter()
            .map(|a| ParagraphExtras {
                class: None,
                last: format!(
                    "<a class=\"passage-marker\" href=\"/r/{a}\" data-anchor=\"{a}\">+</a>"
                ),
            })
            .collect();
        let html = page_body(
            &stored,
            Some("<span class=\"dateline\">ROME</span> "),
            &extras,
        );
        assert!(is_clean_page(&html), "{stored}\n{html}");
    }
}
