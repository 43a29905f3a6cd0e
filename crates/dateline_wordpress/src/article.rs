//! A WordPress post as a Dateline article: its status and dates, slug,
//! byline, section and tags, excerpt, featured image, provenance from the
//! post meta the editor maps, and the old addresses it must keep answering.
//! Pure: what is stored, and how, is the importer's business.

use crate::content::{self, Attachment, Context};
use crate::php;
use crate::text::percent_decode_slug;
use crate::wxr::{Author, Post, Site, Term};
use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::article::{
    ArticleInput, AuthorInput, FeaturedImageInput, MAX_DATELINE_CHARS, MAX_DECK_CHARS,
    MAX_EXCERPT_CHARS, MAX_HEADLINE_CHARS, ProvenanceInput,
};
use dateline_core::slug::Slug;
use std::collections::{BTreeMap, HashMap};

/// What the rest of the export says that a post needs: its authors,
/// categories and attachments.
#[derive(Debug, Default)]
pub struct Catalog {
    pub site: Site,
    pub authors: HashMap<String, Author>,
    /// Categories by their (exported) slug.
    pub categories: HashMap<String, Term>,
    pub attachments: HashMap<i64, Attachment>,
    /// The export's tags.
    pub tags: Vec<Term>,
    /// Pages a navigation menu links to.
    pub menu_pages: std::collections::HashSet<i64>,
}

impl Catalog {
    /// The path of the old site's address `url`, percent-decoded and
    /// without a trailing slash (`/2024/03/04/wells-run-dry`); None for
    /// an address elsewhere.
    pub fn old_path(&self, url: &str) -> Option<String> {
        let base = [
            &self.site.base_blog_url,
            &self.site.link,
            &self.site.base_site_url,
        ]
        .into_iter()
        .map(|b| b.trim_end_matches('/'))
        .find(|b| !b.is_empty() && strip_scheme(url).starts_with(strip_scheme(b)))?;
        let rest = &strip_scheme(url)[strip_scheme(base).len()..];
        if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')) {
            return None;
        }
        Some(normalize_path(rest))
    }

    /// The names of a category and its parents, top first, by slug.
    pub fn category_chain(&self, slug: &str) -> Vec<&Term> {
        let mut chain = Vec::new();
        let mut cur = self.categories.get(slug);
        while let Some(t) = cur {
            if chain.iter().any(|c: &&Term| c.slug == t.slug) || chain.len() > 20 {
                break;
            }
            chain.push(t);
            cur = (!t.parent.is_empty())
                .then(|| self.categories.get(&t.parent))
                .flatten();
        }
        chain.reverse();
        chain
    }
}

fn strip_scheme(url: &str) -> &str {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url)
}

/// A path as old addresses are keyed (`dateline_core::legacy`).
pub fn normalize_path(raw: &str) -> String {
    dateline_core::legacy::path_key(raw)
}

/// A Dateline field a post meta key can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaField {
    Outlet,
    Url,
    Language,
    Translators,
    Dateline,
    Deck,
}

impl MetaField {
    pub const NAMES: &'static str = "outlet, url, language, translators, dateline, deck";

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "outlet" => Self::Outlet,
            "url" | "original_url" => Self::Url,
            "language" | "original_language" => Self::Language,
            "translators" | "translator" => Self::Translators,
            "dateline" => Self::Dateline,
            "deck" => Self::Deck,
            _ => return None,
        })
    }
}

/// `--map-meta KEY=FIELD`, parsed.
pub fn parse_meta_mapping(s: &str) -> Result<(String, MetaField), String> {
    let (key, field) = s
        .split_once('=')
        .ok_or_else(|| format!("\"{s}\" is not KEY=FIELD (e.g. source_outlet=outlet)"))?;
    let field = MetaField::parse(field).ok_or_else(|| {
        format!(
            "\"{field}\" is not a field meta can fill; use one of: {}",
            MetaField::NAMES
        )
    })?;
    if key.trim().is_empty() {
        return Err(format!("\"{s}\" names no meta key"));
    }
    Ok((key.trim().to_string(), field))
}

/// What becomes of one item of the export.
#[derive(Debug)]
pub enum Disposition {
    Article(Box<Mapped>),
    /// Not imported, with the reason, e.g. "in WordPress's trash".
    Skip(String),
}

/// A post ready to be saved, with what the summary should say about it.
#[derive(Debug)]
pub struct Mapped {
    pub input: ArticleInput,
    /// Its time of last change on the old site, used as the save's time.
    pub updated_at: Option<DateTime<Utc>>,
    /// Not public on the old site (private, password-protected).
    pub private: bool,
    pub pinned: bool,
    pub guid: String,
    /// The old site's addresses of the post, normalized.
    pub old_paths: Vec<String>,
    pub notes: Vec<String>,
    pub unknown_shortcodes: Vec<String>,
    /// Images the body shows, by their address on the old site.
    pub images: Vec<String>,
    /// Meta keys not mapped (WordPress's own, starting `_`, left out).
    pub unmapped_meta: Vec<String>,
    pub controls_removed: usize,
}

/// Options of the import that change how posts are mapped.
#[derive(Debug, Default, Clone)]
pub struct MapOptions {
    pub meta: Vec<(String, MetaField)>,
    /// The site's language (BCP 47), for posts not written in Arabic script.
    pub language: String,
}

/// Maps a post (or a page) to an article, or says why it is skipped.
pub fn map_post(post: &Post, catalog: &Catalog, options: &MapOptions) -> Disposition {
    let mut notes = Vec::new();
    let is_page = post.post_type == "page";
    let private = !post.password.trim().is_empty() || post.status == "private";
    let status = match post.status.as_str() {
        "publish" if private => "draft",
        "publish" => "published",
        "future" => "scheduled",
        "draft" | "pending" => "draft",
        "private" => {
            notes.push("private in WordPress: imported as a draft, not public".into());
            "draft"
        }
        "auto-draft" => return Disposition::Skip("an automatic draft WordPress made".into()),
        "trash" => return Disposition::Skip("in WordPress's trash".into()),
        "inherit" => return Disposition::Skip("a revision".into()),
        other => return Disposition::Skip(format!("status \"{other}\" is not one Dateline knows")),
    };
    if !post.password.trim().is_empty() {
        notes.push("password-protected in WordPress: imported as a draft, not public".into());
    }
    let published_at = post.date_gmt.or(post.date_local).map(|d| d.and_utc());
    if status == "scheduled" && published_at.is_none() {
        return Disposition::Skip("scheduled without a date".into());
    }
    let converted = content::post_body(
        &post.content,
        &Context {
            post_id: post.id,
            attachments: &catalog.attachments,
        },
    );
    let mut headline = clip(&content::plain_text(&post.title), MAX_HEADLINE_CHARS);
    if headline.is_empty() {
        headline = format!("Untitled report {}", post.id);
        notes.push("had no title".into());
    }
    let excerpt = clip(&content::plain_text(&post.excerpt), MAX_EXCERPT_CHARS);
    let text_sample: String = format!("{} {}", post.title, post.content)
        .chars()
        .take(4000)
        .collect();
    let language = if mostly_arabic(&text_sample) {
        "ar".to_string()
    } else {
        options.language.clone()
    };
    let author = match catalog.authors.get(&post.creator) {
        Some(a) => author_input(a),
        None if post.creator.trim().is_empty() => {
            notes.push("has no author: bylined to the site".into());
            AuthorInput::Name(catalog.site.title.trim().to_string()).non_empty_or("Newsroom")
        }
        None => {
            notes.push(format!(
                "its author \"{}\" is not among the export's authors: bylined by that login",
                post.creator
            ));
            AuthorInput::Full {
                name: post.creator.clone(),
                slug: Some(
                    Slug::from_text(&post.creator, "author")
                        .as_str()
                        .to_string(),
                ),
                bio: None,
            }
        }
    };
    let (section, tags, term_notes) = if is_page {
        (None, Vec::new(), Vec::new())
    } else {
        terms(post)
    };
    notes.extend(term_notes);
    let (original, deck, dateline, unmapped_meta) = meta_fields(post, options, &mut notes);
    let featured_image = post
        .meta("_thumbnail_id")
        .and_then(|id| id.trim().parse::<i64>().ok())
        .and_then(|id| catalog.attachments.get(&id))
        .map(|a| FeaturedImageInput {
            url: a.url.clone(),
            alt: clip(&a.alt, 500),
            caption: clip(&content::plain_text(&a.caption), 500),
            credit: String::new(),
        });
    let slug = Some(percent_decode_slug(&post.slug)).filter(|s| !s.trim().is_empty());
    let input = ArticleInput {
        headline,
        deck,
        slug,
        excerpt: Some(excerpt).filter(|e| !e.is_empty()),
        dateline,
        language: Some(language),
        direction: None,
        authors: vec![author],
        section,
        tags,
        status: Some(status.into()),
        published_at: if status == "draft" {
            None
        } else {
            published_at
        },
        featured_image,
        original,
        translation_of: None,
        body: converted.html,
        kind: Some(if is_page { "page" } else { "report" }.into()),
        in_navigation: is_page && catalog.menu_pages.contains(&post.id),
    };
    Disposition::Article(Box::new(Mapped {
        input,
        updated_at: post.modified_gmt.map(|d| d.and_utc()),
        private,
        pinned: post.sticky,
        guid: post.guid.clone(),
        old_paths: old_paths(post, catalog),
        notes,
        unknown_shortcodes: converted.unknown_shortcodes,
        images: converted.images,
        unmapped_meta,
        controls_removed: converted.controls_removed,
    }))
}

trait NonEmpty {
    fn non_empty_or(self, fallback: &str) -> Self;
}

impl NonEmpty for AuthorInput {
    fn non_empty_or(self, fallback: &str) -> Self {
        match &self {
            AuthorInput::Name(n) if n.trim().is_empty() => AuthorInput::Name(fallback.into()),
            _ => self,
        }
    }
}

/// A WordPress author as a byline: the display name, with the login as the
/// slug so that `/author/LOGIN/` finds them.
pub fn author_input(a: &Author) -> AuthorInput {
    let name = content::plain_text(&a.display_name);
    let name = if name.is_empty() {
        [a.first_name.trim(), a.last_name.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        name
    };
    let name = if name.is_empty() {
        a.login.clone()
    } else {
        name
    };
    AuthorInput::Full {
        slug: Some(Slug::from_text(&a.login, "author").as_str().to_string()),
        name,
        bio: None,
    }
}

/// The section (the first category that is not "Uncategorized"), and the
/// tags: the post's tags and its further categories.
fn terms(post: &Post) -> (Option<String>, Vec<String>, Vec<String>) {
    let mut notes = Vec::new();
    let mut section = None;
    let mut tags: Vec<String> = Vec::new();
    for t in &post.terms {
        let name = content::plain_text(&t.name);
        if name.is_empty() {
            continue;
        }
        match t.domain.as_str() {
            "category" if t.slug == "uncategorized" => {}
            "category" if section.is_none() => section = Some(name),
            "category" => {
                notes.push(format!(
                    "filed under more than one category: \"{name}\" became a tag (a report has one section)"
                ));
                tags.push(name);
            }
            "post_tag" => tags.push(name),
            _ => {}
        }
    }
    tags.dedup();
    tags.truncate(50);
    (section, tags, notes)
}

type MetaOut = (
    Option<ProvenanceInput>,
    Option<String>,
    Option<String>,
    Vec<String>,
);

fn meta_fields(post: &Post, options: &MapOptions, notes: &mut Vec<String>) -> MetaOut {
    let mut provenance = ProvenanceInput::default();
    let (mut deck, mut dateline) = (None, None);
    let mut unmapped = Vec::new();
    for (key, value) in &post.meta {
        let Some((_, field)) = options.meta.iter().find(|(k, _)| k == key) else {
            if !key.starts_with('_') {
                unmapped.push(key.clone());
            }
            continue;
        };
        let values = php::meta_text(value);
        if values.is_empty() {
            if !value.trim().is_empty() {
                notes.push(format!(
                    "meta \"{key}\" could not be read (serialized data that is broken)"
                ));
            }
            continue;
        }
        let first = content::plain_text(&values[0]);
        match field {
            MetaField::Outlet => provenance.outlet = clip(&first, 200),
            MetaField::Url => provenance.url = Some(first),
            MetaField::Language => provenance.language = Some(first),
            MetaField::Translators => provenance.translators.extend(
                values
                    .iter()
                    .flat_map(|v| {
                        v.split([',', ';'])
                            .map(content::plain_text)
                            .collect::<Vec<_>>()
                    })
                    .filter(|v| !v.is_empty()),
            ),
            MetaField::Dateline => dateline = Some(clip(&first, MAX_DATELINE_CHARS)),
            MetaField::Deck => deck = Some(clip(&first, MAX_DECK_CHARS)),
        }
    }
    let has_provenance = !provenance.outlet.is_empty()
        || provenance.url.is_some()
        || provenance.language.is_some()
        || !provenance.translators.is_empty();
    if has_provenance && provenance.outlet.is_empty() {
        notes.push("provenance without an outlet: the original's details were left out".into());
    }
    let original = (has_provenance && !provenance.outlet.is_empty()).then_some(provenance);
    (original, deck, dateline, unmapped)
}

/// Every address the old site gave the post: its permalink, `/?p=ID`, and
/// the usual permalink forms (sites change theirs over the years).
fn old_paths(post: &Post, catalog: &Catalog) -> Vec<String> {
    let mut out = vec![format!("/?p={}", post.id)];
    if post.post_type == "page" {
        out.push(format!("/?page_id={}", post.id));
    }
    if let Some(p) = catalog.old_path(&post.link) {
        out.push(p);
    }
    let slug = percent_decode_slug(&post.slug);
    if !slug.trim().is_empty() {
        // Pages have no dates in their addresses.
        if let Some(d) = post
            .date_local
            .or(post.date_gmt)
            .filter(|_| post.post_type != "page")
        {
            out.push(normalize_path(&format!("/{}/{slug}", d.format("%Y/%m/%d"))));
            out.push(normalize_path(&format!("/{}/{slug}", d.format("%Y/%m"))));
        }
        out.push(normalize_path(&format!("/{slug}")));
        out.push(normalize_path(&format!("/archives/{}", post.id)));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| p != "/" && seen.insert(p.clone()));
    out
}

/// The old addresses of a category (its hierarchical path and its own
/// slug) and their feeds, with the Dateline path each goes to.
pub fn category_paths(catalog: &Catalog, term: &Term) -> Vec<(String, String)> {
    let name = content::plain_text(&term.name);
    let slug = Slug::from_text(&name, "section");
    let target = format!("/section/{}", slug.as_str());
    let chain: Vec<String> = catalog
        .category_chain(&term.slug)
        .iter()
        .map(|t| percent_decode_slug(&t.slug))
        .collect();
    let own = percent_decode_slug(&term.slug);
    let mut paths = vec![format!("/category/{own}")];
    if chain.len() > 1 {
        paths.push(format!("/category/{}", chain.join("/")));
    }
    with_feeds(paths, &target)
}

pub fn tag_paths(term: &Term) -> Vec<(String, String)> {
    let slug = Slug::from_text(&content::plain_text(&term.name), "tag");
    let target = format!("/tag/{}", slug.as_str());
    with_feeds(
        vec![format!("/tag/{}", percent_decode_slug(&term.slug))],
        &target,
    )
}

pub fn author_paths(author: &Author) -> Vec<(String, String)> {
    let slug = Slug::from_text(&author.login, "author");
    let target = format!("/author/{}", slug.as_str());
    let mut paths = vec![format!("/author/{}", author.login)];
    // WordPress's nicename: the login lower-cased, dots and spaces as dashes.
    let nicename: String = author
        .login
        .to_lowercase()
        .chars()
        .map(|c| {
            if c == '.' || c == ' ' || c == '@' {
                '-'
            } else {
                c
            }
        })
        .collect();
    paths.push(format!("/author/{nicename}"));
    with_feeds(paths, &target)
}

fn with_feeds(paths: Vec<String>, target: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in paths {
        out.push((
            normalize_path(&format!("{p}/feed")),
            format!("{target}/feed.xml"),
        ));
        out.push((normalize_path(&p), target.to_string()));
    }
    out.sort();
    out.dedup();
    out
}

/// The site-wide addresses every WordPress site answers.
pub fn site_paths() -> Vec<(String, String)> {
    [
        ("/feed", "/feed.xml"),
        ("/feed/rss2", "/feed.xml"),
        ("/feed/rss", "/feed.xml"),
        ("/feed/atom", "/atom.xml"),
        ("/rss", "/feed.xml"),
        ("/comments/feed", "/feed.xml"),
        ("/wp-sitemap.xml", "/sitemap.xml"),
        ("/sitemap_index.xml", "/sitemap.xml"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// Whether most letters of `text` are in the Arabic script.
fn mostly_arabic(text: &str) -> bool {
    let (mut arabic, mut other) = (0usize, 0usize);
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if in_tag => {}
            c if c.is_alphabetic() => {
                if matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
                {
                    arabic += 1;
                } else {
                    other += 1;
                }
            }
            _ => {}
        }
    }
    arabic > other
}

/// `text` cut at a word boundary to at most `max` characters.
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 2 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = text.chars().take(max.saturating_sub(1)).collect();
    }
    out.push('…');
    out
}

/// A WordPress date as UTC: the GMT one, else the local one taken as UTC.
pub fn utc(gmt: Option<NaiveDateTime>, local: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    gmt.or(local).map(|d| d.and_utc())
}

/// Counts of things worth listing once in a summary, most frequent first.
pub fn tally(items: impl IntoIterator<Item = String>) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    let mut out: Vec<_> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}
