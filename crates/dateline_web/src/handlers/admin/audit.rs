//! `/admin/audit`: the audit log for admins, newest first, filtered by who,
//! what kind of action, or what it was done to.

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Screen, page};
use crate::handlers::admin_api::audit::{AuditEntry, AuditQuery};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

#[derive(Serialize)]
struct AuditView {
    entries: Vec<AuditEntry>,
    filter: AuditQuery,
    /// The query string of the next (older) page.
    next: Option<String>,
    users: Vec<(i64, String)>,
    groups: [&'static str; 7],
}

/// `GET /admin/audit`
pub async fn list(
    State(state): State<AppState>,
    who: SignedIn,
    Q(q): Q<AuditQuery>,
) -> Result<Response, AppError> {
    let (filter, limit) = q.filter()?;
    let (entries, next_before) = newsroom::audit::page(&state, &who.actor, &filter, limit).await?;
    let next = next_before.map(|before| {
        let more = AuditQuery {
            before: Some(before.to_string()),
            limit: None,
            ..q.clone_filters()
        };
        serde_urlencoded::to_string(&more).unwrap_or_default()
    });
    let users = dateline_db::accounts::users(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.name))
        .collect();
    let view = AuditView {
        entries: entries.into_iter().map(AuditEntry::from).collect(),
        filter: q,
        next,
        users,
        groups: [
            "sign_in",
            "user",
            "two_factor",
            "token",
            "settings",
            "article",
            "comment",
        ],
    };
    page(
        &state,
        Some(&who),
        Screen {
            template: "admin/audit.html",
            title: "Audit log",
            section: "audit",
        },
        None,
        view,
        StatusCode::OK,
    )
    .await
}

impl AuditQuery {
    fn clone_filters(&self) -> Self {
        Self {
            actor: self.actor.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            before: None,
            limit: None,
        }
    }
}
