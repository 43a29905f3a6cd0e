//! Reading sanitized HTML as html5ever's tokenizer sees it: its paragraphs
//! with their words, its plain text, and a copy with the paragraphs' opening
//! tags and ends changed.
//!
//! Only for HTML that came out of one of this crate's sanitizers: no
//! script, style or other raw-text element, every element closed, so the
//! tokenizer alone (without the tree builder that switches its states)
//! reads it exactly, and the n-th `<p>` start tag is the n-th paragraph.
//! A copy made by `rewrite` is never shown as it is: it goes through a
//! sanitizer again (`policy.rs`), which is what makes it safe. The copy
//! leaves out control and private-use characters, in text and attributes.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;

/// The tokens of `html`, text runs joined.
pub(crate) fn tokens(html: &str) -> Vec<Token> {
    let sink = Collect(RefCell::new(Vec::new()));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.into_inner()
}

struct Collect(RefCell<Vec<Token>>);

impl TokenSink for Collect {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut out = self.0.borrow_mut();
        match (token, out.last_mut()) {
            (Token::CharacterTokens(more), Some(Token::CharacterTokens(text))) => {
                text.push_tendril(&more);
            }
            (Token::ParseError(_) | Token::EOFToken | Token::NullCharacterToken, _) => {}
            (token, _) => out.push(token),
        }
        TokenSinkResult::Continue
    }
}

pub(crate) fn is_start<'a>(token: &'a Token, name: &str) -> Option<&'a Tag> {
    match token {
        Token::TagToken(tag) if tag.kind == TagKind::StartTag && &*tag.name == name => Some(tag),
        _ => None,
    }
}

fn is_end(token: &Token, name: &str) -> bool {
    matches!(token, Token::TagToken(tag) if tag.kind == TagKind::EndTag && &*tag.name == name)
}

/// The value of an attribute of a tag.
pub(crate) fn attribute<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| &*a.value)
}

/// One paragraph: its opening tag and its words.
pub(crate) struct Paragraph<'a> {
    pub(crate) tag: &'a Tag,
    pub(crate) text: String,
}

/// Every paragraph, in order, with its words (whitespace collapsed, the
/// characters `text::clean` drops dropped).
pub(crate) fn paragraphs(tokens: &[Token]) -> Vec<Paragraph<'_>> {
    let mut out: Vec<Paragraph<'_>> = Vec::new();
    // Indexes into `out` of the paragraphs open now (sanitized HTML never
    // nests them, but reading must not depend on it).
    let mut open: Vec<usize> = Vec::new();
    for token in tokens {
        if let Some(tag) = is_start(token, "p") {
            open.push(out.len());
            out.push(Paragraph {
                tag,
                text: String::new(),
            });
        } else if is_end(token, "p") {
            open.pop();
        } else if let (Token::CharacterTokens(t), Some(&i)) = (token, open.last()) {
            out[i].text.push_str(t);
        }
    }
    for p in &mut out {
        p.text = crate::text::clean(&p.text);
    }
    out
}

/// Elements whose end closes a block of text.
const BLOCKS: &[&str] = &[
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "td",
    "th",
    "caption",
    "figcaption",
    "table",
    "ul",
    "ol",
    "section",
];

/// The words of sanitized HTML: each block's text with whitespace collapsed,
/// blocks separated by a blank line.
pub(crate) fn plain_text(tokens: &[Token]) -> String {
    let mut blocks: Vec<String> = Vec::new();
    let mut block = String::new();
    let mut end_block = |block: &mut String| {
        let words = crate::text::clean(block);
        if !words.is_empty() {
            blocks.push(words);
        }
        block.clear();
    };
    for token in tokens {
        match token {
            Token::CharacterTokens(t) => block.push_str(t),
            Token::TagToken(tag) if &*tag.name == "br" => block.push(' '),
            Token::TagToken(tag) if BLOCKS.contains(&&*tag.name) => end_block(&mut block),
            _ => {}
        }
    }
    end_block(&mut block);
    blocks.join("\n\n")
}

/// What `rewrite` does to one paragraph.
pub(crate) struct Change<'a> {
    /// Attributes to set on its opening tag, replacing any of that name.
    pub(crate) set: Vec<(&'static str, String)>,
    /// Markup to put first inside it, and last.
    pub(crate) first: &'a str,
    pub(crate) last: &'a str,
}

/// A copy of sanitized HTML with paragraph `i` changed as `change(i, tag)`
/// says. The copy must be sanitized again before anyone sees it.
pub(crate) fn rewrite<'a>(
    tokens: &[Token],
    mut change: impl FnMut(usize, &Tag) -> Option<Change<'a>>,
) -> String {
    let mut out = String::new();
    let mut index = 0;
    let mut pending_last: Vec<Option<&'a str>> = Vec::new();
    for token in tokens {
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                if &*tag.name == "p" {
                    let c = change(index, tag);
                    index += 1;
                    let set = c.as_ref().map(|c| c.set.as_slice()).unwrap_or_default();
                    write_start(&mut out, tag, set);
                    if let Some(c) = &c {
                        out.push_str(c.first);
                    }
                    pending_last.push(c.map(|c| c.last));
                } else {
                    write_start(&mut out, tag, &[]);
                }
            }
            Token::TagToken(tag) => {
                if &*tag.name == "p"
                    && let Some(last) = pending_last.pop().flatten()
                {
                    out.push_str(last);
                }
                out.push_str("</");
                out.push_str(&tag.name);
                out.push('>');
            }
            Token::CharacterTokens(t) => escape_into(&mut out, t, false),
            _ => {}
        }
    }
    out
}

fn write_start(out: &mut String, tag: &Tag, set: &[(&'static str, String)]) {
    out.push('<');
    out.push_str(&tag.name);
    for (name, value) in set {
        write_attribute(out, name, value);
    }
    for a in &tag.attrs {
        if !set.iter().any(|(name, _)| *name == &*a.name.local) {
            write_attribute(out, &a.name.local, &a.value);
        }
    }
    out.push('>');
}

fn write_attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_into(out, value, true);
    out.push('"');
}

/// Escapes as html5ever's serializer does: `&`, no-break spaces, and `"`
/// in attributes or `<` and `>` in text. Characters no reader means
/// (`text::is_unseen`) are left out.
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars().filter(|c| !crate::text::is_unseen(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            '"' if attribute => out.push_str("&quot;"),
            '<' if !attribute => out.push_str("&lt;"),
            '>' if !attribute => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_text() {
        let html = "<h2>Head</h2>\n<p>One &amp; <em>two</em>\nthree</p>\n<ul>\n<li>a</li>\n<li><p>b</p></li>\n</ul>\n<pre><code>x\ny</code></pre>";
        let t = tokens(html);
        let texts: Vec<String> = paragraphs(&t).into_iter().map(|p| p.text).collect();
        assert_eq!(texts, ["One & two three", "b"]);
        assert_eq!(plain_text(&t), "Head\n\nOne & two three\n\na\n\nb\n\nx y");
    }

    #[test]
    fn rewrite_changes_only_paragraphs() {
        let html = "<p title=\"a &quot;b&quot;\">x &lt; y</p><blockquote><p>z</p></blockquote>";
        let t = tokens(html);
        let out = rewrite(&t, |i, _| {
            Some(Change {
                set: vec![("id", format!("p{}", i + 1))],
                first: "<b>",
                last: "</b>",
            })
        });
        assert_eq!(
            out,
            "<p id=\"p1\" title=\"a &quot;b&quot;\"><b>x &lt; y</b></p><blockquote><p id=\"p2\"><b>z</b></p></blockquote>"
        );
    }
}
