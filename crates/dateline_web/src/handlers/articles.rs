use crate::error::AppError;
use crate::handlers::comments::{Filter, SectionParams};
use crate::handlers::html_page;
use crate::state::AppState;
use crate::urls::Urls;
use crate::views::article::{PassageMarker, og_locale};
use crate::views::{ArticlePageView, Link, PageMeta};
use axum::extract::{Path, State};

use axum::response::Response;
use chrono::{DateTime, Utc};
use dateline_core::comment::CommentSort;
use dateline_core::{ArticleDraft, ArticleId, AuthorId};
use dateline_db::articles::{self, SlugLookup};
use dateline_db::search;
use dateline_db::site::SiteSettings;
use dateline_db::views::{
    ArticleSummary, ArticleView, AuthorView, PageRequest, TermView, TranslationLink,
};
use serde_json::json;

/// `GET /{slug}`: an article; an old slug answers 301 to the current one.
pub async fn article(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    crate::extract::Q(params): crate::extract::Q<SectionParams>,
) -> Result<Response, AppError> {
    match articles::find_published(&state.db, &slug).await? {
        SlugLookup::Found(view) => {
            render_view(&state, &view, Shown::Live(params.sort(), params.filter())).await
        }
        SlugLookup::Moved(new_slug) => Ok(crate::old_addresses::moved_permanently(
            &state.urls.article(&new_slug),
        )),
        SlugLookup::NotFound => {
            match crate::old_addresses::moved_to(&state, &format!("/{slug}"), None).await? {
                Some(location) => Ok(crate::old_addresses::moved_permanently(&location)),
                None => Err(not_found_with_suggestions(&state, &slug).await),
            }
        }
    }
}

/// How an article page is shown.
enum Shown {
    /// To readers: its comment section sorted and filtered so, and a marker
    /// at the end of each paragraph.
    Live(CommentSort, Filter),
    /// As a newsroom preview: no comments, and these markers (the editors'
    /// questions where theirs will be).
    Preview(Vec<PassageMarker>),
}

/// The reader page of an article.
async fn render_view(
    state: &AppState,
    view: &ArticleView,
    shown: Shown,
) -> Result<Response, AppError> {
    let site = crate::handlers::site(state).await?;
    let mut meta = article_meta(view, &site.settings, &state.urls);
    let shown_live = matches!(shown, Shown::Live(..));
    let is_page = view.summary.kind == dateline_core::ArticleKind::Page;
    // Where comments are turned off, paragraphs take none either.
    let (passages, markers, comments) = match shown {
        // Pages take no comments.
        Shown::Live(..) if is_page => (Vec::new(), Vec::new(), None),
        Shown::Live(sort, filter) if site.comments.enabled => {
            let passages = dateline_db::passages::for_article(&state.db, view.summary.id).await?;
            let markers = PassageMarker::for_passages(&passages, &view.summary.slug, &state.urls);
            (passages, markers, Some((sort, filter)))
        }
        Shown::Live(sort, filter) => (Vec::new(), Vec::new(), Some((sort, filter))),
        Shown::Preview(markers) => (Vec::new(), markers, None),
    };
    let mut page = ArticlePageView::new(view, &state.urls, &markers);
    if let Some((sort, filter)) = comments {
        let target = dateline_db::comments::CommentTarget::from(&view.summary);
        page.comments = Some(
            crate::handlers::comments::section(state, &target, sort, filter, Some(&passages))
                .await?,
        );
        meta.scripts.push(state.assets.url("comments.js"));
        meta.feeds.push(crate::views::page::FeedLink {
            title: format!("Comments on “{}”", view.summary.headline),
            url: format!("{}/comments.atom", state.urls.article(&view.summary.slug)),
            mime: "application/atom+xml",
        });
    }
    if shown_live {
        page.mentions = dateline_db::imports::mentions(&state.db, view.summary.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
    }
    if let Some(img) = &view.summary.featured_image {
        page.image_srcset = crate::newsroom::images::srcset(state, &img.url).await;
    }
    html_page(
        state,
        "article.html",
        meta,
        page,
        Some(view.summary.updated_at),
    )
    .await
}

/// The reader page a draft would make, for the newsroom's preview: the same
/// template and view as the published page.
pub(crate) async fn render_draft(
    state: &AppState,
    draft: &ArticleDraft,
    (rendered, body_html): (&dateline_render::RenderedBody, String),
    translations: &[ArticleSummary],
    now: DateTime<Utc>,
) -> Result<Response, AppError> {
    let term = |name: &str, slug: &str| TermView {
        id: 0,
        slug: slug.to_owned(),
        name: name.to_owned(),
        description: String::new(),
        article_count: None,
    };
    let summary = ArticleSummary {
        id: ArticleId(0),
        slug: draft.slug.to_string(),
        headline: draft.headline.clone(),
        deck: draft.deck.clone(),
        excerpt: if draft.excerpt.is_empty() {
            dateline_render::excerpt(&rendered.text, 280)
        } else {
            draft.excerpt.clone()
        },
        dateline: draft.dateline.clone(),
        language: draft.language.clone(),
        direction: draft.direction,
        status: draft.status,
        published_at: Some(draft.published_at.unwrap_or(now)),
        created_at: now,
        feed_guid: None,
        kind: draft.kind,
        in_navigation: draft.in_navigation,
        updated_at: draft.published_at.unwrap_or(now),
        section: draft
            .section
            .as_ref()
            .map(|s| term(&s.name, s.slug.as_str())),
        authors: draft
            .authors
            .iter()
            .map(|a| AuthorView {
                id: AuthorId(0),
                slug: a.slug.to_string(),
                name: a.name.clone(),
                bio: a.bio.clone().unwrap_or_default(),
            })
            .collect(),
        tags: draft
            .tags
            .iter()
            .map(|t| term(&t.name, t.slug.as_str()))
            .collect(),
        featured_image: draft.featured_image.clone(),
        provenance: draft.provenance.clone(),
        translation_group: None,
        revision: 0,
        owner: None,
        first_published_at: None,
        comment_count: 0,
        inline_count: 0,
        comments_closed: false,
    };
    let view = ArticleView {
        summary,
        body_markdown: draft.body_markdown.clone(),
        body_html,
        translations: translations
            .iter()
            .map(|t| TranslationLink {
                id: t.id,
                slug: t.slug.clone(),
                headline: t.headline.clone(),
                language: t.language.clone(),
                direction: t.direction,
            })
            .collect(),
    };
    render_view(
        state,
        &view,
        Shown::Preview(PassageMarker::for_preview(&rendered.passages)),
    )
    .await
}

/// A 404 that offers the articles the mistyped slug's words find.
async fn not_found_with_suggestions(state: &AppState, slug: &str) -> AppError {
    let query = slug.replace(['-', '_'], " ");
    let suggestions = match search::search(&state.db, &query, PageRequest::new(1, 5)).await {
        Ok(hits) => hits
            .items
            .iter()
            .map(|a| Link {
                url: state.urls.article(&a.slug),
                label: a.headline.clone(),
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    AppError::NotFoundWithSuggestions {
        message: "There is no article at this address. It may have been unpublished, or the link may be mistyped.".into(),
        query,
        suggestions,
    }
}

fn article_meta(v: &ArticleView, settings: &SiteSettings, urls: &Urls) -> PageMeta {
    let a = &v.summary;
    let canonical = urls.absolute(&urls.article(&a.slug));
    let description = if a.deck.is_empty() {
        a.excerpt.clone()
    } else {
        a.deck.clone()
    };
    let image = a.featured_image.as_ref().map(|img| {
        if img.url.starts_with('/') {
            urls.absolute(&img.url)
        } else {
            img.url.clone()
        }
    });
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    let mut og: Vec<(String, String)> = vec![
        ("og:type".into(), "article".into()),
        ("og:site_name".into(), settings.title.clone()),
        ("og:title".into(), a.headline.clone()),
        ("og:description".into(), description.clone()),
        ("og:url".into(), canonical.clone()),
        ("og:locale".into(), og_locale(&a.language)),
    ];
    for t in &v.translations {
        og.push(("og:locale:alternate".into(), og_locale(&t.language)));
    }
    if let Some(img) = &image {
        og.push(("og:image".into(), img.clone()));
        if let Some(fi) = &a.featured_image {
            og.push(("og:image:alt".into(), fi.alt.clone()));
        }
    }
    if let Some(p) = a.published_at {
        og.push(("article:published_time".into(), iso(p)));
    }
    og.push(("article:modified_time".into(), iso(a.updated_at)));
    if let Some(s) = &a.section {
        og.push(("article:section".into(), s.name.clone()));
    }
    for t in &a.tags {
        og.push(("article:tag".into(), t.name.clone()));
    }
    og.push((
        "twitter:card".into(),
        if image.is_some() {
            "summary_large_image"
        } else {
            "summary"
        }
        .into(),
    ));

    let person = |name: &str, url: Option<String>| match url {
        Some(u) => json!({"@type": "Person", "name": name, "url": u}),
        None => json!({"@type": "Person", "name": name}),
    };
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": if a.kind == dateline_core::ArticleKind::Page { "WebPage" } else { "NewsArticle" },
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": canonical,
        "headline": a.headline,
        "description": description,
        "inLanguage": a.language.as_str(),
        "dateModified": iso(a.updated_at),
        "author": a.authors.iter().map(|au| person(&au.name, Some(urls.absolute(&urls.author(&au.slug))))).collect::<Vec<_>>(),
        "publisher": {"@type": "Organization", "name": settings.title, "url": urls.absolute("/")},
        "keywords": a.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
    });
    if let Some(p) = a.published_at {
        ld["datePublished"] = json!(iso(p));
    }
    if !a.dateline.is_empty() {
        ld["dateline"] = json!(a.dateline);
    }
    if let Some(s) = &a.section {
        ld["articleSection"] = json!(s.name);
    }
    if let Some(img) = &image {
        ld["image"] = json!([img]);
    }
    if let Some(p) = &a.provenance {
        let mut original = json!({
            "@type": "NewsArticle",
            "publisher": {"@type": "Organization", "name": p.outlet},
        });
        if let Some(u) = &p.url {
            original["url"] = json!(u);
        }
        if let Some(l) = &p.language {
            original["inLanguage"] = json!(l.as_str());
        }
        ld["isBasedOn"] = original;
        if !p.translators.is_empty() {
            ld["translator"] = json!(
                p.translators
                    .iter()
                    .map(|t| person(t, None))
                    .collect::<Vec<_>>()
            );
        }
    }
    if !v.translations.is_empty() {
        ld["workTranslation"] = json!(v
            .translations
            .iter()
            .map(|t| json!({"@type": "NewsArticle", "url": urls.absolute(&urls.article(&t.slug)), "inLanguage": t.language.as_str(), "headline": t.headline}))
            .collect::<Vec<_>>());
    }

    PageMeta {
        title: format!("{} — {}", a.headline, settings.title),
        description,
        canonical,
        feeds: PageMeta::feeds_for(urls, &settings.title, ""),
        alternates: std::iter::once((
            a.language.to_string(),
            urls.absolute(&urls.article(&a.slug)),
        ))
        .chain(v.translations.iter().map(|t| {
            (
                t.language.to_string(),
                urls.absolute(&urls.article(&t.slug)),
            )
        }))
        .collect(),
        open_graph: og,
        json_ld: Some(script_safe_json(&ld)),
        ..PageMeta::default()
    }
}

/// JSON that cannot end the `<script>` element it sits in.
pub(crate) fn script_safe_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::script_safe_json;

    #[test]
    fn json_ld_cannot_close_its_script() {
        let v = serde_json::json!({"headline": "</script><script>alert(1)</script>"});
        let s = script_safe_json(&v);
        assert!(!s.contains("</script"));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&s).unwrap(), v);
    }
}
