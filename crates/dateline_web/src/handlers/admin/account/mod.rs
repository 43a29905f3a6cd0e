//! One's own account: password, two-factor sign-in and sessions.

pub mod two_factor;

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, NoticeParam, Screen, page, see_other};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use dateline_db::{sessions, two_factor as store};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct SessionRow {
    token_hash: String,
    this_one: bool,
    started: String,
    last_seen: String,
    user_agent: String,
    network: String,
}

#[derive(Serialize)]
struct AccountPage {
    sessions: Vec<SessionRow>,
    error: Option<String>,
    two_factor: bool,
    recovery_codes_left: i64,
}

async fn render(
    state: &AppState,
    who: &SignedIn,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let sessions = sessions::sessions_of(&state.db, &who.user, Utc::now())
        .await?
        .into_iter()
        .map(|s| SessionRow {
            this_one: s.token_hash == who.session.token_hash,
            started: s.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            last_seen: s.last_seen_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            user_agent: s.user_agent,
            network: s.ip_prefix,
            token_hash: s.token_hash,
        })
        .collect();
    page(
        state,
        Some(who),
        Screen {
            template: "admin/account.html",
            title: "Your account",
            section: "account",
        },
        notice,
        AccountPage {
            sessions,
            error,
            two_factor: who.user.two_factor(),
            recovery_codes_left: store::recovery_codes_left(&state.db, who.user.id).await?,
        },
        status,
    )
    .await
}

/// `GET /admin/account`
pub async fn show(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    render(&state, &who, None, p.notice.as_deref(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/account/password`: needs the current password; ends every
/// other session.
pub async fn change_password(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<PasswordForm>,
) -> Result<Response, AppError> {
    let problem = crate::newsroom::accounts::change_password(
        &state,
        &who,
        &form.current,
        &form.password,
        &form.confirm,
    )
    .await?;
    if let Some(error) = problem {
        return render(
            &state,
            &who,
            Some(error),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    Ok(see_other("/admin/account", "saved"))
}

#[derive(Debug, Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    token_hash: String,
}

/// `POST /admin/account/sessions/end`: one session of one's own.
pub async fn end_session(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<SessionForm>,
) -> Result<Response, AppError> {
    sessions::end_session(&state.db, who.user.id, &form.token_hash).await?;
    Ok(see_other("/admin/account", "revoked"))
}

/// `POST /admin/account/sessions/end-others`
pub async fn end_others(
    State(state): State<AppState>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    sessions::end_other_sessions(
        &state.db,
        who.user.id,
        Some(&who.session.token_hash),
        Utc::now(),
        &who.actor.who,
    )
    .await?;
    Ok(see_other("/admin/account", "sessions-ended"))
}
