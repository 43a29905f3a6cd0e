//! Moderation over the API: the queue, approve / spam / trash / delete in
//! bulk, edit, reply as the newsroom, ban. The same `newsroom::comments`
//! functions as the moderation page, so the same roles apply (editors and
//! admins).

use crate::auth::ApiClient;
use crate::error::AppError;
use crate::extract::{JsonBody, Q};
use crate::handlers::admin_api::json;
use crate::handlers::api::ApiError;
use crate::handlers::comments_api::ApiComment;
use crate::newsroom::{self, comments::Action};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_core::comment::CommentStatus;
use dateline_core::{ArticleId, Capability};
use dateline_db::comments::{self, BanKind, ModerationFilter};
use dateline_db::views::{CommentView, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A comment with what only moderators see.
#[derive(Serialize, ToSchema)]
pub struct ModeratedComment {
    #[serde(flatten)]
    pub comment: ApiComment,
    pub author_email: String,
    /// The writer's network (/24 or /48); the address itself is not kept.
    pub network: String,
    /// A keyed hash of the writer's address, to find the same client's comments.
    pub client: String,
    /// Why it was held, if it was.
    pub held_because: String,
    pub body_markdown: String,
}

#[derive(Serialize, ToSchema)]
pub struct ModerationList {
    pub comments: Vec<ModeratedComment>,
    pub page: u32,
    pub total: u64,
    /// Comments in each status, over the whole site.
    pub counts: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// pending (default), approved, spam, trash, or all.
    pub status: Option<String>,
    /// One commenter's comments.
    pub email: Option<String>,
    /// One article's comments.
    pub article: Option<i64>,
    pub page: Option<u32>,
}

/// The moderation queue: held comments first, or any status.
#[utoipa::path(get, path = "/api/v1/admin/comments", tag = "comments", params(QueueQuery), security(("bearer" = [])),
    responses((status = 200, body = ModerationList), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    client: ApiClient,
    Q(q): Q<QueueQuery>,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::Moderate)?;
    let status = match q.status.as_deref() {
        None | Some("") => Some(CommentStatus::Pending),
        Some("all") => None,
        Some(s) => Some(CommentStatus::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!(
                "status is pending, approved, spam, trash or all, not “{s}”."
            ))
        })?),
    };
    let filter = ModerationFilter {
        status,
        email: q.email.map(|e| e.trim().to_lowercase()),
        ip_hash: None,
        article: q.article.map(ArticleId),
    };
    let list = comments::moderation_list(
        &state.db,
        &filter,
        PageRequest::new(q.page.unwrap_or(1), 50),
    )
    .await?;
    let counts = comments::status_counts(&state.db)
        .await?
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), n))
        .collect();
    json(
        StatusCode::OK,
        &ModerationList {
            page: list.page,
            total: list.total,
            counts,
            comments: list
                .items
                .into_iter()
                .map(|i| moderated(&state, i))
                .collect(),
        },
    )
}

fn moderated(state: &AppState, i: comments::ModerationItem) -> ModeratedComment {
    let view: &CommentView = &i.comment;
    ModeratedComment {
        comment: ApiComment::new(view, &i.article_slug, &state.urls),
        body_markdown: view.body_markdown.clone(),
        author_email: i.author_email,
        network: i.ip_prefix,
        client: i.ip_hash,
        held_because: i.held_because,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ModerateBody {
    pub ids: Vec<i64>,
    /// approve, unapprove (back to pending), spam, trash or delete.
    pub action: String,
}

#[derive(Serialize, ToSchema)]
pub struct ModerateResult {
    pub changed: u64,
}

/// Approves, holds, marks as spam, trashes or deletes comments.
#[utoipa::path(post, path = "/api/v1/admin/comments/moderate", tag = "comments", request_body = ModerateBody, security(("bearer" = [])),
    responses((status = 200, body = ModerateResult), (status = 400, body = ApiError), (status = 403, body = ApiError)))]
pub async fn moderate(
    State(state): State<AppState>,
    client: ApiClient,
    JsonBody(body): JsonBody<ModerateBody>,
) -> Result<Response, AppError> {
    let action = Action::parse(&body.action).ok_or_else(|| {
        AppError::BadRequest(format!(
            "action is approve, unapprove, spam, trash or delete, not “{}”.",
            body.action
        ))
    })?;
    if body.ids.len() > 1000 {
        return Err(AppError::PayloadTooLarge(
            "Moderate at most 1,000 comments at a time.".into(),
        ));
    }
    let changed = newsroom::comments::moderate(&state, &client.actor, &body.ids, action).await?;
    json(StatusCode::OK, &ModerateResult { changed })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TextBody {
    /// Markdown.
    pub body: String,
}

/// Replaces a comment's text.
#[utoipa::path(put, path = "/api/v1/admin/comments/{id}", tag = "comments", request_body = TextBody, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses((status = 204), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn edit(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<TextBody>,
) -> Result<Response, AppError> {
    newsroom::comments::edit(&state, &client.actor, id, &body.body).await?;
    json(StatusCode::NO_CONTENT, &())
}

/// Replies as the newsroom: published at once under the token's user.
#[utoipa::path(post, path = "/api/v1/admin/comments/{id}/reply", tag = "comments", request_body = TextBody, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses((status = 201, body = ApiComment), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn reply(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<TextBody>,
) -> Result<Response, AppError> {
    let row =
        newsroom::comments::reply(&state, &client.user, &client.actor, id, &body.body).await?;
    let slug = comments::target_by_id(&state.db, ArticleId(row.article_id))
        .await?
        .map(|t| t.slug)
        .unwrap_or_default();
    json(
        StatusCode::CREATED,
        &ApiComment::new(&CommentView::from(&row), &slug, &state.urls),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BanBody {
    /// email (the writer's address) or ip (the writer's client).
    pub kind: String,
    #[serde(default)]
    pub reason: String,
}

/// Bans the address or client that wrote a comment.
#[utoipa::path(post, path = "/api/v1/admin/comments/{id}/ban", tag = "comments", request_body = BanBody, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses((status = 204), (status = 404, body = ApiError)))]
pub async fn ban(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<BanBody>,
) -> Result<Response, AppError> {
    let kind = BanKind::parse(&body.kind)
        .ok_or_else(|| AppError::BadRequest("kind is email or ip.".into()))?;
    newsroom::comments::ban(&state, &client.actor, id, kind, &body.reason).await?;
    json(StatusCode::NO_CONTENT, &())
}

#[derive(Serialize, ToSchema)]
pub struct ApiFollow {
    pub id: i64,
    pub email: String,
    pub article_id: i64,
    pub article_headline: String,
    /// all, replies or comment
    pub kind: String,
    /// For kind comment: whose replies.
    pub comment_id: Option<i64>,
    pub created_at: String,
    /// Whether the address's owner confirmed it: notifications go out only
    /// then (and not after the address stopped them all).
    pub confirmed: bool,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowQuery {
    /// Who follows this article.
    pub article: Option<i64>,
    /// What this address follows.
    pub email: Option<String>,
}

/// "Notify of" requests, per article or per address.
#[utoipa::path(get, path = "/api/v1/admin/comments/follows", tag = "comments", params(FollowQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ApiFollow>), (status = 403, body = ApiError)))]
pub async fn follows(
    State(state): State<AppState>,
    client: ApiClient,
    Q(q): Q<FollowQuery>,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::Moderate)?;
    let email = q.email.map(|e| e.trim().to_lowercase());
    let list =
        dateline_db::follows::list(&state.db, q.article.map(ArticleId), email.as_deref(), 1000)
            .await?;
    let out: Vec<ApiFollow> = list
        .into_iter()
        .map(|f| ApiFollow {
            id: f.id,
            email: f.email,
            article_id: f.article_id.0,
            article_headline: f.article_headline,
            kind: f.kind.as_str().to_owned(),
            comment_id: f.comment_id,
            created_at: f.created_at.to_rfc3339(),
            confirmed: f.confirmed_at.is_some(),
        })
        .collect();
    json(StatusCode::OK, &out)
}

/// Removes a reader's "Notify of".
#[utoipa::path(delete, path = "/api/v1/admin/comments/follows/{id}", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Follow id")),
    responses((status = 204), (status = 404, body = ApiError)))]
pub async fn remove_follow(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    newsroom::comments::remove_follow(&state, &client.actor, id).await?;
    json(StatusCode::NO_CONTENT, &())
}
