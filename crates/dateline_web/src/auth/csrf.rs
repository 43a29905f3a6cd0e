//! CSRF protection for every state-changing newsroom form.
//!
//! Signed-in forms carry the session's own token (`_csrf`); forms used before
//! signing in (sign-in, forgotten password) carry a token that must equal a
//! cookie set with the form. The extractors below are the only way handlers
//! get a form's contents, so no form can skip the check. A browser's
//! `Origin`, when sent, must also be this site.

use crate::auth::secrets::{new_secret, same};
use crate::auth::session::{SignedIn, cookie_value, session_cookie};
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub const CSRF_COOKIE: &str = "dateline_csrf";
/// Largest ordinary form.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

#[derive(Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

fn refused() -> AppError {
    AppError::Forbidden(
        "This form has expired or did not come from this site, so nothing was saved. Go back, reload the page and submit it again.".into(),
    )
}

/// Refuses a request whose Origin header names another site.
fn check_origin(parts: &Parts, state: &AppState) -> Result<(), AppError> {
    let Some(origin) = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let ours = state.urls.base().trim_end_matches('/');
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let same_host = origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host);
    if origin == ours || same_host {
        Ok(())
    } else {
        Err(refused())
    }
}

fn parse_form<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, AppError> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|e| AppError::BadRequest(format!("This form could not be read ({e}).")))
}

async fn body_bytes(body: axum::body::Body) -> Result<Bytes, AppError> {
    axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            AppError::PayloadTooLarge(
                "The form is larger than 2 MB. Shorten the text and try again.".into(),
            )
        })
}

/// A signed-in user's form, its CSRF token checked.
pub struct AdminForm<T> {
    pub who: SignedIn,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for AdminForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let who = SignedIn::from_request_parts(&mut parts, state).await?;
        check_origin(&parts, state).map_err(IntoResponse::into_response)?;
        let bytes = body_bytes(body)
            .await
            .map_err(IntoResponse::into_response)?;
        let token: CsrfField = parse_form(&bytes).map_err(IntoResponse::into_response)?;
        if !same(&token.csrf, &who.session.csrf_token) {
            return Err(refused().into_response());
        }
        let form = parse_form(&bytes).map_err(IntoResponse::into_response)?;
        Ok(Self { who, form })
    }
}

/// The CSRF token for a form shown before signing in: the one in the
/// visitor's cookie, or a new one with the cookie to set.
pub fn anon_csrf(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    match cookie_value(headers, CSRF_COOKIE).filter(|t| t.len() >= 32) {
        Some(token) => (token, None),
        None => {
            let token = new_secret();
            let cookie = session_cookie(CSRF_COOKIE, &token, secure, Some(Duration::days(1)));
            (token, Some(cookie))
        }
    }
}

/// A form posted before signing in; its token must equal the cookie's.
pub struct AnonForm<T> {
    pub form: T,
    pub parts: Parts,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for AnonForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (parts, body) = req.into_parts();
        check_origin(&parts, state)?;
        let bytes = body_bytes(body).await?;
        let token: CsrfField = parse_form(&bytes)?;
        let cookie = cookie_value(&parts.headers, CSRF_COOKIE).unwrap_or_default();
        if cookie.is_empty() || !same(&token.csrf, &cookie) {
            return Err(refused());
        }
        Ok(Self {
            form: parse_form(&bytes)?,
            parts,
        })
    }
}

/// A reader's form on a public page (newsletter sign-up, preferences,
/// unsubscribe). Those pages are cached and shared, so they carry no token;
/// what such a form can do is either authorised by a signed link or answered
/// by mail only, at most once an hour per address. A browser's Origin must
/// still be this site; mail clients' one-click POSTs send none.
pub struct ReaderForm<T> {
    pub form: T,
    pub parts: Parts,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ReaderForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (parts, body) = req.into_parts();
        check_origin(&parts, state)?;
        let bytes = body_bytes(body).await?;
        Ok(Self {
            form: parse_form(&bytes)?,
            parts,
        })
    }
}

/// A file sent with a form.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// A signed-in user's multipart form (one that can carry files), its CSRF
/// token checked. Text fields keep their order; a field may repeat.
pub struct AdminMultipart {
    pub who: SignedIn,
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl AdminMultipart {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.field(name).unwrap_or_default().to_owned()
    }
}

impl FromRequest<AppState> for AdminMultipart {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let who = SignedIn::from_request_parts(&mut parts, state).await?;
        check_origin(&parts, state).map_err(IntoResponse::into_response)?;
        let max = state.config.max_upload_bytes;
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| {
                AppError::BadRequest(format!("This form could not be read ({}).", e.body_text()))
                    .into_response()
            })?;
        let too_large = || {
            AppError::PayloadTooLarge(format!(
                "The upload is larger than {} MB; choose a smaller image.",
                max / (1024 * 1024)
            ))
            .into_response()
        };
        let mut fields = Vec::new();
        let mut files = Vec::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large());
                }
                Err(e) => {
                    return Err(AppError::BadRequest(format!(
                        "This form could not be read ({}).",
                        e.body_text()
                    ))
                    .into_response());
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let content_type = field
                        .content_type()
                        .unwrap_or("application/octet-stream")
                        .to_owned();
                    let bytes = field.bytes().await.map_err(|_| too_large())?;
                    if bytes.len() as u64 > max {
                        return Err(too_large());
                    }
                    if !bytes.is_empty() {
                        files.push(Upload {
                            field: name,
                            file_name,
                            content_type,
                            bytes,
                        });
                    }
                }
                None => {
                    let text = field.text().await.map_err(|_| too_large())?;
                    fields.push((name, text));
                }
            }
        }
        let token = fields
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        if !same(token, &who.session.csrf_token) {
            return Err(refused().into_response());
        }
        Ok(Self { who, fields, files })
    }
}
