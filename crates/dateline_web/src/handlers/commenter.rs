//! A commenter's own data: they give their address, a signed link goes to
//! it, and the link's page lets them download every comment they wrote and
//! every "Notify of" they asked for (as JSON), or erase them all. The link names one of their comments, signed
//! with the site's key; the page acts on that comment's address, so no link
//! reaches anyone else's comments. Asking answers the same whether the
//! address wrote anything or not, mails one address at most once an hour,
//! and counts against the limit on requests that mail an address.

use crate::auth::ReaderForm;
use crate::error::AppError;
use crate::handlers::{html_page, site};
use crate::state::AppState;
use crate::views::PageMeta;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use dateline_core::newsletter::normalize_email;
use dateline_core::signing::Purpose;
use dateline_db::comments;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long a data link works.
const LINK_VALID: Duration = Duration::hours(24);

#[derive(Serialize, Default)]
struct DataPage {
    /// ask, sent, manage, erased, expired
    step: &'static str,
    email: String,
    error: Option<String>,
    count: i64,
    token: String,
    erased: u64,
}

async fn data_page(
    state: &AppState,
    page: DataPage,
    status: StatusCode,
) -> Result<Response, AppError> {
    let meta = PageMeta {
        title: "Your comments".into(),
        noindex: true,
        ..PageMeta::default()
    };
    let mut r = html_page(state, "commenter.html", meta, page, None).await?;
    crate::handlers::make_private(&mut r);
    *r.status_mut() = status;
    Ok(r)
}

/// `GET /comments/my-data`
pub async fn ask(State(state): State<AppState>) -> Result<Response, AppError> {
    data_page(
        &state,
        DataPage {
            step: "ask",
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    email: String,
}

/// `POST /comments/my-data`: mails the link, if there is anything to send
/// (counted against the limit on requests that mail an address).
pub async fn send_link(
    State(state): State<AppState>,
    ReaderForm { form, parts }: ReaderForm<AskForm>,
) -> Result<Response, AppError> {
    let email = match normalize_email(&form.email) {
        Ok(e) => e,
        Err(message) => {
            return data_page(
                &state,
                DataPage {
                    step: "ask",
                    email: form.email,
                    error: Some(message),
                    ..Default::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    crate::mail_limit::count_request(&state, &parts).await?;
    let site = site(&state).await?;
    let now = Utc::now();
    let signer = state.signer.clone();
    let urls = state.urls.clone();
    let title = site.settings.title.clone();
    comments::mail_commenter(&state.db, &email, "data", now, |comment, count| {
        let token = signer.sign(
            Purpose::CommentData,
            comment,
            Some((now + LINK_VALID).timestamp()),
        );
        dateline_mail::templates::comment_data(&dateline_mail::templates::CommentData {
            site_title: title,
            email: email.clone(),
            count,
            link: urls.absolute(&format!("/comments/my-data/{token}")),
            valid_hours: LINK_VALID.num_hours(),
        })
        .ok()
        .map(|m| m.into_queued("comment_data", None))
    })
    .await?;
    data_page(
        &state,
        DataPage {
            step: "sent",
            email,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

/// The address a data link acts for, or why the link does not work.
async fn address_of(state: &AppState, token: &str) -> Result<String, Response> {
    let expired = || async {
        data_page(
            state,
            DataPage {
                step: "expired",
                ..Default::default()
            },
            StatusCode::GONE,
        )
        .await
        .unwrap_or_else(IntoResponse::into_response)
    };
    let Ok(id) = state
        .signer
        .verify(Purpose::CommentData, token, Utc::now().timestamp())
    else {
        return Err(expired().await);
    };
    match comments::get(&state.db, id).await {
        Ok(Some(c)) if !c.author_email.is_empty() => Ok(c.author_email),
        _ => Err(data_page(
            state,
            DataPage {
                step: "erased",
                ..Default::default()
            },
            StatusCode::OK,
        )
        .await
        .unwrap_or_else(IntoResponse::into_response)),
    }
}

/// `GET /comments/my-data/{token}`
pub async fn manage(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let email = match address_of(&state, &token).await {
        Ok(e) => e,
        Err(r) => return Ok(r),
    };
    let count = comments::by_email(&state.db, &email).await?.len() as i64;
    data_page(
        &state,
        DataPage {
            step: "manage",
            email,
            count,
            token,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `GET /comments/my-data/{token}/export`: every comment, as JSON.
pub async fn export(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let email = match address_of(&state, &token).await {
        Ok(e) => e,
        Err(r) => return Ok(r),
    };
    let rows = comments::by_email(&state.db, &email).await?;
    let items: Vec<_> = rows
        .iter()
        .map(|(c, slug)| {
            json!({
                "id": c.id,
                "article": state.urls.absolute(&state.urls.article(slug)),
                "in_reply_to": c.parent_id,
                "status": c.status,
                "name": c.author_name,
                "email": c.author_email,
                "website": c.author_url,
                "body_markdown": c.body_markdown,
                "created_at": iso(c.created_at),
                "edited_at": c.edited_at.map(iso),
                "network": c.ip_prefix,
                "user_agent": c.user_agent,
                "upvotes": c.upvotes,
                "downvotes": c.downvotes,
            })
        })
        .collect();
    let follows: Vec<_> = dateline_db::follows::list(&state.db, None, Some(&email), 10_000)
        .await?
        .into_iter()
        .map(|f| {
            json!({
                "article": state.urls.absolute(&state.urls.article(&f.article_slug)),
                "notify_of": f.kind.describe(),
                "comment": f.comment_id,
                "since": f.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        })
        .collect();
    let body = serde_json::to_vec_pretty(
        &json!({ "email": email, "comments": items, "notifications": follows }),
    )
    .map_err(|e| AppError::Internal(e.into()))?;
    let mut r = crate::handlers::download(body, "application/json", "my-comments.json");
    crate::handlers::make_private(&mut r);
    Ok(r)
}

/// `POST /comments/my-data/{token}/erase`: removes them all (a comment
/// others replied to stays as an empty placeholder, so their replies keep
/// their place).
pub async fn erase(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ReaderForm { .. }: ReaderForm<AskForm>,
) -> Result<Response, AppError> {
    let email = match address_of(&state, &token).await {
        Ok(e) => e,
        Err(r) => return Ok(r),
    };
    let rows = comments::by_email(&state.db, &email).await?;
    let erased = comments::erase_email(&state.db, &email, Utc::now()).await?;
    dateline_db::follows::erase_email(&state.db, &email).await?;
    let mut touched = std::collections::HashSet::new();
    for (c, slug) in &rows {
        if touched.insert(c.article_id) {
            state.comments_changed(c.article_id, slug);
        }
    }
    data_page(
        &state,
        DataPage {
            step: "erased",
            erased,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}
