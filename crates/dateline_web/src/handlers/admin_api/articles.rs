//! `/api/v1/admin/articles`: list, create, read, change, delete, revisions;
//! `/api/v1/admin/media`: upload and list images.

use crate::auth::{ApiClient, Upload};
use crate::error::AppError;
use crate::extract::{JsonBody, Q};
use crate::handlers::admin_api::json;
use crate::handlers::api::{ApiError, Pagination};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use dateline_core::article::{ArticleInput, AuthorInput, FeaturedImageInput, ProvenanceInput};
use dateline_core::{ArticleId, ArticleStatus, Capability};
use dateline_db::articles::{self as store, ArticleFilter};
use dateline_db::media::{self, Media};
use dateline_db::views::{ArticleView, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An author as the API takes one: a name, or a name with slug and bio.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AuthorBody {
    Name(String),
    Full {
        name: String,
        slug: Option<String>,
        bio: Option<String>,
    },
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageBody {
    #[serde(default)]
    pub url: String,
    /// Required with an image: read to readers who cannot see it.
    #[serde(default)]
    pub alt: String,
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub credit: String,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OriginalBody {
    #[serde(default)]
    pub outlet: String,
    pub url: Option<String>,
    /// BCP 47 tag.
    pub language: Option<String>,
    #[serde(default)]
    pub translators: Vec<String>,
}

/// An article to create or replace. The same fields as an article file's
/// front matter (docs/article-files.md), with the body in `body`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleBody {
    pub headline: String,
    pub deck: Option<String>,
    /// Made from the headline when left out.
    pub slug: Option<String>,
    pub excerpt: Option<String>,
    pub dateline: Option<String>,
    /// BCP 47 tag; the site's language when left out.
    pub language: Option<String>,
    /// "ltr" or "rtl"; follows the language when left out.
    pub direction: Option<String>,
    #[serde(default)]
    pub authors: Vec<AuthorBody>,
    pub section: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// draft (default), scheduled, published or archived.
    pub status: Option<String>,
    /// RFC 3339; required for scheduled.
    pub published_at: Option<String>,
    pub featured_image: Option<ImageBody>,
    pub original: Option<OriginalBody>,
    /// Slug of this report in another language.
    pub translation_of: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub body: String,
    /// "report" (default) or "page": a page is at the site's root, in the
    /// sitemap, never in lists, feeds or the newsletter.
    pub kind: Option<String>,
    /// A page listed in the site's navigation.
    #[serde(default)]
    pub in_navigation: bool,
    /// On a change: the revision the change was made from. When someone
    /// saved since, the answer is 409 and nothing is written.
    pub revision: Option<i64>,
}

impl ArticleBody {
    fn into_input(self) -> Result<(ArticleInput, Option<i64>), AppError> {
        let published_at = match self.published_at.as_deref() {
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        let mut e = dateline_core::ValidationErrors::new();
                        e.add(
                            "published_at",
                            "Give the time in RFC 3339, such as 2026-11-24T08:30:00Z.",
                        );
                        AppError::Invalid(e)
                    })?,
            ),
            None => None,
        };
        let input = ArticleInput {
            headline: self.headline,
            deck: self.deck,
            slug: self.slug,
            excerpt: self.excerpt,
            dateline: self.dateline,
            language: self.language,
            direction: self.direction,
            authors: self
                .authors
                .into_iter()
                .map(|a| match a {
                    AuthorBody::Name(n) => AuthorInput::Name(n),
                    AuthorBody::Full { name, slug, bio } => AuthorInput::Full { name, slug, bio },
                })
                .collect(),
            section: self.section,
            tags: self.tags,
            status: self.status,
            published_at,
            featured_image: self.featured_image.map(|i| FeaturedImageInput {
                url: i.url,
                alt: i.alt,
                caption: i.caption,
                credit: i.credit,
            }),
            original: self.original.map(|o| ProvenanceInput {
                outlet: o.outlet,
                url: o.url,
                language: o.language,
                translators: o.translators,
            }),
            translation_of: self.translation_of,
            body: self.body,
            kind: self.kind,
            in_navigation: self.in_navigation,
        };
        Ok((input, self.revision))
    }
}

/// An article as the newsroom sees it, in any status.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminArticle {
    pub id: i64,
    pub slug: String,
    /// The public page (it answers only once published).
    pub url: String,
    pub status: String,
    pub revision: i64,
    pub headline: String,
    pub deck: String,
    pub excerpt: String,
    pub dateline: String,
    pub language: String,
    pub direction: String,
    pub published_at: Option<String>,
    pub updated_at: String,
    /// The newsroom user it belongs to.
    pub owner_id: Option<i64>,
    pub authors: Vec<String>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub featured_image: Option<ImageBody>,
    pub original: Option<OriginalBody>,
    /// Slugs of the other language versions.
    pub translations: Vec<String>,
    /// Only on a single article.
    pub body_markdown: Option<String>,
    pub body_html: Option<String>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn admin_article(state: &AppState, v: &ArticleView, with_body: bool) -> AdminArticle {
    let a = &v.summary;
    AdminArticle {
        id: a.id.0,
        slug: a.slug.clone(),
        url: state.urls.absolute(&state.urls.article(&a.slug)),
        status: a.status.to_string(),
        revision: a.revision,
        headline: a.headline.clone(),
        deck: a.deck.clone(),
        excerpt: a.excerpt.clone(),
        dateline: a.dateline.clone(),
        language: a.language.to_string(),
        direction: a.direction.to_string(),
        published_at: a.published_at.map(rfc3339),
        updated_at: rfc3339(a.updated_at),
        owner_id: a.owner.map(|u| u.0),
        authors: a.authors.iter().map(|x| x.name.clone()).collect(),
        section: a.section.as_ref().map(|s| s.name.clone()),
        tags: a.tags.iter().map(|t| t.name.clone()).collect(),
        featured_image: a.featured_image.as_ref().map(|i| ImageBody {
            url: i.url.clone(),
            alt: i.alt.clone(),
            caption: i.caption.clone(),
            credit: i.credit.clone(),
        }),
        original: a.provenance.as_ref().map(|p| OriginalBody {
            outlet: p.outlet.clone(),
            url: p.url.clone(),
            language: p.language.as_ref().map(|l| l.to_string()),
            translators: p.translators.clone(),
        }),
        translations: v.translations.iter().map(|t| t.slug.clone()).collect(),
        body_markdown: with_body.then(|| v.body_markdown.clone()),
        body_html: with_body.then(|| v.body_html.clone()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminArticleOne {
    pub article: AdminArticle,
}

#[derive(Serialize, ToSchema)]
pub struct AdminArticleList {
    pub articles: Vec<AdminArticle>,
    pub pagination: Pagination,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminListParams {
    /// draft, scheduled, published or archived.
    pub status: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Words of the headline or slug.
    pub q: Option<String>,
    pub page: Option<u32>,
    /// 1 to 100, default 20.
    pub per_page: Option<u32>,
}

/// Articles in any status, most recently changed first. Contributors and
/// authors see their own.
#[utoipa::path(get, path = "/api/v1/admin/articles", tag = "admin", params(AdminListParams), security(("bearer" = [])),
    responses((status = 200, body = AdminArticleList), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    client: ApiClient,
    Q(p): Q<AdminListParams>,
) -> Result<Response, AppError> {
    let status = match p.status.as_deref() {
        Some(s) => Some(ArticleStatus::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!(
                "status={s}: use draft, scheduled, published or archived."
            ))
        })?),
        None => None,
    };
    let per_page = p.per_page.unwrap_or(20);
    if !(1..=100).contains(&per_page) {
        return Err(AppError::BadRequest(
            "per_page must be between 1 and 100.".into(),
        ));
    }
    let filter = ArticleFilter {
        status,
        author: p.author,
        tag: p.tag,
        text: p.q,
        owner: (!client.actor.can(Capability::SeeAllArticles)).then_some(client.user.id),
        recently_updated: true,
        with_pages: true,
        ..ArticleFilter::default()
    };
    let page = store::list(
        &state.db,
        &filter,
        PageRequest::new(p.page.unwrap_or(1).max(1), per_page),
    )
    .await?;
    let articles = page
        .items
        .iter()
        .map(|a| {
            let v = ArticleView {
                summary: a.clone(),
                body_markdown: String::new(),
                body_html: String::new(),
                translations: Vec::new(),
            };
            admin_article(&state, &v, false)
        })
        .collect();
    let pagination = Pagination {
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        pages: page.pages(),
        next: None,
        prev: None,
    };
    json(
        StatusCode::OK,
        &AdminArticleList {
            articles,
            pagination,
        },
    )
}

/// Creates an article, owned by the token's user.
#[utoipa::path(post, path = "/api/v1/admin/articles", tag = "admin", request_body = ArticleBody, security(("bearer" = [])),
    responses((status = 201, body = AdminArticleOne), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    client: ApiClient,
    JsonBody(body): JsonBody<ArticleBody>,
) -> Result<Response, AppError> {
    let (input, _) = body.into_input()?;
    let saved = newsroom::articles::create(&state, &client.actor, input, Utc::now()).await?;
    let v = newsroom::articles::get(&state, &client.actor, saved.id).await?;
    json(
        StatusCode::CREATED,
        &AdminArticleOne {
            article: admin_article(&state, &v, true),
        },
    )
}

/// One article with its Markdown and rendered body.
#[utoipa::path(get, path = "/api/v1/admin/articles/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = AdminArticleOne), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let v = newsroom::articles::get(&state, &client.actor, ArticleId(id)).await?;
    json(
        StatusCode::OK,
        &AdminArticleOne {
            article: admin_article(&state, &v, true),
        },
    )
}

/// Replaces an article's fields (and status). Send `revision` to be told of,
/// instead of overwriting, a save made since.
#[utoipa::path(put, path = "/api/v1/admin/articles/{id}", tag = "admin", params(("id" = i64, Path)), request_body = ArticleBody, security(("bearer" = [])),
    responses((status = 200, body = AdminArticleOne), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ArticleBody>,
) -> Result<Response, AppError> {
    let (input, revision) = body.into_input()?;
    newsroom::articles::update(
        &state,
        &client.actor,
        ArticleId(id),
        input,
        revision,
        Utc::now(),
    )
    .await?;
    let v = newsroom::articles::get(&state, &client.actor, ArticleId(id)).await?;
    json(
        StatusCode::OK,
        &AdminArticleOne {
            article: admin_article(&state, &v, true),
        },
    )
}

/// Deletes an article for good.
#[utoipa::path(delete, path = "/api/v1/admin/articles/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn delete(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    newsroom::articles::delete(&state, &client.actor, ArticleId(id)).await?;
    Ok(axum::response::IntoResponse::into_response(
        StatusCode::NO_CONTENT,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RevisionItem {
    pub revision: i64,
    pub created_at: String,
    /// Who saved it; none for the command line.
    pub by: Option<String>,
    pub status: String,
    pub headline: String,
}

#[derive(Serialize, ToSchema)]
pub struct RevisionList {
    pub revisions: Vec<RevisionItem>,
}

/// Every saved version, newest first.
#[utoipa::path(get, path = "/api/v1/admin/articles/{id}/revisions", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = RevisionList), (status = 404, body = ApiError)))]
pub async fn revisions(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    newsroom::articles::get(&state, &client.actor, ArticleId(id)).await?;
    let revisions = store::revisions(&state.db, ArticleId(id))
        .await?
        .into_iter()
        .map(|r| RevisionItem {
            revision: r.revision,
            created_at: rfc3339(r.created_at),
            by: r.by,
            status: r.draft.status.to_string(),
            headline: r.draft.headline,
        })
        .collect();
    json(StatusCode::OK, &RevisionList { revisions })
}

/// Brings back a revision's content as a new revision; status stays.
#[utoipa::path(post, path = "/api/v1/admin/articles/{id}/revisions/{revision}/restore", tag = "admin",
    params(("id" = i64, Path), ("revision" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = AdminArticleOne), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn restore(
    State(state): State<AppState>,
    client: ApiClient,
    Path((id, rev)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    newsroom::articles::restore(&state, &client.actor, ArticleId(id), rev, Utc::now()).await?;
    let v = newsroom::articles::get(&state, &client.actor, ArticleId(id)).await?;
    json(
        StatusCode::OK,
        &AdminArticleOne {
            article: admin_article(&state, &v, true),
        },
    )
}

#[derive(Serialize, ToSchema)]
pub struct MediaItem {
    pub id: i64,
    /// Use this as an article's featured image URL.
    pub path: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
    /// Stored widths.
    pub widths: Vec<u32>,
}

impl From<Media> for MediaItem {
    fn from(m: Media) -> Self {
        Self {
            id: m.id,
            widths: m.variants.iter().map(|v| v.width).collect(),
            path: m.path,
            width: m.width,
            height: m.height,
            content_type: m.content_type,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MediaList {
    pub media: Vec<MediaItem>,
}

#[derive(Serialize, ToSchema)]
pub struct MediaOne {
    pub media: MediaItem,
}

/// The newest uploads.
#[utoipa::path(get, path = "/api/v1/admin/media", tag = "admin", security(("bearer" = [])), responses((status = 200, body = MediaList)))]
pub async fn media_list(
    State(state): State<AppState>,
    client: ApiClient,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::UploadMedia)?;
    let media = media::recent(&state.db, 100)
        .await?
        .into_iter()
        .map(MediaItem::from)
        .collect();
    json(StatusCode::OK, &MediaList { media })
}

/// Uploads an image (multipart/form-data, field `file`): checked, stored at
/// several widths.
#[utoipa::path(post, path = "/api/v1/admin/media", tag = "admin", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "A field named `file` holding a JPEG, PNG, GIF or WebP image"),
    responses((status = 201, body = MediaOne), (status = 413, body = ApiError), (status = 415, body = ApiError)))]
pub async fn upload(
    State(state): State<AppState>,
    client: ApiClient,
    request: Request,
) -> Result<Response, AppError> {
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| {
            AppError::BadRequest(format!(
                "Send the image as multipart/form-data with a field named file ({}).",
                e.body_text()
            ))
        })?;
    let mut upload = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge("The upload is larger than this site accepts.".into())
        } else {
            AppError::BadRequest(format!("The upload could not be read ({}).", e.body_text()))
        }
    })? {
        if field.name() == Some("file") {
            let file_name = field.file_name().unwrap_or("image").to_owned();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await.map_err(|_| {
                AppError::PayloadTooLarge("The upload is larger than this site accepts.".into())
            })?;
            upload = Some(Upload {
                field: "file".into(),
                file_name,
                content_type,
                bytes,
            });
        }
    }
    let upload = upload.ok_or_else(|| {
        AppError::BadRequest("Send the image in a multipart field named file.".into())
    })?;
    let stored = newsroom::images::store(&state, &client.actor, upload).await?;
    json(
        StatusCode::CREATED,
        &MediaOne {
            media: stored.into(),
        },
    )
}
