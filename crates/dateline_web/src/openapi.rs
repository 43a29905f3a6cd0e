//! The OpenAPI document of the Content API, generated from the handlers'
//! annotations so it cannot drift from the code.

use crate::handlers::admin_api::{
    articles as admin_articles, audit as admin_audit, comments as admin_comments,
    mail as admin_mail, people as admin_people,
};
use crate::handlers::{api, comments_api};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
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

/// Documents the answers every operation of its kind can give, so that the
/// document lists every status a client can meet (schemathesis checks it):
/// 400 when the path, query or body cannot be read; 401 and 403 where a
/// token is required; 404 where the path names something.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names_something = path.contains('{');
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let needs_token = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(description));
                };
                add(
                    "400",
                    "The request cannot be read: a path parameter, the query string or the body is not what this operation takes",
                );
                if needs_token {
                    add(
                        "401",
                        "No API token, or one that is not valid (revoked, or its user disabled)",
                    );
                    add("403", "The token's user's role may not do this");
                }
                if names_something {
                    add("404", "Nothing here has this id or slug");
                }
            }
        }
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ApiError")))
                    .build(),
            )
            .build(),
    )
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
    modifiers(&BearerTokens, &CommonResponses),
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
