//! What the fuzz targets share: splitting an input into fields, and the
//! checks on sanitized HTML. Never used outside `fuzz/`.

use scraper::{Html, Node};

/// The input as text, or `None` when it is not UTF-8 (the parsers under test
/// take `&str`; their callers have already decoded the request or file).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Splits the input into `N` fields at the ASCII unit separator (0x1F);
/// missing fields are empty, extra separators stay in the last field. Seeds
/// stay plain text files this way.
pub fn fields<const N: usize>(text: &str) -> [&str; N] {
    let mut out = [""; N];
    let mut parts = text.splitn(N, '\u{1f}');
    for slot in out.iter_mut() {
        *slot = parts.next().unwrap_or("");
    }
    out
}

/// What a sanitizer policy lets through, for the structural check.
pub struct Policy {
    /// Elements allowed, each with the attributes it may carry.
    pub elements: &'static [(&'static str, &'static [&'static str])],
    /// Attributes any allowed element may carry.
    pub everywhere: &'static [&'static str],
    /// The exact `rel` every link must carry, if any.
    pub link_rel: Option<&'static str>,
    /// URL schemes a link or image may point to.
    pub schemes: &'static [&'static str],
    /// Whether a URL without a scheme (`/media/a.jpg`, `#fn-1`) may stand.
    pub relative_urls: bool,
}

/// Readers' comments (`dateline_render::render_comment`).
pub const COMMENT_POLICY: Policy = Policy {
    elements: &[
        ("a", &["href", "rel"]),
        ("blockquote", &[]),
        ("br", &[]),
        ("code", &[]),
        ("del", &[]),
        ("em", &[]),
        ("li", &[]),
        ("ol", &["start"]),
        ("p", &[]),
        ("pre", &[]),
        ("strong", &[]),
        ("ul", &[]),
    ],
    everywhere: &[],
    link_rel: Some("nofollow ugc noopener"),
    schemes: &["http", "https", "mailto"],
    relative_urls: false,
};

/// Article bodies as stored (`dateline_render`'s stored policy): ids only
/// as paragraph anchors, classes only the footnotes' (checked by the
/// targets themselves).
pub const ARTICLE_POLICY: Policy = Policy {
    elements: &[
        ("a", &["href", "rel"]),
        ("abbr", &[]),
        ("b", &[]),
        ("blockquote", &[]),
        ("br", &[]),
        ("caption", &[]),
        ("cite", &[]),
        ("code", &[]),
        ("del", &[]),
        ("em", &[]),
        ("figcaption", &[]),
        ("figure", &[]),
        ("h2", &[]),
        ("h3", &[]),
        ("h4", &[]),
        ("h5", &[]),
        ("h6", &[]),
        ("hr", &[]),
        ("i", &[]),
        ("img", &["src", "alt", "width", "height"]),
        ("li", &[]),
        ("ol", &["start"]),
        ("p", &["id"]),
        ("pre", &[]),
        ("q", &[]),
        ("s", &[]),
        ("small", &[]),
        ("strong", &[]),
        ("sub", &[]),
        ("sup", &["class"]),
        ("table", &[]),
        ("tbody", &[]),
        ("td", &["colspan", "rowspan"]),
        ("tfoot", &[]),
        ("th", &["colspan", "rowspan"]),
        ("thead", &[]),
        ("tr", &[]),
        ("ul", &[]),
        ("section", &[]),
        ("span", &[]),
    ],
    everywhere: &["lang", "title"],
    link_rel: Some("noopener"),
    schemes: &["http", "https", "mailto"],
    relative_urls: true,
};

/// Panics, saying what and where, if `html` parsed as a fragment holds an
/// element or attribute `policy` forbids, a link without its `rel`, or a URL
/// with another scheme.
pub fn assert_within_policy(html: &str, policy: &Policy, input: &str) {
    let doc = Html::parse_fragment(html);
    // Below the fragment parser's own `<html>` wrapper.
    for node in doc.root_element().descendants().skip(1) {
        let Node::Element(el) = node.value() else {
            continue;
        };
        let name = el.name();
        let Some((_, allowed)) = policy.elements.iter().find(|(n, _)| *n == name) else {
            panic!("<{name}> is outside the policy in {html:?} from {input:?}");
        };
        for (attr, value) in el.attrs() {
            assert!(
                allowed.contains(&attr) || policy.everywhere.contains(&attr),
                "{attr}= on <{name}> is outside the policy in {html:?} from {input:?}"
            );
            if matches!(attr, "href" | "src") {
                let allowed = match scheme_of(value) {
                    Some(s) => policy.schemes.contains(&s.as_str()),
                    None => policy.relative_urls,
                };
                assert!(
                    allowed,
                    "{attr}={value:?} has a scheme outside the policy in {html:?} from {input:?}"
                );
            }
        }
        if name == "a"
            && let Some(rel) = policy.link_rel
        {
            assert_eq!(
                el.attr("rel"),
                Some(rel),
                "a link without rel={rel:?} in {html:?} from {input:?}"
            );
        }
    }
}

/// A URL's scheme as a browser reads it (the URL standard: tabs and line
/// breaks removed anywhere, C0 controls and spaces trimmed from the ends,
/// then an ASCII letter and letters, digits, `+-.` up to a `:`),
/// lower-cased; `None` for a relative URL.
fn scheme_of(url: &str) -> Option<String> {
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let url = url.trim_matches(|c: char| c <= ' ');
    let (scheme, _) = url.split_once(':')?;
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then(|| scheme.to_ascii_lowercase())
}

/// Number of links (`<a href>` elements) in an HTML fragment.
pub fn link_count(html: &str) -> usize {
    Html::parse_fragment(html)
        .tree
        .nodes()
        .filter(|n| {
            matches!(n.value(), Node::Element(el) if el.name() == "a" && el.attr("href").is_some())
        })
        .count()
}
