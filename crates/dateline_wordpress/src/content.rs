//! WordPress content into what Dateline stores.
//!
//! A post's `content:encoded` becomes HTML that Dateline keeps as an
//! article body ([`post_body`]); a comment's HTML becomes Dateline's comment
//! Markdown ([`comment_markdown`]); titles, excerpts and names become plain
//! text ([`plain_text`]).
//!
//! An article body is Markdown, rendered and then sanitized. Imported HTML
//! must pass through the Markdown step untouched, so [`post_body`] gives
//! exactly one CommonMark HTML block: it starts with a tag that opens a
//! "type 6" block (`<p>`, `<figure>`, `<div>`…), which ends only at a blank
//! line, and it holds no blank line. `*`, `_` and indentation inside are
//! then never read as Markdown. The sanitizer, not this module, decides
//! what HTML is safe: nothing here may be relied on to remove scripts.
//!
//! The steps of [`post_body`]: control characters out; Gutenberg's block
//! comments out (a post that had them is a block post, which WordPress shows
//! without its automatic line breaks); shortcodes expanded
//! (`shortcode.rs`); paragraphs made as WordPress's `wpautop` makes them
//! (`autop.rs`); the result made one HTML block.

mod autop;
mod comment;
mod shortcode;

use crate::text::{self, Piece};
use std::collections::HashMap;

pub use comment::comment_markdown;

/// A media library item, as the importer read it from the export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// The file's URL (`wp:attachment_url`).
    pub url: String,
    /// The post it was uploaded to, 0 for none.
    pub parent: i64,
    /// Its alternative text (`_wp_attachment_image_alt`).
    pub alt: String,
    /// Its caption (the attachment's excerpt).
    pub caption: String,
}

/// What a post's conversion needs to know beyond its content.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The post's WordPress id: a gallery without ids shows its attachments.
    pub post_id: i64,
    /// Every attachment of the export, by WordPress id.
    pub attachments: &'a HashMap<i64, Attachment>,
}

/// A post's body, converted.
#[derive(Debug, Default)]
pub struct Converted {
    /// One CommonMark HTML block (see the module's documentation); empty
    /// for an empty post.
    pub html: String,
    /// Shortcodes Dateline does not know, once per use, in order. Their tags
    /// are gone from `html`; what they enclosed is kept.
    pub unknown_shortcodes: Vec<String>,
    /// The `src` of every image in `html`, entities decoded, in order.
    pub images: Vec<String>,
    /// How many control characters were removed.
    pub controls_removed: usize,
}

/// Converts a post's `content:encoded` into an article body.
pub fn post_body(raw: &str, cx: &Context) -> Converted {
    let (clean, controls_removed) = text::strip_controls(raw);
    let clean = normalize_newlines(&clean);
    let (unblocked, block_post) = without_block_comments(&clean);
    let (expanded, unknown_shortcodes) = shortcode::expand(&unblocked, cx);
    let html = one_html_block(&autop::paragraphs(&expanded, !block_post));
    Converted {
        images: image_sources(&html),
        html,
        unknown_shortcodes,
        controls_removed,
    }
}

/// Text for titles, excerpts and names: entities decoded, tags dropped (a
/// block-level tag or `<br>` leaves a space, an inline one nothing; script
/// and style contents go with them), whitespace collapsed, control
/// characters removed.
pub fn plain_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut hidden: Option<String> = None;
    for piece in text::pieces(raw) {
        match piece {
            Piece::Text(t) if hidden.is_none() => out.push_str(&text::decode_entities(t)),
            Piece::Tag(tag) if hidden.as_deref() == Some(tag.name.as_str()) => {
                hidden = None;
            }
            Piece::Tag(tag) if hidden.is_none() => {
                if matches!(tag.name.as_str(), "script" | "style") && !tag.closing {
                    hidden = Some(tag.name);
                } else if !is_inline(&tag.name) {
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
    text::collapse_whitespace(&text::strip_controls(&out).0)
}

/// Whether an element of this name sits inside a line of text, so that
/// dropping its tags must not separate words.
fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "acronym"
            | "b"
            | "bdi"
            | "bdo"
            | "cite"
            | "code"
            | "del"
            | "dfn"
            | "em"
            | "font"
            | "i"
            | "ins"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strike"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "u"
            | "var"
    )
}

/// `s` with Windows and old Mac line ends made `\n`.
fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// `s` without Gutenberg's block delimiters (`<!-- wp:name {…} -->`,
/// `<!-- /wp:name -->`, `<!-- wp:name /-->`), and whether it had any.
/// A comment ends at the first `-->`; other comments stay whole.
fn without_block_comments(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len());
    let mut found = false;
    let mut rest = s;
    while let Some(at) = rest.find("<!--") {
        let after = &rest[at + 4..];
        // No end: it runs to the end of the text, which stays as it is.
        let Some(len) = after.find("-->") else {
            break;
        };
        let body = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if body.starts_with("wp:") || body.starts_with("/wp:") {
            out.push_str(&rest[..at]);
            found = true;
        } else {
            out.push_str(&rest[..at + 4 + len + 3]);
        }
        rest = &after[len + 3..];
    }
    out.push_str(rest);
    (out, found)
}

/// Whether `url` may become a link or an image source in a body: http(s),
/// or a path on the site itself, with no character that does not belong
/// in a URL.
fn is_body_url(url: &str) -> bool {
    let plausible = !url.is_empty()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
    let web = ["http://", "https://"]
        .iter()
        .any(|p| text::starts_with_ignore_case(url, p) && url.len() > p.len());
    let local = url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\");
    plausible && (web || local)
}

/// A paragraph linking to `url` with `label` (both as text, escaped here),
/// or holding `label` and the URL as text when `url` is no link for a body.
fn link_paragraph(url: &str, label: &str) -> String {
    if is_body_url(url) {
        format!(
            "<p><a href=\"{}\">{}</a></p>",
            text::escape_html(url),
            text::escape_html(label)
        )
    } else if label == url {
        format!("<p>{}</p>", text::escape_html(url))
    } else {
        format!(
            "<p>{} {}</p>",
            text::escape_html(label),
            text::escape_html(url)
        )
    }
}

/// The `src` of every `<img>` in `html`, entities decoded, in order.
fn image_sources(html: &str) -> Vec<String> {
    text::pieces(html)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Tag(tag) if tag.name == "img" && !tag.closing => {
                let src = text::decode_entities(tag.attr("src")?);
                let src = src.trim();
                (!src.is_empty()).then(|| src.to_owned())
            }
            _ => None,
        })
        .collect()
}

/// Element names that open a CommonMark "type 6" HTML block: such a block
/// runs to the first blank line, whatever it holds.
const TYPE_6: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

/// What opens every body that would not otherwise start a type 6 block
/// (one starting with `<pre>`, a comment, or text): an element the
/// sanitizer removes without a trace, so the body reads as before.
const OPENER: &str = "<div></div>\n";

/// `html` as one CommonMark HTML block: blank lines removed outside
/// `<pre>`, inside it written so that no line is blank (an empty line's
/// line end becomes `&#10;`, which the HTML parser reads back), trimmed, and
/// opened with [`OPENER`] unless it starts with a type 6 tag already.
fn one_html_block(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + OPENER.len());
    let mut in_pre = false;
    for piece in text::pieces(html) {
        match piece {
            Piece::Text(t) if in_pre => out.push_str(&encode_blank_lines(t)),
            Piece::Text(t) | Piece::Comment(t) => out.push_str(&drop_blank_lines(t)),
            Piece::Tag(tag) => {
                if tag.name == "pre" && !tag.self_closing {
                    in_pre = !tag.closing;
                }
                out.push_str(&drop_blank_lines(tag.raw));
            }
        }
    }
    let body = out.trim();
    if body.is_empty() || starts_type_6(body) {
        body.to_owned()
    } else {
        format!("{OPENER}{body}")
    }
}

/// `s` without the lines in it that hold only whitespace. Its first and
/// last parts continue lines that other markup shares, so they stay.
fn drop_blank_lines(s: &str) -> String {
    let parts: Vec<&str> = s.split('\n').collect();
    let last = parts.len() - 1;
    let mut out = String::with_capacity(s.len());
    for (i, part) in parts.iter().enumerate() {
        let whole_line = i > 0 && i < last;
        if whole_line && text::is_blank(part) {
            continue;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(part);
    }
    out
}

/// Preformatted text with no blank line: a line holding only whitespace
/// ends in `&#10;` instead of a line end, so the line and the next one join
/// while the text keeps every line end ("a\n\nb" becomes "a\n&#10;b").
fn encode_blank_lines(s: &str) -> String {
    let parts: Vec<&str> = s.split('\n').collect();
    let last = parts.len() - 1;
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        out.push_str(part);
        if i == last {
            break;
        }
        // The first part continues the line of the markup before it, so
        // only later ones can be blank lines.
        if i > 0 && text::is_blank(part) {
            out.push_str("&#10;");
        } else {
            out.push('\n');
        }
    }
    out
}

/// Whether `s` starts with a tag that opens a type 6 HTML block: `<` or
/// `</`, one of [`TYPE_6`] in any case, then whitespace, `>`, `/>` or the
/// end of the line.
fn starts_type_6(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('<') else {
        return false;
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = rest[..len].to_ascii_lowercase();
    let after = &rest[len..];
    TYPE_6.contains(&name.as_str())
        && (after.is_empty()
            || after.starts_with(|c: char| c.is_ascii_whitespace() || c == '>')
            || after.starts_with("/>"))
}

#[cfg(test)]
mod tests;
