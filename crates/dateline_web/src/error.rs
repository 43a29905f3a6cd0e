//! The one place errors become HTTP answers.
//!
//! A handler returns `AppError`; its `IntoResponse` only records what went
//! wrong (status, a message for people, the internal cause for the log) in an
//! `ErrorReport` extension. The `render_errors` middleware then writes the
//! page: HTML in the site's layout, or JSON under `/api/`, with the request id,
//! and logs internal causes in full. Internal error text never reaches a
//! client.

use crate::state::AppState;
use crate::views::{ErrorView, Link};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dateline_core::ValidationErrors;
use dateline_db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    /// Like `NotFound`, with pages the reader may have meant.
    #[error("{message}")]
    NotFoundWithSuggestions {
        message: String,
        query: String,
        suggestions: Vec<Link>,
    },
    #[error("{0}")]
    BadRequest(String),
    /// Not signed in, or a bad API token.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but this role may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The upload is not a kind of file we take.
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("{0}")]
    Unavailable(String),
    /// Costly work (password hashing) is at its bound: try again shortly.
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => AppError::NotFound("We could not find that.".into()),
            DbError::Conflict { field, message } => AppError::Conflict { field, message },
            DbError::Invalid(errors) => AppError::Invalid(errors),
            DbError::StaleRevision { .. } => AppError::Conflict {
                field: "revision".into(),
                message: e.to_string(),
            },
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<crate::auth::hashing::Busy> for AppError {
    fn from(e: crate::auth::hashing::Busy) -> Self {
        AppError::Busy(format!("{}.", capitalised(&e.to_string())))
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template error: {e:#}"))
    }
}

/// What went wrong, carried from a handler to `render_errors`.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub status: StatusCode,
    pub message: String,
    pub fields: Vec<(String, String)>,
    pub query: Option<String>,
    pub suggestions: Vec<Link>,
    /// The cause, for the log only.
    pub internal: Option<String>,
    /// Seconds, for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ErrorReport {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            fields: Vec::new(),
            query: None,
            suggestions: Vec::new(),
            internal: None,
            retry_after: None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let report = match self {
            AppError::NotFound(message) => ErrorReport::new(StatusCode::NOT_FOUND, message),
            AppError::NotFoundWithSuggestions {
                message,
                query,
                suggestions,
            } => ErrorReport {
                query: Some(query),
                suggestions,
                ..ErrorReport::new(StatusCode::NOT_FOUND, message)
            },
            AppError::BadRequest(message) => ErrorReport::new(StatusCode::BAD_REQUEST, message),
            AppError::Unauthorized(message) => ErrorReport::new(StatusCode::UNAUTHORIZED, message),
            AppError::Forbidden(message) => ErrorReport::new(StatusCode::FORBIDDEN, message),
            AppError::PayloadTooLarge(message) => {
                ErrorReport::new(StatusCode::PAYLOAD_TOO_LARGE, message)
            }
            AppError::UnsupportedMedia(message) => {
                ErrorReport::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
            }
            AppError::TooManyRequests {
                message,
                retry_after,
            } => ErrorReport {
                retry_after: Some(retry_after),
                ..ErrorReport::new(StatusCode::TOO_MANY_REQUESTS, message)
            },
            AppError::Conflict { field, message } => ErrorReport {
                fields: vec![(field, message.clone())],
                ..ErrorReport::new(StatusCode::CONFLICT, message)
            },
            AppError::Invalid(errors) => ErrorReport {
                fields: errors
                    .0
                    .iter()
                    .map(|e| (e.field.clone(), e.message.clone()))
                    .collect(),
                ..ErrorReport::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Some fields need attention.",
                )
            },
            AppError::Unavailable(message) => {
                ErrorReport::new(StatusCode::SERVICE_UNAVAILABLE, message)
            }
            AppError::Busy(message) => ErrorReport {
                retry_after: Some(5),
                ..ErrorReport::new(StatusCode::SERVICE_UNAVAILABLE, message)
            },
            AppError::Internal(e) => ErrorReport {
                internal: Some(format!("{e:#}")),
                ..ErrorReport::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again in a moment.",
                )
            },
        };
        let mut response = (report.status, report.message.clone()).into_response();
        if let Some(secs) = report.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        if report.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"dateline\""),
            );
        }
        response.extensions_mut().insert(report);
        response
    }
}

/// A plain message for errors raised outside handlers (a wrong method, a body
/// too large, a timeout), which come without a report.
fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "There is no page at this address.",
        StatusCode::METHOD_NOT_ALLOWED => {
            "This address does not accept that kind of request; most pages here can only be read (GET)."
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "The request is larger than this site accepts. Send less data at once."
        }
        StatusCode::REQUEST_TIMEOUT => "The request took too long to arrive. Please try again.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "The request's content type is not one this address reads."
        }
        StatusCode::BAD_REQUEST => {
            "Part of this request cannot be read: a number in the address that is not a whole number, or a query string or body of another shape than this address takes."
        }
        s if s.is_server_error() => {
            "Something went wrong on our side. Please try again in a moment."
        }
        _ => "The request could not be handled.",
    }
}

/// Turns every error response into a page a person can read (or JSON for the
/// API), and logs internal causes with the request id.
pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let wants_json = path.starts_with("/api/")
        || request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("application/json"));
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let report = match response.extensions_mut().remove::<ErrorReport>() {
        Some(report) => report,
        None => {
            // A page a handler rendered itself (a form shown again with its
            // errors) goes out as it is.
            let rendered = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| {
                    ct.starts_with("text/html") || ct.starts_with("application/json")
                });
            if rendered {
                return response;
            }
            ErrorReport::new(status, default_message(status))
        }
    };
    if let Some(internal) = &report.internal {
        tracing::error!(%request_id, %path, status = status.as_u16(), error = %internal, "request failed");
    } else if status.is_server_error() {
        tracing::error!(%request_id, %path, status = status.as_u16(), "request failed");
    }

    let mut out = if wants_json {
        let fields: serde_json::Map<String, serde_json::Value> = report
            .fields
            .iter()
            .map(|(f, m)| (f.clone(), serde_json::Value::String(m.clone())))
            .collect();
        let body = serde_json::json!({
            "error": {
                "status": status.as_u16(),
                "message": report.message,
                "fields": fields,
                "request_id": request_id,
            }
        });
        (status, axum::Json(body)).into_response()
    } else {
        let view = ErrorView {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            message: report.message.clone(),
            fields: report.fields.clone(),
            query: report.query.clone(),
            suggestions: report.suggestions.clone(),
            request_id: request_id.clone(),
        };
        match crate::handlers::render_error_page(&state, &view).await {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(e) => {
                tracing::error!(%request_id, error = %e, "cannot render the error page");
                (status, report.message.clone()).into_response()
            }
        }
    };
    // Keep the headers that matter to the client (Allow on 405, Retry-After).
    for name in [
        header::ALLOW,
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        header::SET_COOKIE,
    ] {
        if let Some(v) = response.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}
