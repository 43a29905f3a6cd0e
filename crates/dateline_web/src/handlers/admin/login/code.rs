//! `/admin/login/code`: the second step of a two-factor sign-in, bound to
//! the password step by a short-lived cookie (HttpOnly, this path only).

use super::{client, signed_in, with_cookie};
use crate::auth::{AnonForm, anon_csrf, cookie_value, session_cookie};
use crate::error::AppError;
use crate::handlers::admin::{Screen, page};
use crate::newsroom::sign_in::{self, CODE_STEP_VALID, CodeStep};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The cookie that carries the code step from the password step.
pub const STEP_COOKIE: &str = "dateline_signin";

/// The step's cookie (`None` deletes it).
pub(super) fn step_cookie(state: &AppState, step: Option<&str>) -> HeaderValue {
    let value = session_cookie(
        STEP_COOKIE,
        step.unwrap_or_default(),
        state.config.secure_cookies(),
        step.map(|_| CODE_STEP_VALID),
    );
    // Only this page needs it.
    let scoped = value
        .to_str()
        .unwrap_or_default()
        .replace("Path=/", "Path=/admin/login");
    HeaderValue::from_str(&scoped).unwrap_or(value)
}

#[derive(Serialize)]
struct CodePage {
    csrf: String,
    error: Option<String>,
}

async fn code_page(
    state: &AppState,
    headers: &HeaderMap,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (csrf, set_cookie) = anon_csrf(headers, state.config.secure_cookies());
    let response = page(
        state,
        None,
        Screen {
            template: "admin/login_code.html",
            title: "Your sign-in code",
            section: "login",
        },
        None,
        CodePage { csrf, error },
        status,
    )
    .await?;
    Ok(with_cookie(response, set_cookie))
}

/// Back to the password, the step being over.
fn start_over(state: &AppState) -> Response {
    let mut response = crate::handlers::admin::see_other("/admin/login", "code-step-over");
    response
        .headers_mut()
        .append(header::SET_COOKIE, step_cookie(state, None));
    response
}

/// `GET /admin/login/code`
pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let live = match cookie_value(&headers, STEP_COOKIE) {
        Some(step) => {
            let hash = crate::auth::secrets::hash_secret(&step);
            dateline_db::sessions::challenge(&state.db, &hash, chrono::Utc::now())
                .await?
                .is_some()
        }
        None => false,
    };
    if !live {
        return Ok(start_over(&state));
    }
    code_page(&state, &headers, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /admin/login/code`
pub async fn check(
    State(state): State<AppState>,
    form: AnonForm<CodeForm>,
) -> Result<Response, AppError> {
    let AnonForm { form, parts } = form;
    let Some(step) = cookie_value(&parts.headers, STEP_COOKIE) else {
        return Ok(start_over(&state));
    };
    let client = client(&state, &parts);
    match sign_in::code_step(&state, &client, &step, &form.code).await? {
        CodeStep::SignedIn { session, next } => {
            let mut response = signed_in(&state, &session, &next);
            response
                .headers_mut()
                .append(header::SET_COOKIE, step_cookie(&state, None));
            Ok(response)
        }
        CodeStep::Wrong => {
            let message = "That code is not right, or was used already. Type the six digits your app shows now, or one of your recovery codes.";
            code_page(
                &state,
                &parts.headers,
                Some(message.into()),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        CodeStep::Over => Ok(start_over(&state)),
    }
    .map(IntoResponse::into_response)
}
