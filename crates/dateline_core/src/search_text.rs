//! How text becomes search terms, the same way for articles and for queries.
//!
//! Words are split by Unicode rules, lower-cased, stripped of Arabic short
//! vowels and tatweel, stemmed with the Snowball stemmer of their language, and
//! folded so that the common spellings of Arabic letters (أ إ آ ا, ى ي, ة ه)
//! meet. Because the database stores only the resulting terms, search works the
//! same on SQLite and PostgreSQL.

use crate::language::Language;
use crate::slug::is_ignorable_mark;
use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// Words longer than this are not indexed (they are hashes, URLs, noise).
const MAX_TERM_CHARS: usize = 40;

const ENGLISH_STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have",
    "he", "her", "his", "in", "into", "is", "it", "its", "of", "on", "or", "she", "that", "the",
    "their", "them", "they", "this", "to", "was", "were", "which", "who", "will", "with",
];

const ARABIC_STOPWORDS: &[&str] = &[
    "في",
    "من",
    "على",
    "إلى",
    "الى",
    "عن",
    "أن",
    "ان",
    "إن",
    "مع",
    "هذا",
    "هذه",
    "ذلك",
    "التي",
    "الذي",
    "الذين",
    "كان",
    "كانت",
    "قد",
    "لا",
    "ما",
    "لم",
    "لن",
    "هو",
    "هي",
    "هم",
    "أو",
    "او",
    "ثم",
    "بين",
    "عند",
    "كل",
    "و",
];

fn algorithm(language: &str) -> Option<Algorithm> {
    Some(match language {
        "ar" => Algorithm::Arabic,
        "da" => Algorithm::Danish,
        "de" => Algorithm::German,
        "el" => Algorithm::Greek,
        "en" => Algorithm::English,
        "es" => Algorithm::Spanish,
        "fi" => Algorithm::Finnish,
        "fr" => Algorithm::French,
        "hu" => Algorithm::Hungarian,
        "it" => Algorithm::Italian,
        "nl" => Algorithm::Dutch,
        "no" | "nb" | "nn" => Algorithm::Norwegian,
        "pt" => Algorithm::Portuguese,
        "ro" => Algorithm::Romanian,
        "ru" => Algorithm::Russian,
        "sv" => Algorithm::Swedish,
        "ta" => Algorithm::Tamil,
        "tr" => Algorithm::Turkish,
        _ => return None,
    })
}

/// Turns words into terms for one language.
pub struct Analyzer {
    stemmer: Option<Stemmer>,
    stopwords: &'static [&'static str],
}

impl Analyzer {
    pub fn new(language: &Language) -> Self {
        let primary = language.primary();
        Self {
            stemmer: algorithm(primary).map(Stemmer::create),
            stopwords: match primary {
                "en" => ENGLISH_STOPWORDS,
                "ar" => ARABIC_STOPWORDS,
                _ => &[],
            },
        }
    }

    /// The term for one word, or `None` for a stop word or noise.
    pub fn term(&self, word: &str) -> Option<String> {
        let lowered: String = word
            .chars()
            .filter(|c| !is_ignorable_mark(*c))
            .flat_map(char::to_lowercase)
            .collect();
        if lowered.is_empty()
            || lowered.chars().count() > MAX_TERM_CHARS
            || self.stopwords.contains(&lowered.as_str())
        {
            return None;
        }
        let stemmed = match &self.stemmer {
            Some(s) => s.stem(&lowered).into_owned(),
            None => lowered,
        };
        Some(fold_letters(&stemmed))
    }

    /// Every term of a text, in order, repeats kept (they count).
    pub fn terms(&self, text: &str) -> Vec<String> {
        text.unicode_words().filter_map(|w| self.term(w)).collect()
    }
}

/// Folds letter variants that readers type interchangeably.
fn fold_letters(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ى' => 'ي',
            'ة' => 'ه',
            'ؤ' => 'و',
            'ئ' => 'ي',
            other => other,
        })
        .collect()
}

/// The words of a query, each with the terms it may match: one per language the
/// site publishes in, since a query does not say its language.
pub fn query_terms(query: &str, languages: &[Language]) -> Vec<Vec<String>> {
    let analyzers: Vec<Analyzer> = languages.iter().map(Analyzer::new).collect();
    let mut words: Vec<Vec<String>> = Vec::new();
    for word in query.unicode_words().take(32) {
        let mut variants: Vec<String> = analyzers.iter().filter_map(|a| a.term(word)).collect();
        variants.sort();
        variants.dedup();
        if !variants.is_empty() && !words.contains(&variants) {
            words.push(variants);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en() -> Analyzer {
        Analyzer::new(&Language::english())
    }

    fn ar() -> Analyzer {
        Analyzer::new(&Language::parse("ar").unwrap())
    }

    #[test]
    fn stems_english_and_drops_stopwords() {
        assert_eq!(
            en().terms("The farmers were farming"),
            vec!["farmer", "farm"]
        );
        assert_eq!(en().term("Rivers"), Some("river".into()));
    }

    #[test]
    fn arabic_spellings_meet() {
        // With and without short vowels, and with different hamza spellings.
        assert_eq!(ar().term("المُزارعون"), ar().term("المزارعون"));
        assert_eq!(ar().term("أزمة"), ar().term("ازمه"));
        assert!(ar().term("في").is_none());
        assert!(!ar().terms("محادثات المياه في بغداد").is_empty());
    }

    #[test]
    fn query_words_carry_a_variant_per_language() {
        let langs = [Language::english(), Language::parse("ar").unwrap()];
        let q = query_terms("Farmers المياه the", &langs);
        // "the" is an English stop word but not Arabic: it survives as one variant.
        assert_eq!(q.len(), 3);
        assert!(q[0].contains(&"farmer".to_string()));
        assert_eq!(query_terms("", &langs), Vec::<Vec<String>>::new());
    }
}
