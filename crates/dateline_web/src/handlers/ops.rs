//! Endpoints for operators and load balancers.

use crate::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dateline_db::{Backend, site};
use serde_json::json;

/// `GET /healthz`: the process is up and answering.
pub async fn healthz() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], "ok\n").into_response()
}

/// `GET /readyz`: the database answers and is migrated; 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> Result<Response, AppError> {
    let version = site::content_version(&state.db).await.map_err(|e| {
        tracing::warn!(error = %e, "not ready");
        AppError::Unavailable("The database is not reachable or not migrated yet.".into())
    })?;
    let backend = match state.db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "status": "ready", "database": backend, "content_version": version })),
    )
        .into_response())
}

/// `GET /metrics` on the metrics listener only: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    metrics::gauge!("dateline_page_cache_bytes").set(state.cache.weight() as f64);
    metrics::gauge!("dateline_page_cache_entries").set(state.cache.len() as f64);
    let body = crate::metrics::handle()
        .map(|h| h.render())
        .unwrap_or_default();
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
