//! Sections, tags and author profiles.

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{Empty, NoticeParam, Screen, page, see_other};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use dateline_core::{Capability, Slug};
use dateline_db::people::{self, TermKind};
use dateline_db::views::TermView;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TermForm {
    #[serde(default)]
    pub name: String,
    /// Made from the name when empty.
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Serialize)]
struct TermRow {
    id: i64,
    kind: &'static str,
    form: TermForm,
    count: i64,
    error: Option<String>,
}

#[derive(Serialize)]
struct TaxonomyPage {
    sections: Vec<TermRow>,
    tags: Vec<TermRow>,
    new_section: TermForm,
    new_section_error: Option<String>,
}

/// A form that failed, to show again with its message.
struct Failed {
    kind: &'static str,
    id: i64,
    form: TermForm,
    error: String,
}

fn rows(terms: Vec<TermView>, kind: &'static str, failed: Option<&Failed>) -> Vec<TermRow> {
    terms
        .into_iter()
        .map(|t| {
            let mine = failed.filter(|f| f.kind == kind && f.id == t.id);
            TermRow {
                id: t.id,
                kind,
                count: t.article_count.unwrap_or(0),
                form: mine.map(|f| f.form.clone()).unwrap_or(TermForm {
                    name: t.name,
                    slug: t.slug,
                    description: t.description,
                }),
                error: mine.map(|f| f.error.clone()),
            }
        })
        .collect()
}

async fn render(
    state: &AppState,
    who: &SignedIn,
    failed: Option<Failed>,
    notice: Option<&str>,
) -> Result<Response, AppError> {
    let sections = people::terms(&state.db, TermKind::Section).await?;
    let tags = people::terms(&state.db, TermKind::Tag).await?;
    let new_failed = failed.as_ref().filter(|f| f.id == 0);
    let view = TaxonomyPage {
        sections: rows(sections, "section", failed.as_ref()),
        tags: rows(tags, "tag", failed.as_ref()),
        new_section: new_failed.map(|f| f.form.clone()).unwrap_or_default(),
        new_section_error: new_failed.map(|f| f.error.clone()),
    };
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/taxonomy.html",
            title: "Sections and tags",
            section: "taxonomy",
        },
        notice,
        view,
        status,
    )
    .await
}

/// `GET /admin/taxonomy`
pub async fn overview(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTaxonomy)?;
    render(&state, &who, None, p.notice.as_deref()).await
}

/// Checks a term form: a name, and a slug (made from the name when empty).
pub(crate) fn checked(form: &TermForm) -> Result<(String, Slug), String> {
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("Give it a name.".into());
    }
    if let Some(c) = dateline_core::validation::stray_control(&name, false) {
        return Err(dateline_core::validation::stray_control_message(
            "The name", c,
        ));
    }
    let slug = match form.slug.trim() {
        "" => Slug::from_text(&name, "section"),
        s => Slug::parse(s).map_err(|e| format!("The slug {e}."))?,
    };
    Ok((name, slug))
}

fn kind_of(kind: &str) -> Result<(TermKind, &'static str), AppError> {
    match kind {
        "sections" => Ok((TermKind::Section, "section")),
        "tags" => Ok((TermKind::Tag, "tag")),
        _ => Err(AppError::NotFound("There is no such list.".into())),
    }
}

/// `POST /admin/sections`
pub async fn create_section(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<TermForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTaxonomy)?;
    let result = match checked(&form) {
        Ok((name, slug)) => {
            people::create_section(&state.db, &name, &slug, &form.description, Utc::now())
                .await
                .map_err(AppError::from)
                .map(|_| ())
        }
        Err(message) => Err(AppError::BadRequest(message)),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/taxonomy", "saved")),
        Err(AppError::BadRequest(error) | AppError::Conflict { message: error, .. }) => {
            render(
                &state,
                &who,
                Some(Failed {
                    kind: "section",
                    id: 0,
                    form,
                    error,
                }),
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `POST /admin/{sections,tags}/{id}`
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    kind: &'static str,
    AdminForm { who, form }: AdminForm<TermForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTaxonomy)?;
    let (kind, noun) = kind_of(kind)?;
    let result = match checked(&form) {
        Ok((name, slug)) => {
            people::update_term(&state.db, kind, id, &name, &slug, &form.description)
                .await
                .map_err(AppError::from)
        }
        Err(message) => Err(AppError::BadRequest(message)),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/taxonomy", "saved")),
        Err(AppError::BadRequest(error) | AppError::Conflict { message: error, .. }) => {
            render(
                &state,
                &who,
                Some(Failed {
                    kind: noun,
                    id,
                    form,
                    error,
                }),
                None,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

/// `POST /admin/{sections,tags}/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    kind: &'static str,
    AdminForm { who, .. }: AdminForm<Empty>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTaxonomy)?;
    let (kind, _) = kind_of(kind)?;
    if !people::delete_term(&state.db, kind, id).await? {
        return Err(AppError::NotFound("It was already deleted.".into()));
    }
    Ok(see_other("/admin/taxonomy", "deleted"))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuthorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    bio: String,
}

#[derive(Serialize)]
struct AuthorRow {
    id: i64,
    form: AuthorForm,
    count: i64,
    url: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct AuthorsPage {
    authors: Vec<AuthorRow>,
}

async fn render_authors(
    state: &AppState,
    who: &SignedIn,
    failed: Option<(i64, AuthorForm, String)>,
    notice: Option<&str>,
) -> Result<Response, AppError> {
    let authors = people::authors(&state.db)
        .await?
        .into_iter()
        .map(|(a, n)| {
            let mine = failed.as_ref().filter(|f| f.0 == a.id.0);
            AuthorRow {
                id: a.id.0,
                url: state.urls.author(&a.slug),
                count: n,
                error: mine.map(|f| f.2.clone()),
                form: mine.map(|f| f.1.clone()).unwrap_or(AuthorForm {
                    name: a.name,
                    slug: a.slug,
                    bio: a.bio,
                }),
            }
        })
        .collect();
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        state,
        Some(who),
        Screen {
            template: "admin/authors.html",
            title: "Authors",
            section: "authors",
        },
        notice,
        AuthorsPage { authors },
        status,
    )
    .await
}

/// `GET /admin/authors`
pub async fn authors(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTaxonomy)?;
    render_authors(&state, &who, None, p.notice.as_deref()).await
}

/// `POST /admin/authors/{id}`
pub async fn update_author(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    AdminForm { who, form }: AdminForm<AuthorForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageTaxonomy)?;
    let as_term = TermForm {
        name: form.name.clone(),
        slug: form.slug.clone(),
        description: String::new(),
    };
    let result = match checked(&as_term) {
        Ok((name, slug)) => {
            people::update_author(&state.db, id, &name, &slug, &form.bio, Utc::now())
                .await
                .map_err(AppError::from)
        }
        Err(message) => Err(AppError::BadRequest(message)),
    };
    match result {
        Ok(()) => Ok(see_other("/admin/authors", "saved")),
        Err(AppError::BadRequest(error) | AppError::Conflict { message: error, .. }) => {
            render_authors(&state, &who, Some((id, form, error)), None).await
        }
        Err(e) => Err(e),
    }
}
