//! Articles: saving a draft (with everything tied to it) and reading articles
//! back for pages, feeds and the API.

use crate::rows::{ArticleBodyRow, ArticleRow, AuthorRow, SUMMARY_COLUMNS, TermRow};
use crate::search;
use crate::site;
use crate::sql::Sql;
use crate::views::{
    ArticleSummary, ArticleView, AuthorView, PageRequest, Paged, TermView, TranslationLink,
};
use crate::{Db, DbError, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::audit::Who;
use dateline_core::{ArticleDraft, ArticleId, ArticleStatus, Language, UserId};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Longest automatic excerpt, in characters.
const AUTO_EXCERPT_CHARS: usize = 280;

/// Which article a save writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTarget {
    New,
    /// An existing article; with `expected_revision`, the save fails if someone
    /// else saved since that revision.
    Existing {
        id: ArticleId,
        expected_revision: Option<i64>,
    },
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: ArticleId,
    pub slug: String,
    pub revision: i64,
    pub created: bool,
    /// False when the draft was identical to the latest revision: nothing was
    /// written (importing the same file twice is harmless).
    pub changed: bool,
    pub status: ArticleStatus,
}

/// Stores a validated draft with its authors, section, tags, translators,
/// translation links, a revision, a redirect from a changed slug and its search
/// terms: all in one transaction, or nothing.
/// `by` is who makes the change: a new article becomes their user's, the
/// revision records them, and a change of status (published, scheduled,
/// unpublished, archived) goes into the audit log.
pub async fn save(
    db: &Db,
    target: SaveTarget,
    draft: &ArticleDraft,
    now: DateTime<Utc>,
    by: &Who,
) -> Result<Saved> {
    let mut tx = db.write_tx().await?;
    let before = match target {
        SaveTarget::New => None,
        SaveTarget::Existing { id, .. } => crate::audit::article_status(&mut tx, id).await?,
    };
    let saved = save_in(&mut tx, target, draft, now, by.user).await?;
    if saved.changed {
        crate::audit::status_changed(&mut tx, &saved, before, &draft.headline, None, now, by)
            .await?;
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(saved)
}

pub(crate) async fn save_in(
    conn: &mut AnyConnection,
    target: SaveTarget,
    draft: &ArticleDraft,
    now: DateTime<Utc>,
    by: Option<UserId>,
) -> Result<Saved> {
    let snapshot = serde_json::to_string(draft).map_err(|e| DbError::Config(e.to_string()))?;
    if let SaveTarget::Existing {
        id,
        expected_revision,
    } = target
    {
        let latest = sqlx::query("SELECT a.slug, a.revision, r.draft FROM articles a LEFT JOIN article_revisions r ON r.article_id = a.id AND r.revision = a.revision WHERE a.id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DbError::NotFound)?;
        let revision: i64 = latest.try_get("revision")?;
        let same =
            latest.try_get::<Option<String>, _>("draft")?.as_deref() == Some(snapshot.as_str());
        if same && expected_revision.is_none_or(|e| e == revision) {
            return Ok(Saved {
                id,
                slug: latest.try_get("slug")?,
                revision,
                created: false,
                changed: false,
                status: draft.status,
            });
        }
    }
    let rendered = dateline_render::render_article(&draft.body_markdown);
    let excerpt = if draft.excerpt.is_empty() {
        dateline_render::excerpt(&rendered.text, AUTO_EXCERPT_CHARS)
    } else {
        draft.excerpt.clone()
    };
    let section_id = match &draft.section {
        Some(s) => Some(upsert_section(conn, s.slug.as_ref(), &s.name, now).await?),
        None => None,
    };
    let group = match &draft.translation_of {
        Some(other) => Some(translation_group_of(conn, other.as_str(), &target).await?),
        None => None,
    };
    let (outlet, original_url, original_language) = match &draft.provenance {
        Some(p) => (
            p.outlet.clone(),
            p.url.clone().unwrap_or_default(),
            p.language
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let columns = Columns {
        draft,
        excerpt,
        section_id,
        image: draft
            .featured_image
            .clone()
            .unwrap_or(dateline_core::FeaturedImage {
                url: String::new(),
                alt: String::new(),
                caption: String::new(),
                credit: String::new(),
            }),
        outlet,
        original_url,
        original_language,
    };

    let mut sql = Sql::new("");
    let (id, created, old_slug) = match target {
        SaveTarget::New => {
            sql.push(&format!(
                "INSERT INTO articles ({COLUMN_LIST}, owner_id, created_at, updated_at, revision) VALUES ("
            ));
            columns.bind_into(&mut sql, group);
            sql.push(", ").bind(by.map(|u| u.0));
            // A report imported after the fact has not been updated since
            // it was published: its content dates from publication.
            let updated_at = draft.published_at.map_or(now, |p| p.min(now));
            sql.push(", ")
                .bind(ts(now))
                .push(", ")
                .bind(ts(updated_at))
                .push(", 1) RETURNING id");
            let id: i64 = sql
                .query_scalar()
                .fetch_one(&mut *conn)
                .await
                .map_err(slug_conflict)?;
            (ArticleId(id), true, None)
        }
        SaveTarget::Existing {
            id,
            expected_revision,
        } => {
            let current =
                sqlx::query("SELECT slug, revision, translation_group FROM articles WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(DbError::NotFound)?;
            let old_slug: String = current.try_get("slug")?;
            let revision: i64 = current.try_get("revision")?;
            let current_group: Option<i64> = current.try_get("translation_group")?;
            if let Some(expected) = expected_revision
                && expected != revision
            {
                return Err(DbError::StaleRevision {
                    expected,
                    actual: revision,
                });
            }
            sql.push(&format!("UPDATE articles SET ({COLUMN_LIST}) = ("));
            columns.bind_into(&mut sql, group.or(current_group));
            sql.push("), updated_at = ").bind(ts(now));
            sql.push(", revision = revision + 1 WHERE id = ").bind(id.0);
            sql.push(" AND revision = ").bind(revision);
            let done = sql
                .query()
                .execute(&mut *conn)
                .await
                .map_err(slug_conflict)?;
            if done.rows_affected() == 0 {
                return Err(DbError::StaleRevision {
                    expected: revision,
                    actual: revision + 1,
                });
            }
            (id, false, Some(old_slug))
        }
    };

    // A translation group forms around the first article: the other one joins.
    if let Some(group) = group {
        sqlx::query("UPDATE articles SET translation_group = $1 WHERE id = $1 AND translation_group IS NULL")
            .bind(group)
            .execute(&mut *conn)
            .await?;
    }

    let body_html = crate::passages::anchor_in(conn, id, &rendered, now).await?;
    sqlx::query("INSERT INTO article_bodies (article_id, body_markdown, body_html) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO UPDATE SET body_markdown = excluded.body_markdown, body_html = excluded.body_html")
        .bind(id.0)
        .bind(draft.body_markdown.clone())
        .bind(body_html)
        .execute(&mut *conn)
        .await?;
    replace_people(conn, id, draft, now).await?;
    update_redirects(conn, id, old_slug.as_deref(), draft.slug.as_str()).await?;

    let revision: i64 = sqlx::query_scalar("SELECT revision FROM articles WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO article_revisions (article_id, revision, created_at, draft, user_id) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.0)
        .bind(revision)
        .bind(ts(now))
        .bind(snapshot)
        .bind(by.map(|u| u.0))
        .execute(&mut *conn)
        .await?;
    if matches!(
        draft.status,
        ArticleStatus::Published | ArticleStatus::Archived
    ) {
        sqlx::query("UPDATE articles SET first_published_at = COALESCE(first_published_at, published_at) WHERE id = $1")
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }

    search::index_article(conn, id, draft, &rendered.text).await?;

    Ok(Saved {
        id,
        slug: draft.slug.to_string(),
        revision,
        created,
        changed: true,
        status: draft.status,
    })
}

/// The `articles` columns a save writes, in the order the INSERT and UPDATE
/// statements name them.
struct Columns<'a> {
    draft: &'a ArticleDraft,
    excerpt: String,
    section_id: Option<i64>,
    image: dateline_core::FeaturedImage,
    outlet: String,
    original_url: String,
    original_language: String,
}

const COLUMN_LIST: &str = "slug, headline, deck, excerpt, dateline, language, direction, section_id, status, published_at, image_url, image_alt, image_caption, image_credit, original_outlet, original_url, original_language, translation_group";

impl Columns<'_> {
    fn bind_into(&self, sql: &mut Sql, group: Option<i64>) {
        let d = self.draft;
        sql.bind(d.slug.to_string()).push(", ");
        sql.bind(d.headline.clone()).push(", ");
        sql.bind(d.deck.clone()).push(", ");
        sql.bind(self.excerpt.clone()).push(", ");
        sql.bind(d.dateline.clone()).push(", ");
        sql.bind(d.language.to_string()).push(", ");
        sql.bind(d.direction.as_str().to_owned()).push(", ");
        sql.bind(self.section_id).push(", ");
        sql.bind(d.status.as_str().to_owned()).push(", ");
        sql.bind(d.published_at.map(ts)).push(", ");
        sql.bind(self.image.url.clone()).push(", ");
        sql.bind(self.image.alt.clone()).push(", ");
        sql.bind(self.image.caption.clone()).push(", ");
        sql.bind(self.image.credit.clone()).push(", ");
        sql.bind(self.outlet.clone()).push(", ");
        sql.bind(self.original_url.clone()).push(", ");
        sql.bind(self.original_language.clone()).push(", ");
        sql.bind(group);
    }
}

fn slug_conflict(e: sqlx::Error) -> DbError {
    if DbError::is_unique_violation(&e) {
        DbError::Conflict {
            field: "slug".into(),
            message: "Another article already has this slug; choose another.".into(),
        }
    } else {
        e.into()
    }
}

/// The translation group `other_slug` belongs to (created around it if it has
/// none yet).
async fn translation_group_of(
    conn: &mut AnyConnection,
    other_slug: &str,
    target: &SaveTarget,
) -> Result<i64> {
    let row = sqlx::query("SELECT id, translation_group FROM articles WHERE slug = $1")
        .bind(other_slug.to_owned())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            DbError::invalid(
                "translation_of",
                format!("No article has the slug \"{other_slug}\"; save the other language version first."),
            )
        })?;
    let other_id: i64 = row.try_get("id")?;
    if let SaveTarget::Existing { id, .. } = target
        && id.0 == other_id
    {
        return Err(DbError::invalid(
            "translation_of",
            "An article cannot be a translation of itself.",
        ));
    }
    let group: Option<i64> = row.try_get("translation_group")?;
    Ok(group.unwrap_or(other_id))
}

async fn upsert_section(
    conn: &mut AnyConnection,
    slug: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query("INSERT INTO sections (slug, name, created_at, position) VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections)) ON CONFLICT (slug) DO NOTHING")
        .bind(slug.to_owned())
        .bind(name.to_owned())
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM sections WHERE slug = $1")
            .bind(slug.to_owned())
            .fetch_one(&mut *conn)
            .await?,
    )
}

async fn replace_people(
    conn: &mut AnyConnection,
    id: ArticleId,
    d: &ArticleDraft,
    now: DateTime<Utc>,
) -> Result<()> {
    for table in ["article_authors", "article_tags", "article_translators"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE article_id = $1"
        )))
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    }
    for (position, author) in d.authors.iter().enumerate() {
        let insert = match &author.bio {
            Some(_) => {
                "INSERT INTO authors (slug, name, bio, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (slug) DO UPDATE SET bio = excluded.bio, updated_at = excluded.updated_at"
            }
            None => {
                "INSERT INTO authors (slug, name, bio, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (slug) DO NOTHING"
            }
        };
        sqlx::query(insert)
            .bind(author.slug.to_string())
            .bind(author.name.clone())
            .bind(author.bio.clone().unwrap_or_default())
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO article_authors (article_id, author_id, position) SELECT $1, id, $2 FROM authors WHERE slug = $3")
            .bind(id.0)
            .bind(position as i64)
            .bind(author.slug.to_string())
            .execute(&mut *conn)
            .await?;
    }
    for (position, tag) in d.tags.iter().enumerate() {
        sqlx::query("INSERT INTO tags (slug, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING")
            .bind(tag.slug.to_string())
            .bind(tag.name.clone())
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO article_tags (article_id, tag_id, position) SELECT $1, id, $2 FROM tags WHERE slug = $3")
            .bind(id.0)
            .bind(position as i64)
            .bind(tag.slug.to_string())
            .execute(&mut *conn)
            .await?;
    }
    if let Some(p) = &d.provenance {
        for (position, name) in p.translators.iter().enumerate() {
            sqlx::query(
                "INSERT INTO article_translators (article_id, position, name) VALUES ($1, $2, $3)",
            )
            .bind(id.0)
            .bind(position as i64)
            .bind(name.clone())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn update_redirects(
    conn: &mut AnyConnection,
    id: ArticleId,
    old_slug: Option<&str>,
    new_slug: &str,
) -> Result<()> {
    // The slug is live again: it no longer redirects anywhere.
    sqlx::query("DELETE FROM slug_redirects WHERE old_slug = $1")
        .bind(new_slug.to_owned())
        .execute(&mut *conn)
        .await?;
    if let Some(old) = old_slug.filter(|old| *old != new_slug) {
        sqlx::query("INSERT INTO slug_redirects (old_slug, article_id) VALUES ($1, $2) ON CONFLICT (old_slug) DO UPDATE SET article_id = excluded.article_id")
            .bind(old.to_owned())
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Moves scheduled articles whose time has come to published. Returns how
/// many moved; bumps the content version when any did.
pub async fn publish_due(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    // Called every second by every server: look before taking the write lock.
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM articles WHERE status = 'scheduled' AND published_at <= $1 LIMIT 1",
    )
    .bind(ts(now))
    .fetch_optional(db.pool())
    .await?;
    if due.is_none() {
        return Ok(0);
    }
    let mut tx = db.write_tx().await?;
    let published: Vec<(i64, Option<i64>)> = sqlx::query_as("UPDATE articles SET status = 'published', first_published_at = COALESCE(first_published_at, published_at) WHERE status = 'scheduled' AND published_at <= $1 RETURNING id, published_at")
        .bind(ts(now))
        .fetch_all(&mut *tx)
        .await?;
    for (id, at) in &published {
        search::set_published(&mut tx, ArticleId(*id), *at).await?;
        let event = crate::audit::Event::new(
            "article.published",
            "article",
            Some(*id),
            "at its scheduled time",
        );
        crate::audit::record_in(&mut tx, &Who::system(), now, &event).await?;
    }
    if !published.is_empty() {
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(published.len() as u64)
}

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
    ids.push(if filter.recently_updated {
        " ORDER BY a.updated_at DESC, a.id DESC LIMIT "
    } else {
        " ORDER BY a.published_at DESC, a.id DESC LIMIT "
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

/// Deletes an article and everything tied to it (revisions, bodies, search
/// terms, redirects go with it). Returns whether there was one.
pub async fn delete(db: &Db, id: ArticleId, now: DateTime<Utc>, by: &Who) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    // Translations stay linked to each other, without this one.
    let gone: Option<(String, String)> =
        sqlx::query_as("DELETE FROM articles WHERE id = $1 RETURNING headline, status")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((headline, status)) = &gone {
        let event = crate::audit::Event::new(
            "article.deleted",
            "article",
            Some(id.0),
            format!("\u{201c}{headline}\u{201d} ({status})"),
        );
        crate::audit::record_in(&mut tx, by, now, &event).await?;
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(gone.is_some())
}

/// How many articles were published in each month, newest first.
pub async fn months_with_articles(db: &Db) -> Result<Vec<(i32, u32, i64)>> {
    // Grouping by month is done here rather than in SQL: the date functions of
    // the two databases differ, and one row per article's time is cheap.
    let times: Vec<i64> = sqlx::query_scalar("SELECT published_at FROM articles WHERE status = 'published' AND published_at IS NOT NULL ORDER BY published_at DESC")
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
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM articles WHERE status = 'published' AND published_at >= $1 ORDER BY published_at DESC, id DESC LIMIT $2")
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
