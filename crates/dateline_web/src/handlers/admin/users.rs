//! Newsroom accounts, for admins: invite, change roles, disable, sign out,
//! reset a password or a second factor, delete. The rules and the audit are
//! in `newsroom::accounts` and `newsroom::two_factor`.

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, NoticeParam, Screen, page, see_other};
use crate::newsroom::accounts::{self as service, UserChange};
use crate::newsroom::{self, two_factor};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use dateline_core::{Capability, Role, ValidationErrors};
use dateline_db::accounts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    name: String,
    email: String,
    role: Role,
    disabled: bool,
    locked: bool,
    two_factor: bool,
    is_me: bool,
}

#[derive(Serialize)]
struct UsersPage {
    users: Vec<Row>,
    roles: Vec<(Role, &'static str)>,
    form: UserForm,
    errors: BTreeMap<String, String>,
}

async fn render(
    state: &AppState,
    who: &SignedIn,
    form: UserForm,
    errors: &ValidationErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let users = accounts::users(&state.db)
        .await?
        .into_iter()
        .map(|u| Row {
            id: u.id.0,
            is_me: u.id == who.user.id,
            locked: u.is_locked(now),
            two_factor: u.two_factor(),
            name: u.name,
            email: u.email,
            role: u.role,
            disabled: u.disabled,
        })
        .collect();
    let view = UsersPage {
        users,
        roles: Role::ALL.iter().map(|r| (*r, r.describe())).collect(),
        form,
        errors: errors
            .0
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/users.html",
            title: "Users",
            section: "users",
        },
        notice,
        view,
        status,
    )
    .await
}

/// `GET /admin/users`
pub async fn list(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageUsers)?;
    let form = UserForm {
        role: Role::Author.as_str().into(),
        ..Default::default()
    };
    render(
        &state,
        &who,
        form,
        &ValidationErrors::new(),
        p.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/users`
pub async fn create(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<UserForm>,
) -> Result<Response, AppError> {
    match service::invite(&state, &who.actor, &form.name, &form.email, &form.role).await {
        Ok(_) => Ok(see_other("/admin/users", "invited")),
        Err(AppError::Invalid(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &who, form, &errors, None, status).await
        }
        Err(AppError::Conflict { field, message }) => {
            let mut errors = ValidationErrors::new();
            errors.add(field, message);
            render(&state, &who, form, &errors, None, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/users/{id}`: name and role.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<RoleForm>,
) -> Result<Response, AppError> {
    let change = UserChange {
        name: Some(form.name),
        role: Some(form.role),
        disabled: None,
    };
    service::update(&state, &who.actor, id, &change).await?;
    Ok(see_other("/admin/users", "saved"))
}

/// `POST /admin/users/{id}/{disable,enable,sign-out,reset,two-factor-reset}`
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    action: &'static str,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    let actor = &who.actor;
    let notice = match action {
        "disable" | "enable" => {
            let change = UserChange {
                disabled: Some(action == "disable"),
                ..Default::default()
            };
            service::update(&state, actor, id, &change).await?;
            "saved"
        }
        "sign-out" => {
            service::sign_out_everywhere(&state, actor, id).await?;
            "sessions-ended"
        }
        "reset" => {
            service::send_reset(&state, actor, id).await?;
            "reset-sent"
        }
        "two-factor-reset" => {
            let user = service::target(&state, actor, id).await?;
            two_factor::reset(&state, actor, user.id).await?;
            "two-factor-reset"
        }
        _ => {
            return Err(AppError::NotFound(format!(
                "There is no action \"{action}\" for users."
            )));
        }
    };
    Ok(see_other("/admin/users", notice))
}

#[derive(Serialize)]
struct DeletePage {
    id: i64,
    name: String,
    email: String,
}

/// `GET /admin/users/{id}/delete`: asks first.
pub async fn delete_form(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let user = service::target(&state, &who.actor, id).await?;
    let view = DeletePage {
        id,
        name: user.name,
        email: user.email,
    };
    page(
        &state,
        Some(&who),
        Screen {
            template: "admin/delete_user.html",
            title: "Delete account",
            section: "users",
        },
        None,
        view,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/users/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    service::delete(&state, &who.actor, id).await?;
    Ok(see_other("/admin/users", "user-deleted"))
}
