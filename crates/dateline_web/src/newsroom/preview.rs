//! The newsroom's previews: a body rendered as it will read, and the page a
//! draft would make, showing only what the writer may read.

use crate::error::AppError;
use crate::state::AppState;
use dateline_core::{Actor, ArticleDraft, ValidationErrors};
use dateline_db::articles;
use dateline_db::views::ArticleSummary;
use dateline_render::{RenderError, RenderedBody};

/// A body rendered for the preview page, with its HTML; off the serving
/// threads and within the renderer's limits, like a save's.
pub async fn body(markdown: &str) -> Result<(RenderedBody, String), AppError> {
    let markdown = markdown.to_owned();
    dateline_render::offload(move || {
        let rendered = dateline_render::render_article(&markdown)?;
        let html = rendered.html(&[])?;
        Ok((rendered, html))
    })
    .await
    .map_err(body_error)
}

/// A body rendered for the editor's live preview: its HTML with each
/// editors' question shown where its paragraph's marker will be.
pub async fn live_body(markdown: &str) -> Result<String, AppError> {
    let markdown = markdown.to_owned();
    dateline_render::offload(move || {
        crate::views::article::with_questions(&dateline_render::render_article(&markdown)?)
    })
    .await
    .map_err(body_error)
}

/// A refused render is the body field's problem; a failed one is ours.
fn body_error(e: RenderError) -> AppError {
    match e {
        RenderError::Failed => AppError::Internal(anyhow::anyhow!("rendering a body: {e}")),
        refused => {
            let mut errors = ValidationErrors::new();
            errors.add("body", refused.to_string());
            AppError::Invalid(errors)
        }
    }
}

/// The other language's version a draft names, when the actor may read it
/// (published, their own, or any for editors): a preview shows no one
/// another writer's unpublished headline.
pub async fn translations(
    state: &AppState,
    actor: &Actor,
    draft: &ArticleDraft,
) -> Result<Vec<ArticleSummary>, AppError> {
    let Some(slug) = &draft.translation_of else {
        return Ok(Vec::new());
    };
    let Some(id) = articles::id_for_slug(&state.db, slug.as_str(), None).await? else {
        return Ok(Vec::new());
    };
    Ok(articles::find(&state.db, id)
        .await?
        .map(|v| v.summary)
        .filter(|a| actor.can_view(&a.access()))
        .into_iter()
        .collect())
}
