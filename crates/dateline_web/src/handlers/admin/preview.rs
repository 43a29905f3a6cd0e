//! The editor's previews: the whole reader page a draft would make, and the
//! body alone as the editor types. Neither saves anything.

use crate::auth::{AdminForm, AdminMultipart};
use crate::error::AppError;
use crate::handlers::admin::articles::ArticleFields;
use crate::newsroom;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use dateline_core::article::AuthorInput;
use dateline_core::{ArticleStatus, ValidationErrors};
use minijinja::HtmlEscape;
use serde::Deserialize;

/// `POST /admin/preview`: the editor's current fields as the reader page,
/// exactly as it will look, without saving anything.
pub async fn page(
    State(state): State<AppState>,
    form: AdminMultipart,
) -> Result<Response, AppError> {
    let mut fields = ArticleFields::from_multipart(&form);
    // An image chosen but not yet uploaded has no address to show; preview
    // the report without it rather than refuse.
    if fields.image_url.trim().is_empty() {
        fields.image_alt.clear();
        fields.image_caption.clear();
        fields.image_credit.clear();
    }
    let mut errors = ValidationErrors::new();
    let mut input = fields.to_input(ArticleStatus::Draft, &mut errors);
    if input.authors.is_empty() {
        input
            .authors
            .push(AuthorInput::Name(form.who.user.name.clone()));
    }
    let site = crate::handlers::site(&state).await?;
    let draft = match input.validate(&site.settings.language, Utc::now()) {
        Ok(d) if errors.is_empty() => d,
        Ok(_) => return Err(AppError::Invalid(errors)),
        Err(e) => return Err(AppError::Invalid(e)),
    };
    let (rendered, html) = newsroom::preview::body(&draft.body_markdown).await?;
    let translations = newsroom::preview::translations(&state, &form.who.actor, &draft).await?;
    let mut response = crate::handlers::articles::render_draft(
        &state,
        &draft,
        (&rendered, html),
        &translations,
        Utc::now(),
    )
    .await?;
    crate::handlers::admin::private(&mut response);
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct BodyForm {
    #[serde(default)]
    body: String,
}

/// `POST /admin/preview/body`: Markdown to sanitized HTML, for the editor's
/// live preview. A body the renderer refuses answers 422 with the reason,
/// which the preview shows in place of the body.
pub async fn body(AdminForm { form, .. }: AdminForm<BodyForm>) -> Result<Response, AppError> {
    let mut response = match newsroom::preview::live_body(&form.body).await {
        Ok(html) => Html(html).into_response(),
        Err(AppError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(format!(
                "<p class=\"preview-refused\">{}</p>",
                HtmlEscape(errors.for_field("body").unwrap_or_default())
            )),
        )
            .into_response(),
        Err(other) => return Err(other),
    };
    crate::handlers::admin::private(&mut response);
    Ok(response)
}
