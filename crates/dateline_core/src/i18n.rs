//! The few phrases an article page writes around the reporting itself (byline,
//! dates, the credit line), in the article's own language where we have them.
//!
//! The rest of the site's interface is in the site's language; an Arabic report
//! on an English site still reads "بقلم" above its Arabic text.

use crate::language::Language;
use chrono::{DateTime, Datelike, Utc};

/// Words around an article, in one language.
#[derive(Debug)]
pub struct Phrases {
    pub by: &'static str,
    pub published: &'static str,
    pub updated: &'static str,
    pub original_report: &'static str,
    pub also_in: &'static str,
    pub tags: &'static str,
    pub image_credit: &'static str,
    pub list_separator: &'static str,
    pub sentence_end: &'static str,
    and_last: &'static str,
    months: [&'static str; 12],
    translated_from_by: &'static str,
    translated_from: &'static str,
    translated_by: &'static str,
}

const ENGLISH: Phrases = Phrases {
    by: "By",
    published: "Published",
    updated: "Updated",
    original_report: "Original report:",
    also_in: "Also in",
    tags: "Tags",
    image_credit: "Image:",
    list_separator: ", ",
    sentence_end: ".",
    and_last: " and ",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    translated_from_by: "translated from {language} by {names}",
    translated_from: "translated from {language}",
    translated_by: "translated by {names}",
};

const ARABIC: Phrases = Phrases {
    by: "بقلم",
    published: "نُشر في",
    updated: "حُدّث في",
    original_report: "التقرير الأصلي:",
    also_in: "اقرأ أيضًا بـ",
    tags: "وسوم",
    image_credit: "الصورة:",
    list_separator: "، ",
    sentence_end: ".",
    and_last: " و",
    months: [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
    translated_from_by: "ترجمة عن {language}: {names}",
    translated_from: "مترجم عن {language}",
    translated_by: "ترجمة: {names}",
};

impl Phrases {
    /// The phrases for `language`, English when we have none for it.
    pub fn for_language(language: &Language) -> &'static Phrases {
        match language.primary() {
            "ar" => &ARABIC,
            _ => &ENGLISH,
        }
    }

    /// "24 November 2026".
    pub fn date(&self, at: DateTime<Utc>) -> String {
        let month = self.months[at.month0() as usize];
        format!("{} {} {}", at.day(), month, at.year())
    }

    /// What goes before the `i`-th of `n` names in a list: nothing, a comma,
    /// or "and" before the last.
    pub fn separator_before(&self, i: usize, n: usize) -> &'static str {
        match i {
            0 => "",
            i if i + 1 == n => self.and_last,
            _ => self.list_separator,
        }
    }

    /// "A", "A and B", "A, B and C".
    pub fn join(&self, names: &[impl AsRef<str>]) -> String {
        let mut out = String::new();
        for (i, name) in names.iter().enumerate() {
            out.push_str(self.separator_before(i, names.len()));
            out.push_str(name.as_ref());
        }
        out
    }

    /// "translated from Arabic by Layla Hassan", or `None` when nothing is known
    /// of a translation. `from` is named in `in_language`.
    pub fn translation_note(
        &self,
        from: Option<&Language>,
        translators: &[String],
        in_language: &Language,
    ) -> Option<String> {
        let names = self.join(translators);
        let template = match (from, translators.is_empty()) {
            (Some(_), false) => self.translated_from_by,
            (Some(_), true) => self.translated_from,
            (None, false) => self.translated_by,
            (None, true) => return None,
        };
        let language = from.map(|l| l.name_in(in_language)).unwrap_or_default();
        Some(
            template
                .replace("{language}", language)
                .replace("{names}", &names),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn joins_names_in_each_language() {
        let en = Phrases::for_language(&Language::english());
        assert_eq!(en.join(&["A"]), "A");
        assert_eq!(en.join(&["A", "B"]), "A and B");
        assert_eq!(en.join(&["A", "B", "C"]), "A, B and C");
        let ar = Phrases::for_language(&Language::parse("ar").unwrap());
        assert_eq!(ar.join(&["ليلى", "عمر"]), "ليلى وعمر");
    }

    #[test]
    fn writes_translation_notes() {
        let en_lang = Language::english();
        let en = Phrases::for_language(&en_lang);
        let ar = Language::parse("ar").unwrap();
        let names = vec!["Layla Hassan".to_string()];
        assert_eq!(
            en.translation_note(Some(&ar), &names, &en_lang).unwrap(),
            "translated from Arabic by Layla Hassan"
        );
        assert_eq!(
            en.translation_note(Some(&ar), &[], &en_lang).unwrap(),
            "translated from Arabic"
        );
        assert_eq!(en.translation_note(None, &[], &en_lang), None);
        let ar_phrases = Phrases::for_language(&ar);
        assert_eq!(
            ar_phrases
                .translation_note(Some(&en_lang), &names, &ar)
                .unwrap(),
            "ترجمة عن الإنجليزية: Layla Hassan"
        );
    }

    #[test]
    fn formats_dates() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap();
        assert_eq!(
            Phrases::for_language(&Language::english()).date(at),
            "24 November 2026"
        );
        assert_eq!(
            Phrases::for_language(&Language::parse("ar").unwrap()).date(at),
            "24 نوفمبر 2026"
        );
    }
}
