//! A subscribers file as the newsroom uploads it: reading never panics, and
//! every row it accepts is a valid, normalised address with a clean name and
//! section list, each address once.
#![no_main]

use dateline_core::newsletter::normalize_email;
use dateline_core::subscriber_csv::{MAX_NAME_CHARS, read};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = read(data) else { return };
    let mut seen = HashSet::new();
    let mut last_line = 1;
    for r in rows {
        assert!(r.line >= last_line, "line {} after {last_line}", r.line);
        last_line = r.line;
        assert!(r.bytes <= data.len() as u64);
        let Ok(row) = r.row else { continue };
        assert_eq!(
            normalize_email(&row.email).as_deref(),
            Ok(row.email.as_str())
        );
        assert!(seen.insert(row.email.clone()), "{} twice", row.email);
        assert!(row.name.chars().count() <= MAX_NAME_CHARS);
        assert_eq!(
            row.name.split_whitespace().collect::<Vec<_>>().join(" "),
            row.name
        );
        assert!(
            row.sections.windows(2).all(|w| w[0] < w[1]),
            "{:?}",
            row.sections
        );
        for s in &row.sections {
            assert!(!s.is_empty() && !s.contains([' ', ';', ',']) && s.to_lowercase() == *s);
        }
    }
});
