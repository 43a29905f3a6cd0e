//! Plain text for excerpts, search, passages and mail: the words a reader
//! sees, without markup and without characters no reader means.

/// The words of `raw` with whitespace collapsed to single spaces, without
/// control characters (which break XML feeds) or private-use characters
/// (which Dateline once used as internal markers, and no font shows
/// readers the same way).
pub(crate) fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if !is_unseen(c) {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// A character no reader means: a control character other than the
/// whitespace ones (XML feeds cannot even carry them), or a private-use one.
pub(crate) fn is_unseen(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || is_private_use(c)
}

fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// The words of sanitized HTML (a stored body), as `RenderedBody::text`
/// has them: what a reader sees, paragraphs separated by blank lines.
pub fn plain_text(html: &str) -> String {
    crate::tokens::plain_text(&crate::tokens::tokens(html))
}

/// A short summary of `text`: its first paragraph, cut at a word boundary so
/// that it is at most `max_chars` characters long (an ellipsis marks a cut).
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let first = text
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or_default();
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    if first.chars().count() <= max_chars {
        return first;
    }
    let budget = max_chars.saturating_sub(1);
    let mut out = String::new();
    for word in first.split(' ') {
        let needed = word.chars().count() + usize::from(!out.is_empty());
        if out.chars().count() + needed > budget {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = first.chars().take(budget).collect();
    }
    let trimmed = out.trim_end_matches([',', ';', ':', '.', '،', '—', '-']);
    format!("{trimmed}…")
}

/// Writes `text` escaped for HTML, as every Dateline template escapes it:
/// `& < > " '` become entities, so the result is safe in text and in quoted
/// attributes; slashes stay as they are, so links read as written.
pub fn escape_html(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut last = 0;
    for (i, c) in text.char_indices() {
        let entity = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i])?;
        out.write_str(entity)?;
        last = i + c.len_utf8();
    }
    out.write_str(&text[last..])
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn cleans_what_no_reader_means() {
        assert_eq!(
            super::clean("  a\u{1}b \u{E000}c\u{F0000}\n\t d\u{7f}  "),
            "ab c d"
        );
    }

    #[test]
    fn takes_first_paragraph() {
        assert_eq!(excerpt("One two.\n\nThree.", 100), "One two.");
        assert_eq!(excerpt("\n\n  Spaced   out  \n\nx", 100), "Spaced out");
    }

    #[test]
    fn cuts_at_words() {
        assert_eq!(excerpt("alpha beta, gamma delta", 14), "alpha beta…");
        assert!(excerpt("alpha beta gamma delta", 14).chars().count() <= 14);
        assert_eq!(excerpt("abcdefghijkl", 5), "abcd…");
    }
}
