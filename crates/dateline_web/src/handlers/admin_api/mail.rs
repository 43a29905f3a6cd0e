//! Mail over the API: delivery events from a mail provider (bounces,
//! complaints, unsubscribes by mail), and newsletter sends.

use crate::auth::ApiClient;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::handlers::admin_api::json;
use crate::handlers::api::ApiError;
use crate::newsroom;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use dateline_core::Capability;
use dateline_core::newsletter::normalize_email;
use dateline_db::{mail, sends};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a mail provider reports about an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The address does not exist: no more mail goes to it.
    HardBounce,
    /// A temporary failure (mailbox full, greylisting): recorded only.
    SoftBounce,
    /// The reader marked a message as spam: no more mail goes to it.
    Complaint,
    /// The reader asked to stop, e.g. by mail to the List-Unsubscribe mailto.
    Unsubscribe,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MailEvent {
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub email: String,
    /// The provider's words, kept with the record.
    #[serde(default)]
    pub detail: String,
}

/// One event, or many.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MailEvents {
    Many { events: Vec<MailEvent> },
    One(MailEvent),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedEvent {
    pub index: usize,
    pub error: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsResult {
    pub accepted: usize,
    pub rejected: Vec<RejectedEvent>,
}

/// Records bounces, complaints and unsubscribes reported by a mail provider.
/// A hard bounce or a complaint stops all mail to the address; an
/// unsubscribe ends its newsletter subscription.
#[utoipa::path(post, path = "/api/v1/mail/events", tag = "mail", request_body = MailEvents, security(("bearer" = [])),
    responses((status = 200, body = EventsResult), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn events(
    State(state): State<AppState>,
    client: ApiClient,
    JsonBody(body): JsonBody<MailEvents>,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageNewsletter)?;
    let events = match body {
        MailEvents::Many { events } => events,
        MailEvents::One(e) => vec![e],
    };
    if events.len() > 10_000 {
        return Err(AppError::PayloadTooLarge(
            "Send at most 10,000 events at a time.".into(),
        ));
    }
    let now = Utc::now();
    let mut result = EventsResult {
        accepted: 0,
        rejected: Vec::new(),
    };
    for (index, e) in events.into_iter().enumerate() {
        let email = match normalize_email(&e.email) {
            Ok(email) => email,
            Err(error) => {
                result.rejected.push(RejectedEvent { index, error });
                continue;
            }
        };
        match e.kind {
            EventKind::HardBounce => {
                mail::suppress(&state.db, &email, "hard_bounce", &e.detail, now).await?
            }
            EventKind::Complaint => {
                mail::suppress(&state.db, &email, "complaint", &e.detail, now).await?
            }
            EventKind::SoftBounce => {
                mail::note_event(&state.db, &email, "soft_bounce", &e.detail, now).await?
            }
            EventKind::Unsubscribe => {
                if let Some(s) = dateline_db::subscribers::by_email(&state.db, &email).await? {
                    dateline_db::subscribers::unsubscribe(&state.db, s.id, now).await?;
                }
                mail::note_event(&state.db, &email, "unsubscribe", &e.detail, now).await?;
            }
        }
        result.accepted += 1;
    }
    json(StatusCode::OK, &result)
}

/// A newsletter send and its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendView {
    pub id: i64,
    /// article or digest
    pub kind: String,
    pub article_id: Option<i64>,
    pub subject: String,
    /// sending, paused, cancelled or done
    pub status: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub bounced: i64,
    pub skipped: i64,
    pub remaining: i64,
    /// Messages settled a second since the send began.
    pub rate: f64,
    /// Seconds until done at that rate, while sending.
    pub seconds_left: Option<i64>,
}

impl From<&sends::Send> for SendView {
    fn from(s: &sends::Send) -> Self {
        let (rate, seconds_left) = s.progress(Utc::now());
        Self {
            id: s.id,
            kind: s.kind.clone(),
            article_id: s.article_id.map(|a| a.0),
            subject: s.subject.clone(),
            status: s.status.clone(),
            created_at: s.created_at.to_rfc3339(),
            finished_at: s.finished_at.map(|t| t.to_rfc3339()),
            queued: s.queued,
            sent: s.sent,
            failed: s.failed,
            bounced: s.bounced,
            skipped: s.skipped,
            remaining: s.remaining(),
            rate,
            seconds_left,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SendList {
    pub items: Vec<SendView>,
}

/// Recent newsletter sends, newest first.
#[utoipa::path(get, path = "/api/v1/admin/newsletters", tag = "mail", security(("bearer" = [])),
    responses((status = 200, body = SendList), (status = 403, body = ApiError)))]
pub async fn sends_list(
    State(state): State<AppState>,
    client: ApiClient,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageNewsletter)?;
    let items = sends::recent(&state.db, 50)
        .await?
        .iter()
        .map(SendView::from)
        .collect();
    json(StatusCode::OK, &SendList { items })
}

/// One send.
#[utoipa::path(get, path = "/api/v1/admin/newsletters/{id}", tag = "mail", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = SendView), (status = 404, body = ApiError)))]
pub async fn send_get(
    State(state): State<AppState>,
    client: ApiClient,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    newsroom::require(&client.actor, Capability::ManageNewsletter)?;
    let s = sends::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no send {id}.")))?;
    json(StatusCode::OK, &SendView::from(&s))
}
