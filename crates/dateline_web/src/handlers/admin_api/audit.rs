//! `GET /api/v1/admin/audit`: the audit log for programs, newest first, a
//! page at a time (admins' tokens only).

use crate::auth::ApiClient;
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin_api::json;
use crate::handlers::api::ApiError;
use crate::newsroom;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dateline_core::UserId;
use dateline_db::audit::{Entry, Filter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Which entries; every parameter may be left out (or empty).
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries by this user (their id).
    pub actor: Option<String>,
    /// A whole action (`user.role_changed`) or its group (`user`, `sign_in`,
    /// `article`, `token`, `settings`, `comment`, `two_factor`).
    pub action: Option<String>,
    /// What was changed: `user`, `article`, `token`, `settings`, `ban`, …
    pub object_type: Option<String>,
    /// Its id.
    pub object_id: Option<String>,
    /// Entries older than this one (the `next_before` of the page before).
    pub before: Option<String>,
    /// At most this many (1 to 200; 50 when left out).
    pub limit: Option<String>,
}

impl AuditQuery {
    /// The filter these ask for; a number that is not one says which.
    pub fn filter(&self) -> Result<(Filter, u32), AppError> {
        fn number(name: &str, v: &Option<String>) -> Result<Option<i64>, AppError> {
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse().map(Some).map_err(|_| {
                    AppError::BadRequest(format!("{name} should be a whole number, not \"{v}\"."))
                }),
            }
        }
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let limit = number("limit", &self.limit)?
            .map_or(newsroom::audit::PAGE_SIZE, |l| l.clamp(1, 200) as u32);
        Ok((
            Filter {
                actor: number("actor", &self.actor)?.map(UserId),
                action: text(&self.action),
                object_type: text(&self.object_type),
                object_id: number("object_id", &self.object_id)?,
                before: number("before", &self.before)?,
            },
            limit,
        ))
    }
}

/// One entry of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// user (a newsroom session), token (the admin API), cli, system, or
    /// visitor (not signed in).
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    /// The actor's name as it was then.
    pub actor_name: String,
    pub token_id: Option<i64>,
    /// The client's address as the site's keyed hash (empty for the CLI).
    pub client: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub summary: String,
}

impl From<Entry> for AuditEntry {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            at: e.at.to_rfc3339(),
            actor_kind: e.actor_kind,
            actor_id: e.actor_id.map(|u| u.0),
            actor_name: e.actor_name,
            token_id: e.token_id,
            client: e.client,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            summary: e.summary,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last.
    pub next_before: Option<i64>,
}

/// The audit log, newest first: who changed roles, tokens, settings,
/// accounts and two-factor sign-in, who signed in (or failed to), what was
/// published, unpublished or deleted, moderated or banned. Admins only.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    client: ApiClient,
    Q(q): Q<AuditQuery>,
) -> Result<Response, AppError> {
    let (filter, limit) = q.filter()?;
    let (entries, next_before) =
        newsroom::audit::page(&state, &client.actor, &filter, limit).await?;
    json(
        StatusCode::OK,
        &AuditPage {
            entries: entries.into_iter().map(AuditEntry::from).collect(),
            next_before,
        },
    )
}
