//! Read models: what a page or an API answer needs, joined and typed.

use crate::from_ts;
use crate::rows::{ArticleRow, AuthorRow, TermRow};
use chrono::{DateTime, Utc};
use dateline_core::auth::ArticleAccess;
use dateline_core::{
    ArticleId, ArticleKind, ArticleStatus, AuthorId, Direction, FeaturedImage, Language,
    Provenance, UserId,
};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorView {
    pub id: AuthorId,
    pub slug: String,
    pub name: String,
    pub bio: String,
}

impl From<AuthorRow> for AuthorView {
    fn from(r: AuthorRow) -> Self {
        Self {
            id: AuthorId(r.id),
            slug: r.slug,
            name: r.name,
            bio: r.bio,
        }
    }
}

/// A tag or a section, with how many published articles carry it when asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub article_count: Option<i64>,
}

impl From<TermRow> for TermView {
    fn from(r: TermRow) -> Self {
        Self {
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            article_count: None,
        }
    }
}

/// Another language's version of the same report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TranslationLink {
    pub id: ArticleId,
    pub slug: String,
    pub headline: String,
    pub language: Language,
    pub direction: Direction,
}

/// An article in a list: everything but its body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleSummary {
    pub id: ArticleId,
    pub slug: String,
    pub headline: String,
    pub deck: String,
    pub excerpt: String,
    pub dateline: String,
    pub language: Language,
    pub direction: Direction,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub section: Option<TermView>,
    pub authors: Vec<AuthorView>,
    pub tags: Vec<TermView>,
    pub featured_image: Option<FeaturedImage>,
    pub provenance: Option<Provenance>,
    pub translation_group: Option<i64>,
    pub revision: i64,
    /// The newsroom user it belongs to (none for articles from the command line).
    pub owner: Option<UserId>,
    pub first_published_at: Option<DateTime<Utc>>,
    /// Approved comments, and how many of them are inline feedback.
    pub comment_count: i64,
    pub inline_count: i64,
    /// Closed by an editor.
    pub comments_closed: bool,
    /// The id feeds gave it on the site it was imported from.
    pub feed_guid: Option<String>,
    pub kind: ArticleKind,
    pub in_navigation: bool,
}

impl ArticleSummary {
    /// What a permission check needs to know of this article.
    pub fn access(&self) -> ArticleAccess {
        ArticleAccess {
            owner: self.owner,
            status: self.status,
            ever_published: self.first_published_at.is_some(),
        }
    }
}

/// An article with its body and its translations, for its own page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleView {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    pub body_markdown: String,
    pub body_html: String,
    pub translations: Vec<TranslationLink>,
}

impl ArticleSummary {
    /// Builds a summary from a row; the joined lists are filled in by the caller.
    pub(crate) fn from_row(r: ArticleRow) -> Self {
        let language = Language::parse(&r.language).unwrap_or_else(|_| Language::english());
        let featured_image = (!r.image_url.is_empty()).then_some(FeaturedImage {
            url: r.image_url,
            alt: r.image_alt,
            caption: r.image_caption,
            credit: r.image_credit,
        });
        let provenance = (!r.original_outlet.is_empty()).then(|| Provenance {
            outlet: r.original_outlet,
            url: Some(r.original_url).filter(|u| !u.is_empty()),
            language: Language::parse(&r.original_language).ok(),
            translators: Vec::new(),
        });
        Self {
            id: ArticleId(r.id),
            slug: r.slug,
            headline: r.headline,
            deck: r.deck,
            excerpt: r.excerpt,
            dateline: r.dateline,
            direction: Direction::parse(&r.direction).unwrap_or_else(|| language.direction()),
            language,
            status: ArticleStatus::parse(&r.status).unwrap_or(ArticleStatus::Draft),
            published_at: r.published_at.map(from_ts),
            created_at: from_ts(r.created_at),
            updated_at: from_ts(r.updated_at),
            section: None,
            authors: Vec::new(),
            tags: Vec::new(),
            featured_image,
            provenance,
            translation_group: r.translation_group,
            revision: r.revision,
            owner: r.owner_id.map(UserId),
            first_published_at: r.first_published_at.map(from_ts),
            comment_count: r.comment_count,
            inline_count: r.inline_count,
            comments_closed: r.comments_closed != 0,
            feed_guid: Some(r.feed_guid).filter(|g| !g.is_empty()),
            kind: ArticleKind::parse(&r.kind).unwrap_or_default(),
            in_navigation: r.in_navigation != 0,
        }
    }
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Paged<T> {
    pub fn pages(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1)))) as u32
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }
}

/// Which page of a list to read: 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub fn new(page: u32, per_page: u32) -> Self {
        Self {
            page: page.max(1),
            per_page: per_page.clamp(1, 200),
        }
    }

    pub(crate) fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

/// A comment as readers may see it: no address, no network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentView {
    pub id: i64,
    pub article_id: ArticleId,
    pub parent_id: Option<i64>,
    pub thread_id: i64,
    pub depth: u32,
    pub status: dateline_core::comment::CommentStatus,
    pub author_name: String,
    pub author_url: String,
    /// Written by a newsroom account.
    pub staff: bool,
    /// Sanitized when saved; safe to put on a page.
    pub body_html: String,
    pub body_markdown: String,
    pub upvotes: i64,
    pub downvotes: i64,
    pub score: i64,
    pub anchor: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Deleted by its writer, kept because replies hang from it.
    pub deleted: bool,
}

impl From<&crate::rows::CommentRow> for CommentView {
    fn from(r: &crate::rows::CommentRow) -> Self {
        let deleted = r.deleted_at.is_some();
        Self {
            id: r.id,
            article_id: ArticleId(r.article_id),
            parent_id: r.parent_id,
            thread_id: r.thread_id,
            depth: u32::try_from(r.depth).unwrap_or(0),
            status: dateline_core::comment::CommentStatus::parse(&r.status)
                .unwrap_or(dateline_core::comment::CommentStatus::Pending),
            author_name: if deleted {
                String::new()
            } else {
                r.author_name.clone()
            },
            author_url: if deleted {
                String::new()
            } else {
                r.author_url.clone()
            },
            staff: r.user_id.is_some(),
            body_html: if deleted {
                String::new()
            } else {
                r.body_html.clone()
            },
            body_markdown: if deleted {
                String::new()
            } else {
                r.body_markdown.clone()
            },
            upvotes: r.upvotes,
            downvotes: r.downvotes,
            score: r.score,
            anchor: r.anchor.clone(),
            created_at: from_ts(r.created_at),
            edited_at: r.edited_at.map(from_ts),
            deleted,
        }
    }
}
