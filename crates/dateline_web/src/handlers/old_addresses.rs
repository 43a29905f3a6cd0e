//! Paths no route answers: an old address of the site (sent on with a
//! 301), or the site's page saying it is not here.

use crate::error::AppError;
use crate::old_addresses::{moved_permanently, moved_to};
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::response::Response;

pub async fn fallback(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, AppError> {
    if (method == Method::GET || method == Method::HEAD)
        && let Some(location) = moved_to(&state, uri.path(), uri.query()).await?
    {
        return Ok(moved_permanently(&location));
    }
    Err(AppError::NotFound(
        "There is no page at this address.".into(),
    ))
}
