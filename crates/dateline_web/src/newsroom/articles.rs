//! Creating, changing, publishing and deleting articles, as a given user.

use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use dateline_core::article::{ArticleInput, AuthorInput};
use dateline_core::auth::ArticleAccess;
use dateline_core::{Actor, ArticleId, ArticleStatus, Capability};
use dateline_db::articles::{self, SaveTarget, Saved, SavedBy};
use dateline_db::views::ArticleView;
use dateline_db::{DbError, people, site};

fn forbidden(what: &str, actor: &Actor) -> AppError {
    AppError::Forbidden(format!("Your role ({}) cannot {what}.", actor.role))
}

/// An article the actor may see in the newsroom.
pub async fn get(state: &AppState, actor: &Actor, id: ArticleId) -> Result<ArticleView, AppError> {
    let view = articles::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no article {id}.")))?;
    if !actor.can_view(&view.summary.access()) {
        return Err(forbidden("open this article", actor));
    }
    Ok(view)
}

/// Fills the byline with the actor's own author profile when none is given.
async fn default_byline(
    state: &AppState,
    actor: &Actor,
    input: &mut ArticleInput,
) -> Result<(), AppError> {
    if !input.authors.is_empty() {
        return Ok(());
    }
    let Some(user) = dateline_db::accounts::user(&state.db, actor.user).await? else {
        return Ok(());
    };
    if let Some(author_id) = user.author_id
        && let Some(author) = people::author_by_id(&state.db, author_id).await?
    {
        input.authors.push(AuthorInput::Full {
            name: author.name,
            slug: Some(author.slug),
            bio: None,
        });
    }
    Ok(())
}

fn status_verb(status: ArticleStatus) -> &'static str {
    match status {
        ArticleStatus::Draft => "save drafts of this article",
        ArticleStatus::Scheduled => "schedule articles",
        ArticleStatus::Published => "publish articles",
        ArticleStatus::Archived => "archive articles",
    }
}

/// Validates and stores a new article owned by the actor.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    mut input: ArticleInput,
    now: DateTime<Utc>,
) -> Result<Saved, AppError> {
    crate::newsroom::require(actor, Capability::CreateArticle)?;
    default_byline(state, actor, &mut input).await?;
    let settings = site::settings(&state.db).await?;
    let draft = input
        .validate(&settings.language, now)
        .map_err(AppError::Invalid)?;
    if !actor.can_set_status(None, draft.status) {
        return Err(forbidden(status_verb(draft.status), actor));
    }
    let saved = articles::save(
        &state.db,
        SaveTarget::New,
        &draft,
        now,
        &SavedBy::actor(actor),
    )
    .await?;
    state.content_changed().await;
    Ok(saved)
}

/// Validates and stores a new version of an article. With `expected_revision`,
/// a save made since that revision by someone else is reported as a conflict
/// and nothing is written.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: ArticleId,
    mut input: ArticleInput,
    expected_revision: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Saved, AppError> {
    let current = access(state, id).await?;
    if !actor.can_edit(&current) {
        return Err(forbidden("change this article", actor));
    }
    default_byline(state, actor, &mut input).await?;
    let settings = site::settings(&state.db).await?;
    let draft = input
        .validate(&settings.language, now)
        .map_err(AppError::Invalid)?;
    if !actor.can_set_status(Some(&current), draft.status) {
        return Err(forbidden(status_verb(draft.status), actor));
    }
    let saved = articles::save(&state.db, SaveTarget::Existing { id, expected_revision }, &draft, now, &SavedBy::actor(actor))
        .await
        .map_err(|e| match e {
            DbError::StaleRevision { expected, actual } => AppError::Conflict {
                field: "revision".into(),
                message: format!(
                    "Someone else saved this article (revision {actual}) after you opened revision {expected}. Nothing of yours was lost: your version is still in the form. Compare, then save again to replace theirs."
                ),
            },
            other => other.into(),
        })?;
    state.content_changed().await;
    Ok(saved)
}

async fn access(state: &AppState, id: ArticleId) -> Result<ArticleAccess, AppError> {
    Ok(articles::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no article {id}.")))?
        .summary
        .access())
}

pub async fn delete(state: &AppState, actor: &Actor, id: ArticleId) -> Result<(), AppError> {
    let current = access(state, id).await?;
    if !actor.can_delete(&current) {
        return Err(forbidden("delete this article", actor));
    }
    articles::delete(&state.db, id, Utc::now(), &actor.who).await?;
    state.content_changed().await;
    Ok(())
}

/// Brings back an earlier version's content as a new revision. The status
/// and publication time stay as they are now: restoring text never publishes
/// or unpublishes anything.
pub async fn restore(
    state: &AppState,
    actor: &Actor,
    id: ArticleId,
    revision: i64,
    now: DateTime<Utc>,
) -> Result<Saved, AppError> {
    let view = get(state, actor, id).await?;
    if !actor.can_edit(&view.summary.access()) {
        return Err(forbidden("change this article", actor));
    }
    let saved =
        dateline_db::revisions::restore(&state.db, id, revision, now, &SavedBy::actor(actor))
            .await
            .map_err(|e| match e {
                DbError::NotFound => {
                    AppError::NotFound(format!("Article {id} has no revision {revision}."))
                }
                other => other.into(),
            })?;
    state.content_changed().await;
    Ok(saved)
}
