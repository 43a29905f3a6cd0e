//! `/admin/account/two-factor`: setting up, confirming and turning off
//! one's two-factor sign-in, and new recovery codes. The rules are in
//! `newsroom::two_factor`.

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{NoticeParam, Screen, page, see_other};
use crate::newsroom::two_factor::{self, Setup};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize)]
struct TwoFactorPage {
    on: bool,
    /// While setting up: what the app needs.
    setup: Option<Setup>,
    /// Shown once, right after they are made.
    recovery_codes: Vec<String>,
    errors: BTreeMap<String, String>,
}

const SCREEN: Screen<'static> = Screen {
    template: "admin/two_factor.html",
    title: "Two-factor sign-in",
    section: "account",
};

async fn render(
    state: &AppState,
    who: &SignedIn,
    recovery_codes: Vec<String>,
    error: Option<AppError>,
    notice: Option<&str>,
) -> Result<Response, AppError> {
    let user = dateline_db::accounts::user(&state.db, who.user.id)
        .await?
        .unwrap_or_else(|| who.user.clone());
    let on = user.two_factor();
    let setup = if on {
        None
    } else {
        Some(two_factor::setup(state, &user).await?)
    };
    let (errors, status) = match error {
        None if recovery_codes.is_empty() => (BTreeMap::new(), StatusCode::OK),
        None => (BTreeMap::new(), StatusCode::CREATED),
        Some(AppError::Invalid(e)) => (
            e.0.into_iter().map(|e| (e.field, e.message)).collect(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Some(AppError::Conflict { field, message }) => {
            (BTreeMap::from([(field, message)]), StatusCode::CONFLICT)
        }
        Some(other) => return Err(other),
    };
    let view = TwoFactorPage {
        on,
        setup,
        recovery_codes,
        errors,
    };
    page(state, Some(who), SCREEN, notice, view, status).await
}

/// `GET /admin/account/two-factor`
pub async fn show(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    render(&state, &who, Vec::new(), None, p.notice.as_deref()).await
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/account/two-factor`: the first code turns it on.
pub async fn confirm(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<CodeForm>,
) -> Result<Response, AppError> {
    match two_factor::confirm(&state, &who, &form.code).await {
        Ok(codes) => render(&state, &who, codes, None, Some("two-factor-on")).await,
        Err(e) => render(&state, &who, Vec::new(), Some(e), None).await,
    }
}

/// `POST /admin/account/two-factor/recovery-codes`
pub async fn recovery_codes(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<CodeForm>,
) -> Result<Response, AppError> {
    match two_factor::new_recovery_codes(&state, &who, &form.code).await {
        Ok(codes) => render(&state, &who, codes, None, Some("recovery-codes")).await,
        Err(e) => render(&state, &who, Vec::new(), Some(e), None).await,
    }
}

/// `POST /admin/account/two-factor/disable`: password and a code.
pub async fn disable(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<CodeForm>,
) -> Result<Response, AppError> {
    match two_factor::disable(&state, &who, &form.password, &form.code).await {
        Ok(()) => Ok(see_other("/admin/account", "two-factor-off")),
        Err(e) => render(&state, &who, Vec::new(), Some(e), None).await,
    }
}
