//! Lists of articles by section, tag, author and month, and the archive index.

use crate::error::AppError;
use crate::extract::{PageParam, Q};
use crate::handlers::{html_page, newest, past_the_end};
use crate::state::AppState;
use crate::views::{ArticleCard, Link, PageMeta, PaginationView};
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use dateline_db::articles::{self, ArticleFilter};
use dateline_db::people::{self, TermKind};
use dateline_db::views::PageRequest;
use serde::Serialize;

#[derive(Serialize)]
struct ListPage {
    kind: &'static str,
    heading: String,
    description: String,
    articles: Vec<ArticleCard>,
    pagination: PaginationView,
    total: u64,
}

/// What a list is of.
pub(crate) struct Scope {
    pub kind: &'static str,
    pub heading: String,
    pub description: String,
    pub path: String,
    pub filter: ArticleFilter,
    /// Where this list's feeds live (`/tag/x`), if it has any.
    pub feed_prefix: Option<String>,
}

impl Scope {
    /// The scope of a section, tag or author page, or a 404 naming what is missing.
    pub(crate) async fn of(
        state: &AppState,
        kind: &'static str,
        slug: &str,
    ) -> Result<Self, AppError> {
        let missing = |what: &str| {
            AppError::NotFound(format!(
                "There is no {what} called \"{slug}\" on this site."
            ))
        };
        let (heading, description, path, filter) = match kind {
            "section" => {
                let s = people::term(&state.db, TermKind::Section, slug)
                    .await?
                    .ok_or_else(|| missing("section"))?;
                (
                    s.name,
                    s.description,
                    state.urls.section(&s.slug),
                    ArticleFilter {
                        section: Some(s.slug),
                        ..ArticleFilter::published()
                    },
                )
            }
            "tag" => {
                let t = people::term(&state.db, TermKind::Tag, slug)
                    .await?
                    .ok_or_else(|| missing("tag"))?;
                (
                    t.name,
                    t.description,
                    state.urls.tag(&t.slug),
                    ArticleFilter {
                        tag: Some(t.slug),
                        ..ArticleFilter::published()
                    },
                )
            }
            _ => {
                let a = people::author(&state.db, slug)
                    .await?
                    .ok_or_else(|| missing("author"))?;
                (
                    a.name,
                    a.bio,
                    state.urls.author(&a.slug),
                    ArticleFilter {
                        author: Some(a.slug),
                        ..ArticleFilter::published()
                    },
                )
            }
        };
        Ok(Self {
            kind,
            heading,
            description,
            feed_prefix: Some(path.clone()),
            path,
            filter,
        })
    }
}

async fn list_page(state: &AppState, scope: Scope, page: u32) -> Result<Response, AppError> {
    let site = crate::handlers::site(state).await?;
    let settings = &site.settings;
    let list = articles::list(
        &state.db,
        &scope.filter,
        PageRequest::new(page, settings.per_page),
    )
    .await?;
    if page > 1 && list.items.is_empty() {
        return Err(past_the_end(page, list.pages()));
    }
    let pagination = PaginationView::new(&state.urls, &scope.path, &list);
    let title = if page > 1 {
        format!("{} — page {page} — {}", scope.heading, settings.title)
    } else {
        format!("{} — {}", scope.heading, settings.title)
    };
    let meta = PageMeta {
        title,
        description: if scope.description.is_empty() {
            format!("{} on {}", scope.heading, settings.title)
        } else {
            scope.description.clone()
        },
        canonical: state.urls.absolute(&state.urls.page(&scope.path, page)),
        feeds: scope
            .feed_prefix
            .as_deref()
            .map(|p| {
                PageMeta::feeds_for(
                    &state.urls,
                    &format!("{} — {}", settings.title, scope.heading),
                    p,
                )
            })
            .unwrap_or_default(),
        prev_url: pagination.prev_url.clone(),
        next_url: pagination.next_url.clone(),
        ..PageMeta::default()
    };
    let last_modified = newest(list.items.iter().map(|a| &a.updated_at));
    let view = ListPage {
        kind: scope.kind,
        heading: scope.heading,
        description: scope.description,
        articles: ArticleCard::all(&list.items, &state.urls),
        pagination,
        total: list.total,
    };
    html_page(state, "list.html", meta, view, last_modified).await
}

/// `GET /section/{slug}`
pub async fn section(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Q(p): Q<PageParam>,
) -> Result<Response, AppError> {
    let page = p.number()?;
    list_page(&state, Scope::of(&state, "section", &slug).await?, page).await
}

/// `GET /tag/{slug}`
pub async fn tag(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Q(p): Q<PageParam>,
) -> Result<Response, AppError> {
    let page = p.number()?;
    list_page(&state, Scope::of(&state, "tag", &slug).await?, page).await
}

/// `GET /author/{slug}`
pub async fn author(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Q(p): Q<PageParam>,
) -> Result<Response, AppError> {
    let page = p.number()?;
    list_page(&state, Scope::of(&state, "author", &slug).await?, page).await
}

/// `GET /archive/{year}/{month}`
pub async fn month(
    State(state): State<AppState>,
    Path((year, month)): Path<(String, String)>,
    Q(p): Q<PageParam>,
) -> Result<Response, AppError> {
    let page = p.number()?;
    let not_found = || {
        AppError::NotFound(format!(
            "\"{year}/{month}\" is not a month; archive addresses look like /archive/2026/11."
        ))
    };
    let y: i32 = year.parse().map_err(|_| not_found())?;
    let m: u32 = month.parse().map_err(|_| not_found())?;
    let start = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(not_found)?;
    let end = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .ok_or_else(not_found)?;
    let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
    let scope = Scope {
        kind: "archive",
        heading: start.format("%B %Y").to_string(),
        description: String::new(),
        path: state.urls.archive_month(y, m),
        filter: ArticleFilter {
            since: Some(at(start)),
            until: Some(at(end)),
            ..ArticleFilter::published()
        },
        feed_prefix: None,
    };
    list_page(&state, scope, page).await
}

#[derive(Serialize)]
struct ArchiveYear {
    year: i32,
    months: Vec<(Link, i64)>,
}

#[derive(Serialize)]
struct ArchivePage {
    years: Vec<ArchiveYear>,
    sections: Vec<(Link, i64)>,
    tags: Vec<(Link, i64)>,
    authors: Vec<(Link, i64)>,
}

/// `GET /archive`: every month with articles, newest first.
pub async fn archive(State(state): State<AppState>) -> Result<Response, AppError> {
    let site = crate::handlers::site(&state).await?;
    let settings = &site.settings;
    let months = articles::months_with_articles(&state.db).await?;
    let mut years: Vec<ArchiveYear> = Vec::new();
    for (y, m, n) in months {
        let label = NaiveDate::from_ymd_opt(y, m, 1)
            .map(|d| d.format("%B").to_string())
            .unwrap_or_default();
        let link = Link {
            url: state.urls.archive_month(y, m),
            label,
        };
        match years.last_mut() {
            Some(last) if last.year == y => last.months.push((link, n)),
            _ => years.push(ArchiveYear {
                year: y,
                months: vec![(link, n)],
            }),
        }
    }
    let sections = people::terms(&state.db, TermKind::Section).await?;
    let tags = people::terms(&state.db, TermKind::Tag).await?;
    let authors = people::authors(&state.db).await?;
    let links = |items: Vec<(String, String, i64)>| -> Vec<(Link, i64)> {
        items
            .into_iter()
            .filter(|(_, _, n)| *n > 0)
            .map(|(url, label, n)| (Link { url, label }, n))
            .collect()
    };
    let meta = PageMeta {
        title: format!("Archive — {}", settings.title),
        description: format!(
            "Every article on {}, by month, section, tag and author.",
            settings.title
        ),
        canonical: state.urls.absolute("/archive"),
        ..PageMeta::default()
    };
    let page = ArchivePage {
        years,
        sections: links(
            sections
                .into_iter()
                .map(|s| {
                    (
                        state.urls.section(&s.slug),
                        s.name,
                        s.article_count.unwrap_or(0),
                    )
                })
                .collect(),
        ),
        tags: links(
            tags.into_iter()
                .map(|t| {
                    (
                        state.urls.tag(&t.slug),
                        t.name,
                        t.article_count.unwrap_or(0),
                    )
                })
                .collect(),
        ),
        authors: links(
            authors
                .into_iter()
                .map(|(a, n)| (state.urls.author(&a.slug), a.name, n))
                .collect(),
        ),
    };
    let last_modified = articles::last_published_change(&state.db).await?;
    html_page(&state, "archive.html", meta, page, last_modified).await
}
