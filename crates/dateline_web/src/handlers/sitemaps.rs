//! `robots.txt`, the sitemap index, its sitemaps, and the news sitemap.

use crate::error::AppError;
use crate::handlers::{Freshness, cacheable};
use crate::state::AppState;
use crate::templates::ser;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use dateline_db::articles;
use dateline_db::people::{self, TermKind};
use dateline_db::views::PageRequest;
use serde::Serialize;

/// URLs per article sitemap (the protocol allows 50,000).
const ARTICLES_PER_SITEMAP: u32 = 5_000;
/// Google News reads articles of the last two days, at most 1,000.
const NEWS_WINDOW_HOURS: i64 = 48;
const NEWS_MAX: u32 = 1_000;

#[derive(Serialize)]
struct Loc {
    loc: String,
    lastmod: Option<String>,
}

const XML: &str = "application/xml; charset=utf-8";

/// `GET /robots.txt`
pub async fn robots(State(state): State<AppState>) -> Result<Response, AppError> {
    let body = format!(
        "User-agent: *\nDisallow: /admin/\nDisallow: /search\nAllow: /\n\nSitemap: {}\nSitemap: {}\n",
        state.urls.absolute("/sitemap.xml"),
        state.urls.absolute("/sitemaps/news.xml"),
    );
    Ok(cacheable(
        body,
        "text/plain; charset=utf-8",
        Freshness::Minutes(60),
        None,
    ))
}

/// `GET /sitemap.xml`: the index of every sitemap.
pub async fn index(State(state): State<AppState>) -> Result<Response, AppError> {
    let count = articles::published_count(&state.db).await?;
    let last = articles::last_published_change(&state.db).await?;
    let lastmod = last.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let mut sitemaps = vec![Loc {
        loc: state.urls.absolute("/sitemaps/pages.xml"),
        lastmod: lastmod.clone(),
    }];
    let files = count.div_ceil(u64::from(ARTICLES_PER_SITEMAP)).max(1);
    for n in 1..=files {
        sitemaps.push(Loc {
            loc: state.urls.absolute(&format!("/sitemaps/articles-{n}.xml")),
            lastmod: lastmod.clone(),
        });
    }
    sitemaps.push(Loc {
        loc: state.urls.absolute("/sitemaps/news.xml"),
        lastmod: lastmod.clone(),
    });
    let xml = state.templates.render(
        "sitemap_index.xml",
        minijinja::context! { sitemaps => ser(&sitemaps) },
    )?;
    Ok(cacheable(xml, XML, Freshness::Minutes(10), last))
}

/// `GET /sitemaps/{file}`: `pages.xml`, `articles-N.xml` or `news.xml`.
pub async fn sitemap(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    if file == "news.xml" {
        return news(&state).await;
    }
    if file == "pages.xml" {
        return pages(&state).await;
    }
    let n: u32 = file
        .strip_prefix("articles-")
        .and_then(|f| f.strip_suffix(".xml"))
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "There is no sitemap called {file}; start from /sitemap.xml."
            ))
        })?;
    let rows = articles::published_slugs(
        &state.db,
        PageRequest {
            page: n,
            per_page: ARTICLES_PER_SITEMAP,
        },
    )
    .await?;
    if rows.is_empty() && n > 1 {
        return Err(AppError::NotFound(format!(
            "There is no sitemap called {file}; start from /sitemap.xml."
        )));
    }
    let last = rows.iter().map(|(_, t)| *t).max();
    let urls: Vec<Loc> = rows
        .into_iter()
        .map(|(slug, t)| Loc {
            loc: state.urls.absolute(&state.urls.article(&slug)),
            lastmod: Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        })
        .collect();
    let xml = state
        .templates
        .render("sitemap.xml", minijinja::context! { urls => ser(&urls) })?;
    Ok(cacheable(xml, XML, Freshness::Minutes(10), last))
}

async fn pages(state: &AppState) -> Result<Response, AppError> {
    let u = &state.urls;
    let mut urls = vec![
        Loc {
            loc: u.absolute("/"),
            lastmod: None,
        },
        Loc {
            loc: u.absolute("/archive"),
            lastmod: None,
        },
    ];
    for s in people::terms(&state.db, TermKind::Section).await? {
        if s.article_count.unwrap_or(0) > 0 {
            urls.push(Loc {
                loc: u.absolute(&u.section(&s.slug)),
                lastmod: None,
            });
        }
    }
    for t in people::terms(&state.db, TermKind::Tag).await? {
        if t.article_count.unwrap_or(0) > 0 {
            urls.push(Loc {
                loc: u.absolute(&u.tag(&t.slug)),
                lastmod: None,
            });
        }
    }
    for (a, n) in people::authors(&state.db).await? {
        if n > 0 {
            urls.push(Loc {
                loc: u.absolute(&u.author(&a.slug)),
                lastmod: None,
            });
        }
    }
    let xml = state
        .templates
        .render("sitemap.xml", minijinja::context! { urls => ser(&urls) })?;
    Ok(cacheable(xml, XML, Freshness::Minutes(10), None))
}

#[derive(Serialize)]
struct NewsItem {
    loc: String,
    language: String,
    published: String,
    title: String,
}

async fn news(state: &AppState) -> Result<Response, AppError> {
    let site = crate::handlers::site(state).await?;
    let settings = &site.settings;
    let recent = articles::published_since(
        &state.db,
        Utc::now() - Duration::hours(NEWS_WINDOW_HOURS),
        NEWS_MAX,
    )
    .await?;
    let items: Vec<NewsItem> = recent
        .iter()
        .map(|a| NewsItem {
            loc: state.urls.absolute(&state.urls.article(&a.slug)),
            // Google News wants ISO 639 codes; zh-CN and zh-TW are the exceptions it keeps.
            language: a.language.primary().to_owned(),
            published: a
                .published_at
                .unwrap_or(a.created_at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            title: a.headline.clone(),
        })
        .collect();
    let xml = state.templates.render(
        "news_sitemap.xml",
        minijinja::context! { publication => settings.title.clone(), items => ser(&items) },
    )?;
    Ok(cacheable(xml, XML, Freshness::Minutes(5), None))
}
