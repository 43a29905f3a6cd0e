//! `/admin/forgot` and `/admin/reset/{token}`: a link by mail to choose a
//! new password. A reset signs nobody in, so it never skips a second factor.

use super::{client, with_cookie};
use crate::auth::secrets::hash_secret;
use crate::auth::{AnonForm, anon_csrf};
use crate::error::AppError;
use crate::handlers::admin::{Screen, page, see_other};
use crate::newsroom::accounts::{self as service, LinkMail, RESET_VALID_MINUTES};
use crate::newsroom::sign_in;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dateline_core::audit::Who;
use dateline_db::accounts;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct ForgotPage {
    csrf: String,
    email: String,
    sent: bool,
    valid_minutes: i64,
}

const FORGOT: Screen<'static> = Screen {
    template: "admin/forgot.html",
    title: "Forgotten password",
    section: "login",
};

const RESET: Screen<'static> = Screen {
    template: "admin/reset.html",
    title: "Choose a new password",
    section: "login",
};

/// `GET /admin/forgot`
pub async fn forgot_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (csrf, set_cookie) = anon_csrf(&headers, state.config.secure_cookies());
    let view = ForgotPage {
        csrf,
        email: String::new(),
        sent: false,
        valid_minutes: RESET_VALID_MINUTES,
    };
    let response = page(&state, None, FORGOT, None, view, StatusCode::OK).await?;
    Ok(with_cookie(response, set_cookie))
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// `POST /admin/forgot`: answers the same whether or not the address has an
/// account, so it cannot be used to find out who works here.
pub async fn forgot(
    State(state): State<AppState>,
    form: AnonForm<ForgotForm>,
) -> Result<Response, AppError> {
    let AnonForm { form, parts } = form;
    let client = client(&state, &parts);
    // Each request counts against the address, so it cannot flood mailboxes.
    sign_in::count_client(
        &state,
        &client,
        "Too many requests from your network",
        Utc::now(),
    )
    .await?;
    if let Some(user) = accounts::user_by_email(&state.db, &form.email)
        .await?
        .filter(|u| !u.disabled)
    {
        let who = Who::visitor(&crate::commenting::ip_hash(&state, client.ip));
        service::send_reset_link(&state, &user, LinkMail::Reset, &who).await?;
    }
    let (csrf, _) = anon_csrf(&parts.headers, state.config.secure_cookies());
    let view = ForgotPage {
        csrf,
        email: form.email,
        sent: true,
        valid_minutes: RESET_VALID_MINUTES,
    };
    page(&state, None, FORGOT, None, view, StatusCode::OK).await
}

#[derive(Serialize)]
struct ResetPage {
    csrf: String,
    valid: bool,
    name: String,
    error: Option<String>,
}

/// `GET /admin/reset/{token}`
pub async fn reset_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let user = accounts::password_reset_user(&state.db, &hash_secret(&token), Utc::now()).await?;
    let (csrf, set_cookie) = anon_csrf(&headers, state.config.secure_cookies());
    let status = if user.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let view = ResetPage {
        csrf,
        valid: user.is_some(),
        name: user.map(|u| u.name).unwrap_or_default(),
        error: None,
    };
    let response = page(&state, None, RESET, None, view, status).await?;
    Ok(with_cookie(response, set_cookie))
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/reset/{token}`
pub async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    form: AnonForm<ResetForm>,
) -> Result<Response, AppError> {
    let AnonForm { form, parts } = form;
    let now = Utc::now();
    let user = accounts::password_reset_user(&state.db, &hash_secret(&token), now).await?;
    let (csrf, _) = anon_csrf(&parts.headers, state.config.secure_cookies());
    let Some(user) = user else {
        let view = ResetPage {
            csrf,
            valid: false,
            name: String::new(),
            error: None,
        };
        return page(&state, None, RESET, None, view, StatusCode::NOT_FOUND).await;
    };
    let ip = crate::auth::client_ip(&parts, &state.config.trusted_proxies);
    let who = Who::visitor(&crate::commenting::ip_hash(&state, ip));
    match service::reset_password(&state, &user, &form.password, &form.confirm, &who).await? {
        None => Ok(see_other("/admin/login", "password-changed")),
        Some(error) => {
            let view = ResetPage {
                csrf,
                valid: true,
                name: user.name,
                error: Some(error),
            };
            page(
                &state,
                None,
                RESET,
                None,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
