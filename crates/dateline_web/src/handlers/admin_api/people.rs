//! `/api/v1/admin/` for sections, tags, authors, settings, users, tokens and
//! the caller itself.

use crate::auth::ApiClient;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::handlers::admin::settings::SettingsForm;
use crate::handlers::admin::taxonomy::{TermForm, checked};
use crate::handlers::admin_api::json;
use crate::handlers::api::ApiError;
use crate::newsroom;
use crate::newsroom::accounts::{self as service, UserChange};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use dateline_core::{Capability, UserId};
use dateline_db::accounts::{self, User};
use dateline_db::people::{self, TermKind};
use dateline_db::site;
use dateline_db::tokens as token_store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AdminTerm {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub article_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AdminTermList {
    pub items: Vec<AdminTerm>,
}

async fn term_list(
    state: &AppState,
    client: &ApiClient,
    kind: TermKind,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageTaxonomy)?;
    let items = people::terms(&state.db, kind)
        .await?
        .into_iter()
        .map(|t| AdminTerm {
            id: t.id,
            name: t.name,
            slug: t.slug,
            description: t.description,
            article_count: t.article_count.unwrap_or(0),
        })
        .collect();
    json(StatusCode::OK, &AdminTermList { items })
}

fn term_checked(form: &TermForm) -> Result<(String, dateline_core::Slug), AppError> {
    checked(form).map_err(|message| {
        let mut e = dateline_core::ValidationErrors::new();
        e.add(
            if form.name.trim().is_empty()
                || dateline_core::validation::stray_control(&form.name, false).is_some()
            {
                "name"
            } else {
                "slug"
            },
            message,
        );
        AppError::Invalid(e)
    })
}

async fn term_one(state: &AppState, kind: TermKind, id: i64) -> Result<Response, AppError> {
    let t = people::term_by_id(&state.db, kind, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is none with id {id}.")))?;
    json(
        StatusCode::OK,
        &AdminTerm {
            id: t.id,
            name: t.name,
            slug: t.slug,
            description: t.description,
            article_count: 0,
        },
    )
}

/// Every section.
#[utoipa::path(get, path = "/api/v1/admin/sections", tag = "admin", security(("bearer" = [])), responses((status = 200, body = AdminTermList), (status = 403, body = ApiError)))]
pub async fn sections(
    State(state): State<AppState>,
    client: ApiClient,
) -> Result<Response, AppError> {
    term_list(&state, &client, TermKind::Section).await
}

/// Every tag.
#[utoipa::path(get, path = "/api/v1/admin/tags", tag = "admin", security(("bearer" = [])), responses((status = 200, body = AdminTermList), (status = 403, body = ApiError)))]
pub async fn tags(State(state): State<AppState>, client: ApiClient) -> Result<Response, AppError> {
    term_list(&state, &client, TermKind::Tag).await
}

/// Creates a section.
#[utoipa::path(post, path = "/api/v1/admin/sections", tag = "admin", request_body = TermForm, security(("bearer" = [])),
    responses((status = 201, body = AdminTerm), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_section(
    State(state): State<AppState>,
    client: ApiClient,
    JsonBody(form): JsonBody<TermForm>,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageTaxonomy)?;
    let (name, slug) = term_checked(&form)?;
    let id = people::create_section(&state.db, &name, &slug, &form.description, Utc::now()).await?;
    let mut r = term_one(&state, TermKind::Section, id).await?;
    *r.status_mut() = StatusCode::CREATED;
    Ok(r)
}

/// Renames a section or tag, or changes its slug or description.
pub async fn update_term(
    state: AppState,
    client: ApiClient,
    id: i64,
    kind: TermKind,
    form: TermForm,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageTaxonomy)?;
    let (name, slug) = term_checked(&form)?;
    people::update_term(&state.db, kind, id, &name, &slug, &form.description).await?;
    term_one(&state, kind, id).await
}

/// Deletes a section or tag.
pub async fn delete_term(
    state: AppState,
    client: ApiClient,
    id: i64,
    kind: TermKind,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageTaxonomy)?;
    if !people::delete_term(&state.db, kind, id).await? {
        return Err(AppError::NotFound(format!("There is none with id {id}.")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Changes a section.
#[utoipa::path(put, path = "/api/v1/admin/sections/{id}", tag = "admin", params(("id" = i64, Path)), request_body = TermForm, security(("bearer" = [])),
    responses((status = 200, body = AdminTerm), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_section(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(form): JsonBody<TermForm>,
) -> Result<Response, AppError> {
    update_term(state, client, id, TermKind::Section, form).await
}

/// Changes a tag.
#[utoipa::path(put, path = "/api/v1/admin/tags/{id}", tag = "admin", params(("id" = i64, Path)), request_body = TermForm, security(("bearer" = [])),
    responses((status = 200, body = AdminTerm), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_tag(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(form): JsonBody<TermForm>,
) -> Result<Response, AppError> {
    update_term(state, client, id, TermKind::Tag, form).await
}

/// Deletes a section; its articles stay, without it.
#[utoipa::path(delete, path = "/api/v1/admin/sections/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 204), (status = 404, body = ApiError)))]
pub async fn delete_section(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    delete_term(state, client, id, TermKind::Section).await
}

/// Deletes a tag; its articles stay, without it.
#[utoipa::path(delete, path = "/api/v1/admin/tags/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 204), (status = 404, body = ApiError)))]
pub async fn delete_tag(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    delete_term(state, client, id, TermKind::Tag).await
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AuthorBody {
    pub name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub bio: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdminAuthor {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub bio: String,
    pub article_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AdminAuthorList {
    pub authors: Vec<AdminAuthor>,
}

/// Every author profile.
#[utoipa::path(get, path = "/api/v1/admin/authors", tag = "admin", security(("bearer" = [])), responses((status = 200, body = AdminAuthorList), (status = 403, body = ApiError)))]
pub async fn authors(
    State(state): State<AppState>,
    client: ApiClient,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageTaxonomy)?;
    let authors = people::authors(&state.db)
        .await?
        .into_iter()
        .map(|(a, n)| AdminAuthor {
            id: a.id.0,
            name: a.name,
            slug: a.slug,
            bio: a.bio,
            article_count: n,
        })
        .collect();
    json(StatusCode::OK, &AdminAuthorList { authors })
}

/// Changes an author's name, slug or bio.
#[utoipa::path(put, path = "/api/v1/admin/authors/{id}", tag = "admin", params(("id" = i64, Path)), request_body = AuthorBody, security(("bearer" = [])),
    responses((status = 200, body = AdminAuthor), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_author(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<AuthorBody>,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageTaxonomy)?;
    let (name, slug) = term_checked(&TermForm {
        name: body.name.clone(),
        slug: body.slug.clone(),
        description: String::new(),
    })?;
    people::update_author(&state.db, id, &name, &slug, &body.bio, Utc::now()).await?;
    let a = people::author_by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no author {id}.")))?;
    json(
        StatusCode::OK,
        &AdminAuthor {
            id,
            name: a.name,
            slug: a.slug,
            bio: a.bio,
            article_count: 0,
        },
    )
}

/// The site's settings.
#[utoipa::path(get, path = "/api/v1/admin/settings", tag = "admin", security(("bearer" = [])), responses((status = 200, body = SettingsForm), (status = 403, body = ApiError)))]
pub async fn settings(
    State(state): State<AppState>,
    client: ApiClient,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageSettings)?;
    json(
        StatusCode::OK,
        &SettingsForm::of(&site::settings(&state.db).await?),
    )
}

/// Replaces the site's settings.
#[utoipa::path(put, path = "/api/v1/admin/settings", tag = "admin", request_body = SettingsForm, security(("bearer" = [])),
    responses((status = 200, body = SettingsForm), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn save_settings(
    State(state): State<AppState>,
    client: ApiClient,
    JsonBody(form): JsonBody<SettingsForm>,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageSettings)?;
    let parsed = form.parse().map_err(AppError::Invalid)?;
    service::save_settings(&state, &client.actor, &parsed).await?;
    json(StatusCode::OK, &SettingsForm::of(&parsed))
}

#[derive(Serialize, ToSchema)]
pub struct AdminUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    /// Whether signing in asks for a code too.
    pub two_factor: bool,
}

impl From<User> for AdminUser {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            two_factor: u.two_factor(),
            name: u.name,
            email: u.email,
            role: u.role.to_string(),
            disabled: u.disabled,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminUserList {
    pub users: Vec<AdminUser>,
}

/// The token's own user.
#[utoipa::path(get, path = "/api/v1/admin/me", tag = "admin", security(("bearer" = [])), responses((status = 200, body = AdminUser), (status = 401, body = ApiError)))]
pub async fn me(client: ApiClient) -> Result<Response, AppError> {
    json(StatusCode::OK, &AdminUser::from(client.user))
}

/// Every account.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), responses((status = 200, body = AdminUserList), (status = 403, body = ApiError)))]
pub async fn users(State(state): State<AppState>, client: ApiClient) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageUsers)?;
    let users = accounts::users(&state.db)
        .await?
        .into_iter()
        .map(AdminUser::from)
        .collect();
    json(StatusCode::OK, &AdminUserList { users })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserBody {
    pub name: String,
    pub email: String,
    /// contributor, author, editor or admin.
    pub role: String,
}

/// Creates an account and mails it an invitation to choose a password.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = NewUserBody, security(("bearer" = [])),
    responses((status = 201, body = AdminUser), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_user(
    State(state): State<AppState>,
    client: ApiClient,
    JsonBody(body): JsonBody<NewUserBody>,
) -> Result<Response, AppError> {
    let user = service::invite(&state, &client.actor, &body.name, &body.email, &body.role).await?;
    json(StatusCode::CREATED, &AdminUser::from(user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangeBody {
    pub name: Option<String>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// Changes an account's name, role, or whether it may sign in.
#[utoipa::path(put, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = i64, Path)), request_body = UserChangeBody, security(("bearer" = [])),
    responses((status = 200, body = AdminUser), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_user(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<UserChangeBody>,
) -> Result<Response, AppError> {
    let change = UserChange {
        name: body.name,
        role: body.role,
        disabled: body.disabled,
    };
    let user = service::update(&state, &client.actor, id, &change).await?;
    json(StatusCode::OK, &AdminUser::from(user))
}

/// Deletes an account for good (not the caller's own, not the last admin);
/// its articles stay, without an owner.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn delete_user(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    service::delete(&state, &client.actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Turns an account's two-factor sign-in off (a lost phone); they set it up
/// again when they next sign in.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}/two-factor", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = AdminUser), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn reset_two_factor(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let user = service::target(&state, &client.actor, id).await?;
    newsroom::two_factor::reset(&state, &client.actor, user.id).await?;
    let user = accounts::user(&state.db, user.id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no user {id}.")))?;
    json(StatusCode::OK, &AdminUser::from(user))
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenItem>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenItem {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub user_id: i64,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTokenBody {
    pub name: String,
    /// The user the token acts as; the caller when left out.
    pub user_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct NewToken {
    pub id: i64,
    /// The secret: shown this once.
    pub token: String,
}

/// Every API token.
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "admin", security(("bearer" = [])), responses((status = 200, body = TokenList), (status = 403, body = ApiError)))]
pub async fn tokens(
    State(state): State<AppState>,
    client: ApiClient,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageTokens)?;
    let tokens = token_store::tokens(&state.db)
        .await?
        .into_iter()
        .map(|t| TokenItem {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            user_id: t.user_id.0,
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|x| x.to_rfc3339()),
            revoked: t.revoked,
        })
        .collect();
    json(StatusCode::OK, &TokenList { tokens })
}

/// Creates a token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "admin", request_body = NewTokenBody, security(("bearer" = [])),
    responses((status = 201, body = NewToken), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_token(
    State(state): State<AppState>,
    client: ApiClient,
    JsonBody(body): JsonBody<NewTokenBody>,
) -> Result<Response, AppError> {
    let owner = UserId(body.user_id.unwrap_or(client.user.id.0));
    let (id, token) = service::issue_token(&state, &client.actor, &body.name, owner).await?;
    json(StatusCode::CREATED, &NewToken { id, token })
}

/// Revokes a token.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{id}", tag = "admin", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 204), (status = 404, body = ApiError)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if !service::revoke_token(&state, &client.actor, id).await? {
        return Err(AppError::NotFound(format!("There is no live token {id}.")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
