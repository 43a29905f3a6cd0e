//! `/admin/login` and `/admin/logout`: the password step, and signing out.

use super::{client, newsroom_marker, signed_in, with_cookie};
use crate::auth::{AdminForm, AnonForm, SESSION_COOKIE, SignedIn, anon_csrf, session_cookie};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::login::code::step_cookie;
use crate::handlers::admin::{Empty, Screen, page, see_other};
use crate::newsroom::sign_in::{self, PasswordStep, safe_next};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_db::sessions;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
pub struct LoginParams {
    pub next: Option<String>,
    pub notice: Option<String>,
}

#[derive(Serialize)]
struct LoginPage {
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
}

async fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    email: &str,
    next: &str,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (csrf, set_cookie) = anon_csrf(headers, state.config.secure_cookies());
    let view = LoginPage {
        csrf,
        email: email.to_owned(),
        next: next.to_owned(),
        error,
    };
    let response = page(
        state,
        None,
        Screen {
            template: "admin/login.html",
            title: "Sign in",
            section: "login",
        },
        notice,
        view,
        status,
    )
    .await?;
    Ok(with_cookie(response, set_cookie))
}

/// `GET /admin/login`
pub async fn form(
    State(state): State<AppState>,
    Q(p): Q<LoginParams>,
    request: Request,
) -> Result<Response, AppError> {
    let next = safe_next(p.next.as_deref());
    let (mut parts, _) = request.into_parts();
    if SignedIn::from_request_parts(&mut parts, &state)
        .await
        .is_ok()
    {
        return Ok(Redirect::to(&next).into_response());
    }
    login_page(
        &state,
        &parts.headers,
        "",
        &next,
        None,
        p.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /admin/login`
pub async fn sign_in(
    State(state): State<AppState>,
    form: AnonForm<LoginForm>,
) -> Result<Response, AppError> {
    let AnonForm { form, parts } = form;
    // Checked before any work, so a bad one can never fail after it.
    let next = safe_next(form.next.as_deref());
    let client = client(&state, &parts);
    match sign_in::password_step(&state, &client, &form.email, &form.password, &next).await? {
        PasswordStep::SignedIn { session } => Ok(signed_in(&state, &session, &next)),
        PasswordStep::NeedsCode { step } => {
            let mut response = Redirect::to("/admin/login/code").into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, step_cookie(&state, Some(&step)));
            Ok(response)
        }
        PasswordStep::Refused => {
            let message = "That email and password do not match an account that can sign in. After several failed attempts an account locks for 15 minutes; you can also reset your password.";
            login_page(
                &state,
                &parts.headers,
                &form.email,
                &next,
                Some(message.into()),
                None,
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
    }
}

/// `POST /admin/logout`
pub async fn sign_out(
    State(state): State<AppState>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    sessions::end_session(&state.db, who.user.id, &who.session.token_hash).await?;
    let mut response = see_other("/admin/login", "signed-out");
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(SESSION_COOKIE, "", state.config.secure_cookies(), None),
    );
    newsroom_marker(&state, &mut response, None);
    Ok(response)
}
