//! A reader's search query: analysing it never panics, keeps at most 32
//! words, and each of its first 32 words finds the term indexing that word
//! stored for any of the site's languages (a query for a text's own words
//! matches it).
#![no_main]

use dateline_core::Language;
use dateline_core::search_text::{Analyzer, query_terms};
use dateline_fuzz::text;
use libfuzzer_sys::fuzz_target;
use unicode_segmentation::UnicodeSegmentation;

fuzz_target!(|data: &[u8]| {
    let Some(query) = text(data) else { return };
    let languages = ["en", "ar", "fr", "tr", "xx"].map(|l| Language::parse(l).unwrap());
    let words = query_terms(query, &languages);
    assert!(words.len() <= 32);
    for variants in &words {
        assert!(!variants.is_empty());
        assert!(variants.windows(2).all(|w| w[0] < w[1]), "{variants:?}");
    }
    // Only a query's first 32 words are searched.
    for word in query.unicode_words().take(32) {
        for language in &languages {
            if let Some(term) = Analyzer::new(language).term(word) {
                assert!(
                    words.iter().any(|v| v.contains(&term)),
                    "{term:?} indexed for {language:?} but not searched: {query:?} → {words:?}"
                );
            }
        }
    }
});
