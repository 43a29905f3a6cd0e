use crate::error::AppError;
use crate::handlers::{Freshness, cacheable};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET /static/{file}`: a built-in asset under its versioned name.
pub async fn asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let (content_type, bytes) = state
        .assets
        .get(&file)
        .ok_or_else(|| AppError::NotFound(format!("There is no asset called {file}.")))?;
    // The name changes with the content, so a copy never goes stale.
    Ok(cacheable(bytes, content_type, Freshness::Immutable, None))
}

/// `GET /favicon.ico`: browsers ask for it by that name; the icon is SVG.
pub async fn favicon(State(state): State<AppState>) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, state.assets.url("icon.svg"))],
    )
        .into_response()
}
