//! Rows as the tables hold them. Read models for pages live in `views`.

use sqlx::FromRow;

/// The columns of `articles` every listing needs (no body).
pub(crate) const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.headline, a.deck, a.excerpt, a.dateline, \
     a.language, a.direction, a.section_id, a.status, a.published_at, a.created_at, a.updated_at, \
     a.image_url, a.image_alt, a.image_caption, a.image_credit, a.original_outlet, a.original_url, \
     a.original_language, a.translation_group, a.revision, a.owner_id, a.first_published_at";

#[derive(Debug, Clone, FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub deck: String,
    pub excerpt: String,
    pub dateline: String,
    pub language: String,
    pub direction: String,
    pub section_id: Option<i64>,
    pub status: String,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub image_url: String,
    pub image_alt: String,
    pub image_caption: String,
    pub image_credit: String,
    pub original_outlet: String,
    pub original_url: String,
    pub original_language: String,
    pub translation_group: Option<i64>,
    pub revision: i64,
    pub owner_id: Option<i64>,
    pub first_published_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ArticleBodyRow {
    pub body_markdown: String,
    pub body_html: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct AuthorRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub bio: String,
}

/// A tag or a section.
#[derive(Debug, Clone, FromRow)]
pub struct TermRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}
