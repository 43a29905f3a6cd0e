//! The image library: upload, and pick an image's address.

use crate::auth::{AdminMultipart, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{NoticeParam, Screen, page, see_other};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dateline_core::Capability;
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
        Err(e @ (AppError::UnsupportedMedia(_) | AppError::PayloadTooLarge(_))) => {
            let status = if matches!(e, AppError::PayloadTooLarge(_)) {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            };
            render(&state, &form.who, Some(e.to_string()), None, status).await
        }
        Err(other) => Err(other),
    }
}
