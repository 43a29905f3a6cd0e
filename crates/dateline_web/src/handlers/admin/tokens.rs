//! API tokens for the admin API, for admins.

use crate::auth::secrets::{hash_secret, new_secret};
use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, NoticeParam, Screen, page, see_other};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use dateline_core::{Capability, UserId};
use dateline_db::{Db, accounts};
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
    tokens: Vec<accounts::ApiToken>,
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
        tokens: accounts::tokens(&state.db).await?,
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

/// Makes a token acting as `user`; returns the secret (shown once).
pub async fn issue(
    db: &Db,
    name: &str,
    user: UserId,
    by: UserId,
) -> Result<(i64, String), AppError> {
    let secret = format!("dl_{}", new_secret());
    let prefix: String = secret.chars().take(10).collect();
    let id = accounts::create_token(
        db,
        name,
        &prefix,
        &hash_secret(&secret),
        user,
        by,
        Utc::now(),
    )
    .await?;
    Ok((id, secret))
}

/// `POST /admin/tokens`
pub async fn create(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<TokenForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTokens)?;
    let name = form.name.trim().to_owned();
    let user = form.user.parse::<i64>().ok().map(UserId);
    let owner = match user {
        Some(u) => accounts::user(&state.db, u).await?.filter(|u| !u.disabled),
        None => None,
    };
    let problem = if name.is_empty() || name.chars().count() > 100 {
        Some(
            "Name the token after what will use it, such as \"Mobile app\" (at most 100 characters).",
        )
    } else if owner.is_none() {
        Some("Choose the active user the token acts as.")
    } else {
        None
    };
    if let Some(p) = problem {
        return render(
            &state,
            &who,
            form,
            Some(p.into()),
            None,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let owner = owner.ok_or_else(|| AppError::BadRequest("Choose a user.".into()))?;
    let (_, secret) = issue(&state.db, &name, owner.id, who.user.id).await?;
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
    newsroom::require(&who.actor, Capability::ManageTokens)?;
    accounts::revoke_token(&state.db, id, Utc::now()).await?;
    Ok(see_other("/admin/tokens", "revoked"))
}
