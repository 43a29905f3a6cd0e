//! The read-only Content API under `/api/v1/`: published articles, sections,
//! tags and authors, as JSON. Described by `/api/openapi.json`.

use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::search::checked_query;
use crate::handlers::{Freshness, cacheable, newest};
use crate::state::AppState;
use crate::urls::Urls;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use dateline_db::articles::{self, ArticleFilter, SlugLookup};
use dateline_db::people::{self, TermKind};
use dateline_db::search;
use dateline_db::views::{ArticleSummary, ArticleView, AuthorView, PageRequest, Paged, TermView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const MAX_PER_PAGE: u32 = 100;
const DEFAULT_PER_PAGE: u32 = 20;

/// A person named on articles.
#[derive(Serialize, ToSchema)]
pub struct ApiAuthor {
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub url: String,
    /// Published articles carrying this name (lists only).
    pub article_count: Option<i64>,
}

/// A section or a tag.
#[derive(Serialize, ToSchema)]
pub struct ApiTerm {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub url: String,
    pub article_count: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiImage {
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

/// Where the report first appeared.
#[derive(Serialize, ToSchema)]
pub struct ApiOriginal {
    pub outlet: String,
    pub url: Option<String>,
    /// BCP 47 tag of the original's language.
    pub language: Option<String>,
    pub translators: Vec<String>,
}

/// The same report in another language.
#[derive(Serialize, ToSchema)]
pub struct ApiTranslation {
    pub slug: String,
    pub headline: String,
    pub language: String,
    pub url: String,
}

/// A published article.
#[derive(Serialize, ToSchema)]
pub struct ApiArticle {
    pub id: i64,
    pub slug: String,
    /// The article's page.
    pub url: String,
    pub headline: String,
    pub deck: String,
    pub excerpt: String,
    /// Place line, e.g. "BAGHDAD, Iraq."
    pub dateline: String,
    /// BCP 47 language tag.
    pub language: String,
    /// "ltr" or "rtl".
    pub direction: String,
    /// RFC 3339.
    pub published_at: Option<String>,
    /// RFC 3339.
    pub updated_at: String,
    pub authors: Vec<ApiAuthor>,
    pub section: Option<ApiTerm>,
    pub tags: Vec<ApiTerm>,
    pub featured_image: Option<ApiImage>,
    pub original: Option<ApiOriginal>,
    /// Only on a single article.
    pub translations: Option<Vec<ApiTranslation>>,
    /// Sanitized HTML of the body; only on a single article.
    pub body_html: Option<String>,
    /// Approved comments, replies included.
    pub comment_count: i64,
    /// How many of them are inline feedback on a passage.
    pub inline_count: i64,
    /// The article's comments in the Comments API.
    pub comments_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct Pagination {
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
    pub pages: u32,
    /// URL of the next page, if any.
    pub next: Option<String>,
    pub prev: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleList {
    pub articles: Vec<ApiArticle>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleOne {
    pub article: ApiArticle,
}

#[derive(Serialize, ToSchema)]
pub struct TermList {
    pub items: Vec<ApiTerm>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorList {
    pub authors: Vec<ApiAuthor>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub status: u16,
    /// What is wrong, for people.
    pub message: String,
    /// Field name to message, when the error is about input.
    pub fields: std::collections::HashMap<String, String>,
    pub request_id: String,
}

/// Every error answer: `{"error": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    pub error: ApiErrorBody,
}

/// Filters and paging for the article list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleParams {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Articles per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Section slug.
    pub section: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// BCP 47 language tag, e.g. `ar`.
    pub language: Option<String>,
    /// Published at or after: RFC 3339 time or a date (`2026-11-01`).
    pub since: Option<String>,
    /// Published before: RFC 3339 time or a date.
    pub until: Option<String>,
    /// Full-text query, ranked; cannot be combined with the other filters.
    pub q: Option<String>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn term(t: &TermView, url: String) -> ApiTerm {
    ApiTerm {
        slug: t.slug.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
        url,
        article_count: t.article_count,
    }
}

fn api_author(a: &AuthorView, article_count: Option<i64>, urls: &Urls) -> ApiAuthor {
    ApiAuthor {
        slug: a.slug.clone(),
        name: a.name.clone(),
        bio: a.bio.clone(),
        url: urls.absolute(&urls.author(&a.slug)),
        article_count,
    }
}

fn api_article(a: &ArticleSummary, urls: &Urls) -> ApiArticle {
    ApiArticle {
        id: a.id.0,
        slug: a.slug.clone(),
        url: urls.absolute(&urls.article(&a.slug)),
        comment_count: a.comment_count,
        inline_count: a.inline_count,
        comments_url: urls.absolute(&format!("/api/v1/articles/{}/comments", a.id.0)),
        headline: a.headline.clone(),
        deck: a.deck.clone(),
        excerpt: a.excerpt.clone(),
        dateline: a.dateline.clone(),
        language: a.language.to_string(),
        direction: a.direction.to_string(),
        published_at: a.published_at.map(rfc3339),
        updated_at: rfc3339(a.updated_at),
        authors: a
            .authors
            .iter()
            .map(|au| api_author(au, None, urls))
            .collect(),
        section: a
            .section
            .as_ref()
            .map(|s| term(s, urls.absolute(&urls.section(&s.slug)))),
        tags: a
            .tags
            .iter()
            .map(|t| term(t, urls.absolute(&urls.tag(&t.slug))))
            .collect(),
        featured_image: a.featured_image.as_ref().map(|i| ApiImage {
            url: if i.url.starts_with('/') {
                urls.absolute(&i.url)
            } else {
                i.url.clone()
            },
            alt: i.alt.clone(),
            caption: i.caption.clone(),
            credit: i.credit.clone(),
        }),
        original: a.provenance.as_ref().map(|p| ApiOriginal {
            outlet: p.outlet.clone(),
            url: p.url.clone(),
            language: p.language.as_ref().map(|l| l.to_string()),
            translators: p.translators.clone(),
        }),
        translations: None,
        body_html: None,
    }
}

fn api_article_full(v: &ArticleView, urls: &Urls) -> ApiArticle {
    let mut a = api_article(&v.summary, urls);
    a.body_html = Some(v.body_html.clone());
    a.translations = Some(
        v.translations
            .iter()
            .map(|t| ApiTranslation {
                slug: t.slug.clone(),
                headline: t.headline.clone(),
                language: t.language.to_string(),
                url: urls.absolute(&urls.article(&t.slug)),
            })
            .collect(),
    );
    a
}

fn json_response<T: Serialize>(
    body: &T,
    last_modified: Option<DateTime<Utc>>,
) -> Result<Response, AppError> {
    let text = serde_json::to_string(body).map_err(|e| AppError::Internal(e.into()))?;
    Ok(cacheable(
        text,
        "application/json",
        Freshness::Minutes(1),
        last_modified,
    ))
}

fn parse_time(field: &str, value: &str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err(AppError::BadRequest(format!(
        "{field}={value} is not a time; use a date such as 2026-11-01 or a time such as 2026-11-01T08:00:00Z."
    )))
}

fn pagination(urls: &Urls, paged: &Paged<ArticleSummary>, query: &str) -> Pagination {
    let link = |page: u32| {
        let mut pairs: Vec<String> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .map(str::to_owned)
            .collect();
        pairs.push(format!("page={page}"));
        urls.absolute(&format!("/api/v1/articles?{}", pairs.join("&")))
    };
    Pagination {
        page: paged.page,
        per_page: paged.per_page,
        total: paged.total,
        pages: paged.pages(),
        next: paged.has_next().then(|| link(paged.page + 1)),
        prev: paged.has_previous().then(|| link(paged.page - 1)),
    }
}

/// List published articles, newest first (or best match first with `q`).
#[utoipa::path(
    get,
    path = "/api/v1/articles",
    tag = "articles",
    params(ArticleParams),
    responses(
        (status = 200, description = "A page of articles", body = ArticleList),
        (status = 400, description = "A parameter cannot be read", body = ApiError),
    )
)]
pub async fn list_articles(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    Q(p): Q<ArticleParams>,
) -> Result<Response, AppError> {
    let per_page = p.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::BadRequest(format!(
            "per_page must be between 1 and {MAX_PER_PAGE}."
        )));
    }
    let page = match p.page {
        Some(0) => return Err(AppError::BadRequest("page is numbered from 1.".into())),
        Some(n) => n,
        None => 1,
    };
    let request = PageRequest::new(page, per_page);
    let paged = match p.q.as_deref() {
        Some(q) => {
            if p.section.is_some()
                || p.tag.is_some()
                || p.author.is_some()
                || p.language.is_some()
                || p.since.is_some()
                || p.until.is_some()
            {
                return Err(AppError::BadRequest(
                    "q ranks by relevance and cannot be combined with section, tag, author, language, since or until; use one or the other.".into(),
                ));
            }
            search::search(&state.db, &checked_query(q)?, request).await?
        }
        None => {
            let filter = ArticleFilter {
                section: p.section,
                tag: p.tag,
                author: p.author,
                language: p.language,
                since: p
                    .since
                    .as_deref()
                    .map(|s| parse_time("since", s))
                    .transpose()?,
                until: p
                    .until
                    .as_deref()
                    .map(|s| parse_time("until", s))
                    .transpose()?,
                ..ArticleFilter::published()
            };
            articles::list(&state.db, &filter, request).await?
        }
    };
    let body = ArticleList {
        articles: paged
            .items
            .iter()
            .map(|a| api_article(a, &state.urls))
            .collect(),
        pagination: pagination(&state.urls, &paged, uri.query().unwrap_or_default()),
    };
    json_response(&body, newest(paged.items.iter().map(|a| &a.updated_at)))
}

/// One published article, by id or slug, with its body and translations. An
/// old slug answers 301 to the current one.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{id_or_slug}",
    tag = "articles",
    params(("id_or_slug" = String, Path, description = "Numeric id or slug")),
    responses(
        (status = 200, description = "The article", body = ArticleOne),
        (status = 301, description = "The slug changed; see Location"),
        (status = 404, description = "No such published article", body = ApiError),
    )
)]
pub async fn get_article(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let missing = || {
        AppError::NotFound(format!(
            "No published article has the id or slug \"{key}\"."
        ))
    };
    let view = if let Ok(id) = key.parse::<i64>() {
        let view = articles::find(&state.db, dateline_core::ArticleId(id))
            .await?
            .ok_or_else(missing)?;
        if view.summary.status != dateline_core::ArticleStatus::Published {
            return Err(missing());
        }
        view
    } else {
        match articles::find_published(&state.db, &key).await? {
            SlugLookup::Found(v) => *v,
            SlugLookup::Moved(slug) => {
                let location = format!("/api/v1/articles/{}", &state.urls.article(&slug)[1..]);
                let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
                if let Ok(v) = HeaderValue::from_str(&location) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                return Ok(r);
            }
            SlugLookup::NotFound => return Err(missing()),
        }
    };
    let updated = view.summary.updated_at;
    json_response(
        &ArticleOne {
            article: api_article_full(&view, &state.urls),
        },
        Some(updated),
    )
}

async fn term_list(state: &AppState, kind: TermKind) -> Result<Response, AppError> {
    let items = people::terms(&state.db, kind)
        .await?
        .iter()
        .map(|t| {
            let url = match kind {
                TermKind::Section => state.urls.section(&t.slug),
                TermKind::Tag => state.urls.tag(&t.slug),
            };
            term(t, state.urls.absolute(&url))
        })
        .collect();
    json_response(&TermList { items }, None)
}

async fn term_one(state: &AppState, kind: TermKind, slug: &str) -> Result<Response, AppError> {
    let (t, url) = match kind {
        TermKind::Section => (
            people::term(&state.db, kind, slug).await?,
            state.urls.section(slug),
        ),
        TermKind::Tag => (
            people::term(&state.db, kind, slug).await?,
            state.urls.tag(slug),
        ),
    };
    let t = t.ok_or_else(|| AppError::NotFound(format!("Nothing is filed under \"{slug}\".")))?;
    json_response(&term(&t, state.urls.absolute(&url)), None)
}

/// Every section, in navigation order, with article counts.
#[utoipa::path(get, path = "/api/v1/sections", tag = "taxonomy", responses((status = 200, body = TermList)))]
pub async fn list_sections(State(state): State<AppState>) -> Result<Response, AppError> {
    term_list(&state, TermKind::Section).await
}

/// One section.
#[utoipa::path(get, path = "/api/v1/sections/{slug}", tag = "taxonomy",
    params(("slug" = String, Path, description = "Section slug")),
    responses((status = 200, body = ApiTerm), (status = 404, body = ApiError)))]
pub async fn get_section(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    term_one(&state, TermKind::Section, &slug).await
}

/// Every tag, by name, with article counts.
#[utoipa::path(get, path = "/api/v1/tags", tag = "taxonomy", responses((status = 200, body = TermList)))]
pub async fn list_tags(State(state): State<AppState>) -> Result<Response, AppError> {
    term_list(&state, TermKind::Tag).await
}

/// One tag.
#[utoipa::path(get, path = "/api/v1/tags/{slug}", tag = "taxonomy",
    params(("slug" = String, Path, description = "Tag slug")),
    responses((status = 200, body = ApiTerm), (status = 404, body = ApiError)))]
pub async fn get_tag(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    term_one(&state, TermKind::Tag, &slug).await
}

/// Every author, by name, with article counts.
#[utoipa::path(get, path = "/api/v1/authors", tag = "people", responses((status = 200, body = AuthorList)))]
pub async fn list_authors(State(state): State<AppState>) -> Result<Response, AppError> {
    let authors = people::authors(&state.db)
        .await?
        .iter()
        .map(|(a, n)| api_author(a, Some(*n), &state.urls))
        .collect();
    json_response(&AuthorList { authors }, None)
}

/// One author.
#[utoipa::path(get, path = "/api/v1/authors/{slug}", tag = "people",
    params(("slug" = String, Path, description = "Author slug")),
    responses((status = 200, body = ApiAuthor), (status = 404, body = ApiError)))]
pub async fn get_author(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let a = people::author(&state.db, &slug)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("No author has the slug \"{slug}\".")))?;
    json_response(&api_author(&a, None, &state.urls), None)
}
