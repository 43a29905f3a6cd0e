//! The admin API under `/api/v1/admin/`: what the newsroom pages do, as JSON,
//! for programs holding an API token (`Authorization: Bearer dl_…`). Every
//! call goes through the same `newsroom` functions, so the same roles apply.

pub mod articles;
pub mod audit;
pub mod comments;
pub mod mail;
pub mod people;

use crate::error::AppError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON answer that no cache may keep.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response, AppError> {
    let mut response = (
        status,
        Json(serde_json::to_value(body).map_err(|e| AppError::Internal(e.into()))?),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
