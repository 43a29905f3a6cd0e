//! RSS 2.0, Atom and JSON Feed 1.1, for the whole site and for each section,
//! tag and author.

use crate::error::AppError;
use crate::handlers::lists::Scope;
use crate::handlers::{Freshness, cacheable, newest};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Datelike, Utc};
use dateline_db::articles::{self, ArticleFilter};
use dateline_db::views::{ArticleSummary, PageRequest};
use serde::Serialize;
use serde_json::json;

/// Items in a feed.
const FEED_ITEMS: u32 = 30;

#[derive(Clone, Copy)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

#[derive(Serialize)]
struct FeedView {
    title: String,
    description: String,
    language: String,
    home_url: String,
    self_url: String,
    id: String,
    updated_rfc3339: String,
    updated_rfc2822: String,
    items: Vec<ItemView>,
}

#[derive(Serialize)]
struct ItemView {
    id: String,
    url: String,
    title: String,
    summary: String,
    content_html: String,
    published_rfc3339: String,
    published_rfc2822: String,
    updated_rfc3339: String,
    authors: Vec<(String, String)>,
    categories: Vec<String>,
    language: String,
    image: Option<String>,
}

/// A stable id for an article in feeds: it survives slug changes. An
/// imported article keeps the id the old site's feeds gave it, so feed
/// readers do not show the archive again as new.
fn entry_id(host: &str, a: &ArticleSummary) -> String {
    match &a.feed_guid {
        Some(guid) => guid.clone(),
        None => format!("tag:{host},{}:article-{}", a.created_at.year(), a.id),
    }
}

async fn feed(
    state: &AppState,
    scope: Option<Scope>,
    format: Format,
) -> Result<Response, AppError> {
    let site = crate::handlers::site(state).await?;
    let settings = &site.settings;
    let (title, description, home_path, prefix, filter) = match scope {
        Some(s) => (
            format!("{} — {}", settings.title, s.heading),
            if s.description.is_empty() {
                settings.description.clone()
            } else {
                s.description
            },
            s.path.clone(),
            s.feed_prefix.unwrap_or_default(),
            s.filter,
        ),
        None => (
            settings.title.clone(),
            settings.description.clone(),
            "/".to_owned(),
            String::new(),
            ArticleFilter::published(),
        ),
    };
    let list = articles::list(&state.db, &filter, PageRequest::new(1, FEED_ITEMS)).await?;
    let ids: Vec<i64> = list.items.iter().map(|a| a.id.0).collect();
    let bodies = articles::bodies(&state.db, &ids).await?;
    let host = url::Url::parse(state.urls.base())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    let updated: DateTime<Utc> =
        newest(list.items.iter().map(|a| &a.updated_at)).unwrap_or_else(Utc::now);
    let file = match format {
        Format::Rss => "feed.xml",
        Format::Atom => "atom.xml",
        Format::Json => "feed.json",
    };
    let items: Vec<ItemView> = list
        .items
        .iter()
        .map(|a| {
            let published = a.published_at.unwrap_or(a.created_at);
            ItemView {
                id: entry_id(&host, a),
                url: state.urls.absolute(&state.urls.article(&a.slug)),
                title: a.headline.clone(),
                summary: if a.deck.is_empty() {
                    a.excerpt.clone()
                } else {
                    a.deck.clone()
                },
                content_html: bodies.get(&a.id.0).cloned().unwrap_or_default(),
                published_rfc3339: published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                published_rfc2822: published.to_rfc2822(),
                updated_rfc3339: a
                    .updated_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                authors: a
                    .authors
                    .iter()
                    .map(|au| {
                        (
                            au.name.clone(),
                            state.urls.absolute(&state.urls.author(&au.slug)),
                        )
                    })
                    .collect(),
                categories: a
                    .section
                    .iter()
                    .chain(a.tags.iter())
                    .map(|t| t.name.clone())
                    .collect(),
                language: a.language.to_string(),
                image: a.featured_image.as_ref().map(|i| {
                    if i.url.starts_with('/') {
                        state.urls.absolute(&i.url)
                    } else {
                        i.url.clone()
                    }
                }),
            }
        })
        .collect();
    let view = FeedView {
        title,
        description,
        language: settings.language.to_string(),
        home_url: state.urls.absolute(&home_path),
        self_url: state.urls.absolute(&format!("{prefix}/{file}")),
        id: state.urls.absolute(&home_path),
        updated_rfc3339: updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        updated_rfc2822: updated.to_rfc2822(),
        items,
    };
    let fresh = Freshness::Minutes(5);
    Ok(match format {
        Format::Rss => cacheable(
            state.templates.render("rss.xml", &view)?,
            "application/rss+xml; charset=utf-8",
            fresh,
            Some(updated),
        ),
        Format::Atom => cacheable(
            state.templates.render("atom.xml", &view)?,
            "application/atom+xml; charset=utf-8",
            fresh,
            Some(updated),
        ),
        Format::Json => cacheable(
            json_feed(&view).to_string(),
            "application/feed+json; charset=utf-8",
            fresh,
            Some(updated),
        ),
    })
}

fn json_feed(v: &FeedView) -> serde_json::Value {
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": v.title,
        "description": v.description,
        "home_page_url": v.home_url,
        "feed_url": v.self_url,
        "language": v.language,
        "items": v.items.iter().map(|i| {
            let mut item = json!({
                "id": i.id,
                "url": i.url,
                "title": i.title,
                "summary": i.summary,
                "content_html": i.content_html,
                "date_published": i.published_rfc3339,
                "date_modified": i.updated_rfc3339,
                "authors": i.authors.iter().map(|(name, url)| json!({"name": name, "url": url})).collect::<Vec<_>>(),
                "tags": i.categories,
                "language": i.language,
            });
            if let Some(img) = &i.image {
                item["image"] = json!(img);
            }
            item
        }).collect::<Vec<_>>(),
    })
}

/// `GET /feed.xml`, `/atom.xml`, `/feed.json`: the whole site.
pub async fn site(State(s): State<AppState>, format: Format) -> Result<Response, AppError> {
    feed(&s, None, format).await
}

/// `GET /{section,tag,author}/{slug}/{feed.xml,atom.xml,feed.json}`.
pub async fn scoped(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    kind: &'static str,
    format: Format,
) -> Result<Response, AppError> {
    let scope = Scope::of(&s, kind, &slug).await?;
    feed(&s, Some(scope), format).await
}

/// `GET /{slug}/comments.atom`: an article's newest approved comments.
pub async fn comments(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let target = dateline_db::comments::target_by_slug(&s.db, &slug)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no article at this address.".into()))?;
    let site = crate::handlers::site(&s).await?;
    let recent =
        dateline_db::comments::recent(&s.db, dateline_core::ArticleId(target.id), FEED_ITEMS)
            .await?;
    let host = url::Url::parse(s.urls.base())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    let updated = recent
        .first()
        .map_or_else(Utc::now, |c| c.edited_at.unwrap_or(c.created_at));
    let rfc3339 = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let items = recent
        .iter()
        .map(|c| ItemView {
            id: format!("tag:{host},{}:comment-{}", c.created_at.year(), c.id),
            url: s
                .urls
                .absolute(&format!("{}#comment-{}", s.urls.comment(&slug, c.id), c.id)),
            title: format!("{} on “{}”", c.author_name, target.headline),
            summary: dateline_render::excerpt(
                &dateline_render::comment_text(&c.body_markdown),
                280,
            ),
            content_html: c.body_html.clone(),
            published_rfc3339: rfc3339(c.created_at),
            published_rfc2822: c.created_at.to_rfc2822(),
            updated_rfc3339: rfc3339(c.edited_at.unwrap_or(c.created_at)),
            authors: vec![(c.author_name.clone(), c.author_url.clone())],
            categories: Vec::new(),
            language: target.language.clone(),
            image: None,
        })
        .collect();
    let article_url = s.urls.absolute(&s.urls.article(&slug));
    let view = FeedView {
        title: format!(
            "Comments on “{}” — {}",
            target.headline, site.settings.title
        ),
        description: format!("The newest comments on “{}”.", target.headline),
        language: target.language.clone(),
        self_url: format!("{article_url}/comments.atom"),
        id: format!("{article_url}#comments"),
        home_url: format!("{article_url}#comments"),
        updated_rfc3339: rfc3339(updated),
        updated_rfc2822: updated.to_rfc2822(),
        items,
    };
    Ok(cacheable(
        s.templates.render("atom.xml", &view)?,
        "application/atom+xml; charset=utf-8",
        Freshness::Minutes(1),
        Some(updated),
    ))
}
