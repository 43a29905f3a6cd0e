//! Every route, in one place.

use crate::cache::page_cache;
use crate::error::render_errors;
use crate::handlers::feeds::{self, Format};
use crate::handlers::{api, articles, home, lists, ops, search, sitemaps, static_files};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Request, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// Largest request body accepted anywhere.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Request ids: a per-process prefix and a counter; unique enough to find a
/// request in the logs, cheap enough for every request.
#[derive(Clone)]
struct RequestIds {
    prefix: String,
    next: std::sync::Arc<AtomicU64>,
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

fn request_ids() -> RequestIds {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    RequestIds {
        prefix: format!("{:x}{:x}", std::process::id(), started & 0xffff_ffff),
        next: Default::default(),
    }
}

/// The whole site.
pub fn router(state: AppState) -> Router {
    let media = ServeDir::new(state.config.data_dir.join("media"));
    let feed_routes = |kind: &'static str| {
        Router::new()
            .route(
                "/feed.xml",
                get(move |s: State<AppState>, p: Path<String>| {
                    feeds::scoped(s, p, kind, Format::Rss)
                }),
            )
            .route(
                "/atom.xml",
                get(move |s: State<AppState>, p: Path<String>| {
                    feeds::scoped(s, p, kind, Format::Atom)
                }),
            )
            .route(
                "/feed.json",
                get(move |s: State<AppState>, p: Path<String>| {
                    feeds::scoped(s, p, kind, Format::Json)
                }),
            )
    };
    let openapi_doc = {
        let doc = crate::openapi::document(state.urls.base());
        move || async move {
            ([(header::CONTENT_TYPE, "application/json")], doc.clone()).into_response()
        }
    };

    Router::new()
        .route("/", get(home::front_page))
        .route("/{slug}", get(articles::article))
        .route("/section/{slug}", get(lists::section))
        .nest("/section/{slug}", feed_routes("section"))
        .route("/tag/{slug}", get(lists::tag))
        .nest("/tag/{slug}", feed_routes("tag"))
        .route("/author/{slug}", get(lists::author))
        .nest("/author/{slug}", feed_routes("author"))
        .route("/archive", get(lists::archive))
        .route("/archive/{year}/{month}", get(lists::month))
        .route("/search", get(search::search_page))
        .route(
            "/feed.xml",
            get(|s: State<AppState>| feeds::site(s, Format::Rss)),
        )
        .route(
            "/atom.xml",
            get(|s: State<AppState>| feeds::site(s, Format::Atom)),
        )
        .route(
            "/feed.json",
            get(|s: State<AppState>| feeds::site(s, Format::Json)),
        )
        .route("/sitemap.xml", get(sitemaps::index))
        .route("/sitemaps/{file}", get(sitemaps::sitemap))
        .route("/robots.txt", get(sitemaps::robots))
        .route("/api/v1/articles", get(api::list_articles))
        .route("/api/v1/articles/{key}", get(api::get_article))
        .route("/api/v1/sections", get(api::list_sections))
        .route("/api/v1/sections/{slug}", get(api::get_section))
        .route("/api/v1/tags", get(api::list_tags))
        .route("/api/v1/tags/{slug}", get(api::get_tag))
        .route("/api/v1/authors", get(api::list_authors))
        .route("/api/v1/authors/{slug}", get(api::get_author))
        .route("/api/openapi.json", get(openapi_doc))
        .route("/static/{file}", get(static_files::asset))
        .route("/favicon.ico", get(static_files::favicon))
        .nest_service("/media", media)
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        // Innermost first: each `layer` wraps everything above it.
        .layer(middleware::from_fn_with_state(state.clone(), page_cache))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(request_ids()))
        .with_state(state)
}
