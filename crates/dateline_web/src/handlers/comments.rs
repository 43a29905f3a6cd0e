//! The reader's side of comments: the section under an article, its further
//! pages and permalinks, posting and replying, votes, a writer's edits, the
//! comment feed, and what the page's script asks for (fresh form tokens,
//! the reader's own comments, comments that arrived since, a live stream).
//!
//! Every page here works without JavaScript; the script only saves reloads.
//! Pages that show something only its reader may see are `private, no-store`.

use crate::auth::{ReaderForm, client_ip, cookie_value, session_cookie};
use crate::commenting::{self, Refusal, Sender, Submission};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::{Freshness, cacheable, html_page};
use crate::state::AppState;
use crate::views::PageMeta;
use crate::views::comments::{
    CommentFormView, CommentItem, CommentSection, PassagePanel, attach_passages, thread_tree,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use dateline_core::comment::{CommentInput, CommentSettings, CommentSort, CommentStatus};
use dateline_db::comments::{self, CommentTarget, Cursor, ThreadFilter};
use dateline_db::passages::PassageView;
use dateline_db::views::CommentView;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The cookie holding the secret that lets a writer change their comments.
pub const COMMENTER_COOKIE: &str = "dateline_commenter";
/// A cookie the page's script may read: this browser has commented here.
pub const COMMENTED_COOKIE: &str = "dateline_commented";

/// `?sort=` and `?after=` on comment pages. Unknown values fall back to the
/// defaults: shared links must open.
#[derive(Debug, Default, Deserialize)]
pub struct SectionParams {
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
    /// `1` when the page's script asks for the threads alone.
    #[serde(default)]
    pub partial: Option<String>,
    /// `inline`: inline feedback only.
    #[serde(default)]
    pub filter: Option<String>,
}

impl SectionParams {
    pub fn sort(&self) -> CommentSort {
        self.sort
            .as_deref()
            .and_then(CommentSort::parse)
            .unwrap_or_default()
    }

    /// Where a further page starts.
    fn after(&self) -> Result<Option<Cursor>, AppError> {
        match self.after.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => Cursor::parse(s).map(Some).ok_or_else(|| {
                AppError::BadRequest(
                    "This “Load more” link is damaged; go back to the article and follow it again."
                        .into(),
                )
            }),
        }
    }

    pub fn filter(&self) -> Filter {
        match self.filter.as_deref() {
            Some("inline") => Filter::Inline,
            _ => Filter::All,
        }
    }
}

/// Which threads the comment section lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    /// Inline feedback: comments on passages of the article.
    Inline,
}

impl Filter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Inline => "inline",
        }
    }

    fn threads(self) -> ThreadFilter<'static> {
        match self {
            Self::All => ThreadFilter::All,
            Self::Inline => ThreadFilter::Inline,
        }
    }
}

/// The comment section of an article's page: the first threads in `sort`
/// order (inline feedback only, with `Filter::Inline`) and an empty form.
/// `passages` are the article's, when the page already read them.
pub(crate) async fn section(
    state: &AppState,
    target: &CommentTarget,
    sort: CommentSort,
    filter: Filter,
    passages: Option<&[PassageView]>,
) -> Result<CommentSection, AppError> {
    let settings = crate::handlers::comment_settings(state).await?;
    let mut s = frame(state, target, sort, filter, &settings);
    if !settings.enabled {
        return Ok(s);
    }
    let page = comments::threads(
        &state.db,
        dateline_core::ArticleId(target.id),
        filter.threads(),
        sort,
        None,
        settings.threads_per_page,
    )
    .await?;
    s.threads = threads_with_passages(state, target, &page.comments, &settings, passages).await?;
    s.next_url = page
        .next
        .map(|c| more_url(&s.comments_url, sort, filter, &c));
    Ok(s)
}

/// The tree of threads, each thread on a passage saying which.
async fn threads_with_passages(
    state: &AppState,
    target: &CommentTarget,
    comments: &[CommentView],
    settings: &CommentSettings,
    passages: Option<&[PassageView]>,
) -> Result<Vec<CommentItem>, AppError> {
    let mut items = thread_tree(comments, &target.slug, &state.urls, settings.max_depth);
    if comments.iter().any(|c| c.anchor.is_some()) {
        let read;
        let passages = match passages {
            Some(p) => p,
            None => {
                read = dateline_db::passages::for_article(
                    &state.db,
                    dateline_core::ArticleId(target.id),
                )
                .await?;
                &read
            }
        };
        attach_passages(&mut items, passages, &target.slug, &state.urls);
    }
    Ok(items)
}

/// The section without its threads (for the pages that show other threads,
/// or none), with a fresh form token.
fn frame(
    state: &AppState,
    target: &CommentTarget,
    sort: CommentSort,
    filter: Filter,
    settings: &CommentSettings,
) -> CommentSection {
    let now = Utc::now();
    let mut s = CommentSection::new(
        target,
        settings,
        (sort, filter),
        &state.urls,
        target.open(settings, now),
    );
    s.form.token = commenting::form_token(state, now);
    s
}

/// Comments as the list items the page's script puts in place.
fn fragment(state: &AppState, items: &[CommentItem]) -> Result<String, AppError> {
    Ok(state.templates.render(
        "comment_fragment.html",
        minijinja::context! { items => crate::templates::ser(items) },
    )?)
}

fn one_fragment(state: &AppState, c: &CommentView, slug: &str) -> Result<String, AppError> {
    fragment(state, &[CommentItem::new(c, slug, &state.urls)])
}

/// What a page's script asks for in place of a page: public, cached with
/// the article's comments.
fn for_the_script(value: &serde_json::Value) -> Response {
    cacheable(
        serde_json::to_vec(value).unwrap_or_default(),
        "application/json",
        Freshness::Revalidate,
        None,
    )
}

fn more_url(comments_url: &str, sort: CommentSort, filter: Filter, cursor: &str) -> String {
    match filter {
        Filter::All => format!("{comments_url}?sort={}&after={cursor}", sort.as_str()),
        f => format!(
            "{comments_url}?sort={}&filter={}&after={cursor}",
            sort.as_str(),
            f.as_str()
        ),
    }
}

async fn target(state: &AppState, slug: &str) -> Result<CommentTarget, AppError> {
    comments::target_by_slug(&state.db, slug)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no article at this address.".into()))
}

/// What a comment page shows.
#[derive(Serialize)]
struct CommentPage {
    /// more, thread, reply, form, yours, edit, passage
    kind: &'static str,
    section: CommentSection,
    /// The comment a permalink, reply or edit page is about.
    focus: Option<i64>,
    /// The writer's own comment, on their private page.
    yours: Option<CommentItem>,
    /// Until when the writer may change it (ISO time), when they still may.
    editable_until: Option<String>,
    message: Option<String>,
    /// The paragraph a passage page is about.
    passage: Option<PassagePanel>,
}

impl CommentPage {
    /// A page of this kind showing `section`, with nothing else yet.
    fn new(kind: &'static str, section: CommentSection) -> Self {
        Self {
            kind,
            section,
            focus: None,
            yours: None,
            editable_until: None,
            message: None,
            passage: None,
        }
    }
}

async fn comment_page(
    state: &AppState,
    title: String,
    page: CommentPage,
    status: StatusCode,
    private: bool,
) -> Result<Response, AppError> {
    let meta = PageMeta {
        title,
        noindex: true,
        scripts: vec![state.assets.url("comments.js")],
        ..PageMeta::default()
    };
    let mut response = html_page(state, "comments.html", meta, page, None).await?;
    *response.status_mut() = status;
    if private || status != StatusCode::OK {
        crate::handlers::make_private(&mut response);
    }
    Ok(response)
}

/// `GET /{slug}/comments`: further threads ("Load more" without script);
/// with `partial=1`, only the threads and the next link, for the script.
pub async fn more(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Q(params): Q<SectionParams>,
) -> Result<Response, AppError> {
    let target = target(&state, &slug).await?;
    let settings = crate::handlers::comment_settings(&state).await?;
    let sort = params.sort();
    let filter = params.filter();
    let after = params.after()?;
    let mut section = frame(&state, &target, sort, filter, &settings);
    let page = comments::threads(
        &state.db,
        dateline_core::ArticleId(target.id),
        filter.threads(),
        sort,
        after,
        settings.threads_per_page,
    )
    .await?;
    section.threads =
        threads_with_passages(&state, &target, &page.comments, &settings, None).await?;
    section.next_url = page
        .next
        .map(|c| more_url(&section.comments_url, sort, filter, &c));
    if params.partial.as_deref() == Some("1") {
        let html = fragment(&state, &section.threads)?;
        return Ok(for_the_script(
            &json!({ "html": html, "next": section.next_url }),
        ));
    }
    let title = format!("Comments on “{}”", target.headline);
    comment_page(
        &state,
        title,
        CommentPage::new("more", section),
        StatusCode::OK,
        false,
    )
    .await
}

/// `GET /{slug}/passages/{anchor}`: a paragraph of the article with the
/// editors' question on it, the comments on it and a form to add one
/// (commenting on a paragraph without script). With `partial=1`, the panel
/// the page's script shows beside the paragraph, as JSON.
pub async fn passage(
    State(state): State<AppState>,
    Path((slug, anchor)): Path<(String, String)>,
    Q(params): Q<SectionParams>,
) -> Result<Response, AppError> {
    let target = target(&state, &slug).await?;
    let settings = crate::handlers::comment_settings(&state).await?;
    let passage = dateline_db::passages::get(&state.db, dateline_core::ArticleId(target.id), &anchor)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                "This report has no such paragraph. Go back to the report and choose the paragraph again."
                    .into(),
            )
        })?;
    let sort = params.sort();
    let after = params.after()?;
    let mut section = frame(&state, &target, sort, Filter::All, &settings);
    let mut panel = PassagePanel::new(&passage, &slug, &state.urls, section.open);
    if settings.enabled {
        let page = comments::threads(
            &state.db,
            dateline_core::ArticleId(target.id),
            ThreadFilter::Passage(&anchor),
            sort,
            after,
            settings.threads_per_page,
        )
        .await?;
        panel.threads = thread_tree(&page.comments, &slug, &state.urls, settings.max_depth);
        panel.next_url = page
            .next
            .map(|c| format!("{}?sort={}&after={c}", panel.url, sort.as_str()));
    }
    if params.partial.as_deref() == Some("1") {
        let html = state.templates.render(
            "passage_panel.html",
            minijinja::context! { panel => crate::templates::ser(&panel) },
        )?;
        return Ok(for_the_script(
            &json!({ "html": html, "answers": panel.answers, "open": panel.open }),
        ));
    }
    section.open = panel.open;
    if panel.open {
        section.form.anchor = Some(passage.anchor.clone());
        section.form.question = passage.question.clone();
    }
    let title = match &passage.question {
        Some(q) => format!("{q} — {}", target.headline),
        None => format!("A paragraph of “{}”", target.headline),
    };
    comment_page(
        &state,
        title,
        CommentPage {
            passage: Some(panel),
            ..CommentPage::new("passage", section)
        },
        StatusCode::OK,
        false,
    )
    .await
}

/// `GET /{slug}/comments/{id}`: a comment's permalink, the page of its thread.
pub async fn permalink(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    thread_page(&state, &slug, id, "thread").await
}

/// `GET /{slug}/comments/{id}/reply`: the thread with a form to answer the
/// comment (replying without script).
pub async fn reply_form(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    thread_page(&state, &slug, id, "reply").await
}

async fn thread_page(
    state: &AppState,
    slug: &str,
    id: i64,
    kind: &'static str,
) -> Result<Response, AppError> {
    let target = target(state, slug).await?;
    let settings = crate::handlers::comment_settings(state).await?;
    let missing = || {
        AppError::NotFound(
            "This comment is not shown: it may have been removed, or is waiting for a moderator."
                .into(),
        )
    };
    let (comment, thread) = comments::thread_of(&state.db, id)
        .await?
        .ok_or_else(missing)?;
    if comment.article_id != target.id {
        return Err(missing());
    }
    let mut section = frame(
        state,
        &target,
        CommentSort::default(),
        Filter::All,
        &settings,
    );
    section.threads = threads_with_passages(state, &target, &thread, &settings, None).await?;
    if kind == "reply" {
        section.form.parent_id = Some(id);
        section.form.parent_author = Some(comment.author_name.clone());
    }
    let title = match kind {
        "reply" => format!("Reply to {} — {}", comment.author_name, target.headline),
        _ => format!("{} on “{}”", comment.author_name, target.headline),
    };
    comment_page(
        state,
        title,
        CommentPage {
            focus: Some(id),
            ..CommentPage::new(kind, section)
        },
        StatusCode::OK,
        false,
    )
    .await
}

/// The comment form's fields.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    token: String,
    #[serde(default)]
    pow: String,
    #[serde(default, rename = "homepage")]
    honeypot: String,
    /// "Email me replies to this comment".
    #[serde(default)]
    notify: Option<String>,
    /// The paragraph a comment is about (inline feedback).
    #[serde(default)]
    anchor: Option<String>,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// The newsroom account signed in in this browser, if any: its comments go
/// out under its name, marked as the newsroom's, without the guests' checks.
pub(crate) async fn newsroom_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<dateline_db::accounts::User>, AppError> {
    let Some(token) = cookie_value(headers, crate::auth::SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = crate::auth::secrets::hash_secret(&token);
    Ok(dateline_db::sessions::session(&state.db, &hash, Utc::now())
        .await?
        .map(|s| s.user))
}

/// The secret in this browser that lets its writer change their comments;
/// a new one (and its cookie) when there is none.
pub(crate) fn owner_secret(parts: &Parts) -> (String, bool) {
    match cookie_value(&parts.headers, COMMENTER_COOKIE) {
        Some(s) if s.len() >= 32 && s.len() <= 64 => (s, false),
        _ => (crate::auth::secrets::new_secret(), true),
    }
}

/// `POST /{slug}/comments`: a new comment or reply.
pub async fn post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ReaderForm { form, parts }: ReaderForm<CommentForm>,
) -> Result<Response, AppError> {
    let target = target(&state, &slug).await?;
    let settings = crate::handlers::comment_settings(&state).await?;
    let parent_id = match form.parent_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(p.parse::<i64>().map_err(|_| {
            AppError::BadRequest("The comment being replied to is not a number.".into())
        })?),
    };
    let submission = Submission {
        input: CommentInput {
            body: form.body.clone(),
            name: form.name.clone(),
            email: form.email.clone(),
            website: form.website.clone(),
        },
        parent_id,
        token: form.token.clone(),
        nonce: form.pow.clone(),
        honeypot: form.honeypot.clone(),
        anchor: form.anchor.clone().filter(|a| !a.is_empty()),
        notify: form.notify.as_deref() == Some("1"),
    };
    let (secret, new_cookie) = owner_secret(&parts);
    let mut sender = Sender::reader(&state, &parts, secret.clone());
    if let Some(user) = newsroom_user(&state, &parts.headers).await? {
        sender.staff = Some((user.id, user.name, user.email));
    }
    let json = wants_json(&parts.headers);
    let now = Utc::now();
    match commenting::post(&state, &target, &settings, &submission, &sender, now).await {
        Ok(row) => {
            let mut response = if json {
                let html =
                    one_fragment(&state, &dateline_db::views::CommentView::from(&row), &slug)?;
                (
                    StatusCode::CREATED,
                    Json(json!({
                        "id": row.id,
                        "status": row.status,
                        "parent_id": row.parent_id,
                        "anchor": row.anchor,
                        "html": html,
                        "message": posted_message(&row.status),
                    })),
                )
                    .into_response()
            } else {
                Redirect::to(&format!("/comments/{}/yours", row.id)).into_response()
            };
            set_commenter_cookies(&state, &mut response, &secret, new_cookie);
            Ok(response)
        }
        Err(refusal) => {
            let (status, errors, message, retry_after): (
                _,
                std::collections::BTreeMap<String, String>,
                _,
                _,
            ) = match refusal {
                Refusal::Invalid(errors) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    errors.0.into_iter().map(|e| (e.field, e.message)).collect(),
                    None,
                    None,
                ),
                Refusal::Notice {
                    status,
                    message,
                    retry_after,
                } => (status, Default::default(), Some(message), retry_after),
                Refusal::Internal(e) => return Err(AppError::Internal(e)),
            };
            if json {
                let mut r = (
                    status,
                    Json(json!({
                        "error": message.clone().unwrap_or_else(|| "Some fields need correcting.".into()),
                        "fields": errors,
                        "token": commenting::reader_form_token(&state, now),
                    })),
                )
                    .into_response();
                add_retry_after(&mut r, retry_after);
                return Ok(r);
            }
            let mut section = frame(
                &state,
                &target,
                CommentSort::default(),
                Filter::All,
                &settings,
            );
            // A comment on a paragraph that is gone can still go to the
            // whole report: the form no longer names the paragraph.
            let anchor = match errors.contains_key("anchor") || parent_id.is_some() {
                true => None,
                false => submission.anchor.clone(),
            };
            section.form = CommentFormView {
                body: form.body,
                name: form.name,
                email: form.email,
                website: form.website,
                parent_id,
                errors,
                notice: message,
                notify: form.notify.as_deref() == Some("1"),
                anchor,
                ..section.form
            };
            let title = format!("Your comment on “{}”", target.headline);
            let mut r = comment_page(
                &state,
                title,
                CommentPage {
                    focus: parent_id,
                    ..CommentPage::new("form", section)
                },
                status,
                true,
            )
            .await?;
            add_retry_after(&mut r, retry_after);
            Ok(r)
        }
    }
}

fn add_retry_after(response: &mut Response, retry_after: Option<u64>) {
    if let Some(s) = retry_after
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

fn posted_message(status: &str) -> &'static str {
    if status == CommentStatus::Pending.as_str() {
        "Thank you. Your comment is awaiting moderation; it will appear once an editor has read it."
    } else {
        "Thank you. Your comment is published."
    }
}

pub(crate) fn set_commenter_cookies(
    state: &AppState,
    response: &mut Response,
    secret: &str,
    new: bool,
) {
    let secure = state.config.secure_cookies();
    let year = Some(Duration::days(365));
    let h = response.headers_mut();
    if new {
        h.append(
            header::SET_COOKIE,
            session_cookie(COMMENTER_COOKIE, secret, secure, year),
        );
    }
    // Readable by the page's script, so it asks for the reader's own
    // comments only where there are some.
    let marker = format!(
        "{COMMENTED_COOKIE}=1; Path=/; Max-Age={}; SameSite=Lax{}",
        365 * 86_400,
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&marker) {
        h.append(header::SET_COOKIE, v);
    }
}

/// Whether this browser wrote the comment, and may still change it.
fn editable_until(
    row: &dateline_db::rows::CommentRow,
    headers: &HeaderMap,
    settings: &CommentSettings,
) -> Option<chrono::DateTime<Utc>> {
    let until = chrono::DateTime::from_timestamp(row.created_at, 0)?
        + Duration::minutes(i64::from(settings.edit_minutes));
    (written_here(row, headers) && row.deleted_at.is_none() && until > Utc::now()).then_some(until)
}

/// Whether the browser sending `headers` holds the secret its comment was
/// written with.
fn written_here(row: &dateline_db::rows::CommentRow, headers: &HeaderMap) -> bool {
    cookie_value(headers, COMMENTER_COOKIE).is_some_and(|secret| {
        !row.owner_hash.is_empty()
            && crate::auth::secrets::same(
                &crate::auth::secrets::hash_secret(&secret),
                &row.owner_hash,
            )
    })
}

/// `GET /comments/{id}/yours`: the writer's own comment just after posting
/// (published, or awaiting moderation), with edit and delete while allowed.
/// Only the browser that wrote it sees it.
pub async fn yours(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let settings = crate::handlers::comment_settings(&state).await?;
    let not_yours = || {
        AppError::NotFound("This page shows a comment only to the browser that wrote it.".into())
    };
    let row = comments::get(&state.db, id).await?.ok_or_else(not_yours)?;
    if !written_here(&row, &headers) || !matches!(row.status.as_str(), "approved" | "pending") {
        return Err(not_yours());
    }
    let target = comments::target_by_id(&state.db, dateline_core::ArticleId(row.article_id))
        .await?
        .ok_or_else(not_yours)?;
    let section = frame(
        &state,
        &target,
        CommentSort::default(),
        Filter::All,
        &settings,
    );
    let view = dateline_db::views::CommentView::from(&row);
    let until = editable_until(&row, &headers, &settings);
    comment_page(
        &state,
        format!("Your comment on “{}”", target.headline),
        CommentPage {
            focus: Some(id),
            yours: Some(CommentItem::new(&view, &target.slug, &state.urls)),
            editable_until: until.map(|u| crate::views::comments::comment_time(u).1),
            message: Some(posted_message(&row.status).to_owned()),
            ..CommentPage::new("yours", section)
        },
        StatusCode::OK,
        true,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    body: String,
}

/// `GET /comments/{id}/edit`: the writer's edit form, while the window is open.
pub async fn edit_form(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    edit_page(&state, id, &headers, None, None, StatusCode::OK).await
}

async fn edit_page(
    state: &AppState,
    id: i64,
    headers: &HeaderMap,
    body: Option<String>,
    errors: Option<std::collections::BTreeMap<String, String>>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let settings = crate::handlers::comment_settings(state).await?;
    let gone = || {
        AppError::NotFound(format!(
            "Only the browser that wrote a comment can change it, and only for {} minutes after posting.",
            settings.edit_minutes
        ))
    };
    let row = comments::get(&state.db, id).await?.ok_or_else(gone)?;
    let until = editable_until(&row, headers, &settings).ok_or_else(gone)?;
    let target = comments::target_by_id(&state.db, dateline_core::ArticleId(row.article_id))
        .await?
        .ok_or_else(gone)?;
    let mut section = frame(
        state,
        &target,
        CommentSort::default(),
        Filter::All,
        &settings,
    );
    section.form.action = format!("/comments/{id}/edit");
    section.form.body = body.unwrap_or_else(|| row.body_markdown.clone());
    section.form.errors = errors.unwrap_or_default();
    let view = dateline_db::views::CommentView::from(&row);
    comment_page(
        state,
        format!("Edit your comment on “{}”", target.headline),
        CommentPage {
            focus: Some(id),
            yours: Some(CommentItem::new(&view, &target.slug, &state.urls)),
            editable_until: Some(crate::views::comments::comment_time(until).1),
            ..CommentPage::new("edit", section)
        },
        status,
        true,
    )
    .await
}

/// `POST /comments/{id}/edit`: saves the writer's change (held for a
/// moderator when the rules for new comments say so).
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ReaderForm { form, parts }: ReaderForm<EditForm>,
) -> Result<Response, AppError> {
    use commenting::edit::EditError;
    let json = wants_json(&parts.headers);
    let secret = cookie_value(&parts.headers, COMMENTER_COOKIE).unwrap_or_default();
    let ip = client_ip(&parts, &state.config.trusted_proxies);
    let row = match commenting::edit::edit(&state, id, &secret, &form.body, ip, Utc::now()).await {
        Ok(row) => row,
        Err(EditError::Refused(e)) => return Err(e),
        Err(EditError::Body(message)) => {
            let errors = std::collections::BTreeMap::from([("body".to_owned(), message)]);
            if json {
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({"error": "Some fields need correcting.", "fields": errors})),
                )
                    .into_response());
            }
            return edit_page(
                &state,
                id,
                &parts.headers,
                Some(form.body),
                Some(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if json {
        return Ok(Json(json!({
            "id": row.id,
            "status": row.status,
            "html": row.body_html,
            "message": posted_message(&row.status),
        }))
        .into_response());
    }
    Ok(Redirect::to(&format!("/comments/{id}/yours")).into_response())
}

fn hash_or_empty(secret: &str) -> String {
    if secret.is_empty() {
        String::new()
    } else {
        crate::auth::secrets::hash_secret(secret)
    }
}

/// `POST /comments/{id}/delete`: the writer takes their comment back.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ReaderForm { form: _, parts }: ReaderForm<EditForm>,
) -> Result<Response, AppError> {
    let secret = cookie_value(&parts.headers, COMMENTER_COOKIE).unwrap_or_default();
    let row = commenting::edit::delete(&state, id, &secret, Utc::now()).await?;
    if wants_json(&parts.headers) {
        return Ok(Json(json!({"id": id, "deleted": true})).into_response());
    }
    let slug = comments::target_by_id(&state.db, dateline_core::ArticleId(row.article_id))
        .await?
        .map(|t| t.slug)
        .unwrap_or_default();
    Ok(Redirect::to(&format!("{}#comments", state.urls.article(&slug))).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    value: String,
}

/// `POST /comments/{id}/vote`: one vote per reader; the same vote again
/// takes it back.
pub async fn vote(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ReaderForm { form, parts }: ReaderForm<VoteForm>,
) -> Result<Response, AppError> {
    let value = match form.value.as_str() {
        "up" | "1" => 1,
        "down" | "-1" => -1,
        _ => {
            return Err(AppError::BadRequest("A vote is “up” or “down”.".into()));
        }
    };
    let (result, slug) = cast_vote(&state, &parts, id, value).await?;
    if wants_json(&parts.headers) {
        return Ok(Json(result).into_response());
    }
    Ok(Redirect::to(&format!("{}#comment-{id}", state.urls.comment(&slug, id))).into_response())
}

/// Records a reader's vote (1 or -1) on comment `id`, keyed by a hash of
/// their address; returns the new counts and the article's slug.
pub(crate) async fn cast_vote(
    state: &AppState,
    parts: &Parts,
    id: i64,
    value: i64,
) -> Result<(comments::VoteResult, String), AppError> {
    let ip = client_ip(parts, &state.config.trusted_proxies);
    let voter = state.signer.keyed_hash("voter", &ip.to_string());
    let now = Utc::now();
    if comments::recent_votes(&state.db, &voter, now - commenting::RATE_WINDOW).await?
        >= commenting::MAX_VOTES
    {
        return Err(AppError::TooManyRequests {
            message: "You have voted many times in the last hour. Wait a while and vote again."
                .into(),
            retry_after: 600,
        });
    }
    let result = comments::vote(&state.db, id, &voter, value, now)
        .await
        .map_err(|e| match e {
            dateline_db::DbError::NotFound => {
                AppError::NotFound("This comment cannot be voted on: it is not shown.".into())
            }
            other => other.into(),
        })?;
    let target =
        comments::target_by_id(&state.db, dateline_core::ArticleId(result.article_id)).await?;
    if let Some(t) = &target {
        state.comments_changed(t.id, &t.slug);
    }
    Ok((result, target.map(|t| t.slug).unwrap_or_default()))
}

/// `GET /comments/token`: a fresh form token for the page's script, so a
/// page served from a cache does not hand out an old one.
pub async fn token(State(state): State<AppState>) -> Result<Response, AppError> {
    let settings = crate::handlers::comment_settings(&state).await?;
    let mut r = Json(json!({
        "token": commenting::reader_form_token(&state, Utc::now()),
        "pow_bits": settings.proof_of_work_bits,
        "min_seconds": settings.min_seconds,
    }))
    .into_response();
    crate::handlers::make_private(&mut r);
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
pub struct MineParams {
    article: i64,
}

/// `GET /comments/mine?article=ID`: this browser's own comments on an
/// article: the held ones to show as awaiting moderation, and which may
/// still be changed.
pub async fn mine(
    State(state): State<AppState>,
    Q(params): Q<MineParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let settings = crate::handlers::comment_settings(&state).await?;
    let secret = cookie_value(&headers, COMMENTER_COOKIE).unwrap_or_default();
    let rows = comments::by_owner(
        &state.db,
        dateline_core::ArticleId(params.article),
        &hash_or_empty(&secret),
    )
    .await?;
    let slug = comments::target_by_id(&state.db, dateline_core::ArticleId(params.article))
        .await?
        .map(|t| t.slug)
        .unwrap_or_default();
    let mut out = Vec::new();
    for row in &rows {
        let until = editable_until(row, &headers, &settings);
        let pending = row.status == CommentStatus::Pending.as_str();
        if until.is_none() && !pending {
            continue;
        }
        let html = if pending {
            Some(one_fragment(
                &state,
                &dateline_db::views::CommentView::from(row),
                &slug,
            )?)
        } else {
            None
        };
        out.push(json!({
            "id": row.id,
            "parent_id": row.parent_id,
            "pending": pending,
            "editable_until": until.map(|u| u.to_rfc3339()),
            "html": html,
        }));
    }
    let newsroom = newsroom_user(&state, &headers)
        .await?
        .map(|u| json!({ "name": u.name }));
    let mut r = Json(json!({ "comments": out, "newsroom": newsroom })).into_response();
    crate::handlers::make_private(&mut r);
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
pub struct LatestParams {
    #[serde(default)]
    after: i64,
}

/// `GET /{slug}/comments/latest?after=ID`: approved comments newer than the
/// newest the reader's page has, rendered, for the live script.
pub async fn latest(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Q(params): Q<LatestParams>,
) -> Result<Response, AppError> {
    let target = target(&state, &slug).await?;
    let rows = comments::approved_after(
        &state.db,
        dateline_core::ArticleId(target.id),
        params.after,
        100,
    )
    .await?;
    let mut out = Vec::new();
    for c in &rows {
        out.push(json!({
            "id": c.id,
            "parent_id": c.parent_id,
            "anchor": c.anchor,
            "html": one_fragment(&state, c, &slug)?,
        }));
    }
    Ok(for_the_script(
        &json!({"comments": out, "count": target.comment_count}),
    ))
}

/// `GET /{slug}/comments/live`: server-sent events, one `changed` whenever
/// the article's comments change (in any process), and a comment every 25 s
/// so proxies keep the stream open.
pub async fn live(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let target = target(&state, &slug).await?;
    let article = target.id;
    let rx = state.comment_changes.subscribe();
    // First, the newest comment now: a page that shows older ones (sorted
    // oldest first, filtered) counts only what comes after it as new.
    let newest = comments::newest_id(&state.db, dateline_core::ArticleId(article)).await?;
    let ready = futures_util::stream::once(async move {
        Ok::<_, std::convert::Infallible>(Event::default().event("ready").data(newest.to_string()))
    });
    let stop = state.shutdown.clone();
    let stream = futures_util::stream::unfold((rx, stop), move |(mut rx, stop)| async move {
        let changed =
            || Ok::<_, std::convert::Infallible>(Event::default().event("changed").data("1"));
        loop {
            let received = tokio::select! {
                _ = stop.cancelled() => return None,
                r = rx.recv() => r,
            };
            match received {
                Ok(id) if id == article => return Some((changed(), (rx, stop))),
                Ok(_) => {}
                // Missed some: say something changed.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    return Some((changed(), (rx, stop)));
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let mut r = Sse::new(futures_util::StreamExt::chain(ready, stream))
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(25)))
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(r)
}
