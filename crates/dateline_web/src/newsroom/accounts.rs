//! Newsroom accounts, whichever door it comes through (the admin pages, the
//! admin API): inviting people, changing roles, disabling and deleting
//! accounts, passwords and reset links, API tokens, the site's settings.
//!
//! Each function checks the actor may do it, then calls one storage
//! function that makes the change and its audit entry together. Passwords
//! are hashed in a turn at argon2 (`auth::hashing::Hashing`).

use crate::auth::passwords;
use crate::auth::secrets::{hash_secret, new_secret};
use crate::error::AppError;
use crate::newsroom::require;
use crate::state::AppState;
use chrono::{Duration, Utc};
use dateline_core::audit::Who;
use dateline_core::{Actor, Capability, Role, UserId, ValidationErrors};
use dateline_db::accounts::{self, User};
use dateline_db::site::{self, SiteSettings};
use dateline_db::{Db, sessions, tokens};
use dateline_mail::templates;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// How long a reset link works.
pub const RESET_VALID_MINUTES: i64 = 60;
/// The least time between two reset mails to one account.
const RESET_EVERY_MINUTES: i64 = 5;

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
    dateline_core::validation::refuse_stray_control(&mut errors, "name", "The name", &name, false);
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

/// Which mail carries a link to choose a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMail {
    /// "Reset your password", asked for by the user or an admin.
    Reset,
    /// "Your newsroom account", for a new account.
    Invitation,
}

/// Makes a link for `user` to choose a password and queues the mail that
/// carries it, in one transaction. Returns false when one was sent moments
/// ago (nothing is sent again).
pub async fn send_reset_link(
    state: &AppState,
    user: &User,
    kind: LinkMail,
    by: &Who,
) -> Result<bool, AppError> {
    let valid = match kind {
        LinkMail::Reset => Duration::minutes(RESET_VALID_MINUTES),
        LinkMail::Invitation => Duration::days(INVITATION_DAYS),
    };
    let token = new_secret();
    let now = Utc::now();
    let site = crate::handlers::site(state).await?;
    let link = state.urls.absolute(&format!("/admin/reset/{token}"));
    let mail = match kind {
        LinkMail::Reset => templates::password_reset(&templates::PasswordReset {
            site_title: site.settings.title.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            link,
            valid_minutes: valid.num_minutes(),
        })?,
        LinkMail::Invitation => templates::invitation(&templates::Invitation {
            site_title: site.settings.title.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.to_string(),
            link,
            sign_in: state.urls.absolute("/admin/login"),
            valid_days: valid.num_days(),
        })?,
    };
    let queued = mail.into_queued(
        match kind {
            LinkMail::Reset => "password_reset",
            LinkMail::Invitation => "invitation",
        },
        None,
    );
    Ok(accounts::create_password_reset(
        &state.db,
        user.id,
        &hash_secret(&token),
        now,
        valid,
        Duration::minutes(RESET_EVERY_MINUTES),
        &queued,
        by,
    )
    .await?)
}

/// Creates an account with an unusable random password and mails an
/// invitation to choose one.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    name: &str,
    email: &str,
    role: &str,
) -> Result<User, AppError> {
    require(actor, Capability::ManageUsers)?;
    let (name, email, role) = check_new_user(name, email, role).map_err(AppError::Invalid)?;
    let hash = state.hashing.hash(passwords::generate()).await??;
    let user = accounts::create_user(
        &state.db,
        &email,
        &name,
        role,
        &hash,
        Utc::now(),
        &actor.who,
    )
    .await?;
    send_reset_link(state, &user, LinkMail::Invitation, &actor.who).await?;
    Ok(user)
}

/// An account an admin acts on.
pub async fn target(state: &AppState, actor: &Actor, id: i64) -> Result<User, AppError> {
    require(actor, Capability::ManageUsers)?;
    accounts::user(&state.db, UserId(id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no user {id}.")))
}

/// Refuses to leave the newsroom without an active admin.
async fn keep_an_admin(
    state: &AppState,
    target: &User,
    new_role: Role,
    losing_access: bool,
) -> Result<(), AppError> {
    let losing = target.role == Role::Admin
        && !target.disabled
        && (new_role != Role::Admin || losing_access);
    if losing && accounts::active_admins(&state.db).await? <= 1 {
        return Err(AppError::Conflict {
            field: "role".into(),
            message: "This is the last active admin; make someone else an admin first.".into(),
        });
    }
    Ok(())
}

/// What an admin changes about an account; `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub name: Option<String>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// Changes an account's name, role, or whether it may sign in.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    change: &UserChange,
) -> Result<User, AppError> {
    let user = target(state, actor, id).await?;
    let (name, _, role) = check_new_user(
        change.name.as_deref().unwrap_or(&user.name),
        &user.email,
        change.role.as_deref().unwrap_or(user.role.as_str()),
    )
    .map_err(AppError::Invalid)?;
    let disabling = change.disabled == Some(true) && !user.disabled;
    keep_an_admin(state, &user, role, disabling).await?;
    let now = Utc::now();
    accounts::update_user(&state.db, user.id, &name, role, now, &actor.who).await?;
    if let Some(d) = change.disabled {
        accounts::set_disabled(&state.db, user.id, d, now, &actor.who).await?;
    }
    accounts::user(&state.db, user.id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no user {id}.")))
}

/// Ends every session of an account.
pub async fn sign_out_everywhere(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let user = target(state, actor, id).await?;
    sessions::end_other_sessions(&state.db, user.id, None, Utc::now(), &actor.who).await?;
    Ok(())
}

/// Mails an account a link to choose a new password.
pub async fn send_reset(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let user = target(state, actor, id).await?;
    send_reset_link(state, &user, LinkMail::Reset, &actor.who).await?;
    Ok(())
}

/// Deletes an account for good (not one's own, not the last admin); its
/// articles stay, without an owner.
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<User, AppError> {
    let user = target(state, actor, id).await?;
    if user.id == actor.user {
        return Err(AppError::Conflict {
            field: "user".into(),
            message: "You cannot delete your own account; ask another admin.".into(),
        });
    }
    keep_an_admin(state, &user, user.role, true).await?;
    accounts::delete_user(&state.db, user.id, Utc::now(), &actor.who).await?;
    Ok(user)
}

/// Changes one's own password: needs the current one; ends every other
/// session. Returns why not, for the form, when it cannot.
pub async fn change_password(
    state: &AppState,
    who: &crate::auth::SignedIn,
    current: &str,
    password: &str,
    confirm: &str,
) -> Result<Option<String>, AppError> {
    let right = crate::newsroom::sign_in::recheck_password(state, &who.user, current).await?;
    let problem = if !right {
        Some("Your current password is not right.".to_owned())
    } else if password != confirm {
        Some("The two new passwords are not the same.".to_owned())
    } else {
        passwords::check_policy(password, &who.user.email).err()
    };
    if problem.is_some() {
        return Ok(problem);
    }
    let hash = state.hashing.hash(password.to_owned()).await??;
    accounts::set_password(
        &state.db,
        who.user.id,
        &hash,
        Some(&who.session.token_hash),
        Utc::now(),
        &who.actor.who,
    )
    .await?;
    Ok(None)
}

/// Sets a password through a reset link (the link is then used up). Signs
/// nobody in: the person signs in next, with their second factor if on.
pub async fn reset_password(
    state: &AppState,
    user: &User,
    password: &str,
    confirm: &str,
    by: &Who,
) -> Result<Option<String>, AppError> {
    let problem = if password != confirm {
        Some("The two passwords are not the same.".to_owned())
    } else {
        passwords::check_policy(password, &user.email).err()
    };
    if problem.is_some() {
        return Ok(problem);
    }
    let hash = state.hashing.hash(password.to_owned()).await??;
    accounts::set_password(&state.db, user.id, &hash, None, Utc::now(), by).await?;
    tracing::info!(user = %user.id, "password reset");
    Ok(None)
}

/// Makes a token acting as `owner` (an active user); returns its id and
/// secret (shown once).
pub async fn issue_token(
    state: &AppState,
    actor: &Actor,
    name: &str,
    owner: UserId,
) -> Result<(i64, String), AppError> {
    require(actor, Capability::ManageTokens)?;
    mint_token(&state.db, name, owner, &actor.who).await
}

/// Makes a token for an operator at the command line, who holds the
/// database itself and so has no role to check; the same rules as in the
/// newsroom otherwise, and the same audit entry.
pub async fn issue_operator_token(
    db: &Db,
    name: &str,
    owner: UserId,
    who: &Who,
) -> Result<(i64, String), AppError> {
    mint_token(db, name, owner, who).await
}

/// Checks a token's name and owner, then stores its hash; returns its id
/// and the secret (shown once).
async fn mint_token(
    db: &Db,
    name: &str,
    owner: UserId,
    who: &Who,
) -> Result<(i64, String), AppError> {
    let name = name.trim();
    let owner_ok = accounts::user(db, owner)
        .await?
        .is_some_and(|u| !u.disabled);
    let mut errors = ValidationErrors::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.add(
            "name",
            "Name the token after what will use it, such as \"Mobile app\" (at most 100 characters).",
        );
    }
    if !owner_ok {
        errors.add("user_id", "Choose the active user the token acts as.");
    }
    if !errors.0.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let secret = format!("dl_{}", new_secret());
    let prefix: String = secret.chars().take(10).collect();
    let id = tokens::create_token(
        db,
        name,
        &prefix,
        &hash_secret(&secret),
        owner,
        Utc::now(),
        who,
    )
    .await?;
    Ok((id, secret))
}

/// Revokes a live token; false when there was none.
pub async fn revoke_token(state: &AppState, actor: &Actor, id: i64) -> Result<bool, AppError> {
    require(actor, Capability::ManageTokens)?;
    Ok(tokens::revoke_token(&state.db, id, Utc::now(), &actor.who).await?)
}

/// Replaces the site's settings (the audit log records which changed).
pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    settings: &SiteSettings,
) -> Result<(), AppError> {
    require(actor, Capability::ManageSettings)?;
    site::save_settings(&state.db, settings, Utc::now(), &actor.who).await?;
    state.content_changed().await;
    Ok(())
}
