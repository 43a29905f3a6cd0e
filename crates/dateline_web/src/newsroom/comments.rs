//! Moderating comments, whichever door it comes through (the moderation
//! queue, the admin API): approve, spam, trash, delete, edit, reply as the
//! newsroom, ban. Every function checks the actor may moderate first, and
//! drops the cached pages of the articles whose comments readers see changed.

use crate::commenting::{self, Refusal, Sender, Submission};
use crate::error::AppError;
use crate::newsroom::require;
use crate::state::AppState;
use chrono::Utc;
use dateline_core::comment::{CommentInput, CommentStatus};
use dateline_core::{Actor, ArticleId, Capability, ValidationErrors};
use dateline_db::accounts::User;
use dateline_db::comments::{self, BanKind, Moderation};
use dateline_db::rows::CommentRow;

/// What a moderator can do to a set of comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Spam,
    Trash,
    /// Back to the queue.
    Unapprove,
    Delete,
}

impl Action {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "approve" | "approved" => Action::Approve,
            "spam" => Action::Spam,
            "trash" => Action::Trash,
            "unapprove" | "pending" => Action::Unapprove,
            "delete" => Action::Delete,
            _ => return None,
        })
    }

    fn change(self) -> Moderation {
        match self {
            Action::Approve => Moderation::Status(CommentStatus::Approved),
            Action::Spam => Moderation::Status(CommentStatus::Spam),
            Action::Trash => Moderation::Status(CommentStatus::Trash),
            Action::Unapprove => Moderation::Status(CommentStatus::Pending),
            Action::Delete => Moderation::Delete,
        }
    }
}

/// Drops cached pages of these articles, here and (through the comments
/// version) in every other process.
async fn changed(state: &AppState, articles: &[i64]) -> Result<(), AppError> {
    for &id in articles {
        if let Some(t) = comments::target_by_id(&state.db, ArticleId(id)).await? {
            state.comments_changed(t.id, &t.slug);
        }
    }
    Ok(())
}

/// Applies `action` to each of `ids`; returns how many changed.
pub async fn moderate(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
    action: Action,
) -> Result<u64, AppError> {
    require(actor, Capability::Moderate)?;
    let done = comments::moderate(&state.db, ids, &action.change(), &actor.who, Utc::now()).await?;
    changed(state, &done.articles).await?;
    Ok(done.changed)
}

/// Replaces a comment's text (the writer's name and address stay).
pub async fn edit(state: &AppState, actor: &Actor, id: i64, body: &str) -> Result<(), AppError> {
    require(actor, Capability::Moderate)?;
    let settings = crate::handlers::comment_settings(state).await?;
    let body = dateline_core::comment::validate_body(body, &settings).map_err(|message| {
        let mut errors = ValidationErrors::new();
        errors.add("body", message);
        AppError::Invalid(errors)
    })?;
    let change = Moderation::Edit {
        html: dateline_render::render_comment(&body),
        markdown: body,
    };
    let done = comments::moderate(&state.db, &[id], &change, &actor.who, Utc::now()).await?;
    if done.changed == 0 {
        return Err(AppError::NotFound(format!("There is no comment {id}.")));
    }
    changed(state, &done.articles).await
}

/// Replies to a comment as the newsroom: published at once, under the
/// moderator's name. Replying to a held comment approves it first, as a
/// reply to it says it belongs there.
pub async fn reply(
    state: &AppState,
    user: &User,
    actor: &Actor,
    parent: i64,
    body: &str,
) -> Result<CommentRow, AppError> {
    require(actor, Capability::Moderate)?;
    let row = comments::get(&state.db, parent)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no comment {parent}.")))?;
    if row.status == CommentStatus::Pending.as_str() {
        moderate(state, actor, &[parent], Action::Approve).await?;
    }
    let target = comments::target_by_id(&state.db, ArticleId(row.article_id))
        .await?
        .ok_or_else(|| {
            AppError::NotFound("The article of this comment is not published.".into())
        })?;
    let settings = crate::handlers::comment_settings(state).await?;
    let submission = Submission {
        input: CommentInput {
            body: body.to_owned(),
            ..Default::default()
        },
        parent_id: Some(parent),
        ..Default::default()
    };
    let sender = Sender {
        ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        user_agent: "newsroom".into(),
        owner_secret: String::new(),
        staff: Some((actor.user, user.name.clone(), user.email.clone())),
    };
    commenting::post(state, &target, &settings, &submission, &sender, Utc::now())
        .await
        .map_err(|r| match r {
            Refusal::Invalid(errors) => AppError::Invalid(errors),
            Refusal::Notice { message, .. } => AppError::Conflict {
                field: "body".into(),
                message,
            },
            Refusal::Internal(e) => AppError::Internal(e),
        })
}

/// Bans the address, or the client, that wrote a comment.
pub async fn ban(
    state: &AppState,
    actor: &Actor,
    comment: i64,
    kind: BanKind,
    reason: &str,
) -> Result<String, AppError> {
    require(actor, Capability::Moderate)?;
    let row = comments::get(&state.db, comment)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no comment {comment}.")))?;
    let (value, label) = match kind {
        BanKind::Email => (row.author_email.clone(), row.author_email.clone()),
        BanKind::Ip => (
            row.ip_hash.clone(),
            format!(
                "the client that wrote comment {comment} (network {})",
                row.ip_prefix
            ),
        ),
    };
    if value.is_empty() {
        return Err(AppError::Conflict {
            field: "kind".into(),
            message: "This comment has no address left to ban (it was erased).".into(),
        });
    }
    comments::ban(
        &state.db,
        kind,
        &value,
        &label,
        reason,
        &actor.who,
        Utc::now(),
    )
    .await?;
    Ok(label)
}

/// Lifts a ban.
pub async fn unban(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    require(actor, Capability::Moderate)?;
    comments::unban(&state.db, id, Utc::now(), &actor.who).await?;
    Ok(())
}

/// Opens or closes an article's comments.
pub async fn set_closed(
    state: &AppState,
    actor: &Actor,
    article: ArticleId,
    closed: bool,
) -> Result<(), AppError> {
    require(actor, Capability::Moderate)?;
    comments::set_closed(&state.db, article, closed).await?;
    changed(state, &[article.0]).await
}

/// Ends a reader's follow ("Notify of") for them.
pub async fn remove_follow(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    require(actor, Capability::Moderate)?;
    if !dateline_db::follows::unfollow(&state.db, id).await? {
        return Err(AppError::NotFound(format!("There is no follow {id}.")));
    }
    Ok(())
}

/// Settings for comments (admins).
pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    settings: &dateline_core::comment::CommentSettings,
) -> Result<(), AppError> {
    require(actor, Capability::ManageSettings)?;
    comments::save_settings(&state.db, settings, Utc::now(), &actor.who).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn actions_parse() {
        assert_eq!(Action::parse("approve"), Some(Action::Approve));
        assert_eq!(Action::parse("pending"), Some(Action::Unapprove));
        assert_eq!(Action::parse("launch"), None);
    }
}
