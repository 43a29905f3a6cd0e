//! The OpenAPI document of the Content API, generated from the handlers'
//! annotations so it cannot drift from the code.

use crate::handlers::admin_api::{
    articles as admin_articles, audit as admin_audit, comments as admin_comments,
    mail as admin_mail, people as admin_people,
};
use crate::handlers::{api, comments_api};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Declares the bearer-token scheme the admin API uses.
struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token an admin created at /admin/tokens (it starts with dl_). It acts as its user, with that user's role."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dateline API",
        description = "The Content API (read-only, public: published articles, sections, tags, authors) and the admin API (`/api/v1/admin/`, with an API token: everything the newsroom does). Every list is paginated; every error is `{\"error\": {status, message, fields, request_id}}`.",
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
        comments_api::list,
        comments_api::passages,
        comments_api::post,
        comments_api::vote,
        comments_api::token,
        comments_api::follow,
        comments_api::unfollow,
        admin_comments::list,
        admin_comments::moderate,
        admin_comments::edit,
        admin_comments::reply,
        admin_comments::ban,
        admin_comments::follows,
        admin_comments::remove_follow,
        admin_people::me,
        admin_articles::list,
        admin_articles::create,
        admin_articles::get,
        admin_articles::update,
        admin_articles::delete,
        admin_articles::revisions,
        admin_articles::restore,
        admin_articles::media_list,
        admin_articles::upload,
        admin_people::sections,
        admin_people::create_section,
        admin_people::update_section,
        admin_people::delete_section,
        admin_people::tags,
        admin_people::update_tag,
        admin_people::delete_tag,
        admin_people::authors,
        admin_people::update_author,
        admin_people::settings,
        admin_people::save_settings,
        admin_people::users,
        admin_people::create_user,
        admin_people::update_user,
        admin_people::delete_user,
        admin_people::reset_two_factor,
        admin_audit::list,
        admin_people::tokens,
        admin_people::create_token,
        admin_people::revoke_token,
        admin_mail::events,
        admin_mail::sends_list,
        admin_mail::send_get,
    ),
    modifiers(&BearerTokens),
    tags(
        (name = "articles", description = "Published articles"),
        (name = "taxonomy", description = "Sections and tags"),
        (name = "people", description = "Authors"),
        (name = "comments", description = "Readers' comments: reading, posting and voting are public (with the same checks as the form); moderation (`/api/v1/admin/comments`) needs an API token of an editor or admin"),
        (name = "mail", description = "Delivery events from a mail provider, and newsletter sends: needs an API token of an editor or admin"),
        (name = "admin", description = "The newsroom: needs an API token; each call is allowed or refused by the token's user's role"),
    )
)]
pub struct ApiDoc;

/// The document as JSON, with the site's address as its server.
pub fn document(base_url: &str) -> String {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(base_url)]);
    doc.to_json().unwrap_or_else(|_| "{}".into())
}
