//! Signing in and out (`password`), the second step of a two-factor
//! sign-in (`code`), and resetting a forgotten password (`reset`). The
//! rules (what is counted, when an account locks, what a code is) are in
//! `newsroom::sign_in`; these pages only ask and answer.

pub mod code;
pub mod password;
pub mod reset;

use crate::auth::client_ip;
use crate::newsroom::sign_in::Client;
use crate::state::AppState;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Adds the CSRF cookie a form needs, when the visitor had none.
fn with_cookie(mut response: Response, set_cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// Who is signing in, as far as the request tells.
fn client(state: &AppState, parts: &Parts) -> Client {
    Client {
        ip: client_ip(parts, &state.config.trusted_proxies),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    }
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
    if let Ok(v) = HeaderValue::from_str(&format!(
        "dateline_newsroom=1; Path=/; Max-Age={age}; SameSite=Lax{secure}"
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The answer to a finished sign-in: the session cookie, the marker, and on
/// to `next` (already checked by `sign_in::safe_next`).
fn signed_in(state: &AppState, session: &str, next: &str) -> Response {
    use crate::auth::{SESSION_COOKIE, SESSION_TTL, session_cookie};
    use axum::response::{IntoResponse, Redirect};
    let mut response = Redirect::to(next).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(
            SESSION_COOKIE,
            session,
            state.config.secure_cookies(),
            Some(SESSION_TTL),
        ),
    );
    newsroom_marker(state, &mut response, Some(SESSION_TTL));
    response
}
