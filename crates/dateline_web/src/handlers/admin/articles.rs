//! The article list, the editor, preview, revisions and deletion.

use crate::auth::{AdminForm, AdminMultipart, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, NoticeParam, Screen, page, see_other};
use crate::newsroom::{self, revisions};
use crate::state::AppState;
use crate::views::{ArticleCard, Link, PaginationView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::article::{ArticleInput, AuthorInput, FeaturedImageInput, ProvenanceInput};
use dateline_core::{ArticleId, ArticleStatus, Capability, ValidationErrors};
use dateline_db::articles::{self as store, ArticleFilter};
use dateline_db::people;
use dateline_db::views::{ArticleView, PageRequest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const PER_PAGE: u32 = 30;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub status: Option<String>,
    pub author: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
    pub notice: Option<String>,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    headline: String,
    status: &'static str,
    authors: String,
    section: String,
    updated: String,
    published: String,
    url: Option<String>,
    lang: String,
    dir: &'static str,
}

#[derive(Serialize)]
struct ListPage {
    rows: Vec<Row>,
    total: u64,
    pagination: PaginationView,
    status: String,
    author: String,
    tag: String,
    q: String,
    authors: Vec<Link>,
    statuses: Vec<&'static str>,
    only_mine: bool,
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `GET /admin/articles`
pub async fn list(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<ListParams>,
) -> Result<Response, AppError> {
    let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(ArticleStatus::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!(
                "\"{s}\" is not a status; use draft, scheduled, published or archived."
            ))
        })?),
        None => None,
    };
    let only_mine = !who.actor.can(Capability::SeeAllArticles);
    let filter = ArticleFilter {
        status,
        author: p.author.clone().filter(|s| !s.is_empty()),
        tag: p.tag.clone().filter(|s| !s.is_empty()),
        text: p.q.clone(),
        owner: only_mine.then_some(who.user.id),
        recently_updated: true,
        with_pages: true,
        ..ArticleFilter::default()
    };
    let page_no = p.page.unwrap_or(1).max(1);
    let list = store::list(&state.db, &filter, PageRequest::new(page_no, PER_PAGE)).await?;
    let query: String = [
        ("status", &p.status),
        ("author", &p.author),
        ("tag", &p.tag),
        ("q", &p.q),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_deref().filter(|v| !v.is_empty()).map(|v| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
    })
    .collect::<Vec<_>>()
    .join("&");
    let base = if query.is_empty() {
        "/admin/articles".to_owned()
    } else {
        format!("/admin/articles?{query}")
    };
    let rows = list
        .items
        .iter()
        .map(|a| Row {
            id: a.id.0,
            headline: a.headline.clone(),
            status: a.status.as_str(),
            authors: a
                .authors
                .iter()
                .map(|x| x.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            section: a
                .section
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            updated: when(Some(a.updated_at)),
            published: when(a.published_at),
            url: (a.status == ArticleStatus::Published).then(|| state.urls.article(&a.slug)),
            lang: a.language.to_string(),
            dir: a.direction.as_str(),
        })
        .collect();
    let authors = people::authors(&state.db)
        .await?
        .into_iter()
        .map(|(a, _)| Link {
            url: a.slug,
            label: a.name,
        })
        .collect();
    let view = ListPage {
        rows,
        total: list.total,
        pagination: PaginationView::new(&state.urls, &base, &list),
        status: p.status.unwrap_or_default(),
        author: p.author.unwrap_or_default(),
        tag: p.tag.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        authors,
        statuses: ArticleStatus::ALL.iter().map(|s| s.as_str()).collect(),
        only_mine,
    };
    page(
        &state,
        Some(&who),
        Screen {
            template: "admin/articles.html",
            title: "Articles",
            section: "articles",
        },
        p.notice.as_deref(),
        view,
        StatusCode::OK,
    )
    .await
}

/// The editor's fields, as typed (strings, lists joined by commas).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArticleFields {
    pub headline: String,
    pub deck: String,
    pub slug: String,
    pub dateline: String,
    pub language: String,
    pub direction: String,
    pub authors: String,
    pub section: String,
    pub tags: String,
    pub published_at: String,
    pub excerpt: String,
    pub body: String,
    pub image_url: String,
    pub image_alt: String,
    pub image_caption: String,
    pub image_credit: String,
    pub original_outlet: String,
    pub original_url: String,
    pub original_language: String,
    pub translators: String,
    pub translation_of: String,
    /// "report" or "page".
    pub kind: String,
    pub in_navigation: bool,
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', '،', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ArticleFields {
    pub(super) fn from_multipart(m: &AdminMultipart) -> Self {
        Self {
            headline: m.text("headline"),
            deck: m.text("deck"),
            slug: m.text("slug"),
            dateline: m.text("dateline"),
            language: m.text("language"),
            direction: m.text("direction"),
            authors: m.text("authors"),
            section: m.text("section"),
            tags: m.text("tags"),
            published_at: m.text("published_at"),
            excerpt: m.text("excerpt"),
            body: m.text("body").replace("\r\n", "\n"),
            image_url: m.text("image_url"),
            image_alt: m.text("image_alt"),
            image_caption: m.text("image_caption"),
            image_credit: m.text("image_credit"),
            original_outlet: m.text("original_outlet"),
            original_url: m.text("original_url"),
            original_language: m.text("original_language"),
            translators: m.text("translators"),
            translation_of: m.text("translation_of"),
            kind: m.text("kind"),
            in_navigation: !m.text("in_navigation").is_empty(),
        }
    }

    fn from_view(v: &ArticleView) -> Self {
        let a = &v.summary;
        let img = a.featured_image.clone();
        let p = a.provenance.clone();
        Self {
            headline: a.headline.clone(),
            deck: a.deck.clone(),
            slug: a.slug.clone(),
            dateline: a.dateline.clone(),
            language: a.language.to_string(),
            direction: a.direction.to_string(),
            authors: a
                .authors
                .iter()
                .map(|x| x.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            section: a
                .section
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            tags: a
                .tags
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            published_at: a
                .published_at
                .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default(),
            excerpt: a.excerpt.clone(),
            body: v.body_markdown.clone(),
            image_url: img.as_ref().map(|i| i.url.clone()).unwrap_or_default(),
            image_alt: img.as_ref().map(|i| i.alt.clone()).unwrap_or_default(),
            image_caption: img.as_ref().map(|i| i.caption.clone()).unwrap_or_default(),
            image_credit: img.as_ref().map(|i| i.credit.clone()).unwrap_or_default(),
            original_outlet: p.as_ref().map(|p| p.outlet.clone()).unwrap_or_default(),
            original_url: p.as_ref().and_then(|p| p.url.clone()).unwrap_or_default(),
            original_language: p
                .as_ref()
                .and_then(|p| p.language.as_ref().map(|l| l.to_string()))
                .unwrap_or_default(),
            translators: p
                .as_ref()
                .map(|p| p.translators.join(", "))
                .unwrap_or_default(),
            translation_of: String::new(),
            kind: a.kind.as_str().to_owned(),
            in_navigation: a.in_navigation,
        }
    }

    /// The input to validate, for the status asked for. A time that cannot
    /// be read is reported against its field.
    pub(super) fn to_input(
        &self,
        status: ArticleStatus,
        errors: &mut ValidationErrors,
    ) -> ArticleInput {
        let published_at = match self.published_at.trim() {
            "" => None,
            t => match parse_local_time(t) {
                Some(at) => Some(at),
                None => {
                    errors.add(
                        "published_at",
                        "Give the time as date and time, such as 2026-11-24 08:30 (UTC).",
                    );
                    None
                }
            },
        };
        let opt = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        ArticleInput {
            headline: self.headline.clone(),
            deck: opt(&self.deck),
            slug: opt(&self.slug),
            excerpt: opt(&self.excerpt),
            dateline: opt(&self.dateline),
            language: opt(&self.language),
            direction: opt(&self.direction),
            authors: split_list(&self.authors)
                .into_iter()
                .map(AuthorInput::Name)
                .collect(),
            section: opt(&self.section),
            tags: split_list(&self.tags),
            status: Some(status.as_str().to_owned()),
            published_at,
            featured_image: Some(FeaturedImageInput {
                url: self.image_url.clone(),
                alt: self.image_alt.clone(),
                caption: self.image_caption.clone(),
                credit: self.image_credit.clone(),
            }),
            original: Some(ProvenanceInput {
                outlet: self.original_outlet.clone(),
                url: opt(&self.original_url),
                language: opt(&self.original_language),
                translators: split_list(&self.translators),
            }),
            translation_of: opt(&self.translation_of),
            body: self.body.clone(),
            kind: opt(&self.kind),
            in_navigation: self.in_navigation,
        }
    }
}

/// The editor's field for a validation error's field.
fn form_field(field: &str) -> &str {
    match field {
        "featured_image.url" => "image_url",
        "featured_image.alt" => "image_alt",
        "featured_image.caption" => "image_caption",
        "featured_image.credit" => "image_credit",
        "original.outlet" => "original_outlet",
        "original.url" => "original_url",
        "original.language" => "original_language",
        "original.translators" => "translators",
        "status" => "published_at",
        other => other,
    }
}

/// `2026-11-24T08:30` (a datetime-local input), or with a space, in UTC.
fn parse_local_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.replace(' ', "T");
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .map(|t| t.and_utc())
        .or_else(|| {
            DateTime::parse_from_rfc3339(&s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

#[derive(Serialize)]
struct EditorPage {
    id: Option<i64>,
    revision: i64,
    status: &'static str,
    fields: ArticleFields,
    errors: BTreeMap<String, String>,
    error_summary: Vec<(String, String)>,
    conflict: Option<String>,
    can_edit: bool,
    can_publish: bool,
    can_delete: bool,
    view_url: Option<String>,
    translations: Vec<Link>,
    site_language: String,
    languages: Vec<(&'static str, &'static str)>,
    max_upload_mb: u64,
    /// For editors: whether the article goes out by mail, and its sends.
    newsletter: Option<crate::handlers::admin::newsletters::ArticleNewsletter>,
    /// Paragraphs with a question or readers' comments.
    feedback: Vec<FeedbackRow>,
}

/// A paragraph readers were asked about or commented on, in the editor.
#[derive(Serialize)]
struct FeedbackRow {
    excerpt: String,
    question: Option<String>,
    answers: i64,
    current: bool,
    /// Its page on the site, while the article is published.
    url: Option<String>,
}

async fn feedback(
    state: &AppState,
    id: Option<ArticleId>,
    article_url: Option<&str>,
) -> Result<Vec<FeedbackRow>, AppError> {
    let Some(id) = id else {
        return Ok(Vec::new());
    };
    Ok(dateline_db::passages::for_article(&state.db, id)
        .await?
        .into_iter()
        .filter(|p| p.question.is_some() || p.answers > 0)
        .map(|p| FeedbackRow {
            excerpt: dateline_render::excerpt(&p.text, 90),
            answers: p.answers,
            current: p.current(),
            url: article_url.map(|u| format!("{u}/passages/{}", p.anchor)),
            question: p.question,
        })
        .collect())
}

const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("ar", "Arabic — العربية"),
    ("fr", "French — Français"),
    ("ku", "Kurdish — Kurdî"),
    ("ckb", "Central Kurdish — کوردی"),
    ("fa", "Persian — فارسی"),
    ("tr", "Turkish — Türkçe"),
    ("he", "Hebrew — עברית"),
    ("es", "Spanish — Español"),
    ("de", "German — Deutsch"),
];

struct EditorState {
    id: Option<ArticleId>,
    revision: i64,
    status: ArticleStatus,
    can_edit: bool,
    can_publish: bool,
    can_delete: bool,
    view_url: Option<String>,
    translations: Vec<Link>,
}

#[allow(clippy::too_many_arguments)]
async fn editor(
    state: &AppState,
    who: &SignedIn,
    e: EditorState,
    fields: ArticleFields,
    errors: &ValidationErrors,
    conflict: Option<String>,
    notice: Option<&str>,
    status_code: StatusCode,
) -> Result<Response, AppError> {
    let site = crate::handlers::site(state).await?;
    let title = if e.id.is_some() {
        "Edit article"
    } else {
        "New article"
    };
    let feedback = feedback(state, e.id, e.view_url.as_deref()).await?;
    let view = EditorPage {
        id: e.id.map(|i| i.0),
        revision: e.revision,
        status: e.status.as_str(),
        fields,
        errors: errors
            .0
            .iter()
            .map(|f| (form_field(&f.field).to_owned(), f.message.clone()))
            .collect(),
        error_summary: errors
            .0
            .iter()
            .map(|f| (form_field(&f.field).to_owned(), f.message.clone()))
            .collect(),
        conflict,
        can_edit: e.can_edit,
        can_publish: e.can_publish,
        can_delete: e.can_delete,
        view_url: e.view_url,
        translations: e.translations,
        site_language: site.settings.language.to_string(),
        languages: LANGUAGES.to_vec(),
        max_upload_mb: state.config.max_upload_bytes / (1024 * 1024),
        newsletter: crate::handlers::admin::newsletters::article_newsletter(state, who, e.id)
            .await?,
        feedback,
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/editor.html",
            title,
            section: "articles",
        },
        notice,
        view,
        status_code,
    )
    .await
}

fn editor_state(state: &AppState, who: &SignedIn, v: &ArticleView) -> EditorState {
    let access = v.summary.access();
    EditorState {
        id: Some(v.summary.id),
        revision: v.summary.revision,
        status: v.summary.status,
        can_edit: who.actor.can_edit(&access),
        can_publish: who
            .actor
            .can_set_status(Some(&access), ArticleStatus::Published),
        can_delete: who.actor.can_delete(&access),
        view_url: (v.summary.status == ArticleStatus::Published)
            .then(|| state.urls.article(&v.summary.slug)),
        translations: v
            .translations
            .iter()
            .map(|t| Link {
                url: format!("/admin/articles/{}", t.id),
                label: format!("{} ({})", t.headline, t.language),
            })
            .collect(),
    }
}

fn new_state(who: &SignedIn) -> EditorState {
    EditorState {
        id: None,
        revision: 0,
        status: ArticleStatus::Draft,
        can_edit: true,
        can_publish: who.actor.can_set_status(None, ArticleStatus::Published),
        can_delete: false,
        view_url: None,
        translations: Vec::new(),
    }
}

/// `GET /admin/articles/new`
pub async fn new_form(State(state): State<AppState>, who: SignedIn) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::CreateArticle)?;
    let site = crate::handlers::site(&state).await?;
    let fields = ArticleFields {
        language: site.settings.language.to_string(),
        ..Default::default()
    };
    editor(
        &state,
        &who,
        new_state(&who),
        fields,
        &ValidationErrors::new(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// `GET /admin/articles/{id}`
pub async fn edit_form(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    let v = newsroom::articles::get(&state, &who.actor, ArticleId(id)).await?;
    let e = editor_state(&state, &who, &v);
    editor(
        &state,
        &who,
        e,
        ArticleFields::from_view(&v),
        &ValidationErrors::new(),
        None,
        p.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// What the pressed button asks for.
fn requested_status(action: &str, current: ArticleStatus) -> ArticleStatus {
    match action {
        "publish" => ArticleStatus::Published,
        "schedule" => ArticleStatus::Scheduled,
        "unpublish" => ArticleStatus::Draft,
        "archive" => ArticleStatus::Archived,
        _ => current,
    }
}

fn outcome_notice(status: ArticleStatus, created: bool) -> &'static str {
    match status {
        ArticleStatus::Published => "published",
        ArticleStatus::Scheduled => "scheduled",
        ArticleStatus::Archived => "archived",
        ArticleStatus::Draft if created => "created",
        ArticleStatus::Draft => "saved",
    }
}

fn one_error(field: String, message: String) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    errors.add(field, message);
    errors
}

/// The problems found while reading the form, and every problem validation
/// finds besides, so that all are shown at once.
async fn all_errors(
    state: &AppState,
    mut errors: ValidationErrors,
    input: ArticleInput,
) -> Result<ValidationErrors, AppError> {
    let site = crate::handlers::site(state).await?;
    if let Err(more) = input.validate(&site.settings.language, Utc::now()) {
        let time_reported = errors.for_field("published_at").is_some();
        errors.0.extend(
            more.0
                .into_iter()
                .filter(|e| e.field != "published_at" || !time_reported),
        );
    }
    Ok(errors)
}

/// The editor's "email it to subscribers when published" box, for those
/// who may send newsletters (others never see it, and it changes nothing).
async fn newsletter_choice(
    state: &AppState,
    form: &AdminMultipart,
    id: ArticleId,
) -> Result<(), AppError> {
    if form.field("newsletter_shown").is_none() || !form.who.actor.can(Capability::ManageNewsletter)
    {
        return Ok(());
    }
    let on = form.field("newsletter").is_some();
    dateline_db::sends::set_article_newsletter(&state.db, id, on).await?;
    Ok(())
}

#[derive(Debug, serde::Deserialize)]
pub struct NewsletterAction {
    #[serde(default)]
    action: String,
}

/// `POST /admin/articles/{id}/newsletter`: send now, send again to those
/// who have not had it, or take the mark off.
pub async fn newsletter(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<NewsletterAction>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageNewsletter)?;
    let id = ArticleId(id);
    let v = newsroom::articles::get(&state, &who.actor, id).await?;
    match form.action.as_str() {
        "send" | "again" => {
            match crate::handlers::admin::newsletters::send_article(
                &state,
                &who,
                id,
                form.action == "again",
            )
            .await?
            {
                Ok(_) => Ok(see_other("/admin/newsletters", "send-queued")),
                Err(message) => {
                    let e = editor_state(&state, &who, &v);
                    editor(
                        &state,
                        &who,
                        e,
                        ArticleFields::from_view(&v),
                        &ValidationErrors::new(),
                        Some(message),
                        None,
                        StatusCode::CONFLICT,
                    )
                    .await
                }
            }
        }
        "mark" | "unmark" => {
            dateline_db::sends::set_article_newsletter(&state.db, id, form.action == "mark")
                .await?;
            Ok(see_other(&format!("/admin/articles/{}", id.0), "saved"))
        }
        other => Err(AppError::BadRequest(format!(
            "There is no newsletter action \"{other}\"."
        ))),
    }
}

/// `POST /admin/articles/new`
pub async fn create(
    State(state): State<AppState>,
    form: AdminMultipart,
) -> Result<Response, AppError> {
    let mut fields = ArticleFields::from_multipart(&form);
    let mut errors = ValidationErrors::new();
    super::media::take_featured(&state, &form, &mut fields.image_url, &mut errors).await?;
    let status = requested_status(form.field("action").unwrap_or("save"), ArticleStatus::Draft);
    let input = fields.to_input(status, &mut errors);
    let who = &form.who;
    let result = if errors.is_empty() {
        newsroom::articles::create(&state, &who.actor, input, Utc::now()).await
    } else {
        Err(AppError::Invalid(all_errors(&state, errors, input).await?))
    };
    match result {
        Ok(saved) => {
            newsletter_choice(&state, &form, saved.id).await?;
            Ok(see_other(
                &format!("/admin/articles/{}", saved.id),
                outcome_notice(saved.status, true),
            ))
        }
        Err(AppError::Invalid(errors)) => {
            editor(
                &state,
                who,
                new_state(who),
                fields,
                &errors,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { field, message }) => {
            let errors = one_error(field, message);
            editor(
                &state,
                who,
                new_state(who),
                fields,
                &errors,
                None,
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

/// `POST /admin/articles/{id}`
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: AdminMultipart,
) -> Result<Response, AppError> {
    let id = ArticleId(id);
    let who = &form.who;
    let current = newsroom::articles::get(&state, &who.actor, id).await?;
    let mut fields = ArticleFields::from_multipart(&form);
    let mut errors = ValidationErrors::new();
    super::media::take_featured(&state, &form, &mut fields.image_url, &mut errors).await?;
    let status = requested_status(
        form.field("action").unwrap_or("save"),
        current.summary.status,
    );
    let expected = form.field("revision").and_then(|r| r.parse().ok());
    let input = fields.to_input(status, &mut errors);
    let result = if errors.is_empty() {
        newsroom::articles::update(&state, &who.actor, id, input, expected, Utc::now()).await
    } else {
        Err(AppError::Invalid(all_errors(&state, errors, input).await?))
    };
    match result {
        Ok(saved) => {
            newsletter_choice(&state, &form, saved.id).await?;
            let code = match (current.summary.status, saved.status) {
                (ArticleStatus::Published | ArticleStatus::Scheduled, ArticleStatus::Draft) => {
                    "unpublished"
                }
                (_, s) => outcome_notice(s, false),
            };
            Ok(see_other(&format!("/admin/articles/{id}"), code))
        }
        Err(AppError::Invalid(errors)) => {
            let e = EditorState {
                revision: expected.unwrap_or(current.summary.revision),
                ..editor_state(&state, who, &current)
            };
            editor(
                &state,
                who,
                e,
                fields,
                &errors,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict { field, message }) if field == "revision" => {
            // Keep what they typed; the next save knowingly replaces theirs.
            let latest = newsroom::articles::get(&state, &who.actor, id).await?;
            let e = editor_state(&state, who, &latest);
            editor(
                &state,
                who,
                e,
                fields,
                &ValidationErrors::new(),
                Some(message),
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(AppError::Conflict { field, message }) => {
            let errors = one_error(field, message);
            let e = EditorState {
                revision: expected.unwrap_or(current.summary.revision),
                ..editor_state(&state, who, &current)
            };
            editor(
                &state,
                who,
                e,
                fields,
                &errors,
                None,
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct RevisionRow {
    revision: i64,
    when: String,
    by: String,
    status: &'static str,
    headline: String,
    current: bool,
}

#[derive(Serialize)]
struct RevisionsPage {
    id: i64,
    headline: String,
    rows: Vec<RevisionRow>,
    can_edit: bool,
}

/// `GET /admin/articles/{id}/revisions`
pub async fn revisions_list(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    let v = newsroom::articles::get(&state, &who.actor, ArticleId(id)).await?;
    let revs = store::revisions(&state.db, ArticleId(id)).await?;
    let view = RevisionsPage {
        id,
        headline: v.summary.headline.clone(),
        can_edit: who.actor.can_edit(&v.summary.access()),
        rows: revs
            .iter()
            .map(|r| RevisionRow {
                revision: r.revision,
                when: when(Some(r.created_at)),
                by: r.by.clone().unwrap_or_else(|| "command line".into()),
                status: r.draft.status.as_str(),
                headline: r.draft.headline.clone(),
                current: r.revision == v.summary.revision,
            })
            .collect(),
    };
    page(
        &state,
        Some(&who),
        Screen {
            template: "admin/revisions.html",
            title: "Revisions",
            section: "articles",
        },
        p.notice.as_deref(),
        view,
        StatusCode::OK,
    )
    .await
}

#[derive(Serialize)]
struct DiffPage {
    id: i64,
    revision: i64,
    current: i64,
    headline: String,
    diff: revisions::Diff,
    can_restore: bool,
}

/// `GET /admin/articles/{id}/revisions/{rev}`: that version against the
/// current one.
pub async fn revision_diff(
    State(state): State<AppState>,
    who: SignedIn,
    Path((id, rev)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let v = newsroom::articles::get(&state, &who.actor, ArticleId(id)).await?;
    let revs = store::revisions(&state.db, ArticleId(id)).await?;
    let old = revs
        .iter()
        .find(|r| r.revision == rev)
        .ok_or_else(|| AppError::NotFound(format!("Article {id} has no revision {rev}.")))?;
    let latest = revs
        .first()
        .ok_or_else(|| AppError::NotFound("This article has no revisions.".into()))?;
    let view = DiffPage {
        id,
        revision: rev,
        current: latest.revision,
        headline: v.summary.headline.clone(),
        diff: revisions::diff(&old.draft, &latest.draft),
        can_restore: rev != latest.revision && who.actor.can_edit(&v.summary.access()),
    };
    page(
        &state,
        Some(&who),
        Screen {
            template: "admin/diff.html",
            title: "Compare revisions",
            section: "articles",
        },
        None,
        view,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/articles/{id}/revisions/{rev}/restore`
pub async fn restore(
    State(state): State<AppState>,
    Path((id, rev)): Path<(i64, i64)>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    newsroom::articles::restore(&state, &who.actor, ArticleId(id), rev, Utc::now()).await?;
    Ok(see_other(&format!("/admin/articles/{id}"), "restored"))
}

#[derive(Serialize)]
struct DeletePage {
    id: i64,
    headline: String,
    card: ArticleCard,
}

/// `GET /admin/articles/{id}/delete`: asks first.
pub async fn delete_form(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let v = newsroom::articles::get(&state, &who.actor, ArticleId(id)).await?;
    if !who.actor.can_delete(&v.summary.access()) {
        return Err(AppError::Forbidden(format!(
            "Your role ({}) cannot delete this article.",
            who.actor.role
        )));
    }
    let view = DeletePage {
        id,
        headline: v.summary.headline.clone(),
        card: ArticleCard::new(&v.summary, &state.urls),
    };
    page(
        &state,
        Some(&who),
        Screen {
            template: "admin/delete.html",
            title: "Delete article",
            section: "articles",
        },
        None,
        view,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/articles/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    newsroom::articles::delete(&state, &who.actor, ArticleId(id)).await?;
    Ok(see_other("/admin/articles", "deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_times_browsers_send() {
        assert_eq!(
            parse_local_time("2026-11-24T08:30").unwrap().to_rfc3339(),
            "2026-11-24T08:30:00+00:00"
        );
        assert_eq!(
            parse_local_time("2026-11-24 08:30").unwrap().to_rfc3339(),
            "2026-11-24T08:30:00+00:00"
        );
        assert!(parse_local_time("tomorrow").is_none());
    }

    #[test]
    fn lists_split_on_latin_and_arabic_commas() {
        assert_eq!(
            split_list("Water, Iraq،المياه,, "),
            ["Water", "Iraq", "المياه"]
        );
    }
}
