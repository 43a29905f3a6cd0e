//! Rows as the tables hold them. Read models for pages live in `views`.

use sqlx::FromRow;

/// The columns of `articles` every listing needs (no body).
pub(crate) const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.headline, a.deck, a.excerpt, a.dateline, \
     a.language, a.direction, a.section_id, a.status, a.published_at, a.created_at, a.updated_at, \
     a.image_url, a.image_alt, a.image_caption, a.image_credit, a.original_outlet, a.original_url, \
     a.original_language, a.translation_group, a.revision, a.owner_id, a.first_published_at, \
     a.comment_count, a.inline_count, a.comments_closed, a.feed_guid, a.kind, a.in_navigation";

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
    pub comment_count: i64,
    pub inline_count: i64,
    pub comments_closed: i64,
    pub feed_guid: String,
    pub kind: String,
    pub in_navigation: i64,
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

pub(crate) const COMMENT_COLUMNS: &str = "c.id, c.article_id, c.parent_id, c.thread_id, c.depth, \
     c.status, c.held_because, c.author_name, c.author_email, c.author_url, c.user_id, \
     c.body_markdown, c.body_html, c.ip_hash, c.ip_prefix, c.user_agent, c.owner_hash, \
     c.upvotes, c.downvotes, c.score, c.anchor, c.created_at, c.updated_at, c.edited_at, c.deleted_at";

/// A comment as stored, with what only moderators may see.
#[derive(Debug, Clone, FromRow)]
pub struct CommentRow {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub thread_id: i64,
    pub depth: i64,
    pub status: String,
    pub held_because: String,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub user_id: Option<i64>,
    pub body_markdown: String,
    pub body_html: String,
    pub ip_hash: String,
    pub ip_prefix: String,
    pub user_agent: String,
    pub owner_hash: String,
    pub upvotes: i64,
    pub downvotes: i64,
    pub score: i64,
    pub anchor: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
}
