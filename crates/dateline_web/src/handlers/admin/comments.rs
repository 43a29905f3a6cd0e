//! The moderation queue, for editors: comments by status with counts,
//! approve / spam / trash / delete one at a time or in bulk, edit and reply
//! in place, a commenter's history, bans; and the comment settings (admins).

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, Screen, page, see_other};
use crate::newsroom::{self, comments::Action};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dateline_core::comment::{CommentSettings, CommentStatus};
use dateline_core::{ArticleId, Capability};
use dateline_db::comments::{self, BanKind, ModerationFilter};
use dateline_db::views::PageRequest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Comments on one page of the queue.
const PER_PAGE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    pub notice: Option<String>,
    pub status: Option<String>,
    pub email: Option<String>,
    /// The keyed hash of a client, from "same client" links.
    pub client: Option<String>,
    pub article: Option<i64>,
    pub page: Option<u32>,
}

#[derive(Serialize)]
struct QueuePage {
    items: Vec<dateline_db::comments::ModerationItem>,
    counts: Vec<(CommentStatus, i64)>,
    status: String,
    email: String,
    client: String,
    article: Option<i64>,
    article_closed: Option<bool>,
    page: u32,
    pages: u32,
    total: u64,
    /// The query string of this view, for links and for coming back.
    query: String,
    bans: Vec<comments::Ban>,
    /// Who follows the article, or what the address follows, when the view
    /// is of one article or one commenter.
    follows: Vec<dateline_db::follows::Follow>,
    error: Option<String>,
    settings: Option<SettingsView>,
}

#[derive(Serialize, Default)]
struct SettingsView {
    values: CommentSettings,
    blocked: String,
    errors: BTreeMap<String, String>,
}

fn query_of(p: &QueueParams) -> String {
    // No status asked means the queue of held comments.
    let status = p.status.clone().unwrap_or_else(|| "pending".into());
    let mut q = form_urlencoded(&[
        (
            "status",
            if status.is_empty() {
                "all".into()
            } else {
                status
            },
        ),
        ("email", p.email.clone().unwrap_or_default()),
        ("client", p.client.clone().unwrap_or_default()),
        (
            "article",
            p.article.map(|a| a.to_string()).unwrap_or_default(),
        ),
    ]);
    if q.is_empty() {
        q = "status=all".into();
    }
    q
}

fn form_urlencoded(pairs: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

async fn queue_page(
    state: &AppState,
    who: &SignedIn,
    p: &QueueParams,
    error: Option<String>,
    settings: Option<SettingsView>,
    status: StatusCode,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::Moderate)?;
    let wanted = match p.status.as_deref() {
        None => Some(CommentStatus::Pending),
        Some("") | Some("all") => None,
        Some(s) => Some(CommentStatus::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!(
                "“{s}” is not a comment status; use pending, approved, spam or trash."
            ))
        })?),
    };
    let filter = ModerationFilter {
        status: wanted,
        email: p.email.clone().filter(|e| !e.is_empty()),
        ip_hash: p.client.clone().filter(|c| !c.is_empty()),
        article: p.article.map(ArticleId),
    };
    let list = comments::moderation_list(
        &state.db,
        &filter,
        PageRequest::new(p.page.unwrap_or(1), PER_PAGE),
    )
    .await?;
    let article_closed = match p.article {
        Some(a) => comments::target_by_id(&state.db, ArticleId(a))
            .await?
            .map(|t| t.comments_closed != 0),
        None => None,
    };
    let settings = match settings {
        Some(s) => Some(s),
        None if who.actor.can(Capability::ManageSettings) => {
            let values = comments::settings(&state.db).await?;
            Some(SettingsView {
                blocked: values.blocked_words.join("\n"),
                values,
                errors: BTreeMap::new(),
            })
        }
        None => None,
    };
    let view = QueuePage {
        pages: list.pages().max(1),
        page: list.page,
        total: list.total,
        items: list.items,
        counts: comments::status_counts(&state.db).await?,
        status: wanted.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        email: p.email.clone().unwrap_or_default(),
        client: p.client.clone().unwrap_or_default(),
        article: p.article,
        article_closed,
        query: query_of(p),
        bans: comments::bans(&state.db).await?,
        follows: match (p.article, p.email.as_deref().filter(|e| !e.is_empty())) {
            (None, None) => Vec::new(),
            (article, email) => {
                dateline_db::follows::list(&state.db, article.map(ArticleId), email, 500).await?
            }
        },
        error,
        settings,
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/comments.html",
            title: "Comments",
            section: "comments",
        },
        p.notice.as_deref(),
        view,
        status,
    )
    .await
}

/// `GET /admin/comments`: the queue (held comments first), or any status,
/// one commenter's history (`?email=`), one client's (`?client=`), one
/// article's (`?article=`).
pub async fn list(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<QueueParams>,
) -> Result<Response, AppError> {
    queue_page(&state, &who, &p, None, None, StatusCode::OK).await
}

/// Where to go back to after an action: the queue view it came from.
fn back(fields: &[(String, String)]) -> String {
    let query = fields
        .iter()
        .find(|(k, _)| k == "back")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    // Only a query string of our own: never an address elsewhere.
    if query.contains(['/', ':', '\\']) {
        "/admin/comments".into()
    } else {
        format!("/admin/comments?{query}")
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// A comment's own field in the queue's one big form (`edit_5`), or a
/// plain `body` from a form of its own.
fn own_field<'a>(fields: &'a [(String, String)], prefix: &str, id: i64) -> &'a str {
    let own = field(fields, &format!("{prefix}_{id}"));
    if own.is_empty() {
        field(fields, "body")
    } else {
        own
    }
}

/// `POST /admin/comments/bulk`: one action on every ticked comment.
pub async fn bulk(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let action = field(&form, "action");
    let Some(action) = Action::parse(action) else {
        return Err(AppError::BadRequest(
            "Choose what to do with the ticked comments: approve, spam, trash or delete.".into(),
        ));
    };
    if ids.is_empty() {
        let p = QueueParams::default();
        return queue_page(
            &state,
            &who,
            &p,
            Some("Tick the comments to act on first.".into()),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    newsroom::comments::moderate(&state, &who.actor, &ids, action).await?;
    Ok(see_other(&back(&form), "moderated"))
}

/// `POST /admin/comments/{id}/{approve,spam,trash,unapprove,delete}`
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    action: &'static str,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let action = Action::parse(action)
        .ok_or_else(|| AppError::BadRequest(format!("Unknown action {action}.")))?;
    newsroom::comments::moderate(&state, &who.actor, &[id], action).await?;
    Ok(see_other(&back(&form), "moderated"))
}

/// `POST /admin/comments/{id}/edit`
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let body = own_field(&form, "edit", id);
    newsroom::comments::edit(&state, &who.actor, id, body).await?;
    Ok(see_other(&back(&form), "comment-edited"))
}

/// `POST /admin/comments/{id}/reply`: published at once, as the editor.
pub async fn reply(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let body = own_field(&form, "reply", id);
    newsroom::comments::reply(&state, &who.user, &who.actor, id, body).await?;
    Ok(see_other(&back(&form), "replied"))
}

/// `POST /admin/comments/{id}/ban`: `kind` is email or ip.
pub async fn ban(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind = BanKind::parse(field(&form, "kind")).ok_or_else(|| {
        AppError::BadRequest("Ban an email address or a client (kind=email or ip).".into())
    })?;
    newsroom::comments::ban(&state, &who.actor, id, kind, field(&form, "reason")).await?;
    if field(&form, "spam") == "1" {
        newsroom::comments::moderate(&state, &who.actor, &[id], Action::Spam).await?;
    }
    Ok(see_other(&back(&form), "banned"))
}

/// `POST /admin/follows/{id}/delete`: ends a reader's "Notify of".
pub async fn remove_follow(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    newsroom::comments::remove_follow(&state, &who.actor, id).await?;
    Ok(see_other(&back(&form), "follow-removed"))
}

/// `POST /admin/comments/bans/{id}/delete`
pub async fn unban(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    newsroom::comments::unban(&state, &who.actor, id).await?;
    Ok(see_other("/admin/comments", "unbanned"))
}

/// `POST /admin/articles/{id}/comments`: open or close an article's comments.
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let closed = field(&form, "closed") == "1";
    newsroom::comments::set_closed(&state, &who.actor, ArticleId(id), closed).await?;
    Ok(see_other(
        &format!("/admin/comments?article={id}&status=all"),
        if closed {
            "comments-closed"
        } else {
            "comments-opened"
        },
    ))
}

/// `POST /admin/comments/settings` (admins).
pub async fn save_settings(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageSettings)?;
    let mut errors = BTreeMap::new();
    let mut number = |name: &str| -> u32 {
        match field(&form, name).trim().parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                errors.insert(name.to_owned(), "Write a whole number.".to_owned());
                0
            }
        }
    };
    let blocked = field(&form, "blocked_words").to_owned();
    let settings = CommentSettings {
        enabled: field(&form, "enabled") == "1",
        close_after_days: number("close_after_days"),
        threads_per_page: number("threads_per_page"),
        max_depth: number("max_depth"),
        edit_minutes: number("edit_minutes"),
        max_chars: number("max_chars"),
        hold_first: field(&form, "hold_first") == "1",
        max_links: number("max_links"),
        blocked_words: blocked
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        min_seconds: number("min_seconds"),
        proof_of_work_bits: number("proof_of_work_bits"),
        bubble: field(&form, "bubble") == "1",
    };
    if errors.is_empty()
        && let Err(invalid) = settings.validate()
    {
        errors.extend(invalid.0.into_iter().map(|e| (e.field, e.message)));
    }
    if !errors.is_empty() {
        let view = SettingsView {
            values: settings,
            blocked,
            errors,
        };
        return queue_page(
            &state,
            &who,
            &QueueParams::default(),
            Some("The comment settings were not saved; see below.".into()),
            Some(view),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    newsroom::comments::save_settings(&state, &who.actor, &settings).await?;
    Ok(see_other("/admin/comments", "saved"))
}
