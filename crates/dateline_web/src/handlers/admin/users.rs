//! Newsroom accounts, for admins: invite, change roles, disable, sign out.

use crate::auth::{AdminForm, SignedIn, passwords};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::login::{LinkMail, send_reset_link};
use crate::handlers::admin::{Empty, NoticeParam, Screen, page, see_other};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use dateline_core::{Capability, Role, UserId, ValidationErrors};
use dateline_db::accounts::{self, User};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long an invitation link works.
const INVITATION_DAYS: i64 = 7;

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

/// Checks a new account's fields.
pub fn check_new_user(
    name: &str,
    email: &str,
    role: &str,
) -> Result<(String, String, Role), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 200 {
        errors.add(
            "name",
            "Give the person's name as it should appear in bylines.",
        );
    }
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !plausible {
        errors.add("email", "Give an email address such as name@example.org.");
    }
    let role = Role::parse(role).unwrap_or_else(|| {
        errors.add("role", "Choose contributor, author, editor or admin.");
        Role::Contributor
    });
    errors.into_result((name, email, role))
}

/// Creates an account with an unusable random password and mails an
/// invitation to choose one.
pub async fn invite(
    state: &AppState,
    name: &str,
    email: &str,
    role: Role,
) -> Result<User, AppError> {
    let hash = passwords::hash(passwords::generate()).await?;
    let user = accounts::create_user(&state.db, email, name, role, &hash, Utc::now()).await?;
    send_reset_link(
        state,
        &user,
        Duration::days(INVITATION_DAYS),
        LinkMail::Invitation,
    )
    .await?;
    Ok(user)
}

/// `POST /admin/users`
pub async fn create(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<UserForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageUsers)?;
    let (name, email, role) = match check_new_user(&form.name, &form.email, &form.role) {
        Ok(v) => v,
        Err(errors) => {
            return render(
                &state,
                &who,
                form,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match invite(&state, &name, &email, role).await {
        Ok(_) => Ok(see_other("/admin/users", "invited")),
        Err(AppError::Conflict { field, message }) => {
            let mut errors = ValidationErrors::new();
            errors.add(field, message);
            render(&state, &who, form, &errors, None, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e),
    }
}

/// Refuses to leave the newsroom without an active admin.
pub async fn keep_an_admin(
    state: &AppState,
    target: &User,
    new_role: Role,
    disabling: bool,
) -> Result<(), AppError> {
    let losing =
        target.role == Role::Admin && !target.disabled && (new_role != Role::Admin || disabling);
    if losing && accounts::active_admins(&state.db).await? <= 1 {
        return Err(AppError::Conflict {
            field: "role".into(),
            message: "This is the last active admin; make someone else an admin first.".into(),
        });
    }
    Ok(())
}

async fn target(state: &AppState, id: i64) -> Result<User, AppError> {
    accounts::user(&state.db, UserId(id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no user {id}.")))
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
    newsroom::require(&who.actor, Capability::ManageUsers)?;
    let user = target(&state, id).await?;
    let (name, _, role) =
        check_new_user(&form.name, &user.email, &form.role).map_err(AppError::Invalid)?;
    keep_an_admin(&state, &user, role, false).await?;
    accounts::update_user(&state.db, user.id, &name, role, Utc::now()).await?;
    Ok(see_other("/admin/users", "saved"))
}

/// `POST /admin/users/{id}/{disable,enable,sign-out,reset}`
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    action: &'static str,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageUsers)?;
    let user = target(&state, id).await?;
    let now = Utc::now();
    let notice = match action {
        "disable" => {
            keep_an_admin(&state, &user, user.role, true).await?;
            accounts::set_disabled(&state.db, user.id, true, now).await?;
            "saved"
        }
        "enable" => {
            accounts::set_disabled(&state.db, user.id, false, now).await?;
            "saved"
        }
        "sign-out" => {
            accounts::end_other_sessions(&state.db, user.id, None).await?;
            "sessions-ended"
        }
        "reset" => {
            send_reset_link(&state, &user, Duration::minutes(60), LinkMail::Reset).await?;
            "reset-sent"
        }
        _ => {
            return Err(AppError::NotFound(format!(
                "There is no action \"{action}\" for users."
            )));
        }
    };
    Ok(see_other("/admin/users", notice))
}
