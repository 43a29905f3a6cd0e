//! A WordPress comment's HTML as Dateline's comment Markdown.
//!
//! WordPress lets commenters use a, abbr, acronym, b, blockquote, cite,
//! code, del, em, i, q, s, strike, strong (and keeps p, br, lists and pre
//! from older versions); it stores paragraphs as blank lines and line
//! breaks as line ends. Those become Markdown: `*` and `**`, `~~`,
//! `[text](<url>)` for http(s) and mailto links (other links keep only
//! their text), `> ` quotes, `- ` and `1. ` lists, code spans and fenced
//! code, blank lines between paragraphs, a backslash at the end of a line
//! for a line break. abbr and acronym keep their text; q becomes quotation
//! marks.
//!
//! Any other tag (`<script>`, `<img onerror=…>`) is not interpreted: it is
//! kept as the text it is, escaped so that Markdown reads it as text too,
//! and a reader sees what the stored comment holds. Characters that would
//! mean something in Markdown are escaped where they came from text, so the
//! comment reads as it did. Entities are decoded; control characters go.

mod render;

use crate::text::{self, Piece, Tag};
use render::{Block, MAX_LIST_START, Mark, Marked};

/// How deeply quotes and lists nest; deeper ones add no level (their words
/// stay). Dateline's comment renderer shows no more.
const MAX_NESTING: usize = 16;

/// How many inline elements may be open at once; deeper ones keep only
/// their words.
const MAX_SPANS: usize = 16;

/// Converts a comment's HTML to Dateline's comment Markdown.
pub fn comment_markdown(raw: &str) -> String {
    let (clean, _) = text::strip_controls(raw);
    let clean = super::normalize_newlines(&clean);
    let mut builder = Builder::default();
    for piece in text::pieces(&clean) {
        builder.piece(&piece);
    }
    let markdown = render::blocks(&builder.finish());
    // Decoded references may have brought control characters back.
    text::strip_controls(&markdown).0.replace('\r', "")
}

/// A block element still open.
#[derive(Debug)]
enum Frame {
    Quote(Vec<Block>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Item(Vec<Block>),
}

/// What kind of block element a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Quote = 0,
    List = 1,
    Item = 2,
}

impl Frame {
    fn kind(&self) -> FrameKind {
        match self {
            Frame::Quote(_) => FrameKind::Quote,
            Frame::List { .. } => FrameKind::List,
            Frame::Item(_) => FrameKind::Item,
        }
    }
}

/// An inline element still open.
#[derive(Debug)]
struct Span {
    kind: SpanKind,
    /// Where its content starts in the paragraph.
    at: usize,
    /// False when it adds nothing (nested in one of its kind, or too deep).
    active: bool,
}

#[derive(Debug)]
enum SpanKind {
    Emphasis,
    Strong,
    Strike,
    Quotation,
    /// The link's URL, if it is one a comment may link to.
    Link(Option<String>),
}

impl SpanKind {
    fn same_as(&self, other: &SpanKind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// The markup it becomes, if any (a link to a URL a comment may not
    /// link to keeps only its text).
    fn into_mark(self) -> Option<Mark> {
        Some(match self {
            SpanKind::Emphasis => Mark::Emphasis,
            SpanKind::Strong => Mark::Strong,
            SpanKind::Strike => Mark::Strike,
            SpanKind::Quotation => Mark::Quotation,
            SpanKind::Link(url) => Mark::Link(url?),
        })
    }
}

/// Builds the comment's blocks from its pieces.
#[derive(Debug, Default)]
struct Builder {
    root: Vec<Block>,
    frames: Vec<Frame>,
    /// Start tags not opened for depth, by [`FrameKind`], so that their end
    /// tags close nothing.
    unopened: [usize; 3],
    /// The open paragraph's text, escaped, without its inline markup.
    paragraph: String,
    /// The open paragraph's inline markup, written when it ends.
    marks: Vec<Marked>,
    spans: Vec<Span>,
    /// An open `<code>` outside `<pre>`: its text as written.
    code: Option<String>,
    /// An open `<pre>`: its text as written.
    pre: Option<String>,
}

impl Builder {
    fn piece(&mut self, piece: &Piece) {
        if self.pre.is_some() {
            self.piece_in_pre(piece);
            return;
        }
        match piece {
            Piece::Text(t) => self.text(&text::decode_entities(t)),
            Piece::Tag(tag) => self.tag(tag),
            Piece::Comment(_) => {}
        }
    }

    /// Inside `<pre>` text is kept as written; allowed tags are dropped,
    /// others shown as typed.
    fn piece_in_pre(&mut self, piece: &Piece) {
        if let Piece::Tag(tag) = piece
            && tag.name == "pre"
            && tag.closing
        {
            if let Some(code) = self.pre.take() {
                self.push_block(Block::Code(code));
            }
            return;
        }
        let Some(pre) = self.pre.as_mut() else {
            return;
        };
        match piece {
            Piece::Text(t) => pre.push_str(&text::decode_entities(t)),
            Piece::Tag(tag) if tag.name == "br" => pre.push('\n'),
            Piece::Tag(tag) if is_allowed(&tag.name) => {}
            Piece::Tag(tag) => pre.push_str(tag.raw),
            Piece::Comment(_) => {}
        }
    }

    /// Text, entities decoded: a blank line ends the paragraph, a line end
    /// breaks the line.
    fn text(&mut self, decoded: &str) {
        if let Some(code) = self.code.as_mut() {
            code.push_str(decoded);
            return;
        }
        let mut newlines = 0;
        for (i, line) in decoded.split('\n').enumerate() {
            newlines += usize::from(i > 0);
            if text::is_blank(line) {
                if newlines == 0 {
                    self.inline_text(line);
                }
                continue;
            }
            self.line_ends(newlines);
            newlines = 0;
            self.inline_text(line);
        }
        self.line_ends(newlines);
    }

    /// What `count` line ends in a row mean.
    fn line_ends(&mut self, count: usize) {
        match count {
            0 => {}
            1 => self.line_break(),
            _ => self.end_paragraph(),
        }
    }

    /// Text of one line, escaped for Markdown, whitespace collapsed.
    fn inline_text(&mut self, s: &str) {
        let p = &mut self.paragraph;
        for (i, c) in s.char_indices() {
            match c {
                c if c.is_ascii_whitespace() => {
                    if !p.is_empty() && !p.ends_with([' ', '\n']) {
                        p.push(' ');
                    }
                }
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '~' => {
                    p.push('\\');
                    p.push(c);
                }
                '&' if looks_like_reference(&s[i + 1..]) => p.push_str("\\&"),
                _ => p.push(c),
            }
        }
    }

    fn line_break(&mut self) {
        if !self.paragraph.is_empty() && !self.paragraph.ends_with('\n') {
            self.paragraph.push('\n');
        }
    }

    fn end_paragraph(&mut self) {
        self.end_code();
        // Elements left open lose their markup and keep their words.
        self.spans.clear();
        let paragraph = std::mem::take(&mut self.paragraph);
        let marks = std::mem::take(&mut self.marks);
        if !text::is_blank(&paragraph) {
            self.push_block(Block::Paragraph(render::paragraph(&paragraph, marks)));
        }
    }

    fn tag(&mut self, tag: &Tag) {
        let name = tag.name.as_str();
        if self.code.is_some() {
            match name {
                "code" if tag.closing => return self.end_code(),
                "p" | "br" | "blockquote" | "ul" | "ol" | "li" | "pre" => self.end_code(),
                // Formatting inside code shows as none.
                _ if is_allowed(name) => return,
                _ => {
                    if let Some(code) = self.code.as_mut() {
                        code.push_str(tag.raw);
                    }
                    return;
                }
            }
        }
        match (name, tag.closing) {
            ("p", _) => self.end_paragraph(),
            ("br", _) => self.line_break(),
            ("blockquote", false) => self.open(Frame::Quote(Vec::new())),
            ("ul", false) => self.open(Frame::List {
                start: None,
                items: Vec::new(),
            }),
            ("ol", false) => self.open(Frame::List {
                start: Some(list_start(tag)),
                items: Vec::new(),
            }),
            ("li", false) => self.open_item(),
            ("blockquote", true) => self.close(FrameKind::Quote),
            ("ul" | "ol", true) => self.close(FrameKind::List),
            ("li", true) => self.close(FrameKind::Item),
            ("pre", false) => {
                self.end_paragraph();
                self.pre = Some(String::new());
            }
            ("code", false) => self.code = Some(String::new()),
            _ => match span_kind(tag) {
                Some(kind) if tag.closing => self.close_span(&kind),
                Some(kind) => self.open_span(kind),
                None if is_allowed(name) => {}
                None => self.inline_text_as_typed(tag.raw),
            },
        }
    }

    /// A tag that is not interpreted, as the text it is.
    fn inline_text_as_typed(&mut self, raw: &str) {
        for (i, line) in raw.split('\n').enumerate() {
            if i > 0 {
                self.line_break();
            }
            self.inline_text(line);
        }
    }

    fn open(&mut self, frame: Frame) {
        self.end_paragraph();
        if self.frames.len() >= MAX_NESTING {
            self.unopened[frame.kind() as usize] += 1;
        } else {
            self.frames.push(frame);
        }
    }

    fn open_item(&mut self) {
        self.end_paragraph();
        if matches!(self.frames.last(), Some(Frame::Item(_))) {
            self.pop_frame();
        }
        if !matches!(self.frames.last(), Some(Frame::List { .. })) {
            self.open(Frame::List {
                start: None,
                items: Vec::new(),
            });
        }
        self.open(Frame::Item(Vec::new()));
    }

    /// Closes the innermost open element of `kind` and any inside it.
    fn close(&mut self, kind: FrameKind) {
        self.end_paragraph();
        let unopened = &mut self.unopened[kind as usize];
        if *unopened > 0 {
            *unopened -= 1;
            return;
        }
        if let Some(at) = self.frames.iter().rposition(|f| f.kind() == kind) {
            while self.frames.len() > at {
                self.pop_frame();
            }
        }
    }

    fn pop_frame(&mut self) {
        match self.frames.pop() {
            Some(Frame::Quote(blocks)) => self.push_block(Block::Quote(blocks)),
            Some(Frame::List { start, items }) => self.push_block(Block::List { start, items }),
            Some(Frame::Item(blocks)) => match self.frames.last_mut() {
                Some(Frame::List { items, .. }) => items.push(blocks),
                _ => blocks.into_iter().for_each(|b| self.push_block(b)),
            },
            None => {}
        }
    }

    /// Adds a finished block to the innermost open element; in a list
    /// outside any item, to a new item.
    fn push_block(&mut self, block: Block) {
        match self.frames.last_mut() {
            None => self.root.push(block),
            Some(Frame::Quote(blocks) | Frame::Item(blocks)) => blocks.push(block),
            Some(Frame::List { .. }) => self.frames.push(Frame::Item(vec![block])),
        }
    }

    fn open_span(&mut self, kind: SpanKind) {
        let nested = self.spans.iter().any(|s| s.active && s.kind.same_as(&kind));
        let active = !nested && self.spans.len() < MAX_SPANS;
        self.spans.push(Span {
            kind,
            at: self.paragraph.len(),
            active,
        });
    }

    /// Closes the innermost open span of `kind`: its markup covers its
    /// content less the whitespace at its ends, which Markdown wants
    /// outside. Spans inside it that were left open lose theirs.
    fn close_span(&mut self, kind: &SpanKind) {
        let Some(at) = self.spans.iter().rposition(|s| s.kind.same_as(kind)) else {
            return;
        };
        self.spans.truncate(at + 1);
        let Some(span) = self.spans.pop().filter(|s| s.active) else {
            return;
        };
        let content = &self.paragraph[span.at..];
        let core = text::trim_ascii(content).len();
        let Some(mark) = span.kind.into_mark().filter(|_| core > 0) else {
            return;
        };
        let start = span.at + content.len()
            - content
                .trim_start_matches(|c: char| c.is_ascii_whitespace())
                .len();
        self.marks.push(Marked {
            mark,
            start,
            end: start + core,
        });
    }

    /// Writes an open `<code>` as a code span.
    fn end_code(&mut self) {
        let Some(code) = self.code.take() else {
            return;
        };
        let code = code.replace(['\n', '\r'], " ");
        let code = text::trim_ascii(&code);
        if code.is_empty() {
            return;
        }
        let fence = "`".repeat(render::longest_run(code, '`') + 1);
        let pad = if code.starts_with('`') || code.ends_with('`') {
            " "
        } else {
            ""
        };
        self.paragraph
            .push_str(&format!("{fence}{pad}{code}{pad}{fence}"));
    }

    fn finish(mut self) -> Vec<Block> {
        if let Some(code) = self.pre.take() {
            self.push_block(Block::Code(code));
        }
        self.end_paragraph();
        while !self.frames.is_empty() {
            self.pop_frame();
        }
        self.root
    }
}

/// Whether WordPress lets commenters use this element.
fn is_allowed(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "acronym"
            | "b"
            | "blockquote"
            | "cite"
            | "code"
            | "del"
            | "em"
            | "i"
            | "q"
            | "s"
            | "strike"
            | "strong"
            | "p"
            | "br"
            | "ul"
            | "ol"
            | "li"
            | "pre"
    )
}

/// The inline element a tag opens or closes, if it becomes Markdown.
fn span_kind(tag: &Tag) -> Option<SpanKind> {
    let kind = match tag.name.as_str() {
        "em" | "i" | "cite" => SpanKind::Emphasis,
        "strong" | "b" => SpanKind::Strong,
        "del" | "s" | "strike" => SpanKind::Strike,
        "q" => SpanKind::Quotation,
        "a" => SpanKind::Link(tag.attr("href").and_then(comment_href)),
        _ => return None,
    };
    Some(kind)
}

/// The URL of a link a comment may keep: http(s) or mailto.
fn comment_href(written: &str) -> Option<String> {
    let url = text::decode_entities(written);
    let url = text::trim_ascii(&url);
    let kept = ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| text::starts_with_ignore_case(url, p) && url.len() > p.len());
    kept.then(|| url.to_owned())
}

/// An `<ol>`'s first number.
fn list_start(tag: &Tag) -> u64 {
    tag.attr("start")
        .and_then(|s| text::trim_ascii(s).parse::<u64>().ok())
        .unwrap_or(1)
        .min(MAX_LIST_START)
}

/// Whether `s` (just after a `&`) would read as a character reference.
fn looks_like_reference(s: &str) -> bool {
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'#')
        .count();
    len > 0 && s[len..].starts_with(';')
}

#[cfg(test)]
mod tests;
