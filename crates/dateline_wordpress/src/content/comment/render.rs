//! A comment's blocks written as Markdown.
//!
//! A paragraph's inline markup is held apart from its text until the
//! paragraph is written ([`paragraph`]): each emphasis, strike, quotation
//! or link is a [`Marked`] range of the text. Markers are then woven in,
//! and an emphasis or strike whose markers Markdown would not read as such
//! (CommonMark's flanking rules: `a*"x"*b` stays literal asterisks) loses
//! them, so that a reader never sees stray `*` or `~~`. Its words stay.

use crate::text;
use std::cmp::Reverse;

/// The largest number an ordered list may start at in CommonMark.
pub(super) const MAX_LIST_START: u64 = 999_999_999;

/// A block of the comment.
#[derive(Debug)]
pub(super) enum Block {
    /// Inline Markdown, `\n` where a line breaks.
    Paragraph(String),
    Quote(Vec<Block>),
    /// `start` is `None` for a bulleted list.
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Code(String),
}

/// Inline markup around part of a paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mark {
    Emphasis,
    Strong,
    Strike,
    Quotation,
    /// A link to this URL (one a comment may link to).
    Link(String),
}

impl Mark {
    /// The Markdown before and after its content.
    fn markers(&self) -> (&'static str, String) {
        match self {
            Mark::Emphasis => ("*", "*".into()),
            Mark::Strong => ("**", "**".into()),
            Mark::Strike => ("~~", "~~".into()),
            Mark::Quotation => ("“", "”".into()),
            Mark::Link(url) => ("[", link_end(url)),
        }
    }

    /// Whether its markers are delimiter runs that must flank their content.
    fn is_delimiter(&self) -> bool {
        matches!(self, Mark::Emphasis | Mark::Strong | Mark::Strike)
    }
}

/// Markup over bytes `start..end` of a paragraph's text. Ranges nest.
#[derive(Debug, Clone)]
pub(super) struct Marked {
    pub(super) mark: Mark,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// A paragraph's text (escaped Markdown) with the markers of `marks` woven
/// in. Emphasis that would not read as such is left out.
pub(super) fn paragraph(text: &str, marks: Vec<Marked>) -> String {
    let mut marks = merge_touching(marks);
    loop {
        let woven = weave(text, &marks);
        let before = marks.len();
        let mut index = 0;
        marks.retain(|m| {
            let keep = !m.mark.is_delimiter() || flanks(&woven.text, woven.at[index]);
            index += 1;
            keep
        });
        if marks.len() == before {
            return woven.text;
        }
    }
}

/// Marks of one kind that touch (`<em>a</em><em>b</em>`) made one, which
/// reads the same and avoids `*a**b*`. Only where nothing else begins or
/// ends at the join, so ranges still nest.
fn merge_touching(mut marks: Vec<Marked>) -> Vec<Marked> {
    let mut i = 0;
    while i < marks.len() {
        let join = marks[i].end;
        let partner = marks
            .iter()
            .position(|m| m.start == join && m.mark == marks[i].mark && m.mark.is_delimiter());
        let others_at_join = marks
            .iter()
            .filter(|m| m.start == join || m.end == join)
            .count();
        match partner {
            Some(j) if others_at_join == 2 => {
                marks[i].end = marks[j].end;
                marks.remove(j);
                i = 0;
            }
            _ => i += 1,
        }
    }
    marks
}

/// Text with markers, and where each mark's opening and closing markers
/// lie in it.
struct Woven {
    text: String,
    at: Vec<[usize; 4]>,
}

/// A marker to insert: where, in what order among those at one place, for
/// which mark, and whether it opens.
struct Insert {
    /// Place; closing (0) before opening (1); then the nesting order.
    key: (usize, u8, Reverse<usize>, usize),
    mark: usize,
    opens: bool,
    marker: String,
}

/// Inserts the markers of `marks` into `text`: at one place, closing ones
/// (innermost first) before opening ones (outermost first).
fn weave(text: &str, marks: &[Marked]) -> Woven {
    let mut inserts = Vec::with_capacity(marks.len() * 2);
    for (i, m) in marks.iter().enumerate() {
        let (open, close) = m.mark.markers();
        inserts.push(Insert {
            key: (m.end, 0, Reverse(m.start), i),
            mark: i,
            opens: false,
            marker: close,
        });
        inserts.push(Insert {
            key: (m.start, 1, Reverse(m.end), usize::MAX - i),
            mark: i,
            opens: true,
            marker: open.to_owned(),
        });
    }
    inserts.sort_by_key(|insert| insert.key);
    let mut out = String::with_capacity(text.len() + inserts.len() * 2);
    let mut at = vec![[0; 4]; marks.len()];
    let mut copied = 0;
    for insert in inserts {
        let pos = insert.key.0;
        out.push_str(&text[copied..pos]);
        copied = pos;
        // A `!` from text right before a link would make it an image.
        if insert.marker == "[" && out.ends_with('!') && !is_escaped(out.as_bytes(), out.len() - 1)
        {
            out.insert(out.len() - 1, '\\');
        }
        let slot = if insert.opens { 0 } else { 2 };
        at[insert.mark][slot] = out.len();
        out.push_str(&insert.marker);
        at[insert.mark][slot + 1] = out.len();
    }
    out.push_str(&text[copied..]);
    Woven { text: out, at }
}

/// Whether a mark's opening marker (at `at[0]..at[1]`) can open and its
/// closing one (`at[2]..at[3]`) can close in `text`.
fn flanks(text: &str, at: [usize; 4]) -> bool {
    let (before, after) = run_neighbours(text, at[0], at[1]);
    let opens = after.is_some_and(|c| !c.is_whitespace())
        && (!after.is_some_and(is_punctuation)
            || before.is_none_or(|c| c.is_whitespace() || is_punctuation(c)));
    let (before, after) = run_neighbours(text, at[2], at[3]);
    let closes = before.is_some_and(|c| !c.is_whitespace())
        && (!before.is_some_and(is_punctuation)
            || after.is_none_or(|c| c.is_whitespace() || is_punctuation(c)));
    opens && closes
}

/// The characters just outside the delimiter run that holds the marker at
/// `start..end` of `text` (unescaped copies of its character next to it
/// belong to the run).
fn run_neighbours(text: &str, mut start: usize, mut end: usize) -> (Option<char>, Option<char>) {
    let b = text.as_bytes();
    let Some(&delimiter) = b.get(start) else {
        return (None, None);
    };
    while start > 0 && b[start - 1] == delimiter && !is_escaped(b, start - 1) {
        start -= 1;
    }
    while end < b.len() && b[end] == delimiter {
        end += 1;
    }
    (
        text[..start].chars().next_back(),
        text[end..].chars().next(),
    )
}

/// Whether the byte at `i` follows an odd number of backslashes.
fn is_escaped(b: &[u8], i: usize) -> bool {
    b[..i].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 1
}

/// Punctuation as CommonMark's flanking rules count it, erring wide: any
/// character that is neither a letter, a digit nor whitespace.
fn is_punctuation(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

/// `](<url>)`, the URL written so that nothing in it ends the destination.
fn link_end(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 5);
    out.push_str("](<");
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '\\' => out.push_str("%5C"),
            c if c.is_whitespace() || c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push_str(">)");
    out
}

/// The blocks as Markdown, separated by blank lines.
pub(super) fn blocks(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(block)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn block(block: &Block) -> String {
    match block {
        Block::Paragraph(inline) => inline
            .split('\n')
            .map(text::trim_ascii)
            .filter(|line| !line.is_empty())
            .map(escape_line_start)
            .collect::<Vec<_>>()
            .join("\\\n"),
        Block::Quote(inner) => blocks(inner)
            .split('\n')
            .map(|line| {
                if line.is_empty() {
                    ">".to_owned()
                } else {
                    format!("> {line}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Block::List { start, items } => list(*start, items),
        Block::Code(code) => fenced_code(code),
    }
}

/// A list: each item's first line after its marker, the rest indented to
/// line up with it. Empty items are left out.
fn list(start: Option<u64>, items: &[Vec<Block>]) -> String {
    let mut number = start.unwrap_or(1);
    let mut out = Vec::new();
    for item in items {
        let body = item_body(item);
        if body.is_empty() {
            continue;
        }
        let marker = match start {
            Some(_) => format!("{number}."),
            None => "-".to_owned(),
        };
        number = (number + 1).min(MAX_LIST_START);
        let indent = " ".repeat(marker.len() + 1);
        let mut text = marker;
        for (i, line) in body.split('\n').enumerate() {
            if i == 0 {
                text.push(' ');
            } else {
                text.push('\n');
                if !line.is_empty() {
                    text.push_str(&indent);
                }
            }
            text.push_str(line);
        }
        out.push(text);
    }
    out.join("\n")
}

/// An item's blocks; a list right after its first paragraph follows it on
/// the next line, which keeps the outer list tight (a bulleted list or one
/// starting at 1 may interrupt a paragraph).
fn item_body(item: &[Block]) -> String {
    match item {
        [
            first @ Block::Paragraph(_),
            nested @ Block::List {
                start: None | Some(1),
                ..
            },
            rest @ ..,
        ] => {
            let head = format!("{}\n{}", block(first), block(nested));
            let rest = blocks(rest);
            if rest.is_empty() {
                head
            } else {
                format!("{head}\n\n{rest}")
            }
        }
        _ => blocks(item),
    }
}

/// Preformatted text as fenced code, the fence longer than any run of
/// backticks inside.
fn fenced_code(code: &str) -> String {
    // HTML drops a line end right after `<pre>`.
    let code = code.strip_prefix('\n').unwrap_or(code);
    let code = code.trim_end_matches(|c: char| c.is_ascii_whitespace());
    if code.is_empty() {
        return String::new();
    }
    let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
    format!("{fence}\n{code}\n{fence}")
}

/// The length of the longest run of `c` in `s`.
pub(super) fn longest_run(s: &str, c: char) -> usize {
    s.split(|x| x != c).map(str::len).max().unwrap_or(0)
}

/// `line` with the character escaped that would make it start a heading,
/// quote, list, or setext underline.
fn escape_line_start(line: &str) -> String {
    if line.starts_with(['#', '>', '-', '+', '=']) {
        return format!("\\{line}");
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && line[digits..].starts_with(['.', ')']) {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(mark: Mark, start: usize, end: usize) -> Marked {
        Marked { mark, start, end }
    }

    #[test]
    fn weaves_nested_marks() {
        let text = "bold and link";
        let marks = vec![
            marked(Mark::Link("https://x.test".into()), 9, 13),
            marked(Mark::Emphasis, 0, 4),
            marked(Mark::Strong, 0, 13),
        ];
        assert_eq!(
            paragraph(text, marks),
            "***bold* and [link](<https://x.test>)**"
        );
    }

    #[test]
    fn same_range_marks_nest_in_closing_order() {
        let marks = vec![marked(Mark::Emphasis, 0, 1), marked(Mark::Strong, 0, 1)];
        assert_eq!(paragraph("x", marks), "***x***");
        let marks = vec![marked(Mark::Strike, 0, 1), marked(Mark::Emphasis, 0, 1)];
        assert_eq!(paragraph("x", marks), "*~~x~~*");
    }

    #[test]
    fn touching_marks_of_a_kind_merge() {
        let marks = vec![marked(Mark::Emphasis, 0, 1), marked(Mark::Emphasis, 1, 2)];
        assert_eq!(paragraph("ab", marks), "*ab*");
    }

    #[test]
    fn emphasis_that_would_not_read_loses_its_markers() {
        // `a*"x"*b`: neither marker flanks, so no emphasis.
        assert_eq!(
            paragraph("a\"x\"b", vec![marked(Mark::Emphasis, 1, 4)]),
            "a\"x\"b"
        );
        assert_eq!(
            paragraph("Note:text", vec![marked(Mark::Strong, 0, 5)]),
            "Note:text"
        );
        assert_eq!(
            paragraph("Note: text", vec![marked(Mark::Strong, 0, 5)]),
            "**Note:** text"
        );
        // An emphasized link next to a word: `a*[` does not open.
        let marks = vec![
            marked(Mark::Link("https://x.test".into()), 1, 2),
            marked(Mark::Emphasis, 1, 2),
        ];
        assert_eq!(paragraph("axb", marks), "a[x](<https://x.test>)b");
        // Escaped text asterisks are not part of a run.
        assert_eq!(
            paragraph("\\*x", vec![marked(Mark::Emphasis, 2, 3)]),
            "\\**x*"
        );
    }

    #[test]
    fn a_link_after_an_exclamation_mark_stays_a_link() {
        let marks = vec![marked(Mark::Link("https://x.test".into()), 5, 6)];
        assert_eq!(
            paragraph("Wow! x", marks.clone()),
            "Wow! [x](<https://x.test>)"
        );
        let marks = vec![marked(Mark::Link("https://x.test".into()), 4, 5)];
        assert_eq!(paragraph("Wow!x", marks), "Wow\\![x](<https://x.test>)");
    }

    #[test]
    fn writes_link_destinations_safely() {
        assert_eq!(
            link_end("https://x.test/a b<c>\\d\n"),
            "](<https://x.test/a%20b%3Cc%3E%5Cd>)"
        );
    }

    #[test]
    fn escapes_line_starts() {
        assert_eq!(escape_line_start("# x"), "\\# x");
        assert_eq!(escape_line_start("12. x"), "12\\. x");
        assert_eq!(escape_line_start("12 x"), "12 x");
        assert_eq!(escape_line_start("*x*"), "*x*");
    }

    #[test]
    fn fences_code_longer_than_its_backticks() {
        assert_eq!(fenced_code("\na ``` b\n"), "````\na ``` b\n````");
        assert_eq!(fenced_code("\n \n"), "");
    }
}
