//! WordPress shortcodes: `[name attr="v" attr2='v' attr3=v bare]`,
//! self-closing `[name /]`, enclosing `[name …]inner[/name]`, and escaped
//! `[[name]]`, which stands for the literal `[name]`.
//!
//! The ones whose meaning survives without WordPress become HTML: captions,
//! galleries, embeds, audio, video and playlists. Any other is unknown: its
//! tags go, what it encloses stays, and its name is reported. Reporters
//! write brackets too ("[sic]", "[1]", "[Editor's note]"), so a bracketed
//! word counts as a shortcode only if it could be nothing else: it has a
//! `name=value` attribute, is written self-closing, or a `[/name]` closes it
//! later. As in WordPress, an enclosing shortcode ends at the first
//! `[/name]` after it, so one cannot hold another of its own name.
//!
//! Text inside `<pre>` and `<code>` is left alone: there a shortcode is
//! being shown, not used.

use super::{Attachment, Context, is_body_url, link_paragraph};
use crate::text;
use std::collections::HashMap;

/// How deeply enclosing shortcodes are expanded; deeper ones are kept as
/// written.
const MAX_DEPTH: usize = 16;

/// Attributes that name an audio or video file, in the order WordPress
/// prefers them.
const MEDIA_SOURCES: [&str; 11] = [
    "src", "mp3", "m4a", "ogg", "wav", "mp4", "webm", "ogv", "m4v", "flv", "wmv",
];

/// `text` with its shortcodes expanded, and the names of the unknown ones,
/// once per use, in order. Block-level results stand apart, between blank
/// lines, to become their own blocks.
pub(super) fn expand(text: &str, cx: &Context) -> (String, Vec<String>) {
    let mut expander = Expander {
        text,
        cx,
        closings: closing_tags(text),
        unknown: Vec::new(),
    };
    let mut out = String::with_capacity(text.len());
    expander.range(0, text.len(), 0, &mut out);
    (out, expander.unknown)
}

/// A shortcode's opening tag.
struct Opening<'t> {
    name: &'t str,
    attributes: &'t str,
    /// Where the tag ends, just after its `]`.
    end: usize,
    self_closing: bool,
}

/// A shortcode as used in the text.
struct Shortcode<'t> {
    opening: Opening<'t>,
    /// What it encloses (start and end), if a `[/name]` closes it.
    inner: Option<(usize, usize)>,
    /// Where it ends: after its closing tag, or else its opening tag.
    end: usize,
}

impl Shortcode<'_> {
    /// Whether it is a shortcode rather than words in brackets.
    fn is_meant(&self) -> bool {
        matches!(self.opening.name, "gallery" | "playlist")
            || self.inner.is_some()
            || self.opening.self_closing
            || attributes(self.opening.attributes)
                .iter()
                .any(|(name, _)| !name.is_empty())
    }
}

/// Expands shortcodes over one text, all of whose closing tags it knows.
struct Expander<'t, 'c> {
    text: &'t str,
    cx: &'c Context<'c>,
    /// Where each `[/name]` starts, by name, in order.
    closings: HashMap<&'t str, Vec<usize>>,
    unknown: Vec<String>,
}

impl<'t> Expander<'t, '_> {
    /// Writes `text[start..end]` to `out` with its shortcodes expanded,
    /// `depth` enclosing shortcodes deep.
    fn range(&mut self, start: usize, end: usize, depth: usize, out: &mut String) {
        let text = self.text;
        let mut copied = start;
        let mut at = start;
        while let Some(found) = text[at..end].find(['[', '<']) {
            let pos = at + found;
            if text.as_bytes()[pos] == b'<' {
                at = verbatim_end(text, pos, end).unwrap_or(pos + 1);
                continue;
            }
            if let Some((literal, after)) = self.escaped_at(pos, end) {
                out.push_str(&text[copied..pos]);
                out.push_str(literal);
                (copied, at) = (after, after);
                continue;
            }
            match self.shortcode_at(pos, end).filter(Shortcode::is_meant) {
                Some(shortcode) => {
                    out.push_str(&text[copied..pos]);
                    self.render(&shortcode, depth, out);
                    (copied, at) = (shortcode.end, shortcode.end);
                }
                None => at = pos + 1,
            }
        }
        out.push_str(&text[copied..end]);
    }

    /// The shortcode whose `[` is at `at`, ending by `limit`.
    fn shortcode_at(&self, at: usize, limit: usize) -> Option<Shortcode<'t>> {
        let opening = opening_tag(self.text, at).filter(|o| o.end <= limit)?;
        let close = if opening.self_closing {
            None
        } else {
            self.closing_between(opening.name, opening.end, limit)
        };
        let (inner, end) = match close {
            Some(close) => (Some((opening.end, close)), close + opening.name.len() + 3),
            None => (None, opening.end),
        };
        Some(Shortcode {
            opening,
            inner,
            end,
        })
    }

    /// Where the first `[/name]` from `from` starts, if it ends by `limit`.
    fn closing_between(&self, name: &str, from: usize, limit: usize) -> Option<usize> {
        let starts = self.closings.get(name)?;
        let first = starts[starts.partition_point(|&p| p < from)..].first()?;
        (first + name.len() + 3 <= limit).then_some(*first)
    }

    /// An escaped shortcode at `at` (`[[name …]]` or `[[name]…[/name]]`):
    /// the literal text it stands for, and where it ends.
    fn escaped_at(&self, at: usize, limit: usize) -> Option<(&'t str, usize)> {
        let b = self.text.as_bytes();
        if b.get(at + 1) != Some(&b'[') {
            return None;
        }
        let shortcode = self.shortcode_at(at + 1, limit)?;
        if !shortcode.is_meant() && !is_known(shortcode.opening.name) {
            return None;
        }
        let opening_end = shortcode.opening.end;
        if opening_end < limit && b.get(opening_end) == Some(&b']') {
            return Some((&self.text[at + 1..opening_end], opening_end + 1));
        }
        let end = shortcode.end;
        let escaped = shortcode.inner.is_some() && end < limit && b.get(end) == Some(&b']');
        escaped.then(|| (&self.text[at + 1..end], end + 1))
    }

    /// Writes what `shortcode` becomes.
    fn render(&mut self, shortcode: &Shortcode, depth: usize, out: &mut String) {
        let attrs = attributes(shortcode.opening.attributes);
        match shortcode.opening.name {
            "caption" | "wp_caption" => {
                let mut inner = String::new();
                self.inner(shortcode, depth, &mut inner);
                match figure(&inner, &attrs) {
                    Some(html) => push_block(out, &html),
                    None => out.push_str(&inner),
                }
            }
            "gallery" => push_block(out, &gallery(&attrs, self.cx)),
            "embed" => {
                let inner = shortcode.inner.map_or("", |(s, e)| &self.text[s..e]);
                let url = text::decode_entities(text::trim_ascii(inner));
                if !url.is_empty() {
                    push_block(out, &link_paragraph(&url, &url));
                }
            }
            "audio" | "video" => match media(shortcode.opening.name, &attrs) {
                Some(html) => push_block(out, &html),
                None => self.inner(shortcode, depth, out),
            },
            "playlist" => push_block(out, &playlist(&attrs, self.cx)),
            name => {
                self.unknown.push(name.to_owned());
                self.inner(shortcode, depth, out);
            }
        }
    }

    /// Writes what `shortcode` encloses, expanded.
    fn inner(&mut self, shortcode: &Shortcode, depth: usize, out: &mut String) {
        let Some((start, end)) = shortcode.inner else {
            return;
        };
        if depth >= MAX_DEPTH {
            out.push_str(&self.text[start..end]);
        } else {
            self.range(start, end, depth + 1, out);
        }
    }
}

/// Whether Dateline converts shortcodes of this name.
fn is_known(name: &str) -> bool {
    matches!(
        name,
        "caption" | "wp_caption" | "gallery" | "embed" | "audio" | "video" | "playlist"
    )
}

/// `html` on its own, between blank lines, so that it makes a block.
fn push_block(out: &mut String, html: &str) {
    if !html.is_empty() {
        out.push_str("\n\n");
        out.push_str(html);
        out.push_str("\n\n");
    }
}

/// Whether a name byte (`[A-Za-z0-9_-]`).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The opening tag whose `[` is at `at`: a name (a letter, then letters,
/// digits, `_`, `-`) followed by `]`, `/]` or whitespace and attributes up
/// to the next `]` (a `[` before it means this is no tag).
fn opening_tag(text: &str, at: usize) -> Option<Opening<'_>> {
    let b = text.as_bytes();
    let name_start = at + 1;
    if !b.get(name_start)?.is_ascii_alphabetic() {
        return None;
    }
    let name_end = name_start
        + b[name_start..]
            .iter()
            .take_while(|&&c| is_name_byte(c))
            .count();
    let name = &text[name_start..name_end];
    let opening = |attributes, end, self_closing| Opening {
        name,
        attributes,
        end,
        self_closing,
    };
    match *b.get(name_end)? {
        b']' => Some(opening("", name_end + 1, false)),
        b'/' if b.get(name_end + 1) == Some(&b']') => Some(opening("", name_end + 2, true)),
        c if c.is_ascii_whitespace() => {
            let len = text[name_end..].find(['[', ']'])?;
            if b[name_end + len] != b']' {
                return None;
            }
            let written = &text[name_end..name_end + len];
            let (attributes, self_closing) = match written.trim_end().strip_suffix('/') {
                Some(before) => (before, true),
                None => (written, false),
            };
            Some(opening(attributes, name_end + len + 1, self_closing))
        }
        _ => None,
    }
}

/// Where every `[/name]` in `text` starts, by name, in order.
fn closing_tags(text: &str) -> HashMap<&str, Vec<usize>> {
    let mut found: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("[/") {
        let start = at + i;
        let name_start = start + 2;
        let rest = &text.as_bytes()[name_start..];
        let len = rest.iter().take_while(|&&c| is_name_byte(c)).count();
        if rest.first().is_some_and(u8::is_ascii_alphabetic) && rest.get(len) == Some(&b']') {
            found
                .entry(&text[name_start..name_start + len])
                .or_default()
                .push(start);
        }
        at = name_start;
    }
    found
}

/// If a `<pre>` or `<code>` element starts at `pos`, where it ends (or
/// `limit`, when nothing closes it or its tag is left open).
fn verbatim_end(text: &str, pos: usize, limit: usize) -> Option<usize> {
    let rest = &text[pos + 1..limit];
    let name = ["pre", "code"].into_iter().find(|name| {
        text::starts_with_ignore_case(rest, name)
            && rest[name.len()..]
                .starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
    })?;
    let Some(tag) = text::parse_tag(&text[..limit], pos) else {
        return Some(limit);
    };
    let after = pos + tag.raw.len();
    let closing = format!("</{name}");
    let end = text::find_ignore_case(&text[after..limit], &closing)
        .map_or(limit, |i| after + i + closing.len());
    Some(end)
}

/// A shortcode's attributes: `name="v"`, `name='v'` and `name=v` with the
/// name in lower case, and positional values (`"v"`, `v`) with an empty
/// name. Values are as written: entities are not decoded.
fn attributes(written: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = written.trim_start();
    while !rest.is_empty() {
        let name_len = rest.bytes().take_while(|&b| is_name_byte(b)).count();
        let after_name = rest[name_len..].trim_start();
        let (name, (value, next)) = match after_name.strip_prefix('=') {
            Some(value) if name_len > 0 => (
                rest[..name_len].to_ascii_lowercase(),
                attribute_value(value.trim_start()),
            ),
            _ => (String::new(), attribute_value(rest)),
        };
        found.push((name, value.to_owned()));
        rest = next.trim_start();
    }
    found
}

/// A value at the start of `s`, quoted or running to whitespace, and the
/// text after it.
fn attribute_value(s: &str) -> (&str, &str) {
    if let Some(quote) = s.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        let body = &s[1..];
        return match body.find(quote) {
            Some(end) => (&body[..end], &body[end + 1..]),
            None => (body, ""),
        };
    }
    let len = s.find(|c: char| c.is_whitespace()).unwrap_or(s.len());
    (&s[..len], &s[len..])
}

/// The value of attribute `name`.
fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A caption's figure: its image (linked or not) first, then the caption
/// text (as written, it may hold inline HTML) or, in old exports, the
/// `caption` attribute. `None` when it holds no image to caption.
fn figure(inner: &str, attrs: &[(String, String)]) -> Option<String> {
    let body = text::trim_ascii(inner);
    let media_len = leading_image(body)?;
    let (media, caption) = body.split_at(media_len);
    let caption = match text::trim_ascii(caption) {
        "" => text::trim_ascii(attr(attrs, "caption").unwrap_or_default()),
        written => written,
    };
    Some(if caption.is_empty() {
        format!("<figure>{media}</figure>")
    } else {
        format!("<figure>{media}<figcaption>{caption}</figcaption></figure>")
    })
}

/// How long the image at the start of `html` is: an `<img>` tag, or a link
/// up to its `</a>` that holds one.
fn leading_image(html: &str) -> Option<usize> {
    let tag = text::parse_tag(html, 0).filter(|t| !t.closing)?;
    match tag.name.as_str() {
        "img" => Some(tag.raw.len()),
        "a" => {
            let close = text::find_ignore_case(html, "</a>")?;
            text::find_ignore_case(&html[..close], "<img").map(|_| close + 4)
        }
        _ => None,
    }
}

/// A gallery's figure: the attachments `ids` (or `include`) names, in that
/// order, skipping unknown ones; without them, the post's own images by id.
fn gallery(attrs: &[(String, String)], cx: &Context) -> String {
    let items = match attr(attrs, "ids").or_else(|| attr(attrs, "include")) {
        Some(ids) => attachments_by_id(ids, cx),
        None => post_attachments(cx, &["jpg", "jpeg", "png", "gif", "webp", "avif", "bmp"]),
    };
    let images: String = items
        .iter()
        .filter_map(|a| {
            let url = text::trim_ascii(&a.url);
            is_body_url(url).then(|| {
                format!(
                    "<img src=\"{}\" alt=\"{}\">",
                    text::escape_html(url),
                    text::escape_html(&a.alt)
                )
            })
        })
        .collect();
    if images.is_empty() {
        String::new()
    } else {
        format!("<figure>{images}</figure>")
    }
}

/// The attachments a comma-separated list of ids names, in its order.
fn attachments_by_id<'a>(ids: &str, cx: &Context<'a>) -> Vec<&'a Attachment> {
    ids.split(',')
        .filter_map(|id| id.trim().parse::<i64>().ok())
        .filter_map(|id| cx.attachments.get(&id))
        .collect()
}

/// The post's own attachments whose file has one of `extensions`, by id.
/// A post without an id (0) has none: unattached files have parent 0.
fn post_attachments<'a>(cx: &Context<'a>, extensions: &[&str]) -> Vec<&'a Attachment> {
    if cx.post_id <= 0 {
        return Vec::new();
    }
    let mut found: Vec<(i64, &Attachment)> = cx
        .attachments
        .iter()
        .filter(|(_, a)| a.parent == cx.post_id && extensions.contains(&extension(&a.url).as_str()))
        .map(|(id, a)| (*id, a))
        .collect();
    found.sort_by_key(|(id, _)| *id);
    found.into_iter().map(|(_, a)| a).collect()
}

/// An audio or video shortcode as a paragraph linking to its file
/// ("Listen: interview.mp3"), or `None` when it names no file.
fn media(name: &str, attrs: &[(String, String)]) -> Option<String> {
    let url = MEDIA_SOURCES.iter().find_map(|key| {
        let url = text::decode_entities(text::trim_ascii(attr(attrs, key)?));
        (!url.is_empty()).then_some(url)
    })?;
    let verb = if name == "video" { "Watch" } else { "Listen" };
    Some(link_paragraph(
        &url,
        &format!("{verb}: {}", file_name(&url)),
    ))
}

/// A playlist as a list of links to its files: the attachments `ids`
/// names, or the post's own audio (video with `type="video"`) files.
fn playlist(attrs: &[(String, String)], cx: &Context) -> String {
    let items = match attr(attrs, "ids") {
        Some(ids) => attachments_by_id(ids, cx),
        None if attr(attrs, "type") == Some("video") => {
            post_attachments(cx, &["mp4", "m4v", "webm", "ogv", "wmv", "flv", "mov"])
        }
        None => post_attachments(cx, &["mp3", "m4a", "ogg", "oga", "wav", "wma", "flac"]),
    };
    let entries: String = items
        .iter()
        .map(|a| text::trim_ascii(&a.url))
        .filter(|url| is_body_url(url))
        .map(|url| {
            format!(
                "<li><a href=\"{}\">{}</a></li>",
                text::escape_html(url),
                text::escape_html(&file_name(url))
            )
        })
        .collect();
    if entries.is_empty() {
        String::new()
    } else {
        format!("<ul>{entries}</ul>")
    }
}

/// The path of `url` without its query and fragment.
fn url_path(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The last segment of `url`'s path, percent-decoded, or the URL itself
/// when that is empty.
fn file_name(url: &str) -> String {
    let last = url_path(url).rsplit('/').next().unwrap_or_default();
    let name = text::percent_decode_slug(last);
    if name.trim().is_empty() {
        url.to_owned()
    } else {
        name
    }
}

/// The extension of `url`'s file, in lower case.
fn extension(url: &str) -> String {
    let last = url_path(url).rsplit('/').next().unwrap_or_default();
    last.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
