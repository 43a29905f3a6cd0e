//! Extractors whose refusals say, in words, what is wrong with the request.

use crate::error::AppError;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Like axum's `Query`, but a malformed query string is a 400 that names the
/// parameter and says what it should look like.
pub struct Q<T>(pub T);

impl<T, S> FromRequestParts<S> for Q<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::try_from_uri(&parts.uri) {
            Ok(Query(v)) => Ok(Q(v)),
            Err(rejection) => {
                let detail = rejection.body_text();
                let detail = detail
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&detail);
                Err(AppError::BadRequest(format!(
                    "This address has a query string we cannot read ({detail}). Page numbers are whole numbers from 1, as in ?page=2."
                )))
            }
        }
    }
}

/// `?page=N` on any list. Other parameters (a campaign's `utm_source`, a
/// social network's click id) are ignored: reader pages must open from any
/// shared link.
#[derive(Debug, Default, Deserialize)]
pub struct PageParam {
    pub page: Option<u32>,
}

impl PageParam {
    /// The page asked for; page 0 is refused.
    pub fn number(&self) -> Result<u32, AppError> {
        match self.page {
            Some(0) => Err(AppError::BadRequest(
                "Pages are numbered from 1; ?page=0 does not exist.".into(),
            )),
            Some(n) => Ok(n),
            None => Ok(1),
        }
    }
}

/// Like axum's `Json`, but a body that cannot be read is a 400 that says
/// where and why, in the API's error shape.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => Err(AppError::BadRequest(format!(
                "The request body is not the JSON this endpoint reads: {}. Send Content-Type: application/json; the OpenAPI document at /api/openapi.json describes every field.",
                rejection.body_text()
            ))),
        }
    }
}
