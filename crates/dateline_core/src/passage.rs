//! Which anchor each paragraph keeps when an article is edited.
//!
//! Inline comments hang on an anchor (`p7`), not on a position, so a reader's
//! answer stays beside the words it answers. When a body is saved, its new
//! paragraphs are matched to the anchors of the version before:
//!
//! 1. the same words (case and spacing aside) keep their anchor, in order, so
//!    repeated paragraphs pair up one by one; a paragraph removed earlier
//!    and now back gets its old anchor, and its comments, again;
//! 2. a changed paragraph keeps the anchor of the most similar paragraph
//!    left over (Dice coefficient of their words, at least
//!    `MIN_SIMILARITY`), best pairs first, ties to the nearer position;
//! 3. anything else is new and gets the next number; a current anchor
//!    nobody took is removed: its comments stay, shown as on an earlier
//!    version.

use std::collections::HashMap;

/// How alike two paragraphs' words must be for an edit to keep an anchor.
pub const MIN_SIMILARITY: f64 = 0.5;

/// An anchor the article had before this save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPassage {
    pub anchor: String,
    pub text: String,
    /// In the body before this save (not removed by an earlier one).
    pub current: bool,
}

/// What a save does to the anchors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Anchoring {
    /// The anchor of each new paragraph, in order.
    pub anchors: Vec<String>,
    /// Current anchors no paragraph kept.
    pub removed: Vec<String>,
}

/// The anchor a new paragraph gets: `p` and a number never used before in
/// this article.
pub fn anchor_name(n: u64) -> String {
    format!("p{n}")
}

fn number_of(anchor: &str) -> u64 {
    anchor
        .strip_prefix('p')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn normalized(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn words(text: &str) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

/// Dice coefficient of two paragraphs' words (as multisets): 1 when they
/// have the same words, 0 when none in common.
pub fn similarity(a: &str, b: &str) -> f64 {
    similarity_of(&words(a), &words(b))
}

fn similarity_of(a: &HashMap<String, u32>, b: &HashMap<String, u32>) -> f64 {
    let total: u32 = a.values().sum::<u32>() + b.values().sum::<u32>();
    if total == 0 {
        return 0.0;
    }
    let shared: u32 = a
        .iter()
        .map(|(w, n)| b.get(w).map_or(0, |m| (*n).min(*m)))
        .sum();
    f64::from(2 * shared) / f64::from(total)
}

/// Anchors for `new` paragraphs (their texts, in order), given the anchors
/// the article had (`known`, current ones in their order).
pub fn assign(known: &[KnownPassage], new: &[&str]) -> Anchoring {
    let mut next = known
        .iter()
        .map(|k| number_of(&k.anchor))
        .max()
        .unwrap_or(0)
        + 1;
    let mut anchors: Vec<Option<String>> = vec![None; new.len()];
    let mut taken = vec![false; known.len()];

    // 1. The same words: current anchors first, in order, then removed ones.
    let mut by_text: HashMap<String, Vec<usize>> = HashMap::new();
    let order = known
        .iter()
        .enumerate()
        .filter(|(_, k)| k.current)
        .chain(known.iter().enumerate().filter(|(_, k)| !k.current));
    for (i, k) in order {
        by_text.entry(normalized(&k.text)).or_default().push(i);
    }
    for v in by_text.values_mut() {
        v.reverse();
    }
    for (j, text) in new.iter().enumerate() {
        if let Some(i) = by_text.get_mut(&normalized(text)).and_then(Vec::pop) {
            taken[i] = true;
            anchors[j] = Some(known[i].anchor.clone());
        }
    }

    // 2. Changed paragraphs: the most similar current anchor left.
    let current_positions: HashMap<usize, usize> = known
        .iter()
        .enumerate()
        .filter(|(_, k)| k.current)
        .enumerate()
        .map(|(pos, (i, _))| (i, pos))
        .collect();
    let left_known: Vec<(usize, HashMap<String, u32>)> = known
        .iter()
        .enumerate()
        .filter(|(i, k)| k.current && !taken[*i])
        .map(|(i, k)| (i, words(&k.text)))
        .collect();
    let left_new: Vec<(usize, HashMap<String, u32>)> = new
        .iter()
        .enumerate()
        .filter(|(j, _)| anchors[*j].is_none())
        .map(|(j, t)| (j, words(t)))
        .collect();
    let mut pairs = Vec::new();
    for (i, kw) in &left_known {
        for (j, nw) in &left_new {
            let s = similarity_of(kw, nw);
            if s >= MIN_SIMILARITY {
                let distance = current_positions[i].abs_diff(*j);
                pairs.push((s, distance, *i, *j));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, i, j) in pairs {
        if !taken[i] && anchors[j].is_none() {
            taken[i] = true;
            anchors[j] = Some(known[i].anchor.clone());
        }
    }

    // 3. New paragraphs get new numbers; what nobody took is removed.
    let anchors = anchors
        .into_iter()
        .map(|a| {
            a.unwrap_or_else(|| {
                next += 1;
                anchor_name(next - 1)
            })
        })
        .collect();
    let removed = known
        .iter()
        .zip(&taken)
        .filter(|(k, t)| k.current && !**t)
        .map(|(k, _)| k.anchor.clone())
        .collect();
    Anchoring { anchors, removed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(items: &[(&str, &str, bool)]) -> Vec<KnownPassage> {
        items
            .iter()
            .map(|(a, t, c)| KnownPassage {
                anchor: (*a).into(),
                text: (*t).into(),
                current: *c,
            })
            .collect()
    }

    #[test]
    fn a_first_save_numbers_every_paragraph() {
        let a = assign(&[], &["One.", "Two.", "Three."]);
        assert_eq!(a.anchors, ["p1", "p2", "p3"]);
        assert!(a.removed.is_empty());
    }

    #[test]
    fn edits_keep_anchors_and_removals_are_reported() {
        let before = known(&[
            ("p1", "The river rose two metres overnight in Mosul.", true),
            ("p2", "Farmers moved their flocks to higher ground.", true),
            ("p3", "The ministry promised new levees by spring.", true),
        ]);
        let after = [
            "A new opening paragraph about the weather.",
            "The river rose almost two metres overnight in Mosul, officials said.",
            "The ministry promised new levees by spring.",
        ];
        let a = assign(&before, &after);
        assert_eq!(a.anchors, ["p4", "p1", "p3"]);
        assert_eq!(a.removed, ["p2"]);
    }

    #[test]
    fn a_removed_paragraph_back_again_gets_its_anchor() {
        let before = known(&[
            ("p1", "Still here.", true),
            ("p2", "Removed last time.", false),
        ]);
        let a = assign(&before, &["Still here.", "removed   last TIME."]);
        assert_eq!(a.anchors, ["p1", "p2"]);
        assert!(a.removed.is_empty());
    }

    #[test]
    fn repeated_and_swapped_paragraphs_pair_up_in_order() {
        let before = known(&[("p1", "Read more.", true), ("p2", "Read more.", true)]);
        let a = assign(&before, &["Read more.", "Read more.", "Read more."]);
        assert_eq!(a.anchors, ["p1", "p2", "p3"]);
        let before = known(&[("p1", "Alpha beta.", true), ("p2", "Gamma delta.", true)]);
        let a = assign(&before, &["Gamma delta.", "Alpha beta."]);
        assert_eq!(a.anchors, ["p2", "p1"]);
    }

    #[test]
    fn a_rewrite_is_a_new_paragraph() {
        let before = known(&[("p1", "Officials denied the report on Tuesday.", true)]);
        let a = assign(&before, &["A completely different sentence about trade."]);
        assert_eq!(a.anchors, ["p2"]);
        assert_eq!(a.removed, ["p1"]);
        assert!(similarity("a b c d", "a b c e") >= MIN_SIMILARITY);
        assert!(
            similarity(
                "قال المزارعون إن المياه شحيحة",
                "قال المزارعون إن المياه شحيحة جدا"
            ) > 0.9
        );
    }
}
