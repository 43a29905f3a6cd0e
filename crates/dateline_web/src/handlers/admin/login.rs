//! Signing in and out, and resetting a forgotten password.

use crate::auth::secrets::{hash_secret, new_secret};
use crate::auth::{
    AdminForm, AnonForm, SESSION_COOKIE, SESSION_TTL, SignedIn, anon_csrf, client_ip, ip_prefix,
    passwords, session_cookie,
};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, Screen, page, see_other};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use dateline_db::accounts;
use dateline_mail::templates;
use serde::{Deserialize, Serialize};

/// How long a reset link works.
const RESET_VALID_MINUTES: i64 = 60;
/// The least time between two reset mails to one account.
const RESET_EVERY_MINUTES: i64 = 5;

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

/// Refuses an address that failed too often lately, saying how long to wait.
fn throttle(state: &AppState, ip: std::net::IpAddr, what: &str) -> Result<(), AppError> {
    state
        .login_limiter
        .check(ip)
        .map_err(|wait| AppError::TooManyRequests {
            message: format!(
                "{what}. Wait {} minutes and try again, or reset your password.",
                wait.div_ceil(60)
            ),
            retry_after: wait,
        })
}

/// Adds the CSRF cookie a form needs, when the visitor had none.
fn with_cookie(mut response: Response, set_cookie: Option<axum::http::HeaderValue>) -> Response {
    if let Some(c) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// Only newsroom paths on this site: never an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/admin")
                && !n.starts_with("//")
                && !n.contains("://")
                && !n.contains('\\') =>
        {
            n.to_owned()
        }
        _ => "/admin/articles".to_owned(),
    }
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
    let (mut parts, _) = request.into_parts();
    if SignedIn::from_request_parts(&mut parts, &state)
        .await
        .is_ok()
    {
        return Ok(Redirect::to(&safe_next(p.next.as_deref())).into_response());
    }
    login_page(
        &state,
        &parts.headers,
        "",
        &safe_next(p.next.as_deref()),
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
    let ip = client_ip(&parts, &state.config.trusted_proxies);
    let next = safe_next(form.next.as_deref());
    throttle(&state, ip, "Too many failed sign-ins from your network")?;
    let now = Utc::now();
    let user = accounts::user_by_email(&state.db, &form.email).await?;
    let matches = passwords::verify(
        form.password.clone(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let usable = user.as_ref().filter(|u| !u.disabled && !u.is_locked(now));
    let Some(user) = usable.filter(|_| matches) else {
        state.login_limiter.failed(ip);
        if let Some(u) = &user
            && !matches
        {
            accounts::record_failed_login(&state.db, u.id, now).await?;
        }
        let message = "That email and password do not match an account that can sign in. After several failed attempts an account locks for 15 minutes; you can also reset your password.";
        return login_page(
            &state,
            &parts.headers,
            &form.email,
            &next,
            Some(message.into()),
            None,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };
    state.login_limiter.succeeded(ip);
    accounts::record_successful_login(&state.db, user.id).await?;
    let token = new_secret();
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    accounts::create_session(
        &state.db,
        &hash_secret(&token),
        user.id,
        &new_secret(),
        now,
        now + SESSION_TTL,
        user_agent,
        &ip_prefix(ip),
    )
    .await?;
    tracing::info!(user = %user.id, "signed in");
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(
            SESSION_COOKIE,
            &token,
            state.config.secure_cookies(),
            Some(SESSION_TTL),
        ),
    );
    newsroom_marker(&state, &mut response, Some(SESSION_TTL));
    Ok(response)
}

/// A cookie the reader pages' script may read (the session cookie is
/// HttpOnly): this browser has a newsroom session, so the comment form asks
/// who is signed in instead of asking for a name and address.
fn newsroom_marker(state: &AppState, response: &mut Response, max_age: Option<chrono::Duration>) {
    let age = max_age.map_or(0, |a| a.num_seconds());
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
        "dateline_newsroom=1; Path=/; Max-Age={age}; SameSite=Lax{secure}"
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `POST /admin/logout`
pub async fn sign_out(
    State(state): State<AppState>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    accounts::end_session(&state.db, who.user.id, &who.session.token_hash).await?;
    let mut response = see_other("/admin/login", "signed-out");
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(SESSION_COOKIE, "", state.config.secure_cookies(), None),
    );
    newsroom_marker(&state, &mut response, None);
    Ok(response)
}

#[derive(Serialize)]
struct ForgotPage {
    csrf: String,
    email: String,
    sent: bool,
    valid_minutes: i64,
}

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
    let response = page(
        &state,
        None,
        Screen {
            template: "admin/forgot.html",
            title: "Forgotten password",
            section: "login",
        },
        None,
        view,
        StatusCode::OK,
    )
    .await?;
    Ok(with_cookie(response, set_cookie))
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Which mail carries a link to choose a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkMail {
    /// "Reset your password", asked for by the user or an admin.
    Reset,
    /// "Your newsroom account", for a new account.
    Invitation,
}

/// Makes a link for `user` to choose a password and queues the mail that
/// carries it, in one transaction. Returns false when one was sent moments
/// ago (nothing is sent again).
pub(crate) async fn send_reset_link(
    state: &AppState,
    user: &accounts::User,
    valid: Duration,
    kind: LinkMail,
) -> Result<bool, AppError> {
    let token = new_secret();
    let now = Utc::now();
    let site = crate::handlers::site(state).await?;
    let link = state.urls.absolute(&format!("/admin/reset/{token}"));
    let mail = match kind {
        LinkMail::Reset => templates::password_reset(&templates::PasswordReset {
            site_title: site.settings.title.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            link,
            valid_minutes: valid.num_minutes(),
        })?,
        LinkMail::Invitation => templates::invitation(&templates::Invitation {
            site_title: site.settings.title.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.to_string(),
            link,
            sign_in: state.urls.absolute("/admin/login"),
            valid_days: valid.num_days(),
        })?,
    };
    let queued = mail.into_queued(
        match kind {
            LinkMail::Reset => "password_reset",
            LinkMail::Invitation => "invitation",
        },
        None,
    );
    Ok(accounts::create_password_reset(
        &state.db,
        user.id,
        &hash_secret(&token),
        now,
        valid,
        Duration::minutes(RESET_EVERY_MINUTES),
        &queued,
    )
    .await?)
}

/// `POST /admin/forgot`: answers the same whether or not the address has an
/// account, so it cannot be used to find out who works here.
pub async fn forgot(
    State(state): State<AppState>,
    form: AnonForm<ForgotForm>,
) -> Result<Response, AppError> {
    let AnonForm { form, parts } = form;
    let ip = client_ip(&parts, &state.config.trusted_proxies);
    throttle(&state, ip, "Too many requests from your network")?;
    // Each request counts against the address, so it cannot flood mailboxes.
    state.login_limiter.failed(ip);
    if let Some(user) = accounts::user_by_email(&state.db, &form.email)
        .await?
        .filter(|u| !u.disabled)
    {
        send_reset_link(
            &state,
            &user,
            Duration::minutes(RESET_VALID_MINUTES),
            LinkMail::Reset,
        )
        .await?;
    }
    let (csrf, _) = anon_csrf(&parts.headers, state.config.secure_cookies());
    let view = ForgotPage {
        csrf,
        email: form.email,
        sent: true,
        valid_minutes: RESET_VALID_MINUTES,
    };
    page(
        &state,
        None,
        Screen {
            template: "admin/forgot.html",
            title: "Forgotten password",
            section: "login",
        },
        None,
        view,
        StatusCode::OK,
    )
    .await
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
    let response = page(
        &state,
        None,
        Screen {
            template: "admin/reset.html",
            title: "Choose a new password",
            section: "login",
        },
        None,
        view,
        status,
    )
    .await?;
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
    let Some(user) = accounts::password_reset_user(&state.db, &hash_secret(&token), now).await?
    else {
        let (csrf, _) = anon_csrf(&parts.headers, state.config.secure_cookies());
        let view = ResetPage {
            csrf,
            valid: false,
            name: String::new(),
            error: None,
        };
        return page(
            &state,
            None,
            Screen {
                template: "admin/reset.html",
                title: "Choose a new password",
                section: "login",
            },
            None,
            view,
            StatusCode::NOT_FOUND,
        )
        .await;
    };
    let problem = if form.password != form.confirm {
        Some("The two passwords are not the same.".to_owned())
    } else {
        passwords::check_policy(&form.password, &user.email).err()
    };
    if let Some(error) = problem {
        let (csrf, _) = anon_csrf(&parts.headers, state.config.secure_cookies());
        let view = ResetPage {
            csrf,
            valid: true,
            name: user.name,
            error: Some(error),
        };
        return page(
            &state,
            None,
            Screen {
                template: "admin/reset.html",
                title: "Choose a new password",
                section: "login",
            },
            None,
            view,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let hash = passwords::hash(form.password).await?;
    accounts::set_password(&state.db, user.id, &hash, None, now).await?;
    tracing::info!(user = %user.id, "password reset");
    Ok(see_other("/admin/login", "password-changed"))
}
