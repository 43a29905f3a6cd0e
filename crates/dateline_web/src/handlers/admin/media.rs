//! The image library: upload, and pick an image's address; an article
//! form's featured image upload.

use crate::auth::{AdminMultipart, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{NoticeParam, Screen, page, see_other};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dateline_core::{Capability, ValidationErrors};
use dateline_db::media;
use serde::Serialize;

#[derive(Serialize)]
struct Item {
    path: String,
    thumb: String,
    name: String,
    size: String,
    widths: String,
}

#[derive(Serialize)]
struct MediaPage {
    items: Vec<Item>,
    error: Option<String>,
    max_upload_mb: u64,
}

async fn render(
    state: &AppState,
    who: &SignedIn,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let items = media::recent(&state.db, 60)
        .await?
        .into_iter()
        .map(|m| Item {
            thumb: m
                .variants
                .first()
                .map(|v| v.path.clone())
                .unwrap_or_else(|| m.path.clone()),
            widths: m
                .variants
                .iter()
                .map(|v| v.width.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            size: format!("{} × {}", m.width, m.height),
            name: m.original_name,
            path: m.path,
        })
        .collect();
    let view = MediaPage {
        items,
        error,
        max_upload_mb: state.config.max_upload_bytes / (1024 * 1024),
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/media.html",
            title: "Images",
            section: "media",
        },
        notice,
        view,
        status,
    )
    .await
}

/// `GET /admin/media`
pub async fn library(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::UploadMedia)?;
    render(&state, &who, None, p.notice.as_deref(), StatusCode::OK).await
}

/// `POST /admin/media`
pub async fn upload(
    State(state): State<AppState>,
    form: AdminMultipart,
) -> Result<Response, AppError> {
    let Some(file) = form.files.iter().find(|f| f.field == "file").cloned() else {
        return render(
            &state,
            &form.who,
            Some("Choose an image to upload.".into()),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match newsroom::images::store(&state, &form.who.actor, file).await {
        Ok(_) => Ok(see_other("/admin/media", "uploaded")),
        Err(e) => match refusal_status(&e) {
            Some(status) => render(&state, &form.who, Some(e.to_string()), None, status).await,
            None => Err(e),
        },
    }
}

/// The status of an upload refused for what it is (or, when images are
/// queueing, for when it came): the page is shown again with the reason,
/// rather than an error page that loses the form.
fn refusal_status(e: &AppError) -> Option<StatusCode> {
    match e {
        AppError::PayloadTooLarge(_) => Some(StatusCode::PAYLOAD_TOO_LARGE),
        AppError::UnsupportedMedia(_) => Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        AppError::Unavailable(_) => Some(StatusCode::SERVICE_UNAVAILABLE),
        _ => None,
    }
}

/// Stores the featured image an article form carried, if any, and points
/// `image_url` at it; a refused upload is reported against the image field
/// so the rest of the form is kept.
pub(super) async fn take_featured(
    state: &AppState,
    form: &AdminMultipart,
    image_url: &mut String,
    errors: &mut ValidationErrors,
) -> Result<(), AppError> {
    let Some(file) = form.files.iter().find(|f| f.field == "image_file").cloned() else {
        return Ok(());
    };
    match newsroom::images::store(state, &form.who.actor, file).await {
        Ok(media) => {
            *image_url = media.path;
            Ok(())
        }
        Err(e) if refusal_status(&e).is_some() => {
            errors.add("image_file", e.to_string());
            Ok(())
        }
        Err(other) => Err(other),
    }
}
