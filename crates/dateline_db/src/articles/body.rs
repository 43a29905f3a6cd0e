//! A draft's body made ready for its save, before the transaction begins,
//! in two steps: `render` (once per save: Markdown to sanitized HTML, the
//! automatic excerpt, the search terms) and `anchor` (again whenever a
//! concurrent save changed the passages: each paragraph's anchor, and the
//! stored HTML with the anchors as ids). Both run off the serving threads,
//! in bounded number and time (`dateline_render::offload`); neither runs
//! under the write lock.

use crate::passages::{self, KnownRow};
use crate::search::Terms;
use crate::{DbError, Result};
use dateline_core::ArticleDraft;
use dateline_core::passage::Anchoring;
use dateline_render::{Passage, RenderError, RenderedBody};
use std::sync::Arc;

/// Longest automatic excerpt, in characters.
const AUTO_EXCERPT_CHARS: usize = 280;

pub(crate) struct Rendered {
    body: Arc<RenderedBody>,
    /// What depends on the rest of the draft, when there is one.
    pub(crate) fields: Option<DraftFields>,
}

pub(crate) struct DraftFields {
    /// The excerpt to store: the draft's own, or the body's first words.
    pub(crate) excerpt: String,
    pub(crate) terms: Terms,
}

pub(crate) struct Anchored {
    /// The stored HTML, with the anchors as the paragraphs' ids.
    pub(crate) html: String,
    pub(crate) anchoring: Anchoring,
}

impl Rendered {
    pub(crate) fn passages(&self) -> &[Passage] {
        &self.body.passages
    }
}

/// Renders `markdown`, with the excerpt and search terms of `draft`.
pub(crate) async fn render(markdown: &str, draft: Option<&ArticleDraft>) -> Result<Rendered> {
    let markdown = markdown.to_owned();
    let draft = draft.cloned();
    dateline_render::offload(move || {
        let body = dateline_render::render_article(&markdown)?;
        let fields = draft.map(|draft| DraftFields {
            excerpt: if draft.excerpt.is_empty() {
                dateline_render::excerpt(&body.text, AUTO_EXCERPT_CHARS)
            } else {
                draft.excerpt.clone()
            },
            terms: Terms::of(&draft, &body.text),
        });
        Ok(Rendered {
            body: Arc::new(body),
            fields,
        })
    })
    .await
    .map_err(body_error)
}

/// Anchors a rendered body against `known`, the article's passages now.
pub(crate) async fn anchor(rendered: &Rendered, known: &[KnownRow]) -> Result<Anchored> {
    let body = rendered.body.clone();
    let known = known.to_vec();
    dateline_render::offload(move || {
        let anchoring = passages::anchoring(&known, &body.passages);
        Ok(Anchored {
            html: body.html(&anchoring.anchors)?,
            anchoring,
        })
    })
    .await
    .map_err(body_error)
}

/// A render that was refused is the body field's problem; one that failed
/// is ours.
fn body_error(e: RenderError) -> DbError {
    match e {
        RenderError::Failed => DbError::Config(format!("rendering a body: {e}")),
        refused => DbError::invalid("body", refused.to_string()),
    }
}
