//! Newsletters in the newsroom, for editors: sends with their progress
//! (pause, resume, cancel), sending an article, and the subscribers.

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, Screen, page, see_other};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use dateline_core::newsletter::SubscriberStatus;
use dateline_core::{ArticleId, Capability};
use dateline_db::articles::{self, ArticleFilter};
use dateline_db::mail;
use dateline_db::sends::{self, Refusal, SendMode};
use dateline_db::subscribers::{self, SubscriberFilter};
use dateline_db::views::PageRequest;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct SendRow {
    send: sends::Send,
    percent: i64,
    rate: f64,
    seconds_left: Option<i64>,
    article_url: Option<String>,
}

#[derive(Serialize)]
struct NewslettersPage {
    sends: Vec<SendRow>,
    active: bool,
    queue: mail::QueueCounts,
    subscribers: Vec<(SubscriberStatus, i64)>,
    /// Recently published articles to choose from: (id, headline, sent before).
    articles: Vec<(i64, String, bool)>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeOnly {
    pub notice: Option<String>,
}

async fn newsletters_page(
    state: &AppState,
    who: &SignedIn,
    notice: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let recent = sends::recent(&state.db, 50).await?;
    let active = recent.iter().any(|s| s.status == "sending");
    let rows = recent
        .into_iter()
        .map(|s| {
            let (rate, seconds_left) = s.progress(Utc::now());
            SendRow {
                percent: if s.queued > 0 {
                    (s.queued - s.remaining()) * 100 / s.queued
                } else {
                    100
                },
                article_url: s.article_id.map(|a| format!("/admin/articles/{}", a.0)),
                rate,
                seconds_left,
                send: s,
            }
        })
        .collect();
    let published = articles::list(
        &state.db,
        &ArticleFilter::published(),
        PageRequest::new(1, 30),
    )
    .await?;
    let ids: Vec<ArticleId> = published.items.iter().map(|a| a.id).collect();
    let sent = sends::sent_articles(&state.db, &ids).await?;
    let choices = published
        .items
        .into_iter()
        .map(|a| (a.id.0, a.headline, sent.contains(&a.id)))
        .collect();
    let view = NewslettersPage {
        sends: rows,
        active,
        queue: mail::counts(&state.db).await?,
        subscribers: subscribers::counts(&state.db).await?,
        articles: choices,
        error,
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/newsletters.html",
            title: "Newsletters",
            section: "newsletters",
        },
        notice,
        view,
        status,
    )
    .await
}

/// `GET /admin/newsletters`
pub async fn list(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeOnly>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    newsletters_page(&state, &who, p.notice.as_deref(), None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    article: String,
    #[serde(default)]
    again: Option<String>,
}

/// Queues an article's send, or says why not.
pub(crate) async fn send_article(
    state: &AppState,
    who: &SignedIn,
    article: ArticleId,
    again: bool,
) -> Result<Result<sends::Send, String>, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let Some(v) = articles::find(&state.db, article).await? else {
        return Ok(Err("Choose an article to send.".into()));
    };
    let mode = if again {
        SendMode::Again
    } else {
        SendMode::First
    };
    Ok(
        match sends::send_article(
            &state.db,
            article,
            &v.summary.headline,
            mode,
            &who.actor.who,
            Utc::now(),
        )
        .await?
        {
            Ok(s) => Ok(s),
            Err(Refusal::AlreadySent { at, sent, .. }) => Err(format!(
                "“{}” already went to {sent} subscribers on {}. Tick “only to those who have not had it” to send it to new subscribers.",
                v.summary.headline,
                at.format("%Y-%m-%d at %H:%M UTC")
            )),
            Err(Refusal::NotPublished) => Err(format!(
                "“{}” is not published yet; publish it first, or tick “email subscribers” in the editor to send it when it is.",
                v.summary.headline
            )),
            Err(Refusal::APage) => Err(format!(
                "“{}” is a page, not a report: pages are not mailed to subscribers.",
                v.summary.headline
            )),
            Err(Refusal::NotMarked) => Err("Another process sent it meanwhile.".into()),
        },
    )
}

/// `POST /admin/newsletters`: sends an article.
pub async fn create(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<SendForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let id = form.article.trim().parse::<i64>().unwrap_or(0);
    match send_article(&state, &who, ArticleId(id), form.again.is_some()).await? {
        Ok(_) => Ok(see_other("/admin/newsletters", "send-queued")),
        Err(message) => {
            newsletters_page(
                &state,
                &who,
                None,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /admin/newsletters/{id}/pause|resume|cancel`
pub async fn control(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    action: &'static str,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let s = sends::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no send {id}.")))?;
    let done = match action {
        "pause" => sends::pause(&state.db, id, Utc::now(), &who.actor.who).await?,
        "resume" => sends::resume(&state.db, id, Utc::now(), &who.actor.who).await?,
        _ => sends::cancel(&state.db, id, Utc::now(), &who.actor.who).await?,
    };
    if !done {
        let message = format!(
            "This send is {} now, so it cannot be {}d.",
            s.status,
            action.trim_end_matches('e')
        );
        return newsletters_page(&state, &who, None, Some(message), StatusCode::CONFLICT).await;
    }
    Ok(see_other(
        "/admin/newsletters",
        match action {
            "pause" => "paused",
            "resume" => "resumed",
            _ => "cancelled",
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscriberParams {
    pub notice: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
}

#[derive(Serialize)]
struct SubscribersPage {
    list: dateline_db::views::Paged<subscribers::Subscriber>,
    counts: Vec<(SubscriberStatus, i64)>,
    status: String,
    q: String,
    pages: u32,
    import: Option<ImportView>,
}

/// What an upload imported, or why it could not.
#[derive(Serialize, Default)]
struct ImportView {
    error: Option<String>,
    read: u64,
    added: u64,
    already: u64,
    /// The first rejected rows: line and why.
    rejected: Vec<(u64, String)>,
    more_rejected: usize,
}

async fn subscribers_page(
    state: &AppState,
    who: &SignedIn,
    p: SubscriberParams,
    import: Option<ImportView>,
    status_code: StatusCode,
) -> Result<Response, AppError> {
    let status = p.status.as_deref().and_then(SubscriberStatus::parse);
    let filter = SubscriberFilter {
        status,
        text: p.q.clone(),
    };
    let list = subscribers::list(
        &state.db,
        &filter,
        PageRequest::new(p.page.unwrap_or(1), 50),
    )
    .await?;
    let pages = (list.total as u32).div_ceil(50).max(1);
    let view = SubscribersPage {
        counts: subscribers::counts(&state.db).await?,
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        pages,
        list,
        import,
    };
    let screen = Screen {
        template: "admin/subscribers.html",
        title: "Subscribers",
        section: "subscribers",
    };
    page(
        state,
        Some(who),
        screen,
        p.notice.as_deref(),
        view,
        status_code,
    )
    .await
}

/// `GET /admin/subscribers`
pub async fn subscribers_list(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<SubscriberParams>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    subscribers_page(&state, &who, p, None, StatusCode::OK).await
}

/// `POST /admin/subscribers/import`: a CSV file, as `dateline subscribers
/// import` reads it; the page shows what was added and every row refused.
pub async fn import(
    State(state): State<AppState>,
    form: crate::auth::AdminMultipart,
) -> Result<Response, AppError> {
    let who = &form.who;
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let Some(file) = form
        .files
        .iter()
        .find(|f| f.field == "file" && !f.bytes.is_empty())
    else {
        let view = ImportView {
            error: Some("Choose a CSV file to import.".into()),
            ..ImportView::default()
        };
        return subscribers_page(
            &state,
            who,
            SubscriberParams::default(),
            Some(view),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let (view, status) = match dateline_mail::subscriber_csv::import(
        &state.db,
        &file.bytes[..],
        &who.actor.who,
        |_, _| {},
    )
    .await
    {
        Ok(r) => (
            ImportView {
                error: None,
                read: r.read,
                added: r.added,
                already: r.already_here(),
                more_rejected: r.rejected.len().saturating_sub(50),
                rejected: r.rejected.into_iter().take(50).collect(),
            },
            StatusCode::OK,
        ),
        Err(e) => (
            ImportView {
                error: Some(format!("{} could not be imported: {e:#}.", file.file_name)),
                ..ImportView::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    subscribers_page(&state, who, SubscriberParams::default(), Some(view), status).await
}

#[derive(Debug, Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    r#as: String,
}

/// `POST /admin/subscribers/{id}/mark`: a bounce or complaint reported by
/// other means; no more mail goes to the address.
pub async fn mark(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<MarkForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let status = match form.r#as.as_str() {
        "complained" => SubscriberStatus::Complained,
        "bounced" => SubscriberStatus::Bounced,
        other => {
            return Err(AppError::BadRequest(format!(
                "Mark an address as bounced or complained, not \"{other}\"."
            )));
        }
    };
    if subscribers::get(&state.db, id).await?.is_none() {
        return Err(AppError::NotFound(format!("There is no subscriber {id}.")));
    }
    subscribers::mark(&state.db, id, status, Utc::now(), &who.actor.who).await?;
    Ok(see_other("/admin/subscribers", "marked"))
}

/// `POST /admin/subscribers/{id}/erase`
pub async fn erase(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let s = subscribers::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no subscriber {id}.")))?;
    subscribers::erase(&state.db, &s.email, Utc::now(), &who.actor.who).await?;
    Ok(see_other("/admin/subscribers", "erased"))
}

/// `GET /admin/subscribers.csv`: every subscriber, as the CLI's export.
pub async fn export(State(state): State<AppState>, who: SignedIn) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let mut out = Vec::new();
    dateline_mail::subscriber_csv::subscribers_csv(&state.db, &mut out, &who.actor.who).await?;
    let mut response = crate::handlers::download(out, "text/csv; charset=utf-8", "subscribers.csv");
    crate::handlers::admin::private(&mut response);
    Ok(response)
}

/// Whether an article is marked to go out when published, and the sends
/// that were not cancelled.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ArticleNewsletter {
    pub marked: bool,
    pub sends: Vec<sends::Send>,
}

/// What the editor shows of an article's newsletter, for those who may
/// send one (`None` for the rest).
pub(crate) async fn article_newsletter(
    state: &AppState,
    who: &SignedIn,
    id: Option<ArticleId>,
) -> Result<Option<ArticleNewsletter>, AppError> {
    if !who.actor.can(Capability::ManageNewsletter) {
        return Ok(None);
    }
    let Some(id) = id else {
        return Ok(Some(ArticleNewsletter::default()));
    };
    let mut sends = sends::of_article(&state.db, id).await?;
    sends.retain(|s| s.status != "cancelled");
    Ok(Some(ArticleNewsletter {
        marked: sends::article_newsletter(&state.db, id).await?,
        sends,
    }))
}
