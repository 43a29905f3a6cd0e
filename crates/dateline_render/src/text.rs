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

#[cfg(test)]
mod tests {
    use super::excerpt;

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
