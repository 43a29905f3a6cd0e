//! The OpenAPI document of the Content API, generated from the handlers'
//! annotations so it cannot drift from the code.

use crate::handlers::api;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dateline Content API",
        description = "Read-only access to published articles, sections, tags and authors. Every list is paginated; every error is `{\"error\": {status, message, fields, request_id}}`.",
    ),
    paths(
        api::list_articles,
        api::get_article,
        api::list_sections,
        api::get_section,
        api::list_tags,
        api::get_tag,
        api::list_authors,
        api::get_author,
    ),
    tags(
        (name = "articles", description = "Published articles"),
        (name = "taxonomy", description = "Sections and tags"),
        (name = "people", description = "Authors"),
    )
)]
pub struct ApiDoc;

/// The document as JSON, with the site's address as its server.
pub fn document(base_url: &str) -> String {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(base_url)]);
    doc.to_json().unwrap_or_else(|_| "{}".into())
}
