//! A writer's changes to their own comment while the edit window is open:
//! new text, or taking it back.
//!
//! New text goes through the rules a new comment does — its length and
//! characters, bans on the address and the client, the rules that hold a
//! comment (links, blocked words) — and a held edit leaves the page until a
//! moderator approves it. Its followers were told of the comment when it was
//! first approved; an edit, even one approved again, tells nobody again.
//! Only the browser holding the secret a comment was written with may change
//! it; anyone else is told the comment is not there.

use super::ip_hash;
use crate::auth::secrets::hash_secret;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use dateline_core::comment::{
    CommentDraft, CommentSettings, CommentStatus, hold_reason, validate_body,
};
use dateline_db::DbError;
use dateline_db::comments::{self, OwnerEdit};
use dateline_db::rows::CommentRow;
use std::net::IpAddr;

/// Why an edit was not saved.
#[derive(Debug)]
pub enum EditError {
    /// The new text cannot be a comment: the form again, with this message.
    Body(String),
    /// Anything else: not theirs, the window closed, banned.
    Refused(AppError),
}

impl From<AppError> for EditError {
    fn from(e: AppError) -> Self {
        EditError::Refused(e)
    }
}

impl From<DbError> for EditError {
    fn from(e: DbError) -> Self {
        EditError::Refused(owner_error(e))
    }
}

/// Saves new text for comment `id` from the browser holding `owner_secret`
/// at client address `ip`. Returns the comment as it now stands (pending
/// when a rule held the new text).
pub(crate) async fn edit(
    state: &AppState,
    id: i64,
    owner_secret: &str,
    body: &str,
    ip: IpAddr,
    now: DateTime<Utc>,
) -> Result<CommentRow, EditError> {
    let settings = crate::handlers::comment_settings(state).await?;
    let body = validate_body(body, &settings).map_err(EditError::Body)?;
    let owner_hash = hash_or_empty(owner_secret);
    let before = comments::get(&state.db, id)
        .await?
        .filter(|r| !owner_hash.is_empty() && r.owner_hash == owner_hash)
        .ok_or(DbError::NotFound)?;
    let hold = match before.user_id {
        // The newsroom's comments skip the rules, edited or not.
        Some(_) => None,
        None => held_because(state, &settings, &before, &body, (&owner_hash, ip)).await?,
    };
    let html = dateline_render::render_comment(&body);
    let after = comments::edit_by_owner(
        &state.db,
        id,
        &owner_hash,
        OwnerEdit::Body {
            markdown: &body,
            html: &html,
            hold: hold.as_deref(),
        },
        settings.edit_minutes,
        now,
    )
    .await?;
    if after.status == CommentStatus::Pending.as_str() && hold.is_some() {
        metrics::counter!("dateline_comments_edits_held_total").increment(1);
    }
    changed(state, &before, &after).await?;
    Ok(after)
}

/// Why the new text waits for a moderator, if it does: for a comment still
/// held, whatever held it (or a rule the new text breaks); for an approved
/// one, a rule the new text breaks. A banned writer may not edit at all.
async fn held_because(
    state: &AppState,
    settings: &CommentSettings,
    before: &CommentRow,
    body: &str,
    (owner_hash, ip): (&str, IpAddr),
) -> Result<Option<String>, EditError> {
    if comments::banned(&state.db, &ip_hash(state, ip), &before.author_email).await? {
        return Err(EditError::Refused(AppError::Forbidden(
            "Comments from this address are not accepted here, nor changes to them. If you think this is a mistake, write to the editors.".into(),
        )));
    }
    let draft = CommentDraft {
        body: body.to_owned(),
        name: before.author_name.clone(),
        email: before.author_email.clone(),
        website: before.author_url.clone(),
    };
    let approved = before.status == CommentStatus::Approved.as_str();
    // A moderator let this comment through (or it was trusted): the
    // first-comment rule is met; the rules about its text are not.
    let known = approved
        || !settings.hold_first
        || comments::known_writer(&state.db, &before.author_email, owner_hash).await?;
    Ok(match hold_reason(&draft, settings, known) {
        Some(reason) if approved => Some(format!("edited after approval: {reason}")),
        Some(reason) => Some(reason),
        None if approved => None,
        None => Some(before.held_because.clone()),
    })
}

/// Takes comment `id` back, from the browser holding `owner_secret`.
pub(crate) async fn delete(
    state: &AppState,
    id: i64,
    owner_secret: &str,
    now: DateTime<Utc>,
) -> Result<CommentRow, AppError> {
    let settings = crate::handlers::comment_settings(state).await?;
    let before = comments::get(&state.db, id).await?;
    let after = comments::edit_by_owner(
        &state.db,
        id,
        &hash_or_empty(owner_secret),
        OwnerEdit::Delete,
        settings.edit_minutes,
        now,
    )
    .await
    .map_err(owner_error)?;
    if let Some(b) = &before {
        changed(state, b, b).await?;
    }
    Ok(after)
}

fn hash_or_empty(secret: &str) -> String {
    if secret.is_empty() {
        String::new()
    } else {
        hash_secret(secret)
    }
}

fn owner_error(e: DbError) -> AppError {
    match e {
        DbError::NotFound => AppError::NotFound(
            "Only the browser that wrote a comment can change it, and only for a short while after posting."
                .into(),
        ),
        other => other.into(),
    }
}

/// Drops the cached pages of the comment's article when readers saw it
/// before the change or see it after.
async fn changed(
    state: &AppState,
    before: &CommentRow,
    after: &CommentRow,
) -> Result<(), AppError> {
    let approved = CommentStatus::Approved.as_str();
    if (before.status == approved || after.status == approved)
        && let Some(t) =
            comments::target_by_id(&state.db, dateline_core::ArticleId(before.article_id)).await?
    {
        state.comments_changed(t.id, &t.slug);
    }
    Ok(())
}
