//! Every route, in one place.

use crate::cache::page_cache;
use crate::error::render_errors;
use crate::handlers::admin::{
    self, account, login, media, newsletters, settings, taxonomy, tokens, users,
};
use crate::handlers::admin_api;
use crate::handlers::feeds::{self, Format};
use crate::handlers::{
    api, articles, commenter, comments, comments_api, csp_reports, follows, home, lists,
    newsletter, old_addresses, ops, search, sitemaps, static_files,
};
use crate::security_headers::SecurityHeaders;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Request, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// Room for a form's text fields beside its largest upload.
const FORM_ALLOWANCE: usize = 1024 * 1024;

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

/// Prometheus metrics alone, for the listener `--metrics-listen` names (the
/// public site answers 404 for `/metrics`: request counts and cache sizes
/// are the operator's, not the world's).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
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

    let max_body = state.config.max_upload_bytes as usize + FORM_ALLOWANCE;
    let term = |kind: &'static str| {
        Router::new()
            .route(
                "/{id}",
                post(move |s: State<AppState>, p: Path<i64>, f| taxonomy::update(s, p, kind, f)),
            )
            .route(
                "/{id}/delete",
                post(move |s: State<AppState>, p: Path<i64>, f| taxonomy::delete(s, p, kind, f)),
            )
    };
    let user_action = |action: &'static str| {
        post(move |s: State<AppState>, p: Path<i64>, f| users::act(s, p, action, f))
    };

    let moderate = |action: &'static str| {
        post(move |s: State<AppState>, p: Path<i64>, f| admin::comments::act(s, p, action, f))
    };
    let send_action = |action: &'static str| {
        post(move |s: State<AppState>, p: Path<i64>, f| newsletters::control(s, p, action, f))
    };

    Router::new()
        .route("/admin", get(admin::home))
        .route(
            "/admin/login",
            get(login::password::form).post(login::password::sign_in),
        )
        .route(
            "/admin/login/code",
            get(login::code::form).post(login::code::check),
        )
        .route("/admin/logout", post(login::password::sign_out))
        .route(
            "/admin/forgot",
            get(login::reset::forgot_form).post(login::reset::forgot),
        )
        .route(
            "/admin/reset/{token}",
            get(login::reset::reset_form).post(login::reset::reset),
        )
        .route("/admin/articles", get(admin::articles::list))
        .route(
            "/admin/articles/new",
            get(admin::articles::new_form).post(admin::articles::create),
        )
        .route(
            "/admin/articles/{id}",
            get(admin::articles::edit_form).post(admin::articles::update),
        )
        .route(
            "/admin/articles/{id}/delete",
            get(admin::articles::delete_form).post(admin::articles::delete),
        )
        .route(
            "/admin/articles/{id}/revisions",
            get(admin::articles::revisions_list),
        )
        .route(
            "/admin/articles/{id}/revisions/{rev}",
            get(admin::articles::revision_diff),
        )
        .route(
            "/admin/articles/{id}/revisions/{rev}/restore",
            post(admin::articles::restore),
        )
        .route("/admin/preview", post(admin::preview::page))
        .route("/admin/preview/body", post(admin::preview::body))
        .route("/admin/media", get(media::library).post(media::upload))
        .route("/admin/taxonomy", get(taxonomy::overview))
        .route("/admin/sections", post(taxonomy::create_section))
        .nest("/admin/sections", term("sections"))
        .nest("/admin/tags", term("tags"))
        .route("/admin/authors", get(taxonomy::authors))
        .route("/admin/authors/{id}", post(taxonomy::update_author))
        .route("/admin/settings", get(settings::form).post(settings::save))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{id}", post(users::update))
        .route("/admin/users/{id}/disable", user_action("disable"))
        .route("/admin/users/{id}/enable", user_action("enable"))
        .route("/admin/users/{id}/sign-out", user_action("sign-out"))
        .route("/admin/users/{id}/reset", user_action("reset"))
        .route(
            "/admin/users/{id}/two-factor-reset",
            user_action("two-factor-reset"),
        )
        .route(
            "/admin/users/{id}/delete",
            get(users::delete_form).post(users::delete),
        )
        .route("/admin/audit", get(admin::audit::list))
        .route(
            "/admin/newsletters",
            get(newsletters::list).post(newsletters::create),
        )
        .route("/admin/newsletters/{id}/pause", send_action("pause"))
        .route("/admin/newsletters/{id}/resume", send_action("resume"))
        .route("/admin/newsletters/{id}/cancel", send_action("cancel"))
        .route("/admin/comments", get(admin::comments::list))
        .route("/admin/comments/bulk", post(admin::comments::bulk))
        .route(
            "/admin/comments/settings",
            post(admin::comments::save_settings),
        )
        .route("/admin/comments/{id}/approve", moderate("approve"))
        .route("/admin/comments/{id}/unapprove", moderate("unapprove"))
        .route("/admin/comments/{id}/spam", moderate("spam"))
        .route("/admin/comments/{id}/trash", moderate("trash"))
        .route("/admin/comments/{id}/delete", moderate("delete"))
        .route("/admin/comments/{id}/edit", post(admin::comments::edit))
        .route("/admin/comments/{id}/reply", post(admin::comments::reply))
        .route("/admin/comments/{id}/ban", post(admin::comments::ban))
        .route(
            "/admin/comments/bans/{id}/delete",
            post(admin::comments::unban),
        )
        .route(
            "/admin/follows/{id}/delete",
            post(admin::comments::remove_follow),
        )
        .route(
            "/admin/articles/{id}/comments",
            post(admin::comments::close),
        )
        .route("/admin/subscribers", get(newsletters::subscribers_list))
        .route("/admin/subscribers.csv", get(newsletters::export))
        .route("/admin/subscribers/import", post(newsletters::import))
        .route("/admin/subscribers/{id}/mark", post(newsletters::mark))
        .route("/admin/subscribers/{id}/erase", post(newsletters::erase))
        .route(
            "/admin/articles/{id}/newsletter",
            post(admin::articles::newsletter),
        )
        .route("/admin/tokens", get(tokens::list).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/account", get(account::show))
        .route("/admin/account/password", post(account::change_password))
        .route(
            "/admin/account/two-factor",
            get(account::two_factor::show).post(account::two_factor::confirm),
        )
        .route(
            "/admin/account/two-factor/recovery-codes",
            post(account::two_factor::recovery_codes),
        )
        .route(
            "/admin/account/two-factor/disable",
            post(account::two_factor::disable),
        )
        .route("/admin/account/sessions/end", post(account::end_session))
        .route(
            "/admin/account/sessions/end-others",
            post(account::end_others),
        )
        .route(
            "/subscribe",
            get(newsletter::subscribe_form).post(newsletter::subscribe),
        )
        .route(
            "/newsletter/confirm/{token}",
            get(newsletter::confirm_page).post(newsletter::confirm),
        )
        .route(
            "/newsletter/{token}",
            get(newsletter::preferences).post(newsletter::save_preferences),
        )
        .route(
            "/newsletter/{token}/unsubscribe",
            get(newsletter::unsubscribe_page).post(newsletter::unsubscribe),
        )
        .route("/", get(home::front_page))
        .route("/{slug}", get(articles::article))
        .route("/{slug}/comments", get(comments::more).post(comments::post))
        .route("/{slug}/comments.atom", get(feeds::comments))
        .route("/{slug}/comments/follow", post(follows::follow))
        .route(
            "/comments/follow/confirm/{token}",
            get(follows::confirm_page).post(follows::confirm),
        )
        .route(
            "/comments/follow/{token}/unsubscribe",
            get(follows::unfollow_page).post(follows::unfollow),
        )
        .route(
            "/comments/follow/all/{token}",
            get(follows::stop_page).post(follows::stop),
        )
        .route("/{slug}/comments/live", get(comments::live))
        .route("/{slug}/comments/latest", get(comments::latest))
        .route("/{slug}/comments/{id}", get(comments::permalink))
        .route("/{slug}/comments/{id}/reply", get(comments::reply_form))
        .route("/{slug}/passages/{anchor}", get(comments::passage))
        .route("/comments/token", get(comments::token))
        .route(
            "/comments/my-data",
            get(commenter::ask).post(commenter::send_link),
        )
        .route("/comments/my-data/{token}", get(commenter::manage))
        .route("/comments/my-data/{token}/export", get(commenter::export))
        .route("/comments/my-data/{token}/erase", post(commenter::erase))
        .route("/comments/mine", get(comments::mine))
        .route("/comments/{id}/vote", post(comments::vote))
        .route("/comments/{id}/yours", get(comments::yours))
        .route(
            "/comments/{id}/edit",
            get(comments::edit_form).post(comments::edit),
        )
        .route("/comments/{id}/delete", post(comments::delete))
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
        .route(
            "/api/v1/articles/{id}/comments",
            get(comments_api::list).post(comments_api::post),
        )
        .route(
            "/api/v1/articles/{id}/passages",
            get(comments_api::passages),
        )
        .route("/api/v1/comments/token", get(comments_api::token))
        .route("/api/v1/articles/{id}/follow", post(comments_api::follow))
        .route("/api/v1/comments/unfollow", post(comments_api::unfollow))
        .route(
            "/api/v1/admin/comments/follows",
            get(admin_api::comments::follows),
        )
        .route(
            "/api/v1/admin/comments/follows/{id}",
            axum::routing::delete(admin_api::comments::remove_follow),
        )
        .route("/api/v1/comments/{id}/vote", post(comments_api::vote))
        .route("/api/v1/admin/comments", get(admin_api::comments::list))
        .route(
            "/api/v1/admin/comments/moderate",
            post(admin_api::comments::moderate),
        )
        .route(
            "/api/v1/admin/comments/{id}",
            axum::routing::put(admin_api::comments::edit),
        )
        .route(
            "/api/v1/admin/comments/{id}/reply",
            post(admin_api::comments::reply),
        )
        .route(
            "/api/v1/admin/comments/{id}/ban",
            post(admin_api::comments::ban),
        )
        .route("/api/v1/sections", get(api::list_sections))
        .route("/api/v1/sections/{slug}", get(api::get_section))
        .route("/api/v1/tags", get(api::list_tags))
        .route("/api/v1/tags/{slug}", get(api::get_tag))
        .route("/api/v1/authors", get(api::list_authors))
        .route("/api/v1/authors/{slug}", get(api::get_author))
        .route("/api/openapi.json", get(openapi_doc))
        .route(
            crate::security_headers::REPORT_PATH,
            post(csp_reports::receive).layer(DefaultBodyLimit::max(csp_reports::MAX_REPORT_BYTES)),
        )
        .route("/api/v1/admin/me", get(admin_api::people::me))
        .route("/api/v1/mail/events", post(admin_api::mail::events))
        .route(
            "/api/v1/admin/newsletters",
            get(admin_api::mail::sends_list),
        )
        .route(
            "/api/v1/admin/newsletters/{id}",
            get(admin_api::mail::send_get),
        )
        .route(
            "/api/v1/admin/articles",
            get(admin_api::articles::list).post(admin_api::articles::create),
        )
        .route(
            "/api/v1/admin/articles/{id}",
            get(admin_api::articles::get)
                .put(admin_api::articles::update)
                .delete(admin_api::articles::delete),
        )
        .route(
            "/api/v1/admin/articles/{id}/revisions",
            get(admin_api::articles::revisions),
        )
        .route(
            "/api/v1/admin/articles/{id}/revisions/{revision}/restore",
            post(admin_api::articles::restore),
        )
        .route(
            "/api/v1/admin/media",
            get(admin_api::articles::media_list).post(admin_api::articles::upload),
        )
        .route(
            "/api/v1/admin/sections",
            get(admin_api::people::sections).post(admin_api::people::create_section),
        )
        .route(
            "/api/v1/admin/sections/{id}",
            axum::routing::put(admin_api::people::update_section)
                .delete(admin_api::people::delete_section),
        )
        .route("/api/v1/admin/tags", get(admin_api::people::tags))
        .route(
            "/api/v1/admin/tags/{id}",
            axum::routing::put(admin_api::people::update_tag).delete(admin_api::people::delete_tag),
        )
        .route("/api/v1/admin/authors", get(admin_api::people::authors))
        .route(
            "/api/v1/admin/authors/{id}",
            axum::routing::put(admin_api::people::update_author),
        )
        .route(
            "/api/v1/admin/settings",
            get(admin_api::people::settings).put(admin_api::people::save_settings),
        )
        .route(
            "/api/v1/admin/users",
            get(admin_api::people::users).post(admin_api::people::create_user),
        )
        .route(
            "/api/v1/admin/users/{id}",
            axum::routing::put(admin_api::people::update_user)
                .delete(admin_api::people::delete_user),
        )
        .route(
            "/api/v1/admin/users/{id}/two-factor",
            axum::routing::delete(admin_api::people::reset_two_factor),
        )
        .route("/api/v1/admin/audit", get(admin_api::audit::list))
        .route(
            "/api/v1/admin/tokens",
            get(admin_api::people::tokens).post(admin_api::people::create_token),
        )
        .route(
            "/api/v1/admin/tokens/{id}",
            axum::routing::delete(admin_api::people::revoke_token),
        )
        .route("/static/{file}", get(static_files::asset))
        .route("/favicon.ico", get(static_files::favicon))
        .nest_service("/media", media)
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .fallback(old_addresses::fallback)
        // Innermost first: each `layer` wraps everything above it.
        .layer(middleware::from_fn_with_state(state.clone(), page_cache))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(request_ids()))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(SecurityHeaders::for_site(&state.config.base_url)),
            crate::security_headers::add,
        ))
        .with_state(state)
}
