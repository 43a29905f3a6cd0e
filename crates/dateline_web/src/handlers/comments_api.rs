//! The Comments API: an article's comments as JSON, posting and voting for
//! programs and apps. The same checks as the form under an article apply
//! (a form token from `/api/v1/comments/token`, the minimum time, limits,
//! moderation rules, bans); nothing here skips them.

use crate::commenting::{self, Refusal, Sender, Submission};
use crate::error::AppError;
use crate::extract::{JsonBody, Q};
use crate::handlers::admin_api::json;
use crate::handlers::api::ApiError;
use crate::handlers::comments::{COMMENTER_COOKIE, cast_vote};
use crate::state::AppState;
use crate::urls::Urls;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use dateline_core::ValidationErrors;
use dateline_core::comment::{CommentInput, CommentSort};
use dateline_db::comments::{self, CommentTarget, Cursor, ThreadFilter};
use dateline_db::views::CommentView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A comment as readers see it: never an email address.
#[derive(Serialize, ToSchema)]
pub struct ApiComment {
    pub id: i64,
    pub article_id: i64,
    /// The comment it answers; null for the first of a thread.
    pub parent_id: Option<i64>,
    /// The first comment of its thread.
    pub thread_id: i64,
    /// 0 for a thread's first comment, 1 for a reply to it, …
    pub depth: u32,
    /// approved, or pending for the writer's own held comment.
    pub status: String,
    pub author_name: String,
    pub author_url: String,
    /// Written by the newsroom.
    pub staff: bool,
    /// Sanitized HTML.
    pub body_html: String,
    pub upvotes: i64,
    pub downvotes: i64,
    pub score: i64,
    /// The passage of the article it is about (inline feedback), if any.
    pub anchor: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub edited_at: Option<String>,
    /// Deleted by its writer; kept because replies hang from it.
    pub deleted: bool,
    /// Its permalink.
    pub url: String,
}

impl ApiComment {
    pub(crate) fn new(c: &CommentView, slug: &str, urls: &Urls) -> Self {
        Self {
            id: c.id,
            article_id: c.article_id.0,
            parent_id: c.parent_id,
            thread_id: c.thread_id,
            depth: c.depth,
            status: c.status.as_str().to_owned(),
            author_name: c.author_name.clone(),
            author_url: c.author_url.clone(),
            staff: c.staff,
            body_html: c.body_html.clone(),
            upvotes: c.upvotes,
            downvotes: c.downvotes,
            score: c.score,
            anchor: c.anchor.clone(),
            created_at: rfc3339(c.created_at),
            edited_at: c.edited_at.map(rfc3339),
            deleted: c.deleted,
            url: urls.absolute(&format!("{}#comment-{}", urls.comment(slug, c.id), c.id)),
        }
    }
}

/// A page of threads.
#[derive(Serialize, ToSchema)]
pub struct ApiCommentList {
    /// Threads in the asked order, each first comment followed by its
    /// replies in reading order.
    pub comments: Vec<ApiComment>,
    /// Approved comments on the article, and how many are inline feedback.
    pub count: i64,
    pub inline_count: i64,
    /// Whether new comments are taken.
    pub open: bool,
    /// URL of the next page of threads, if any.
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommentListParams {
    /// newest (default), oldest or votes.
    pub sort: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Threads per page, 1 to 100 (default: the site's setting).
    pub limit: Option<u32>,
    /// Only threads on this passage (an anchor from `/passages`).
    pub anchor: Option<String>,
    /// `true`: only inline feedback (threads on any passage).
    pub inline: Option<bool>,
}

/// A paragraph of an article that readers can comment on.
#[derive(Serialize, ToSchema)]
pub struct ApiPassage {
    /// The paragraph's id in the article's HTML (`<p id="p3">`); it stays
    /// with the paragraph through edits that keep it recognisable.
    pub anchor: String,
    /// Its place in the article as it reads now, from 0; null once an edit
    /// removed it (its comments stay, as on an earlier version).
    pub position: Option<i64>,
    /// Its words, as last saved.
    pub text: String,
    /// The editors' question about it, if they asked one.
    pub question: Option<String>,
    /// Approved comments on it, replies included.
    pub answers: i64,
    /// The passage's page: question, answers, form.
    pub url: String,
}

/// Every passage an article has had: current ones in reading order, then
/// removed ones.
#[derive(Serialize, ToSchema)]
pub struct ApiPassageList {
    pub passages: Vec<ApiPassage>,
    /// Approved inline comments on the article.
    pub inline_count: i64,
}

/// An article's passages: anchors for inline comments, questions, counts.
#[utoipa::path(get, path = "/api/v1/articles/{id}/passages", tag = "comments",
    params(("id" = i64, Path, description = "Article id")),
    responses((status = 200, body = ApiPassageList), (status = 404, body = ApiError)))]
pub async fn passages(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let target = target(&state, id).await?;
    let passages = dateline_db::passages::for_article(&state.db, ArticleId(id)).await?;
    let body = ApiPassageList {
        passages: passages
            .into_iter()
            .map(|p| ApiPassage {
                url: state
                    .urls
                    .absolute(&state.urls.passage(&target.slug, &p.anchor)),
                anchor: p.anchor,
                position: p.position,
                text: p.text,
                question: p.question,
                answers: p.answers,
            })
            .collect(),
        inline_count: target.inline_count,
    };
    public_json(&body)
}

/// A public answer, cached with its article's comments.
fn public_json(body: &impl Serialize) -> Result<Response, AppError> {
    Ok(crate::handlers::cacheable(
        serde_json::to_vec(body).map_err(|e| AppError::Internal(e.into()))?,
        "application/json",
        crate::handlers::Freshness::Revalidate,
        None,
    ))
}

async fn target(state: &AppState, id: i64) -> Result<CommentTarget, AppError> {
    comments::target_by_id(&state.db, ArticleId(id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no published article {id}.")))
}

/// An article's approved comments, a page of threads at a time.
#[utoipa::path(get, path = "/api/v1/articles/{id}/comments", tag = "comments",
    params(("id" = i64, Path, description = "Article id"), CommentListParams),
    responses((status = 200, body = ApiCommentList), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Q(p): Q<CommentListParams>,
) -> Result<Response, AppError> {
    let target = target(&state, id).await?;
    let settings = crate::handlers::comment_settings(&state).await?;
    let sort = match p.sort.as_deref() {
        None | Some("") => CommentSort::default(),
        Some(s) => CommentSort::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!("sort is newest, oldest or votes, not “{s}”."))
        })?,
    };
    let after = match p.after.as_deref() {
        None | Some("") => None,
        Some(a) => Some(Cursor::parse(a).ok_or_else(|| {
            AppError::BadRequest("after is the `next` cursor of an earlier page.".into())
        })?),
    };
    let limit = p.limit.unwrap_or(settings.threads_per_page).clamp(1, 100);
    let filter = match (p.anchor.as_deref(), p.inline) {
        (Some(a), _) if !a.is_empty() => ThreadFilter::Passage(a),
        (_, Some(true)) => ThreadFilter::Inline,
        _ => ThreadFilter::All,
    };
    let page = comments::threads(&state.db, ArticleId(id), filter, sort, after, limit).await?;
    let filter_query = match filter {
        ThreadFilter::All => String::new(),
        ThreadFilter::Inline => "&inline=true".to_owned(),
        ThreadFilter::Passage(a) => format!("&anchor={}", crate::urls::seg(a)),
    };
    let body = ApiCommentList {
        comments: page
            .comments
            .iter()
            .map(|c| ApiComment::new(c, &target.slug, &state.urls))
            .collect(),
        count: target.comment_count,
        inline_count: target.inline_count,
        open: target.open(&settings, Utc::now()),
        next: page.next.map(|c| {
            state.urls.absolute(&format!(
                "/api/v1/articles/{id}/comments?sort={}&after={c}&limit={limit}{filter_query}",
                sort.as_str()
            ))
        }),
    };
    public_json(&body)
}

/// A new comment or reply.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewCommentBody {
    /// Markdown: emphasis, links, quotes, code and lists.
    pub body: String,
    pub name: String,
    /// Never shown.
    pub email: String,
    pub website: String,
    pub parent_id: Option<i64>,
    /// From `GET /api/v1/comments/token`, fetched when the reader began.
    pub token: String,
    /// The proof-of-work nonce, when the site asks for one.
    pub pow: String,
    /// The passage it is about (an anchor from `/passages`, still in the
    /// article); a reply belongs to its thread's passage whatever is sent.
    pub anchor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PostedComment {
    pub comment: ApiComment,
    /// approved, or pending (held for a moderator).
    pub status: String,
    pub message: String,
}

/// Posts a comment. The same rules as the form apply: a held comment comes
/// back `pending`, a refused one with the reason.
#[utoipa::path(post, path = "/api/v1/articles/{id}/comments", tag = "comments",
    params(("id" = i64, Path, description = "Article id")), request_body = NewCommentBody,
    responses((status = 201, body = PostedComment), (status = 403, description = "Closed, or banned", body = ApiError),
        (status = 422, body = ApiError), (status = 429, body = ApiError)))]
pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    JsonBody(body): JsonBody<NewCommentBody>,
) -> Result<Response, AppError> {
    let target = target(&state, id).await?;
    let settings = crate::handlers::comment_settings(&state).await?;
    let submission = Submission {
        input: CommentInput {
            body: body.body,
            name: body.name,
            email: body.email,
            website: body.website,
        },
        parent_id: body.parent_id,
        token: body.token,
        nonce: body.pow,
        honeypot: String::new(),
        anchor: body.anchor.filter(|a| !a.is_empty()),
        notify: false,
    };
    let secret = crate::auth::cookie_value(&parts.headers, COMMENTER_COOKIE).unwrap_or_default();
    let sender = Sender::reader(&state, &parts, secret);
    match commenting::post(&state, &target, &settings, &submission, &sender, Utc::now()).await {
        Ok(row) => {
            let view = CommentView::from(&row);
            json(
                StatusCode::CREATED,
                &PostedComment {
                    status: row.status.clone(),
                    message: if row.status == "pending" {
                        "Held for a moderator; it appears once approved.".into()
                    } else {
                        "Published.".into()
                    },
                    comment: ApiComment::new(&view, &target.slug, &state.urls),
                },
            )
        }
        Err(refusal) => Err(refusal_error(refusal)),
    }
}

/// A refusal in the API's error shape.
pub(crate) fn refusal_error(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::Invalid(errors) => AppError::Invalid(errors),
        Refusal::Notice {
            status,
            message,
            retry_after,
        } => match status {
            StatusCode::FORBIDDEN => AppError::Forbidden(message),
            StatusCode::TOO_MANY_REQUESTS => AppError::TooManyRequests {
                message,
                retry_after: retry_after.unwrap_or(60),
            },
            _ => {
                let mut errors = ValidationErrors::new();
                errors.add("token", message);
                AppError::Invalid(errors)
            }
        },
        Refusal::Internal(e) => AppError::Internal(e),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VoteBody {
    /// up or down; the same vote again takes it back.
    pub value: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiVote {
    pub upvotes: i64,
    pub downvotes: i64,
    pub score: i64,
    /// The caller's vote now: 1, -1 or 0.
    pub yours: i64,
}

/// Votes on an approved comment, one vote per reader.
#[utoipa::path(post, path = "/api/v1/comments/{id}/vote", tag = "comments",
    params(("id" = i64, Path, description = "Comment id")), request_body = VoteBody,
    responses((status = 200, body = ApiVote), (status = 404, body = ApiError), (status = 429, body = ApiError)))]
pub async fn vote(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    JsonBody(body): JsonBody<VoteBody>,
) -> Result<Response, AppError> {
    let value = match body.value.as_str() {
        "up" => 1,
        "down" => -1,
        other => {
            return Err(AppError::BadRequest(format!(
                "value is up or down, not “{other}”."
            )));
        }
    };
    let (v, _) = cast_vote(&state, &parts, id, value).await?;
    json(
        StatusCode::OK,
        &ApiVote {
            upvotes: v.upvotes,
            downvotes: v.downvotes,
            score: v.score,
            yours: v.yours,
        },
    )
}

#[derive(Serialize, ToSchema)]
pub struct FormToken {
    /// Send it back with the comment; good for a day.
    pub token: String,
    /// Leading zero bits of SHA-256("token:nonce") the site asks for (0: none).
    pub pow_bits: u32,
    /// Seconds that must pass between taking the token and posting.
    pub min_seconds: u32,
}

/// A token to post a comment with, taken when the reader starts writing.
#[utoipa::path(get, path = "/api/v1/comments/token", tag = "comments",
    responses((status = 200, body = FormToken)))]
pub async fn token(State(state): State<AppState>) -> Result<Response, AppError> {
    let settings = crate::handlers::comment_settings(&state).await?;
    json(
        StatusCode::OK,
        &FormToken {
            token: commenting::reader_form_token(&state, Utc::now()),
            pow_bits: settings.proof_of_work_bits,
            min_seconds: settings.min_seconds,
        },
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FollowBody {
    pub email: String,
    /// all (every new comment) or replies (replies to this address's comments).
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct FollowAnswer {
    /// The same whatever the address: nobody learns who follows what.
    pub message: String,
}

/// "Notify of": asks for mail about an article's new comments. The follow
/// starts once a link mailed to the address confirms it (at most one mail
/// an hour), or at once from a browser that confirmed the address before.
#[utoipa::path(post, path = "/api/v1/articles/{id}/follow", tag = "comments",
    params(("id" = i64, Path, description = "Article id")), request_body = FollowBody,
    responses((status = 202, body = FollowAnswer), (status = 422, body = ApiError), (status = 429, body = ApiError)))]
pub async fn follow(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    JsonBody(body): JsonBody<FollowBody>,
) -> Result<Response, AppError> {
    use dateline_db::follows::FollowKind;
    let target = target(&state, id).await?;
    let mut errors = ValidationErrors::new();
    let email = dateline_core::newsletter::normalize_email(&body.email)
        .map_err(|e| errors.add("email", e))
        .ok();
    let kind = match FollowKind::parse(&body.kind) {
        Some(k @ (FollowKind::All | FollowKind::Replies)) => Some(k),
        _ => {
            errors.add("kind", "kind is all or replies.");
            None
        }
    };
    let (Some(email), Some(kind)) = (email, kind) else {
        return Err(AppError::Invalid(errors));
    };
    crate::mail_limit::count_request(&state, &parts).await?;
    let secret = crate::auth::cookie_value(&parts.headers, COMMENTER_COOKIE).unwrap_or_default();
    crate::commenting::follow::ask(
        &state,
        &target,
        &crate::commenting::follow::Asked {
            email: &email,
            kind,
            comment: None,
            owner_secret: &secret,
            staff_email: None,
        },
    )
    .await?;
    json(
        StatusCode::ACCEPTED,
        &FollowAnswer {
            message: crate::handlers::follows::ASKED.into(),
        },
    )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnfollowBody {
    /// The token in a notification's unsubscribe link (the path segment
    /// after `/comments/follow/`), or in its "stop all" link.
    pub token: String,
    /// true to stop every notification to the address (the "stop all" token).
    #[serde(default)]
    pub all: bool,
}

/// Ends a "Notify of" with the token from a notification, or stops every
/// notification to its address.
#[utoipa::path(post, path = "/api/v1/comments/unfollow", tag = "comments", request_body = UnfollowBody,
    responses((status = 204), (status = 404, body = ApiError)))]
pub async fn unfollow(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<UnfollowBody>,
) -> Result<Response, AppError> {
    let refused = || {
        AppError::NotFound(
            "This token is not one of ours: copy it whole from the notification's link.".into(),
        )
    };
    if body.all {
        let id = state
            .links
            .check_unfollow_all(&body.token)
            .map_err(|_| refused())?;
        dateline_db::follows::stop_all(&state.db, id, Utc::now()).await?;
    } else {
        let id = state
            .links
            .check_unfollow(&body.token)
            .map_err(|_| refused())?;
        dateline_db::follows::unfollow(&state.db, id).await?;
    }
    json(StatusCode::NO_CONTENT, &())
}
