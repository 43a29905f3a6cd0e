//! "Notify of", the reader's side: following an article's comments (every
//! new comment, or replies to one's own), confirming each follow from the
//! mailed link (with the address's other waiting follows, if its owner
//! ticks them), and stopping — one article from its notifications' link
//! (one-click, RFC 8058), or everything. Every page past the request is
//! reached by a signed link from a mail; asking answers the same whatever
//! the address, so nobody learns who follows what. The rules are in
//! `commenting::follow`.

use crate::auth::ReaderForm;
use crate::commenting::follow::{self as following, Asked};
use crate::error::AppError;
use crate::handlers::{html_page, make_private};
use crate::state::AppState;
use crate::views::PageMeta;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use dateline_core::newsletter::normalize_email;
use dateline_db::comments;
use dateline_db::follows::{self, Follow, FollowKind};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Serialize, Default)]
struct FollowPage {
    /// ask, sent, confirm, confirmed, unfollow, unfollowed, stop, stopped, expired
    step: &'static str,
    email: String,
    kind: String,
    error: Option<String>,
    action: String,
    headline: String,
    article_url: String,
    what: String,
    /// The address's other follows waiting for confirmation, offered on
    /// the confirmation page.
    waiting: Vec<Waiting>,
    /// Their ids, sent back when the reader ticks "these too".
    waiting_ids: String,
}

#[derive(Serialize)]
struct Waiting {
    headline: String,
    article_url: String,
    what: String,
}

async fn follow_page(
    state: &AppState,
    page: FollowPage,
    status: StatusCode,
) -> Result<Response, AppError> {
    let meta = PageMeta {
        title: "Comment notifications".into(),
        noindex: true,
        ..PageMeta::default()
    };
    let mut r = html_page(state, "follow.html", meta, page, None).await?;
    make_private(&mut r);
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    kind: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// What a reader is told after asking, whatever the address's state.
pub(crate) const ASKED: &str = "Done. Unless you confirmed this address from this browser before, we sent it a link to confirm first; notifications start once it is confirmed, and each one has a link to stop.";

/// `POST /{slug}/comments/follow`: the "Notify of" control.
pub async fn follow(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ReaderForm { form, parts }: ReaderForm<FollowForm>,
) -> Result<Response, AppError> {
    let target = comments::target_by_slug(&state.db, &slug)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no article at this address.".into()))?;
    let json = wants_json(&parts.headers);
    let kind = match FollowKind::parse(&form.kind) {
        Some(k @ (FollowKind::All | FollowKind::Replies)) => Some(k),
        _ => None,
    };
    let email = normalize_email(&form.email);
    let (Some(kind), Ok(email)) = (kind, email.clone()) else {
        let error = match email {
            Err(e) => e,
            Ok(_) => {
                "Choose what to be notified of: new comments, or replies to your comments.".into()
            }
        };
        if json {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "error": error })),
            )
                .into_response());
        }
        return follow_page(
            &state,
            FollowPage {
                step: "ask",
                email: form.email,
                kind: form.kind,
                error: Some(error),
                action: format!("{}/comments/follow", state.urls.article(&slug)),
                headline: target.headline,
                article_url: state.urls.article(&slug),
                ..Default::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    crate::mail_limit::count_request(&state, &parts).await?;
    let (secret, _) = crate::handlers::comments::owner_secret(&parts);
    let staff = crate::handlers::comments::newsroom_user(&state, &parts.headers).await?;
    following::ask(
        &state,
        &target,
        &Asked {
            email: &email,
            kind,
            comment: None,
            owner_secret: &secret,
            staff_email: staff.as_ref().map(|u| u.email.as_str()),
        },
    )
    .await?;
    if json {
        return Ok(axum::Json(json!({ "message": ASKED })).into_response());
    }
    follow_page(
        &state,
        FollowPage {
            step: "sent",
            email,
            headline: target.headline,
            article_url: state.urls.article(&slug),
            what: kind.describe().into(),
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

async fn expired(state: &AppState) -> Result<Response, AppError> {
    follow_page(
        state,
        FollowPage {
            step: "expired",
            ..Default::default()
        },
        StatusCode::GONE,
    )
    .await
}

/// `GET /comments/follow/confirm/{token}`: a button, so that mail scanners
/// following links confirm nobody; the address's other follows waiting for
/// confirmation are listed with a box to confirm them too.
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Ok(id) = state.links.check_follow_confirm(&token, Utc::now()) else {
        return expired(&state).await;
    };
    let Some(f) = follows::get(&state.db, id).await? else {
        return expired(&state).await;
    };
    let others: Vec<Follow> = follows::waiting(&state.db, f.follower_id)
        .await?
        .into_iter()
        .filter(|o| o.id != f.id)
        .collect();
    follow_page(
        &state,
        FollowPage {
            step: if f.confirmed_at.is_some() && others.is_empty() {
                "confirmed"
            } else {
                "confirm"
            },
            email: f.email.clone(),
            action: format!("/comments/follow/confirm/{token}"),
            headline: f.article_headline.clone(),
            article_url: state.urls.article(&f.article_slug),
            what: f.kind.describe().into(),
            waiting_ids: others
                .iter()
                .map(|o| o.id.to_string())
                .collect::<Vec<_>>()
                .join(","),
            waiting: others
                .iter()
                .map(|o| Waiting {
                    headline: o.article_headline.clone(),
                    article_url: state.urls.article(&o.article_slug),
                    what: o.kind.describe().into(),
                })
                .collect(),
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    /// "1" when the reader ticked the address's other waiting follows.
    #[serde(default)]
    also: Option<String>,
    /// Their ids, as the page listed them.
    #[serde(default)]
    waiting: String,
}

/// `POST /comments/follow/confirm/{token}`
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ReaderForm { form, parts }: ReaderForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let Ok(id) = state.links.check_follow_confirm(&token, Utc::now()) else {
        return expired(&state).await;
    };
    let others: Vec<i64> = match form.also.as_deref() {
        Some("1") => form
            .waiting
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        _ => Vec::new(),
    };
    // The browser that confirms gets a commenter secret if it had none, so
    // that it is remembered as one that reads the address's mail.
    let (secret, new_cookie) = crate::handlers::comments::owner_secret(&parts);
    let Some(follow) = following::confirm(&state, id, &others, &secret).await? else {
        return expired(&state).await;
    };
    let mut r = follow_page(
        &state,
        FollowPage {
            step: "confirmed",
            email: follow.email,
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await?;
    if new_cookie {
        crate::handlers::comments::set_commenter_cookies(&state, &mut r, &secret, true);
    }
    Ok(r)
}

/// `GET /comments/follow/{token}/unsubscribe`: asks first.
pub async fn unfollow_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Ok(id) = state.links.check_unfollow(&token) else {
        return expired(&state).await;
    };
    let Some(f) = follows::get(&state.db, id).await? else {
        return follow_page(
            &state,
            FollowPage {
                step: "unfollowed",
                ..Default::default()
            },
            StatusCode::OK,
        )
        .await;
    };
    follow_page(
        &state,
        FollowPage {
            step: "unfollow",
            email: f.email,
            headline: f.article_headline,
            article_url: state.urls.article(&f.article_slug),
            what: f.kind.describe().into(),
            action: format!("/comments/follow/{token}/unsubscribe"),
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct OneClick {
    #[serde(default, rename = "List-Unsubscribe")]
    list_unsubscribe: Option<String>,
}

/// `POST /comments/follow/{token}/unsubscribe`: from the page's button, or
/// a mail client's one-click (RFC 8058), answered in plain text.
pub async fn unfollow(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ReaderForm { form, .. }: ReaderForm<OneClick>,
) -> Result<Response, AppError> {
    let Ok(id) = state.links.check_unfollow(&token) else {
        return expired(&state).await;
    };
    let f = follows::get(&state.db, id).await?;
    follows::unfollow(&state.db, id).await?;
    if form.list_unsubscribe.as_deref() == Some("One-Click") {
        return Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Unsubscribed: no more notifications of this article's comments.\n",
        )
            .into_response());
    }
    follow_page(
        &state,
        FollowPage {
            step: "unfollowed",
            headline: f
                .as_ref()
                .map(|f| f.article_headline.clone())
                .unwrap_or_default(),
            article_url: f
                .as_ref()
                .map(|f| state.urls.article(&f.article_slug))
                .unwrap_or_default(),
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

/// `GET /comments/follow/all/{token}`: asks before stopping everything.
pub async fn stop_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Ok(id) = state.links.check_unfollow_all(&token) else {
        return expired(&state).await;
    };
    let Some(f) = follows::follower(&state.db, id).await? else {
        return expired(&state).await;
    };
    follow_page(
        &state,
        FollowPage {
            step: if f.stopped_at.is_some() {
                "stopped"
            } else {
                "stop"
            },
            email: f.email,
            action: format!("/comments/follow/all/{token}"),
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}

/// `POST /comments/follow/all/{token}`
pub async fn stop(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ReaderForm { form, .. }: ReaderForm<OneClick>,
) -> Result<Response, AppError> {
    let Ok(id) = state.links.check_unfollow_all(&token) else {
        return expired(&state).await;
    };
    follows::stop_all(&state.db, id, Utc::now()).await?;
    if form.list_unsubscribe.as_deref() == Some("One-Click") {
        return Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Unsubscribed from every comment notification.\n",
        )
            .into_response());
    }
    follow_page(
        &state,
        FollowPage {
            step: "stopped",
            ..Default::default()
        },
        StatusCode::OK,
    )
    .await
}
