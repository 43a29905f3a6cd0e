//! Languages and text direction.
//!
//! A language is kept as a BCP 47 tag ("en", "ar", "pt-BR", "ku-Arab"). The
//! direction of a text follows from its language unless an editor says otherwise.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which way a text runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ltr" => Some(Self::Ltr),
            "rtl" => Some(Self::Rtl),
            _ => None,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated BCP 47 language tag, normalised ("EN-gb" becomes "en-GB").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a language tag; use a code such as \"en\", \"ar\", \"fr\" or \"pt-BR\"")]
pub struct LanguageError(pub String);

/// Scripts written right to left, by their ISO 15924 code.
const RTL_SCRIPTS: &[&str] = &["arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"];

/// Languages written right to left in their usual script.
const RTL_LANGUAGES: &[&str] = &[
    "ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi",
];

struct LanguageInfo {
    code: &'static str,
    english: &'static str,
    native: &'static str,
    arabic: &'static str,
}

const LANGUAGES: &[LanguageInfo] = &[
    LanguageInfo {
        code: "am",
        english: "Amharic",
        native: "አማርኛ",
        arabic: "الأمهرية",
    },
    LanguageInfo {
        code: "ar",
        english: "Arabic",
        native: "العربية",
        arabic: "العربية",
    },
    LanguageInfo {
        code: "az",
        english: "Azerbaijani",
        native: "Azərbaycanca",
        arabic: "الأذربيجانية",
    },
    LanguageInfo {
        code: "ckb",
        english: "Central Kurdish",
        native: "کوردی",
        arabic: "الكردية السورانية",
    },
    LanguageInfo {
        code: "de",
        english: "German",
        native: "Deutsch",
        arabic: "الألمانية",
    },
    LanguageInfo {
        code: "el",
        english: "Greek",
        native: "Ελληνικά",
        arabic: "اليونانية",
    },
    LanguageInfo {
        code: "en",
        english: "English",
        native: "English",
        arabic: "الإنجليزية",
    },
    LanguageInfo {
        code: "es",
        english: "Spanish",
        native: "Español",
        arabic: "الإسبانية",
    },
    LanguageInfo {
        code: "fa",
        english: "Persian",
        native: "فارسی",
        arabic: "الفارسية",
    },
    LanguageInfo {
        code: "fr",
        english: "French",
        native: "Français",
        arabic: "الفرنسية",
    },
    LanguageInfo {
        code: "he",
        english: "Hebrew",
        native: "עברית",
        arabic: "العبرية",
    },
    LanguageInfo {
        code: "hi",
        english: "Hindi",
        native: "हिन्दी",
        arabic: "الهندية",
    },
    LanguageInfo {
        code: "hy",
        english: "Armenian",
        native: "Հայերեն",
        arabic: "الأرمنية",
    },
    LanguageInfo {
        code: "id",
        english: "Indonesian",
        native: "Bahasa Indonesia",
        arabic: "الإندونيسية",
    },
    LanguageInfo {
        code: "it",
        english: "Italian",
        native: "Italiano",
        arabic: "الإيطالية",
    },
    LanguageInfo {
        code: "ja",
        english: "Japanese",
        native: "日本語",
        arabic: "اليابانية",
    },
    LanguageInfo {
        code: "ko",
        english: "Korean",
        native: "한국어",
        arabic: "الكورية",
    },
    LanguageInfo {
        code: "ku",
        english: "Kurdish",
        native: "Kurdî",
        arabic: "الكردية",
    },
    LanguageInfo {
        code: "nl",
        english: "Dutch",
        native: "Nederlands",
        arabic: "الهولندية",
    },
    LanguageInfo {
        code: "pl",
        english: "Polish",
        native: "Polski",
        arabic: "البولندية",
    },
    LanguageInfo {
        code: "ps",
        english: "Pashto",
        native: "پښتو",
        arabic: "البشتوية",
    },
    LanguageInfo {
        code: "pt",
        english: "Portuguese",
        native: "Português",
        arabic: "البرتغالية",
    },
    LanguageInfo {
        code: "ru",
        english: "Russian",
        native: "Русский",
        arabic: "الروسية",
    },
    LanguageInfo {
        code: "so",
        english: "Somali",
        native: "Soomaali",
        arabic: "الصومالية",
    },
    LanguageInfo {
        code: "sv",
        english: "Swedish",
        native: "Svenska",
        arabic: "السويدية",
    },
    LanguageInfo {
        code: "sw",
        english: "Swahili",
        native: "Kiswahili",
        arabic: "السواحلية",
    },
    LanguageInfo {
        code: "tr",
        english: "Turkish",
        native: "Türkçe",
        arabic: "التركية",
    },
    LanguageInfo {
        code: "uk",
        english: "Ukrainian",
        native: "Українська",
        arabic: "الأوكرانية",
    },
    LanguageInfo {
        code: "ur",
        english: "Urdu",
        native: "اردو",
        arabic: "الأردية",
    },
    LanguageInfo {
        code: "zh",
        english: "Chinese",
        native: "中文",
        arabic: "الصينية",
    },
];

impl Language {
    pub fn parse(s: &str) -> Result<Self, LanguageError> {
        let err = || LanguageError(s.to_owned());
        let mut parts = s.trim().split(['-', '_']);
        let primary = parts.next().filter(|p| !p.is_empty()).ok_or_else(err)?;
        if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(err());
        }
        let mut tag = primary.to_ascii_lowercase();
        for part in parts {
            if !(2..=8).contains(&part.len()) || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(err());
            }
            tag.push('-');
            match part.len() {
                2 => tag.push_str(&part.to_ascii_uppercase()),
                4 => {
                    let mut chars = part.chars();
                    if let Some(first) = chars.next() {
                        tag.push(first.to_ascii_uppercase());
                    }
                    tag.push_str(&chars.as_str().to_ascii_lowercase());
                }
                _ => tag.push_str(&part.to_ascii_lowercase()),
            }
        }
        Ok(Self(tag))
    }

    pub fn english() -> Self {
        Self("en".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "en" for "en-GB".
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// The usual direction of text in this language and script.
    pub fn direction(&self) -> Direction {
        for sub in self.0.split('-').skip(1) {
            if sub.len() == 4 {
                let script = sub.to_ascii_lowercase();
                return if RTL_SCRIPTS.contains(&script.as_str()) {
                    Direction::Rtl
                } else {
                    Direction::Ltr
                };
            }
        }
        if RTL_LANGUAGES.contains(&self.primary()) {
            Direction::Rtl
        } else {
            Direction::Ltr
        }
    }

    fn info(&self) -> Option<&'static LanguageInfo> {
        LANGUAGES.iter().find(|l| l.code == self.primary())
    }

    /// The language's name in English ("Arabic"); the tag itself when unknown.
    pub fn english_name(&self) -> &str {
        self.info().map_or(self.as_str(), |l| l.english)
    }

    /// The language's name in itself ("العربية").
    pub fn native_name(&self) -> &str {
        self.info().map_or(self.as_str(), |l| l.native)
    }

    /// The language's name as written in `in_language`, for UI text such as
    /// "translated from Arabic".
    pub fn name_in(&self, in_language: &Language) -> &str {
        match (in_language.primary(), self.info()) {
            ("ar", Some(l)) => l.arabic,
            (_, Some(l)) => l.english,
            (_, None) => self.as_str(),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Language {
    type Error = LanguageError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Language> for String {
    fn from(l: Language) -> String {
        l.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_tags() {
        assert_eq!(Language::parse("EN-gb").unwrap().as_str(), "en-GB");
        assert_eq!(Language::parse("ku_arab").unwrap().as_str(), "ku-Arab");
        assert!(Language::parse("english").is_err());
        assert!(Language::parse("").is_err());
        assert!(Language::parse("e").is_err());
        assert!(Language::parse("en-").is_err());
    }

    #[test]
    fn knows_direction_from_language_or_script() {
        assert_eq!(Language::parse("ar").unwrap().direction(), Direction::Rtl);
        assert_eq!(
            Language::parse("ar-IQ").unwrap().direction(),
            Direction::Rtl
        );
        assert_eq!(Language::parse("fa").unwrap().direction(), Direction::Rtl);
        assert_eq!(Language::parse("en").unwrap().direction(), Direction::Ltr);
        assert_eq!(Language::parse("ku").unwrap().direction(), Direction::Ltr);
        assert_eq!(
            Language::parse("ku-Arab").unwrap().direction(),
            Direction::Rtl
        );
        assert_eq!(
            Language::parse("az-Latn").unwrap().direction(),
            Direction::Ltr
        );
    }

    #[test]
    fn names_languages() {
        let ar = Language::parse("ar").unwrap();
        let en = Language::english();
        assert_eq!(ar.english_name(), "Arabic");
        assert_eq!(ar.native_name(), "العربية");
        assert_eq!(en.name_in(&ar), "الإنجليزية");
        assert_eq!(ar.name_in(&en), "Arabic");
        assert_eq!(Language::parse("xx").unwrap().english_name(), "xx");
    }
}
