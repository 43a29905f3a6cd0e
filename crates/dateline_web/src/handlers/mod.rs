//! One file per resource, one function per endpoint. Handlers take
//! `State<AppState>` and return `Result<_, AppError>`.

pub mod admin;
pub mod admin_api;
pub mod api;
pub mod articles;
pub mod commenter;
pub mod comments;
pub mod comments_api;
pub mod csp_reports;
pub mod feeds;
pub mod follows;
pub mod home;
pub mod lists;
pub mod newsletter;
pub mod old_addresses;
pub mod ops;
pub mod search;
pub mod sitemaps;
pub mod static_files;

use crate::cache::Cacheable;
use crate::error::AppError;
use crate::state::AppState;
use crate::state::SiteContext;
use crate::templates::ser;
use crate::views::{ErrorView, Link, PageMeta, SiteView};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Utc};
use dateline_db::people::{self, TermKind};
use dateline_db::site;
use serde::Serialize;
use std::sync::Arc;

/// The site's settings and the frame around every page (title, navigation,
/// asset URLs), built once per content version: every write that could
/// change them raises the version.
pub(crate) async fn site(state: &AppState) -> Result<Arc<SiteContext>, AppError> {
    let version = state.cache.version();
    if let Ok(guard) = state.site.lock()
        && let Some((v, ctx)) = guard.as_ref()
        && *v == version
    {
        return Ok(ctx.clone());
    }
    let ctx = Arc::new(build_site(state).await?);
    if let Ok(mut guard) = state.site.lock() {
        *guard = Some((version, ctx.clone()));
    }
    Ok(ctx)
}

async fn build_site(state: &AppState) -> Result<SiteContext, AppError> {
    let settings = site::settings(&state.db).await?;
    let mut nav: Vec<Link> = people::terms(&state.db, TermKind::Section)
        .await?
        .into_iter()
        .filter(|s| s.article_count.unwrap_or(0) > 0)
        .map(|s| Link {
            url: state.urls.section(&s.slug),
            label: s.name,
        })
        .collect();
    nav.extend(
        dateline_db::articles::navigation_pages(&state.db)
            .await?
            .into_iter()
            .map(|(slug, headline)| Link {
                url: state.urls.article(&slug),
                label: headline,
            }),
    );
    nav.extend(settings.navigation.iter().map(|n| Link {
        url: n.url.clone(),
        label: n.label.clone(),
    }));
    let view = SiteView {
        dir: settings.language.direction().as_str(),
        language: settings.language.to_string(),
        title: settings.title.clone(),
        description: settings.description.clone(),
        nav,
        css_url: state.assets.url("style.css"),
        icon_url: state.assets.url("icon.svg"),
        year: Utc::now().year(),
    };
    Ok(SiteContext {
        settings,
        view,
        comments: dateline_db::comments::settings(&state.db).await?,
    })
}

/// The comment settings, read once per content version.
pub(crate) async fn comment_settings(
    state: &AppState,
) -> Result<dateline_core::comment::CommentSettings, AppError> {
    Ok(site(state).await?.comments.clone())
}

/// How long clients and proxies may reuse a response without asking.
#[derive(Clone, Copy)]
pub(crate) enum Freshness {
    /// Always revalidate (cheap: ETag).
    Revalidate,
    /// Reuse for a few minutes (feeds, sitemaps, API).
    Minutes(u32),
    /// Never changes (versioned asset names).
    Immutable,
}

impl Freshness {
    fn header(self) -> HeaderValue {
        match self {
            Freshness::Revalidate => HeaderValue::from_static("public, no-cache"),
            Freshness::Immutable => HeaderValue::from_static("public, max-age=31536000, immutable"),
            Freshness::Minutes(m) => HeaderValue::from_str(&format!("public, max-age={}", m * 60))
                .unwrap_or_else(|_| HeaderValue::from_static("public, no-cache")),
        }
    }
}

/// A cacheable response with a body, type, freshness and last change.
pub(crate) fn cacheable(
    body: impl Into<axum::body::Body>,
    content_type: &'static str,
    freshness: Freshness,
    last_modified: Option<DateTime<Utc>>,
) -> Response {
    let mut response = axum::body::Body::into_response(body.into());
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, freshness.header());
    if let Some(at) = last_modified
        && let Ok(v) = HeaderValue::from_str(&at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        h.insert(header::LAST_MODIFIED, v);
    }
    response.extensions_mut().insert(Cacheable);
    response
}

/// A file to save rather than show: `body` as `content_type`, named
/// `filename` in the browser's download.
pub(crate) fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// Makes a response one only its reader should see: never cached, and the
/// signed link that may be in its address not sent on to other sites
/// (`same-origin`: with `no-referrer`, browsers send `Origin: null` on the
/// page's forms).
pub(crate) fn make_private(response: &mut Response) {
    response.extensions_mut().remove::<Cacheable>();
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// Renders an HTML page with the layout's `site` and `meta` around `page`.
pub(crate) async fn html_page<P: Serialize>(
    state: &AppState,
    template: &str,
    meta: PageMeta,
    page: P,
    last_modified: Option<DateTime<Utc>>,
) -> Result<Response, AppError> {
    let site = site(state).await?;
    let html = state.templates.render(
        template,
        minijinja::context! { site => ser(&site.view), meta => ser(&meta), page => ser(&page) },
    )?;
    Ok(cacheable(
        html,
        "text/html; charset=utf-8",
        Freshness::Revalidate,
        last_modified,
    ))
}

/// The error page, in the site's layout.
pub(crate) async fn render_error_page(
    state: &AppState,
    view: &ErrorView,
) -> Result<String, AppError> {
    let site = site(state).await?;
    let meta = PageMeta {
        title: view.title.clone(),
        noindex: true,
        ..PageMeta::default()
    };
    Ok(state.templates.render(
        "error.html",
        minijinja::context! { site => ser(&site.view), meta => ser(&meta), page => ser(view) },
    )?)
}

/// The newest of some times, for Last-Modified.
pub(crate) fn newest<'a>(
    times: impl IntoIterator<Item = &'a DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    times.into_iter().max().copied()
}

/// A 404 for a page number past the end of a list.
pub(crate) fn past_the_end(page: u32, pages: u32) -> AppError {
    AppError::NotFound(format!(
        "There is no page {page} here; this list has {} page{}.",
        pages.max(1),
        if pages == 1 { "" } else { "s" }
    ))
}
