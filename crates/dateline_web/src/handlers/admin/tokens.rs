//! API tokens for the admin API, for admins.

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, NoticeParam, Screen, page, see_other};
use crate::newsroom;
use crate::newsroom::accounts as service;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_core::{Capability, UserId};
use dateline_db::{accounts, tokens};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    user: String,
}

#[derive(Serialize)]
struct TokensPage {
    tokens: Vec<tokens::ApiToken>,
    users: Vec<(i64, String, String)>,
    form: TokenForm,
    error: Option<String>,
    /// Shown once, right after creation.
    created: Option<String>,
}

async fn render(
    state: &AppState,
    who: &SignedIn,
    form: TokenForm,
    error: Option<String>,
    created: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let users = accounts::users(&state.db)
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| (u.id.0, u.name, u.role.to_string()))
        .collect();
    let view = TokensPage {
        tokens: tokens::tokens(&state.db).await?,
        users,
        form,
        error,
        created,
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/tokens.html",
            title: "API tokens",
            section: "tokens",
        },
        notice,
        view,
        status,
    )
    .await
}

/// `GET /admin/tokens`
pub async fn list(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTokens)?;
    let form = TokenForm {
        user: who.user.id.to_string(),
        ..Default::default()
    };
    render(
        &state,
        &who,
        form,
        None,
        None,
        p.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/tokens`
pub async fn create(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<TokenForm>,
) -> Result<Response, AppError> {
    let owner = UserId(form.user.parse::<i64>().unwrap_or(0));
    let secret = match service::issue_token(&state, &who.actor, &form.name, owner).await {
        Ok((_, secret)) => secret,
        Err(AppError::Invalid(errors)) => {
            let message = errors
                .0
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&state, &who, form, Some(message), None, None, status).await;
        }
        Err(e) => return Err(e),
    };
    let form = TokenForm {
        user: who.user.id.to_string(),
        ..Default::default()
    };
    render(
        &state,
        &who,
        form,
        None,
        Some(secret),
        None,
        StatusCode::CREATED,
    )
    .await
}

/// `POST /admin/tokens/{id}/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    service::revoke_token(&state, &who.actor, id).await?;
    Ok(see_other("/admin/tokens", "revoked"))
}
