//! Articles: the raw input an editor or a file gives, and the validated draft
//! that storage accepts.

use crate::language::{Direction, Language};
use crate::slug::{Slug, SlugError};
use crate::validation::{ValidationErrors, refuse_stray_control};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_HEADLINE_CHARS: usize = 300;
pub const MAX_DECK_CHARS: usize = 600;
pub const MAX_EXCERPT_CHARS: usize = 1000;
pub const MAX_DATELINE_CHARS: usize = 120;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TAGS: usize = 30;
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where an article is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Draft,
    Scheduled,
    Published,
    Archived,
}

impl ArticleStatus {
    pub const ALL: [ArticleStatus; 4] = [
        ArticleStatus::Draft,
        ArticleStatus::Scheduled,
        ArticleStatus::Published,
        ArticleStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an article is: a report (dated, in lists, feeds and the
/// newsletter), or a page (About, Contact, a corrections policy: at the
/// site's root like a report, in the sitemap and the navigation when
/// chosen, never in lists, feeds, archives or the newsletter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleKind {
    #[default]
    Report,
    Page,
}

impl ArticleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Page => "page",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "report" | "article" | "post" => Some(Self::Report),
            "page" => Some(Self::Page),
            _ => None,
        }
    }
}

/// An author as an article names them: found by slug, created when new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorRef {
    pub slug: Slug,
    pub name: String,
    /// `None` leaves an existing author's bio as it is.
    pub bio: Option<String>,
}

/// A tag as an article names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRef {
    pub slug: Slug,
    pub name: String,
}

/// The section an article belongs to ("World", "Economy").
pub type SectionRef = TagRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturedImage {
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

/// Where a report first appeared, when it is a translation or a reprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub outlet: String,
    pub url: Option<String>,
    pub language: Option<Language>,
    pub translators: Vec<String>,
}

/// A validated article, ready to be stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleDraft {
    pub slug: Slug,
    pub headline: String,
    pub deck: String,
    pub body_markdown: String,
    pub excerpt: String,
    pub dateline: String,
    pub language: Language,
    pub direction: Direction,
    pub authors: Vec<AuthorRef>,
    pub section: Option<SectionRef>,
    pub tags: Vec<TagRef>,
    pub featured_image: Option<FeaturedImage>,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub provenance: Option<Provenance>,
    /// The slug of another article this one is a translation of (or that is a
    /// translation of this one); both end up in one translation group.
    pub translation_of: Option<Slug>,
    #[serde(default)]
    pub kind: ArticleKind,
    /// A page listed in the site's navigation.
    #[serde(default)]
    pub in_navigation: bool,
}

/// An author as typed: a bare name, or a name with a slug and a bio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AuthorInput {
    Name(String),
    Full {
        name: String,
        #[serde(default)]
        slug: Option<String>,
        #[serde(default)]
        bio: Option<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturedImageInput {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub alt: String,
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub credit: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceInput {
    #[serde(default)]
    pub outlet: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub translators: Vec<String>,
}

/// An article as a person typed it, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleInput {
    pub headline: String,
    pub deck: Option<String>,
    pub slug: Option<String>,
    pub excerpt: Option<String>,
    pub dateline: Option<String>,
    pub language: Option<String>,
    pub direction: Option<String>,
    pub authors: Vec<AuthorInput>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub status: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub featured_image: Option<FeaturedImageInput>,
    pub original: Option<ProvenanceInput>,
    pub translation_of: Option<String>,
    pub body: String,
    /// `report` (the default) or `page`.
    pub kind: Option<String>,
    /// A page shown in the site's navigation.
    pub in_navigation: bool,
}

impl ArticleInput {
    /// Refuses control characters in every field a person types: nobody
    /// means them, and they would break the feeds and mails the article goes
    /// into. Tabs and line ends are whitespace (a one-line field folds them
    /// into a space).
    fn refuse_stray_controls(&self, errors: &mut ValidationErrors) {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let mut lines: Vec<(&str, &str, String)> = vec![
            ("headline", "The headline", self.headline.clone()),
            ("deck", "The deck", opt(&self.deck)),
            ("excerpt", "The excerpt", opt(&self.excerpt)),
            ("dateline", "The dateline", opt(&self.dateline)),
            ("section", "The section", opt(&self.section)),
        ];
        lines.extend(self.tags.iter().map(|t| ("tags", "A tag", t.clone())));
        lines.push(("body", "The body", self.body.clone()));
        for author in &self.authors {
            match author {
                AuthorInput::Name(name) => {
                    lines.push(("authors", "An author's name", name.clone()))
                }
                AuthorInput::Full { name, bio, .. } => {
                    lines.push(("authors", "An author's name", name.clone()));
                    lines.push(("authors", "An author's bio", opt(bio)));
                }
            }
        }
        if let Some(img) = &self.featured_image {
            lines.push((
                "featured_image.alt",
                "The image's description",
                img.alt.clone(),
            ));
            lines.push(("featured_image.caption", "The caption", img.caption.clone()));
            lines.push((
                "featured_image.credit",
                "The image credit",
                img.credit.clone(),
            ));
        }
        if let Some(p) = &self.original {
            lines.push(("original.outlet", "The original outlet", p.outlet.clone()));
            lines.extend(
                p.translators
                    .iter()
                    .map(|t| ("original.translators", "A translator's name", t.clone())),
            );
        }
        for (field, what, text) in lines {
            refuse_stray_control(errors, field, what, &text.replace('\r', ""), true);
        }
    }

    /// Checks every field and returns a draft, or every problem found.
    /// `default_language` is the site's language; `now` decides whether a
    /// scheduled time has already passed.
    pub fn validate(
        self,
        default_language: &Language,
        now: DateTime<Utc>,
    ) -> Result<ArticleDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        self.refuse_stray_controls(&mut errors);

        let headline = clean_line(&self.headline);
        if headline.is_empty() {
            errors.add("headline", "A headline is required.");
        } else if headline.chars().count() > MAX_HEADLINE_CHARS {
            errors.add(
                "headline",
                format!("Keep the headline under {MAX_HEADLINE_CHARS} characters."),
            );
        }
        let deck = limited(&mut errors, "deck", self.deck, MAX_DECK_CHARS);
        let excerpt = limited(&mut errors, "excerpt", self.excerpt, MAX_EXCERPT_CHARS);
        let dateline = limited(&mut errors, "dateline", self.dateline, MAX_DATELINE_CHARS);

        let slug = match self
            .slug
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Slug::parse(s)
                .map_err(|e| errors.add("slug", slug_message(&e)))
                .ok(),
            None => Some(Slug::from_text(&headline, "article")),
        };

        let language = match self
            .language
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(l) => Language::parse(l)
                .map_err(|e| errors.add("language", e.to_string()))
                .ok(),
            None => Some(default_language.clone()),
        };
        let direction = match self
            .direction
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => Direction::parse(d).or_else(|| {
                errors.add("direction", "Direction must be \"ltr\" or \"rtl\".");
                None
            }),
            None => language.as_ref().map(Language::direction),
        };

        let authors = validate_authors(&mut errors, self.authors);
        let section = self
            .section
            .as_deref()
            .map(clean_line)
            .filter(|s| !s.is_empty())
            .and_then(|name| named_ref(&mut errors, "section", name, "section"));
        let tags = validate_tags(&mut errors, self.tags);

        let mut status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => ArticleStatus::parse(s).unwrap_or_else(|| {
                errors.add(
                    "status",
                    format!(
                        "\"{s}\" is not a status; use draft, scheduled, published or archived."
                    ),
                );
                ArticleStatus::Draft
            }),
            None => ArticleStatus::Draft,
        };
        let mut published_at = self.published_at;
        match status {
            ArticleStatus::Scheduled => match published_at {
                None => errors.add(
                    "published_at",
                    "A scheduled article needs the time it should appear.",
                ),
                Some(at) if at <= now => status = ArticleStatus::Published,
                Some(_) => {}
            },
            ArticleStatus::Published => match published_at {
                // Published with a time still to come means: publish then.
                Some(at) if at > now => status = ArticleStatus::Scheduled,
                Some(_) => {}
                None => published_at = Some(now),
            },
            ArticleStatus::Archived => {
                published_at.get_or_insert(now);
            }
            ArticleStatus::Draft => {}
        }

        let featured_image = self
            .featured_image
            .and_then(|img| validate_image(&mut errors, img));
        let provenance = self
            .original
            .and_then(|p| validate_provenance(&mut errors, p));
        let translation_of = self
            .translation_of
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| {
                Slug::parse(s)
                    .map_err(|e| errors.add("translation_of", slug_message(&e)))
                    .ok()
            });

        let body_markdown = self.body.trim().to_owned() + "\n";
        if body_markdown.len() > MAX_BODY_BYTES {
            errors.add("body", "The body is larger than 1 MB; split the article.");
        } else if body_markdown.trim().is_empty() && status != ArticleStatus::Draft {
            errors.add("body", "Only a draft may be saved without a body.");
        }
        let kind = match self
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            None => ArticleKind::Report,
            Some(k) => ArticleKind::parse(k).unwrap_or_else(|| {
                errors.add(
                    "kind",
                    format!("\"{k}\" is not a kind of article: use report or page."),
                );
                ArticleKind::Report
            }),
        };
        if self.in_navigation && kind != ArticleKind::Page {
            errors.add("in_navigation", "Only a page can be in the navigation.");
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(slug), Some(language), Some(direction)) = (slug, language, direction) else {
            return Err(errors);
        };
        Ok(ArticleDraft {
            slug,
            headline,
            deck,
            body_markdown,
            excerpt,
            dateline,
            language,
            direction,
            authors,
            section,
            tags,
            featured_image,
            status,
            published_at,
            provenance,
            translation_of,
            kind,
            in_navigation: self.in_navigation,
        })
    }
}

fn slug_message(e: &SlugError) -> String {
    format!("The slug {e}.")
}

/// Trims and folds runs of whitespace (including newlines) into one space.
fn clean_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn limited(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<String>,
    max: usize,
) -> String {
    let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
    if value.chars().count() > max {
        errors.add(field, format!("Keep this under {max} characters."));
    }
    value
}

fn named_ref(
    errors: &mut ValidationErrors,
    field: &str,
    name: String,
    fallback: &str,
) -> Option<TagRef> {
    if name.chars().count() > MAX_NAME_CHARS {
        errors.add(
            field,
            format!("\"{name}\" is longer than {MAX_NAME_CHARS} characters."),
        );
        return None;
    }
    Some(TagRef {
        slug: Slug::from_text(&name, fallback),
        name,
    })
}

fn validate_authors(errors: &mut ValidationErrors, authors: Vec<AuthorInput>) -> Vec<AuthorRef> {
    let mut out: Vec<AuthorRef> = Vec::new();
    for author in authors {
        let (name, slug, bio) = match author {
            AuthorInput::Name(name) => (name, None, None),
            AuthorInput::Full { name, slug, bio } => (name, slug, bio),
        };
        let name = clean_line(&name);
        if name.is_empty() {
            errors.add("authors", "Every author needs a name.");
            continue;
        }
        if name.chars().count() > MAX_NAME_CHARS {
            errors.add(
                "authors",
                format!("\"{name}\" is longer than {MAX_NAME_CHARS} characters."),
            );
            continue;
        }
        let slug = match slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => match Slug::parse(s) {
                Ok(slug) => slug,
                Err(e) => {
                    errors.add("authors", format!("The slug of {name} {e}."));
                    continue;
                }
            },
            None => Slug::from_text(&name, "author"),
        };
        if out.iter().any(|a| a.slug == slug) {
            continue;
        }
        out.push(AuthorRef {
            slug,
            name,
            bio: bio.map(|b| b.trim().to_owned()),
        });
    }
    out
}

fn validate_tags(errors: &mut ValidationErrors, tags: Vec<String>) -> Vec<TagRef> {
    let mut out: Vec<TagRef> = Vec::new();
    for tag in tags {
        let name = clean_line(&tag);
        if name.is_empty() {
            continue;
        }
        if let Some(tag) = named_ref(errors, "tags", name, "tag")
            && !out.iter().any(|t| t.slug == tag.slug)
        {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        errors.add("tags", format!("Use at most {MAX_TAGS} tags."));
    }
    out
}

/// An absolute http(s) URL, or a path on this site.
pub fn is_acceptable_link(s: &str) -> bool {
    if s.starts_with('/') && !s.starts_with("//") {
        return true;
    }
    url::Url::parse(s)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

fn validate_image(errors: &mut ValidationErrors, img: FeaturedImageInput) -> Option<FeaturedImage> {
    let url = img.url.trim().to_owned();
    let alt = clean_line(&img.alt);
    if url.is_empty() && alt.is_empty() && img.caption.trim().is_empty() {
        return None;
    }
    let mut ok = true;
    if !is_acceptable_link(&url) {
        errors.add(
            "featured_image.url",
            "Give the image as an http(s) address or a path on this site such as /media/photo.jpg.",
        );
        ok = false;
    }
    if alt.is_empty() {
        errors.add(
            "featured_image.alt",
            "Describe the image in a few words for readers who cannot see it.",
        );
        ok = false;
    }
    ok.then(|| FeaturedImage {
        url,
        alt,
        caption: clean_line(&img.caption),
        credit: clean_line(&img.credit),
    })
}

fn validate_provenance(errors: &mut ValidationErrors, p: ProvenanceInput) -> Option<Provenance> {
    let outlet = clean_line(&p.outlet);
    let translators: Vec<String> = p
        .translators
        .iter()
        .map(|t| clean_line(t))
        .filter(|t| !t.is_empty())
        .collect();
    let url = p.url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    let language = p
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    if outlet.is_empty() && translators.is_empty() && url.is_none() && language.is_none() {
        return None;
    }
    let mut ok = true;
    if outlet.is_empty() {
        errors.add(
            "original.outlet",
            "Name the outlet that first published the report.",
        );
        ok = false;
    }
    if let Some(u) = &url
        && !url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        errors.add(
            "original.url",
            "The original report's address must start with http:// or https://.",
        );
        ok = false;
    }
    let language = match language.map(Language::parse) {
        Some(Ok(l)) => Some(l),
        Some(Err(e)) => {
            errors.add("original.language", e.to_string());
            ok = false;
            None
        }
        None => None,
    };
    if translators
        .iter()
        .any(|t| t.chars().count() > MAX_NAME_CHARS)
    {
        errors.add(
            "original.translators",
            format!("Keep each name under {MAX_NAME_CHARS} characters."),
        );
        ok = false;
    }
    ok.then_some(Provenance {
        outlet,
        url,
        language,
        translators,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn input() -> ArticleInput {
        ArticleInput {
            headline: "  Water talks\nresume  ".into(),
            body: "Text.".into(),
            status: Some("published".into()),
            ..Default::default()
        }
    }

    #[test]
    fn pages_and_the_navigation() {
        let d = input().validate(&Language::english(), now()).unwrap();
        assert_eq!((d.kind, d.in_navigation), (ArticleKind::Report, false));
        let page = ArticleInput {
            kind: Some("page".into()),
            in_navigation: true,
            ..input()
        };
        let d = page.validate(&Language::english(), now()).unwrap();
        assert_eq!((d.kind, d.in_navigation), (ArticleKind::Page, true));
        let report_in_nav = ArticleInput {
            in_navigation: true,
            ..input()
        };
        let e = report_in_nav
            .validate(&Language::english(), now())
            .unwrap_err();
        assert!(e.to_string().contains("Only a page"), "{e}");
        let odd = ArticleInput {
            kind: Some("gallery".into()),
            ..input()
        };
        let e = odd.validate(&Language::english(), now()).unwrap_err();
        assert!(e.to_string().contains("report or page"), "{e}");
    }

    #[test]
    fn fills_defaults() {
        let d = input().validate(&Language::english(), now()).unwrap();
        assert_eq!(d.headline, "Water talks resume");
        assert_eq!(d.slug.as_str(), "water-talks-resume");
        assert_eq!(d.language.as_str(), "en");
        assert_eq!(d.direction, Direction::Ltr);
        assert_eq!(d.published_at, Some(now()));
        assert_eq!(d.body_markdown, "Text.\n");
    }

    #[test]
    fn rtl_follows_language() {
        let d = ArticleInput {
            language: Some("ar".into()),
            ..input()
        }
        .validate(&Language::english(), now())
        .unwrap();
        assert_eq!(d.direction, Direction::Rtl);
    }

    #[test]
    fn collects_every_error() {
        let err = ArticleInput {
            headline: " ".into(),
            slug: Some("Not A Slug".into()),
            language: Some("english".into()),
            status: Some("live".into()),
            original: Some(ProvenanceInput {
                url: Some("ftp://x".into()),
                ..Default::default()
            }),
            featured_image: Some(FeaturedImageInput {
                url: "javascript:alert(1)".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
        .validate(&Language::english(), now())
        .unwrap_err();
        for field in [
            "headline",
            "slug",
            "language",
            "status",
            "original.outlet",
            "original.url",
            "featured_image.url",
            "featured_image.alt",
        ] {
            assert!(
                err.for_field(field).is_some(),
                "no error for {field}: {err}"
            );
        }
        assert!(err.for_field("slug").unwrap().contains("not-a-slug"));
    }

    #[test]
    fn scheduling() {
        let later = now() + chrono::Duration::hours(2);
        let d = ArticleInput {
            status: Some("scheduled".into()),
            published_at: Some(later),
            ..input()
        }
        .validate(&Language::english(), now())
        .unwrap();
        assert_eq!(d.status, ArticleStatus::Scheduled);

        let past = ArticleInput {
            status: Some("scheduled".into()),
            published_at: Some(now() - chrono::Duration::hours(2)),
            ..input()
        }
        .validate(&Language::english(), now())
        .unwrap();
        assert_eq!(past.status, ArticleStatus::Published);

        let future_published = ArticleInput {
            published_at: Some(later),
            ..input()
        }
        .validate(&Language::english(), now())
        .unwrap();
        assert_eq!(future_published.status, ArticleStatus::Scheduled);

        let missing = ArticleInput {
            status: Some("scheduled".into()),
            ..input()
        }
        .validate(&Language::english(), now())
        .unwrap_err();
        assert!(missing.for_field("published_at").is_some());
    }

    #[test]
    fn dedupes_authors_and_tags() {
        let d = ArticleInput {
            authors: vec![
                AuthorInput::Name("Rana Haddad".into()),
                AuthorInput::Full {
                    name: "Rana Haddad".into(),
                    slug: None,
                    bio: Some("x".into()),
                },
            ],
            tags: vec!["Water".into(), "water".into(), " ".into()],
            ..input()
        }
        .validate(&Language::english(), now())
        .unwrap();
        assert_eq!(d.authors.len(), 1);
        assert_eq!(d.tags.len(), 1);
    }

    #[test]
    fn links() {
        assert!(is_acceptable_link("/media/a.jpg"));
        assert!(is_acceptable_link("https://example.org/a.jpg"));
        assert!(!is_acceptable_link("//evil.example/a.jpg"));
        assert!(!is_acceptable_link("javascript:alert(1)"));
        assert!(!is_acceptable_link("data:image/png;base64,AAAA"));
    }
}
