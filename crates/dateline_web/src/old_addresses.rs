//! Addresses the site had before it moved to Dateline. An import records
//! each old address (`dateline_db::imports`); a request for a path the
//! site does not otherwise answer, or for the front page with WordPress's
//! `?p=ID`, is sent on with a 301 to what the address became. Month
//! archives in WordPress's form (`/2024/03/`) go to Dateline's.

use crate::error::AppError;
use crate::state::AppState;
use crate::urls::seg;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dateline_core::legacy;
use dateline_db::imports;

/// Where `path` (with its query) moved to, as a Location, if it did.
pub async fn moved_to(
    state: &AppState,
    path: &str,
    query: Option<&str>,
) -> Result<Option<String>, AppError> {
    let raw = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let key = legacy::path_key(&raw);
    if let Some(target) = imports::legacy_target(&state.db, &key).await? {
        return Ok(Some(encoded(&target)));
    }
    if let Some((year, month)) = legacy::date_archive(&key) {
        return Ok(Some(state.urls.archive_month(year, month)));
    }
    Ok(None)
}

/// A stored Dateline path, each segment percent-encoded for a header.
fn encoded(path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(seg).collect();
    encoded.join("/")
}

/// A 301 to `location`.
pub fn moved_permanently(location: &str) -> Response {
    let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}
