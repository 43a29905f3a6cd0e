//! The sanitizer's policies: what HTML an article body may hold.
//!
//! - `marking(nonce)`: the first pass over a freshly rendered body. As
//!   `STORED`, without ids, but a paragraph keeps `data-dateline-question`
//!   when its value carries this render's nonce: only Dateline, which chose
//!   the nonce after the writer was done, can mark a question's paragraph.
//! - `STORED`: what is stored, served by the Content API and feeds, and
//!   mailed. The only ids are paragraph anchors (`p` and digits, on `<p>`).
//! - `PAGE`: `STORED` plus the markup the article page adds around a body
//!   (the markers and the dateline of `views/article.rs`); the page is
//!   sanitized with it after adding them.
//!
//! - `for_mail`: `STORED`, with the site's relative links made absolute.
//!
//! Every string that leaves this crate as HTML is the output of one of
//! these; nothing edits HTML after that (`tokens::rewrite` copies go
//! through a sanitizer again).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// The attribute that marks a question's paragraph between the two passes.
pub(crate) const QUESTION_ATTRIBUTE: &str = "data-dateline-question";

const TAGS: &[&str] = &[
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
];

/// The policy every body shares; `extra` adds to it. ammonia's own
/// defaults allow more attributes than these (`align` on images and table
/// cells, `cite` on quotes, `hreflang` on links…): they are cleared, so what
/// is listed here is all there is.
fn base() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.tags(TAGS.iter().copied().collect())
        .tag_attributes(HashMap::new())
        .generic_attributes(HashSet::from(["lang", "title"]))
        .add_tag_attributes("img", ["src", "alt", "title", "width", "height"])
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("ol", ["start"])
        .allowed_classes(HashMap::from([(
            "sup",
            HashSet::from(["footnote-reference", "footnote-definition-label"]),
        )]))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener"));
    b
}

/// Whether `value` is a paragraph anchor Dateline gives (`p12`).
pub(crate) fn is_anchor(value: &str) -> bool {
    value
        .strip_prefix('p')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The first pass of a render whose nonce is `nonce`.
pub(crate) fn marking(nonce: &str) -> ammonia::Builder<'static> {
    let mut b = base();
    b.add_tag_attributes("p", [QUESTION_ATTRIBUTE]);
    let ours = format!("{nonce}-");
    b.attribute_filter(move |element, attribute, value| {
        if attribute == QUESTION_ATTRIBUTE
            && !(element == "p"
                && value
                    .strip_prefix(ours.as_str())
                    .is_some_and(|k| k.parse::<usize>().is_ok()))
        {
            return None;
        }
        Some(Cow::Borrowed(value))
    });
    b
}

pub(crate) static STORED: LazyLock<ammonia::Builder<'static>> = LazyLock::new(stored);

fn stored() -> ammonia::Builder<'static> {
    let mut b = base();
    b.add_tag_attributes("p", ["id"]);
    b.attribute_filter(|element, attribute, value| match (element, attribute) {
        ("p", "id") if !is_anchor(value) => None,
        _ => Some(Cow::Borrowed(value)),
    });
    b
}

/// Classes the article page's own markup uses, by element.
const PAGE_CLASSES: &[(&str, &[&str])] = &[
    ("p", &["asked", "dateline-alone"]),
    ("a", &["passage-marker", "asked", "empty"]),
    (
        "span",
        &[
            "dateline",
            "marker-icon",
            "marker-count",
            "visually-hidden",
            "passage-question-preview",
        ],
    ),
    ("sup", &["footnote-reference", "footnote-definition-label"]),
];

pub(crate) static PAGE: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = base();
    b.add_tag_attributes("p", ["id"])
        .add_tag_attributes("a", ["data-anchor"])
        .add_tag_attributes("span", ["aria-hidden"])
        .allowed_classes(
            PAGE_CLASSES
                .iter()
                .map(|(tag, classes)| (*tag, classes.iter().copied().collect()))
                .collect(),
        );
    b.attribute_filter(|element, attribute, value| match (element, attribute) {
        ("p", "id") | ("a", "data-anchor") if !is_anchor(value) => None,
        ("span", "aria-hidden") if value != "true" => None,
        _ => Some(Cow::Borrowed(value)),
    });
    b
});

/// A stored body as a mail carries it: the stored policy, with links and
/// images that point into the site (`/tag/…`, `/media/…`) made absolute
/// against `base` by the sanitizer itself, so that no string edit runs over
/// the HTML afterwards. A `base` that is not a URL leaves them relative.
pub fn for_mail(body_html: &str, base: &str) -> String {
    match ammonia::Url::parse(base) {
        Ok(base) => {
            let mut b = stored();
            b.url_relative(ammonia::UrlRelative::RewriteWithBase(base));
            b.clean(body_html).to_string()
        }
        Err(_) => STORED.clean(body_html).to_string(),
    }
}

/// Sanitizes with `policy` until the output is what sanitizing it again
/// gives. One pass can leave markup a browser reads differently
/// (`<p>a<object><p>b</p></object></p>` loses its `object` and keeps the
/// nested paragraph); a second settles it.
pub(crate) fn settle(policy: &ammonia::Builder<'_>, html: &str) -> Option<String> {
    let mut current = policy.clean(html).to_string();
    for _ in 0..3 {
        let again = policy.clean(&current).to_string();
        if again == current {
            return Some(current);
        }
        current = again;
    }
    None
}

/// Whether `html` is exactly what the stored-body sanitizer makes of it:
/// then it holds no element or attribute the policy forbids, and reads the
/// same in any browser. Every body Dateline stores passes; for tests and
/// fuzzing.
pub fn is_clean(html: &str) -> bool {
    STORED.clean(html).to_string() == html
}

/// The same for an article page's body, markers and dateline included.
pub fn is_clean_page(html: &str) -> bool {
    PAGE.clean(html).to_string() == html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_gets_the_sites_links_absolute() {
        assert_eq!(
            for_mail(
                r#"<p id="p1"><a href="/tag/x">x</a><img src="/media/a.jpg"><a href="https://e.org/">e</a> href="/not-a-link"</p>"#,
                "https://news.example"
            ),
            r#"<p id="p1"><a href="https://news.example/tag/x" rel="noopener">x</a><img src="https://news.example/media/a.jpg"><a href="https://e.org/" rel="noopener">e</a> href="/not-a-link"</p>"#
        );
    }

    #[test]
    fn only_the_listed_attributes_stand() {
        // ammonia allows these by default; the stored policy does not.
        let out = STORED
            .clean(r#"<p id="p1"><img src="a.jpg" align="left" alt="x"><q cite="https://e.org/">q</q><a href="/x" hreflang="ar">x</a></p><table><tr><td align="right" headers="h">1</td></tr></table>"#)
            .to_string();
        assert_eq!(
            out,
            r#"<p id="p1"><img src="a.jpg" alt="x"><q>q</q><a href="/x" rel="noopener">x</a></p><table><tbody><tr><td>1</td></tr></tbody></table>"#
        );
        assert!(!is_clean(r#"<p><img src="a.jpg" align="left"></p>"#));
    }

    #[test]
    fn only_the_nonce_marks_a_question() {
        let b = marking("n0nce");
        let out = b
            .clean("<p data-dateline-question=\"n0nce-3\">a</p><p data-dateline-question=\"guess-3\">b</p><span data-dateline-question=\"n0nce-1\">c</span>")
            .to_string();
        assert_eq!(
            out,
            "<p data-dateline-question=\"n0nce-3\">a</p><p>b</p><span>c</span>"
        );
        assert_eq!(
            STORED.clean(&out).to_string(),
            "<p>a</p><p>b</p><span>c</span>"
        );
    }

    #[test]
    fn languages_and_titles_stay() {
        let out = STORED
            .clean("<p lang=\"ar\" title=\"t\">نص <span lang=\"en\">text</span></p>")
            .to_string();
        assert_eq!(
            out,
            "<p lang=\"ar\" title=\"t\">نص <span lang=\"en\">text</span></p>"
        );
    }

    #[test]
    fn ids_are_paragraph_anchors_only() {
        let out = STORED
            .clean("<p id=\"p12\">a</p><p id=\"comments\">b</p><a id=\"p3\" href=\"#x\">c</a><li id=\"x\">d</li>")
            .to_string();
        assert_eq!(
            out,
            "<p id=\"p12\">a</p><p>b</p><a href=\"#x\" rel=\"noopener\">c</a><li>d</li>"
        );
        assert!(is_clean(&out));
        assert!(!is_clean("<p onclick=\"x\">a</p>"));
    }

    #[test]
    fn the_page_adds_its_own_markup_only() {
        let out = PAGE
            .clean("<p class=\"asked evil\" id=\"p1\">a <a class=\"passage-marker asked\" href=\"/s/passages/p1\" data-anchor=\"p1\"><span class=\"marker-icon\" aria-hidden=\"true\">?</span></a></p><a data-anchor=\"x\" class=\"other\">b</a>")
            .to_string();
        assert_eq!(
            out,
            "<p class=\"asked\" id=\"p1\">a <a class=\"passage-marker asked\" href=\"/s/passages/p1\" data-anchor=\"p1\" rel=\"noopener\"><span class=\"marker-icon\" aria-hidden=\"true\">?</span></a></p><a rel=\"noopener\" class=\"\">b</a>"
        );
    }

    #[test]
    fn settling_reaches_a_fixed_point() {
        let out = settle(&STORED, "<p>a<object><p>b</p></object></p>").unwrap();
        assert!(is_clean(&out), "{out}");
    }
}
