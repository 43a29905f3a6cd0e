//! Reading articles back for pages, feeds, sitemaps and the APIs. Nothing
//! here writes.

use crate::rows::{ArticleBodyRow, ArticleRow, AuthorRow, SUMMARY_COLUMNS, TermRow};
use crate::sql::Sql;
use crate::views::{
    ArticleSummary, ArticleView, AuthorView, PageRequest, Paged, TermView, TranslationLink,
};
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::{ArticleDraft, ArticleId, ArticleStatus, Language, UserId};
use sqlx::Row;
use std::collections::HashMap;

/// What a slug leads to on the public site.
#[derive(Debug, Clone, PartialEq)]
pub enum SlugLookup {
    Found(Box<ArticleView>),
    /// The slug was this article's before; it lives at the new slug now.
    Moved(String),
    NotFound,
}

/// Finds a published article by slug, following old slugs.
pub async fn find_published(db: &Db, slug: &str) -> Result<SlugLookup> {
    if let Some(id) = id_for_slug(db, slug, Some(ArticleStatus::Published)).await? {
        return Ok(match find(db, id).await? {
            Some(view) => SlugLookup::Found(Box::new(view)),
            None => SlugLookup::NotFound,
        });
    }
    let moved: Option<String> = sqlx::query_scalar(
        "SELECT a.slug FROM slug_redirects r JOIN articles a ON a.id = r.article_id WHERE r.old_slug = $1 AND a.status = 'published'",
    )
    .bind(slug.to_owned())
    .fetch_optional(db.pool())
    .await?;
    Ok(moved.map_or(SlugLookup::NotFound, SlugLookup::Moved))
}

/// The id of the article with `slug`, in any status unless one is given.
pub async fn id_for_slug(
    db: &Db,
    slug: &str,
    status: Option<ArticleStatus>,
) -> Result<Option<ArticleId>> {
    let mut sql = Sql::new("SELECT id FROM articles WHERE slug = ");
    sql.bind(slug.to_owned());
    if let Some(status) = status {
        sql.push(" AND status = ").bind(status.as_str().to_owned());
    }
    let id: Option<i64> = sql.query_scalar().fetch_optional(db.pool()).await?;
    Ok(id.map(ArticleId))
}

/// An article with its body and translations, in any status.
pub async fn find(db: &Db, id: ArticleId) -> Result<Option<ArticleView>> {
    let Some(summary) = load_summaries(db, &[id.0]).await?.pop() else {
        return Ok(None);
    };
    let body: ArticleBodyRow =
        sqlx::query_as("SELECT body_markdown, body_html FROM article_bodies WHERE article_id = $1")
            .bind(id.0)
            .fetch_one(db.pool())
            .await?;
    let translations = match summary.translation_group {
        Some(group) => translations(db, group, id).await?,
        None => Vec::new(),
    };
    Ok(Some(ArticleView {
        summary,
        body_markdown: body.body_markdown,
        body_html: body.body_html,
        translations,
    }))
}

async fn translations(db: &Db, group: i64, except: ArticleId) -> Result<Vec<TranslationLink>> {
    let rows = sqlx::query("SELECT id, slug, headline, language, direction FROM articles WHERE translation_group = $1 AND id <> $2 AND status = 'published' ORDER BY language, id")
        .bind(group)
        .bind(except.0)
        .fetch_all(db.pool())
        .await?;
    rows.into_iter()
        .map(|r| {
            let language = Language::parse(r.try_get::<String, _>("language")?.as_str())
                .unwrap_or_else(|_| Language::english());
            Ok(TranslationLink {
                id: ArticleId(r.try_get("id")?),
                slug: r.try_get("slug")?,
                headline: r.try_get("headline")?,
                direction: dateline_core::Direction::parse(&r.try_get::<String, _>("direction")?)
                    .unwrap_or_else(|| language.direction()),
                language,
            })
        })
        .collect()
}

/// Which articles a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFilter {
    /// `None` lists every status (the newsroom's view); readers see published.
    pub status: Option<ArticleStatus>,
    pub section: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
    /// Published at or after (Unix seconds).
    pub since: Option<DateTime<Utc>>,
    /// Published before.
    pub until: Option<DateTime<Utc>>,
    /// Only this user's articles.
    pub owner: Option<UserId>,
    /// Headline or slug containing these words (the newsroom's own search,
    /// which also finds drafts).
    pub text: Option<String>,
    /// Most recently changed first, instead of newest published first.
    pub recently_updated: bool,
    /// Pinned articles first (the front page).
    pub pinned_first: bool,
    /// Pages too (the newsroom's list); readers' lists hold reports only.
    pub with_pages: bool,
}

impl ArticleFilter {
    pub fn published() -> Self {
        Self {
            status: Some(ArticleStatus::Published),
            ..Self::default()
        }
    }
}

/// A page of articles, newest first.
pub async fn list(
    db: &Db,
    filter: &ArticleFilter,
    page: PageRequest,
) -> Result<Paged<ArticleSummary>> {
    let mut count = Sql::new("SELECT COUNT(*) FROM articles a");
    push_filter(&mut count, filter);
    let total: i64 = count.query_scalar().fetch_one(db.pool()).await?;

    let mut ids = Sql::new("SELECT a.id FROM articles a");
    push_filter(&mut ids, filter);
    ids.push(match (filter.recently_updated, filter.pinned_first) {
        (true, _) => " ORDER BY a.updated_at DESC, a.id DESC LIMIT ",
        (false, true) => " ORDER BY a.pinned DESC, a.published_at DESC, a.id DESC LIMIT ",
        (false, false) => " ORDER BY a.published_at DESC, a.id DESC LIMIT ",
    })
    .bind(i64::from(page.per_page))
    .push(" OFFSET ")
    .bind(page.offset());
    let ids: Vec<i64> = ids.query_scalar().fetch_all(db.pool()).await?;
    Ok(Paged {
        items: load_summaries(db, &ids).await?,
        total: total as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

fn push_filter(sql: &mut Sql, f: &ArticleFilter) {
    sql.push(" WHERE 1 = 1");
    if !f.with_pages {
        sql.push(" AND a.kind = 'report'");
    }
    if let Some(status) = f.status {
        sql.push(" AND a.status = ")
            .bind(status.as_str().to_owned());
    }
    if let Some(section) = &f.section {
        sql.push(" AND a.section_id = (SELECT id FROM sections WHERE slug = ")
            .bind(section.clone())
            .push(")");
    }
    if let Some(tag) = &f.tag {
        sql.push(" AND a.id IN (SELECT at.article_id FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE t.slug = ")
            .bind(tag.clone())
            .push(")");
    }
    if let Some(author) = &f.author {
        sql.push(" AND a.id IN (SELECT aa.article_id FROM article_authors aa JOIN authors au ON au.id = aa.author_id WHERE au.slug = ")
            .bind(author.clone())
            .push(")");
    }
    if let Some(language) = &f.language {
        sql.push(" AND a.language = ").bind(language.clone());
    }
    if let Some(since) = f.since {
        sql.push(" AND a.published_at >= ").bind(ts(since));
    }
    if let Some(until) = f.until {
        sql.push(" AND a.published_at < ").bind(ts(until));
    }
    if let Some(owner) = f.owner {
        sql.push(" AND a.owner_id = ").bind(owner.0);
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // LIKE's wildcards in the input are matched literally.
        let pattern = format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        sql.push(" AND (LOWER(a.headline) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR a.slug LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// Summaries for `ids`, in the order given, with authors, section and tags.
pub(crate) async fn load_summaries(db: &Db, ids: &[i64]) -> Result<Vec<ArticleSummary>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM articles a WHERE a.id IN ("
    ));
    sql.bind_list(ids.iter().copied()).push(")");
    let rows: Vec<ArticleRow> = sql.query_as().fetch_all(db.pool()).await?;
    let section_ids: Vec<i64> = rows.iter().filter_map(|r| r.section_id).collect();
    let mut by_id: HashMap<i64, ArticleSummary> = HashMap::with_capacity(rows.len());
    let mut section_of: HashMap<i64, i64> = HashMap::new();
    for row in rows {
        if let Some(s) = row.section_id {
            section_of.insert(row.id, s);
        }
        by_id.insert(row.id, ArticleSummary::from_row(row));
    }

    let sections = terms_by_id(db, "sections", &section_ids).await?;
    for (article, section) in &section_of {
        if let (Some(summary), Some(term)) = (by_id.get_mut(article), sections.get(section)) {
            summary.section = Some(term.clone());
        }
    }

    let mut sql = Sql::new(
        "SELECT aa.article_id, au.id, au.slug, au.name, au.bio FROM article_authors aa JOIN authors au ON au.id = aa.author_id WHERE aa.article_id IN (",
    );
    sql.bind_list(ids.iter().copied())
        .push(") ORDER BY aa.article_id, aa.position");
    for (article, author) in per_article::<AuthorRow>(db, sql).await? {
        if let Some(s) = by_id.get_mut(&article) {
            s.authors.push(AuthorView::from(author));
        }
    }

    let mut sql = Sql::new(
        "SELECT at.article_id, t.id, t.slug, t.name, t.description FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id IN (",
    );
    sql.bind_list(ids.iter().copied())
        .push(") ORDER BY at.article_id, at.position");
    for (article, tag) in per_article::<TermRow>(db, sql).await? {
        if let Some(s) = by_id.get_mut(&article) {
            s.tags.push(TermView::from(tag));
        }
    }

    let mut sql =
        Sql::new("SELECT article_id, name FROM article_translators WHERE article_id IN (");
    sql.bind_list(ids.iter().copied())
        .push(") ORDER BY article_id, position");
    for row in sql.query().fetch_all(db.pool()).await? {
        let article: i64 = row.try_get("article_id")?;
        if let Some(p) = by_id.get_mut(&article).and_then(|s| s.provenance.as_mut()) {
            p.translators.push(row.try_get("name")?);
        }
    }

    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Rows that belong to an article: each with its `article_id` column.
async fn per_article<T>(db: &Db, sql: Sql) -> Result<Vec<(i64, T)>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("article_id")?, T::from_row(r)?)))
        .collect()
}

async fn terms_by_id(db: &Db, table: &'static str, ids: &[i64]) -> Result<HashMap<i64, TermView>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT id, slug, name, description FROM {table} WHERE id IN ("
    ));
    sql.bind_list(ids.iter().copied()).push(")");
    let rows: Vec<TermRow> = sql.query_as().fetch_all(db.pool()).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, TermView::from(r)))
        .collect())
}

/// How many articles were published in each month, newest first.
pub async fn months_with_articles(db: &Db) -> Result<Vec<(i32, u32, i64)>> {
    // Grouping by month is done here rather than in SQL: the date functions of
    // the two databases differ, and one row per article's time is cheap.
    let times: Vec<i64> = sqlx::query_scalar("SELECT published_at FROM articles WHERE status = 'published' AND kind = 'report' AND published_at IS NOT NULL ORDER BY published_at DESC")
        .fetch_all(db.pool())
        .await?;
    let mut months: Vec<(i32, u32, i64)> = Vec::new();
    for t in times {
        use chrono::Datelike;
        let at = from_ts(t);
        let key = (at.year(), at.month());
        match months.last_mut() {
            Some(last) if (last.0, last.1) == key => last.2 += 1,
            _ => months.push((key.0, key.1, 1)),
        }
    }
    Ok(months)
}

/// The newest change to any published article, for Last-Modified headers.
pub async fn last_published_change(db: &Db) -> Result<Option<DateTime<Utc>>> {
    let t: Option<i64> =
        sqlx::query_scalar("SELECT MAX(updated_at) FROM articles WHERE status = 'published'")
            .fetch_one(db.pool())
            .await?;
    Ok(t.map(from_ts))
}

/// One saved version of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub draft: ArticleDraft,
    /// Who saved it (none for the command line).
    pub by: Option<String>,
}

/// Every saved version of an article, newest first.
pub async fn revisions(db: &Db, id: ArticleId) -> Result<Vec<Revision>> {
    let rows = sqlx::query("SELECT r.revision, r.created_at, r.draft, u.name AS by_name FROM article_revisions r LEFT JOIN users u ON u.id = r.user_id WHERE r.article_id = $1 ORDER BY r.revision DESC")
        .bind(id.0)
        .fetch_all(db.pool())
        .await?;
    rows.into_iter()
        .map(|r| {
            let draft: String = r.try_get("draft")?;
            Ok(Revision {
                revision: r.try_get("revision")?,
                created_at: from_ts(r.try_get("created_at")?),
                draft: serde_json::from_str(&draft)
                    .map_err(|e| DbError::Config(format!("revision is not readable: {e}")))?,
                by: r.try_get("by_name")?,
            })
        })
        .collect()
}

/// Every published article's slug and last change, oldest first, for sitemaps.
pub async fn published_slugs(db: &Db, page: PageRequest) -> Result<Vec<(String, DateTime<Utc>)>> {
    let rows = sqlx::query("SELECT slug, updated_at FROM articles WHERE status = 'published' ORDER BY id LIMIT $1 OFFSET $2")
        .bind(i64::from(page.per_page))
        .bind(page.offset())
        .fetch_all(db.pool())
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("slug")?, from_ts(r.try_get("updated_at")?))))
        .collect()
}

/// The rendered bodies of some articles, by id (for feeds).
pub async fn bodies(db: &Db, ids: &[i64]) -> Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql =
        Sql::new("SELECT article_id, body_html FROM article_bodies WHERE article_id IN (");
    sql.bind_list(ids.iter().copied()).push(")");
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("article_id")?, r.try_get("body_html")?)))
        .collect()
}

/// Published articles whose publication time is at or after `since`, newest
/// first, at most `limit` (for the news sitemap).
pub async fn published_since(
    db: &Db,
    since: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<ArticleSummary>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM articles WHERE status = 'published' AND kind = 'report' AND published_at >= $1 ORDER BY published_at DESC, id DESC LIMIT $2")
        .bind(ts(since))
        .bind(i64::from(limit))
        .fetch_all(db.pool())
        .await?;
    load_summaries(db, &ids).await
}

/// How many articles are published.
pub async fn published_count(db: &Db) -> Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM articles WHERE status = 'published'")
        .fetch_one(db.pool())
        .await?;
    Ok(n as u64)
}

/// The published pages chosen for the site's navigation: (slug, headline),
/// by headline.
pub async fn navigation_pages(db: &Db) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT slug, headline FROM articles WHERE kind = 'page' AND in_navigation = 1 AND status = 'published' ORDER BY headline, id LIMIT 20",
    )
    .fetch_all(db.pool())
    .await?)
}
