//! Newsroom sessions (a cookie) and API clients (a bearer token).

use crate::auth::secrets::hash_secret;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use cookie::{Cookie, SameSite};
use dateline_core::Actor;
use dateline_core::audit::{Via, Who};
use dateline_db::accounts::User;
use dateline_db::sessions::{self, Session};
use dateline_db::tokens;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

pub const SESSION_COOKIE: &str = "dateline_session";
/// A session ends this long after sign-in, whatever happens meanwhile.
pub const SESSION_TTL: Duration = Duration::days(14);

/// The value of a cookie sent with the request.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure on https.
/// `max_age` of `None` deletes the cookie.
pub fn session_cookie(
    name: &str,
    value: &str,
    secure: bool,
    max_age: Option<Duration>,
) -> HeaderValue {
    let mut c = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build();
    match max_age {
        Some(age) => c.set_max_age(cookie::time::Duration::seconds(age.num_seconds())),
        None => c.make_removal(),
    }
    HeaderValue::from_str(&c.encoded().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A signed-in newsroom user, from the session cookie. Pages that need one
/// send everybody else to the sign-in page, and back afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub actor: Actor,
    pub session: Session,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) {
            let found = sessions::session(&state.db, &hash_secret(&token), Utc::now())
                .await
                .map_err(|e| AppError::from(e).into_response())?;
            if let Some(session) = found {
                let ip = crate::auth::client_ip(parts, &state.config.trusted_proxies);
                let who = Who::user(
                    session.user.id,
                    &session.user.name,
                    Via::Session,
                    &crate::commenting::ip_hash(state, ip),
                );
                let signed_in = Self {
                    actor: Actor {
                        user: session.user.id,
                        role: session.user.role,
                        who,
                    },
                    user: session.user.clone(),
                    session,
                };
                crate::newsroom::two_factor::required_first(state, &signed_in, parts)
                    .await
                    .map_err(IntoResponse::into_response)?;
                return Ok(signed_in);
            }
        }
        let back = if parts.method == Method::GET {
            parts.uri.path_and_query().map_or("/admin", |p| p.as_str())
        } else {
            "/admin"
        };
        let target = format!(
            "/admin/login?next={}",
            utf8_percent_encode(back, NON_ALPHANUMERIC)
        );
        Err(Redirect::to(&target).into_response())
    }
}

/// A caller of the admin API, from `Authorization: Bearer <token>`. Cookies
/// are not accepted here, so the API needs no CSRF token.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub user: User,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| {
                AppError::Unauthorized("Send an API token in the Authorization header: \"Authorization: Bearer dl_…\". An admin creates tokens at /admin/tokens.".into())
            })?;
        let (token_id, user) = tokens::token_user(&state.db, &hash_secret(token), Utc::now())
            .await?
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "This API token is not valid: it may have been revoked, or its user disabled."
                        .into(),
                )
            })?;
        let ip = crate::auth::client_ip(parts, &state.config.trusted_proxies);
        let who = Who::user(
            user.id,
            &user.name,
            Via::Token(token_id),
            &crate::commenting::ip_hash(state, ip),
        );
        Ok(Self {
            actor: Actor {
                user: user.id,
                role: user.role,
                who,
            },
            user,
        })
    }
}
