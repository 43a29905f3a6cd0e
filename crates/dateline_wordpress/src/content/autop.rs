//! Paragraphs as WordPress makes them when it shows a classic post
//! (`wpautop`): text separated by blank lines becomes paragraphs, and a
//! single line end becomes `<br>`.
//!
//! The HTML is read as a flat run of pieces while a stack of the open
//! block-level elements is kept (closing `<p>`, `<li>`, `<td>`… where HTML
//! closes them implicitly). Block-level tags are kept as written; `<pre>`
//! is kept whole, blank lines and all. What lies between block-level tags
//! (text and inline elements) is laid out by where it stands:
//!
//! - At the top, or inside an element that holds paragraphs (`blockquote`,
//!   `div`, `section`…), it is cut at blank lines and each part becomes a
//!   `<p>`, as WordPress does inside a blockquote. A part that is only a
//!   URL becomes a link (WordPress would embed it); one that is only
//!   comments (`<!--more-->`) stays bare rather than make an empty
//!   paragraph.
//! - Inside any other element (`p`, `li`, `h2`, `td`, `figure`…) it stays
//!   as it is, its blank lines dropped.
//!
//! Either way, line ends inside it become `<br>` unless the post was made
//! with blocks (Gutenberg), which WordPress shows without that step. Blank
//! lines between blocks are left for `one_html_block` to remove.

use super::{TYPE_6, link_paragraph};
use crate::text::{self, Piece, Tag};

/// Lays out `html` in paragraphs; `breaks` turns single line ends in text
/// into `<br>`.
pub(super) fn paragraphs(html: &str, breaks: bool) -> String {
    let mut layout = Layout {
        breaks,
        out: String::with_capacity(html.len() + html.len() / 8),
        stack: Vec::new(),
        run: String::new(),
    };
    let mut pieces = text::pieces(html).into_iter();
    while let Some(piece) = pieces.next() {
        match piece {
            Piece::Tag(tag) if is_block(&tag.name) => {
                layout.flush_run();
                layout.block_tag(&tag);
                if tag.name == "pre" && !tag.closing && !tag.self_closing {
                    layout.stack.pop();
                    for inner in pieces.by_ref() {
                        layout.out.push_str(inner.as_str());
                        if matches!(&inner, Piece::Tag(t) if t.name == "pre" && t.closing) {
                            break;
                        }
                    }
                }
            }
            // A line end inside a tag or comment is a space: it must not
            // become a `<br>`, nor a blank line cut the tag in two.
            Piece::Tag(tag) => layout.run.push_str(&tag.raw.replace('\n', " ")),
            Piece::Comment(c) => layout.run.push_str(&c.replace('\n', " ")),
            Piece::Text(t) => layout.run.push_str(t),
        }
    }
    layout.flush_run();
    layout.out
}

/// The layout under way.
struct Layout {
    breaks: bool,
    out: String,
    /// The open block-level elements, outermost first.
    stack: Vec<String>,
    /// Text and inline markup since the last block-level tag.
    run: String,
}

impl Layout {
    /// Writes a block-level tag and notes what it opens or closes.
    fn block_tag(&mut self, tag: &Tag) {
        if tag.closing {
            if let Some(open) = self.stack.iter().rposition(|n| *n == tag.name) {
                self.stack.truncate(open);
            }
        } else {
            self.close_implied_by(&tag.name);
            if !tag.self_closing && !is_void(&tag.name) {
                self.stack.push(tag.name.clone());
            }
        }
        self.out.push_str(tag.raw);
    }

    /// Pops the elements that a start tag `name` closes in HTML.
    fn close_implied_by(&mut self, name: &str) {
        let closed: &[&str] = match name {
            "li" => &["p", "li"],
            "dt" | "dd" => &["p", "dt", "dd"],
            "td" | "th" => &["td", "th"],
            "tr" => &["td", "th", "tr"],
            "thead" | "tbody" | "tfoot" => &["td", "th", "tr", "thead", "tbody", "tfoot"],
            n if closes_paragraph(n) => &["p"],
            _ => &[],
        };
        while self
            .stack
            .last()
            .is_some_and(|open| closed.contains(&open.as_str()))
        {
            self.stack.pop();
        }
    }

    /// Writes the text and inline markup gathered since the last block tag.
    fn flush_run(&mut self) {
        let run = std::mem::take(&mut self.run);
        let body = text::trim_ascii(&run);
        if body.is_empty() {
            self.out.push_str(edge(&run));
            return;
        }
        let body_at = run.len()
            - run
                .trim_start_matches(|c: char| c.is_ascii_whitespace())
                .len();
        self.out.push_str(edge(&run[..body_at]));
        let laid_out = if self.holds_paragraphs() {
            self.paragraphs(body)
        } else {
            self.lines(body)
        };
        self.out.push_str(&laid_out);
        self.out.push_str(edge(&run[body_at + body.len()..]));
    }

    /// Whether the innermost open element takes paragraphs.
    fn holds_paragraphs(&self) -> bool {
        self.stack.last().is_none_or(|name| {
            matches!(
                name.as_str(),
                "blockquote"
                    | "div"
                    | "section"
                    | "article"
                    | "aside"
                    | "main"
                    | "header"
                    | "footer"
                    | "nav"
                    | "details"
                    | "center"
                    | "form"
                    | "fieldset"
                    | "dialog"
                    | "search"
                    | "body"
                    | "html"
            )
        })
    }

    /// `body` cut at blank lines into paragraphs, one a line.
    fn paragraphs(&self, body: &str) -> String {
        let mut parts = Vec::new();
        let mut lines: Vec<&str> = Vec::new();
        for line in body.split('\n').chain([""]) {
            if !text::is_blank(line) {
                lines.push(line);
            } else if !lines.is_empty() {
                parts.push(self.paragraph(&lines.join("\n")));
                lines.clear();
            }
        }
        parts.join("\n")
    }

    /// One part of text between blank lines, as a block.
    fn paragraph(&self, part: &str) -> String {
        let part = text::trim_ascii(part);
        if let Some(url) = bare_url(part) {
            return link_paragraph(&url, &url);
        }
        if only_comments(part) {
            return part.to_owned();
        }
        format!("<p>{}</p>", self.lines(part))
    }

    /// `body` without blank lines, its line ends made `<br>` if wanted.
    fn lines(&self, body: &str) -> String {
        let lines: Vec<&str> = body.split('\n').filter(|l| !text::is_blank(l)).collect();
        let mut out = String::with_capacity(body.len() + lines.len() * 5);
        for (i, line) in lines.iter().enumerate() {
            out.push_str(line);
            if i + 1 < lines.len() {
                if self.breaks && !ends_with_br(line) {
                    out.push_str("<br>");
                }
                out.push('\n');
            }
        }
        out
    }
}

/// Whitespace at either end of a run, as written: one line end if it has
/// any (blank lines between blocks mean nothing), else the spaces.
fn edge(whitespace: &str) -> &str {
    if whitespace.contains('\n') {
        "\n"
    } else {
        whitespace
    }
}

/// Whether elements of this name are laid out as blocks.
fn is_block(name: &str) -> bool {
    TYPE_6.contains(&name) || matches!(name, "pre" | "hgroup")
}

/// Whether this element never has content.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "hr" | "col" | "base" | "basefont" | "frame" | "link" | "param" | "track"
    )
}

/// Whether a start tag of this name closes an open `<p>` in HTML.
fn closes_paragraph(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "search"
            | "section"
            | "summary"
            | "table"
            | "ul"
    )
}

/// The URL a part consists of, entities decoded: WordPress embeds a URL
/// standing alone on its line.
fn bare_url(part: &str) -> Option<String> {
    let web = ["http://", "https://"]
        .iter()
        .any(|p| text::starts_with_ignore_case(part, p) && part.len() > p.len());
    let plain = !part
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"'));
    (web && plain).then(|| text::decode_entities(part))
}

/// Whether `part` holds comments and nothing else.
fn only_comments(part: &str) -> bool {
    text::pieces(part).iter().all(|piece| match piece {
        Piece::Comment(_) => true,
        Piece::Text(t) => text::is_blank(t),
        Piece::Tag(_) => false,
    })
}

/// Whether `line` ends with a `<br>` tag.
fn ends_with_br(line: &str) -> bool {
    let line = line.trim_end();
    line.ends_with('>')
        && line
            .rfind('<')
            .and_then(|at| text::parse_tag(line, at))
            .is_some_and(|tag| tag.name == "br" && !tag.closing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classic(html: &str) -> String {
        paragraphs(html, true)
    }

    #[test]
    fn text_becomes_paragraphs_and_line_breaks() {
        assert_eq!(
            classic("First line\nsecond line\n\n\nNext paragraph"),
            "<p>First line<br>\nsecond line</p>\n<p>Next paragraph</p>"
        );
        assert_eq!(classic("a<br />\nb"), "<p>a<br />\nb</p>");
        assert_eq!(paragraphs("a\nb\n\nc", false), "<p>a\nb</p>\n<p>c</p>");
    }

    #[test]
    fn block_tags_are_kept_and_text_around_them_becomes_paragraphs() {
        assert_eq!(
            classic("<h2>Title</h2>\nText under it\n<hr>\nMore"),
            "<h2>Title</h2>\n<p>Text under it</p>\n<hr>\n<p>More</p>"
        );
        assert_eq!(
            classic("<p class=\"x\">Explicit\nparagraph</p>"),
            "<p class=\"x\">Explicit<br>\nparagraph</p>"
        );
    }

    #[test]
    fn a_blockquote_over_blank_lines_holds_paragraphs() {
        assert_eq!(
            classic("<blockquote>\n\nPara one\n\nPara two\n\n</blockquote>"),
            "<blockquote>\n<p>Para one</p>\n<p>Para two</p>\n</blockquote>"
        );
        assert_eq!(
            classic("<blockquote>One line</blockquote>"),
            "<blockquote><p>One line</p></blockquote>"
        );
    }

    #[test]
    fn lists_and_tables_over_blank_lines_keep_their_structure() {
        assert_eq!(
            classic("<ul>\n\n<li>a</li>\n\n<li>b\nc</li>\n\n</ul>"),
            "<ul>\n<li>a</li>\n<li>b<br>\nc</li>\n</ul>"
        );
        assert_eq!(
            classic("<table>\n\n<tr>\n\n<td>1</td>\n\n</tr>\n\n</table>"),
            "<table>\n<tr>\n<td>1</td>\n</tr>\n</table>"
        );
        // An unclosed <li> is closed by the next one, as HTML does.
        assert_eq!(
            classic("<ol>\n<li>one\n\n<li>two\n</ol>\nAfter"),
            "<ol>\n<li>one\n<li>two\n</ol>\n<p>After</p>"
        );
    }

    #[test]
    fn a_div_over_blank_lines_holds_paragraphs() {
        assert_eq!(
            classic("<div class=\"note\">\n\nOne\n\nTwo\n</div>"),
            "<div class=\"note\">\n<p>One</p>\n<p>Two</p>\n</div>"
        );
    }

    #[test]
    fn pre_is_kept_whole() {
        let html = "Intro\n<pre>line 1\n\n\n  indented *x*\n</pre>\nOutro";
        assert_eq!(
            classic(html),
            "<p>Intro</p>\n<pre>line 1\n\n\n  indented *x*\n</pre>\n<p>Outro</p>"
        );
        assert_eq!(classic("<pre>never closed\n\nx"), "<pre>never closed\n\nx");
    }

    #[test]
    fn a_bare_url_becomes_a_link() {
        assert_eq!(
            classic("See this:\n\nhttps://example.com/a?b=1&amp;c=2\n\nDone"),
            "<p>See this:</p>\n<p><a href=\"https://example.com/a?b=1&amp;c=2\">https://example.com/a?b=1&amp;c=2</a></p>\n<p>Done</p>"
        );
        assert_eq!(
            classic("https://example.com and more"),
            "<p>https://example.com and more</p>"
        );
    }

    #[test]
    fn comments_alone_make_no_paragraph() {
        assert_eq!(
            classic("Teaser\n\n<!--more-->\n\nRest"),
            "<p>Teaser</p>\n<!--more-->\n<p>Rest</p>"
        );
    }

    #[test]
    fn blank_lines_inside_tags_do_not_cut_paragraphs() {
        assert_eq!(
            classic("A <a title=\"x\n\ny\">link</a> here"),
            "<p>A <a title=\"x  y\">link</a> here</p>"
        );
    }

    #[test]
    fn inline_markup_at_the_start_is_wrapped() {
        assert_eq!(
            classic("<strong>Bold</strong> start\n\n<img src=\"/a.png\">"),
            "<p><strong>Bold</strong> start</p>\n<p><img src=\"/a.png\"></p>"
        );
    }
}
