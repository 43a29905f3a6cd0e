//! Articles as Markdown files: TOML front matter between `+++` lines, then the
//! body. This is the format `dateline article add` reads (see
//! `docs/article-files.md` for every field).

use crate::article::{ArticleInput, AuthorInput, FeaturedImageInput, ProvenanceInput};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

/// An article file, parsed but not yet validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleFile {
    /// When given, the file updates this article (and may change its slug).
    pub id: Option<i64>,
    pub input: ArticleInput,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error(
        "the file does not start with front matter: put a line \"+++\" first, then fields such as headline = \"...\", then \"+++\" and the body"
    )]
    Missing,
    #[error(
        "the front matter looks like YAML (\"---\"); Dateline reads TOML front matter between \"+++\" lines"
    )]
    Yaml,
    #[error(
        "the front matter opened on line 1 is never closed: add a line \"+++\" after the last field"
    )]
    Unclosed,
    #[error("line {line}: {message}")]
    Invalid { line: usize, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: Option<i64>,
    headline: String,
    deck: Option<String>,
    slug: Option<String>,
    excerpt: Option<String>,
    dateline: Option<String>,
    language: Option<String>,
    direction: Option<String>,
    #[serde(default)]
    authors: Vec<AuthorInput>,
    section: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    status: Option<String>,
    published_at: Option<toml::value::Datetime>,
    featured_image: Option<FeaturedImageInput>,
    original: Option<ProvenanceInput>,
    translation_of: Option<String>,
    /// `report` or `page`.
    kind: Option<String>,
    #[serde(default)]
    in_navigation: bool,
}

/// Splits and parses an article file.
pub fn parse(text: &str) -> Result<ArticleFile, FrontMatterError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().map(str::trim_end).unwrap_or_default();
    match first {
        "+++" => {}
        "---" => return Err(FrontMatterError::Yaml),
        _ => return Err(FrontMatterError::Missing),
    }
    let header_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = header_start;
    let mut header_end = None;
    for line in lines {
        if line.trim_end() == "+++" {
            header_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let (header_end, body_start) = header_end.ok_or(FrontMatterError::Unclosed)?;
    let header = &text[header_start..header_end];
    let body = &text[body_start..];

    let fm: FrontMatter = toml::from_str(header).map_err(|e| {
        let line = e
            .span()
            .map(|s| header[..s.start].matches('\n').count() + 2)
            .unwrap_or(1);
        FrontMatterError::Invalid {
            line,
            message: e.message().trim().to_owned(),
        }
    })?;
    let published_at = fm
        .published_at
        .map(|d| toml_datetime(&d))
        .transpose()
        .map_err(|message| FrontMatterError::Invalid {
            line: line_of(header, "published_at"),
            message,
        })?;
    Ok(ArticleFile {
        id: fm.id,
        input: ArticleInput {
            headline: fm.headline,
            deck: fm.deck,
            slug: fm.slug,
            excerpt: fm.excerpt,
            dateline: fm.dateline,
            language: fm.language,
            direction: fm.direction,
            authors: fm.authors,
            section: fm.section,
            tags: fm.tags,
            status: fm.status,
            published_at,
            featured_image: fm.featured_image,
            original: fm.original,
            translation_of: fm.translation_of,
            body: body.to_owned(),
            kind: fm.kind,
            in_navigation: fm.in_navigation,
        },
    })
}

fn line_of(header: &str, key: &str) -> usize {
    header
        .lines()
        .position(|l| l.trim_start().starts_with(key))
        .map_or(1, |i| i + 2)
}

/// A TOML date-time in UTC: an offset is honoured, a local time is taken as
/// UTC, a bare date means midnight UTC.
fn toml_datetime(d: &toml::value::Datetime) -> Result<DateTime<Utc>, String> {
    let s = d.to_string();
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc());
    }
    if let Ok(t) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        return Ok(t.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err(format!(
        "published_at = {s} is not a date and time; write one such as 2026-11-24T08:00:00Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"+++
headline = "Water talks resume"
slug = "water-talks-resume"
dateline = "BAGHDAD, Iraq."
language = "en"
authors = ["Rana Haddad", { name = "Omar Aziz", bio = "Economics." }]
section = "World"
tags = ["Water", "Iraq"]
status = "published"
published_at = 2026-11-20T08:30:00+03:00

[featured_image]
url = "/media/river.svg"
alt = "The Tigris at dawn"
caption = "The river"
credit = "Dateline"

[original]
outlet = "Al-Mada"
url = "https://example.org/report"
language = "ar"
translators = ["Layla Hassan"]
+++
The **body**.
"#;

    #[test]
    fn parses_every_field() {
        let f = parse(FILE).unwrap();
        let i = f.input;
        assert_eq!(i.headline, "Water talks resume");
        assert_eq!(i.authors.len(), 2);
        assert_eq!(i.tags, vec!["Water", "Iraq"]);
        assert_eq!(
            i.published_at.unwrap().to_rfc3339(),
            "2026-11-20T05:30:00+00:00"
        );
        assert_eq!(i.original.unwrap().translators, vec!["Layla Hassan"]);
        assert_eq!(i.featured_image.unwrap().alt, "The Tigris at dawn");
        assert_eq!(i.body, "The **body**.\n");
    }

    #[test]
    fn says_where_the_front_matter_is_wrong() {
        let err = parse("+++\nheadline = \"x\"\nhedline = \"y\"\n+++\nbody").unwrap_err();
        match err {
            FrontMatterError::Invalid { line, message } => {
                assert_eq!(line, 3, "{message}");
                assert!(message.contains("hedline"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(parse("no front matter"), Err(FrontMatterError::Missing));
        assert_eq!(parse("---\ntitle: x\n---\n"), Err(FrontMatterError::Yaml));
        assert_eq!(
            parse("+++\nheadline = \"x\"\n"),
            Err(FrontMatterError::Unclosed)
        );
        assert!(matches!(
            parse("+++\nslug = \"x\"\n+++\n"),
            Err(FrontMatterError::Invalid { .. })
        ));
    }

    #[test]
    fn accepts_dates_without_offsets() {
        let f = parse("+++\nheadline = \"x\"\npublished_at = 2026-11-20\n+++\n").unwrap();
        assert_eq!(
            f.input.published_at.unwrap().to_rfc3339(),
            "2026-11-20T00:00:00+00:00"
        );
    }
}
