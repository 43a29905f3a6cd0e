use crate::error::AppError;
use crate::extract::{PageParam, Q};
use crate::handlers::{html_page, newest, past_the_end};
use crate::state::AppState;
use crate::views::{ArticleCard, PageMeta, PaginationView};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use dateline_db::articles::{self, ArticleFilter};
use dateline_db::views::PageRequest;
use serde::Serialize;

#[derive(Serialize)]
struct HomePage {
    articles: Vec<ArticleCard>,
    pagination: PaginationView,
    is_first_page: bool,
}

/// `GET /`: the newest published articles, the first of them as the lead.
pub async fn front_page(
    State(state): State<AppState>,
    Q(params): Q<PageParam>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    // WordPress's own links to an item (`/?p=10`), where an import kept them.
    if let Some(q) = query
        .as_deref()
        .filter(|q| dateline_core::legacy::names_item(q))
        && let Some(location) = crate::old_addresses::moved_to(&state, "/", Some(q)).await?
    {
        return Ok(crate::old_addresses::moved_permanently(&location));
    }
    let page = params.number()?;
    let site = crate::handlers::site(&state).await?;
    let settings = &site.settings;
    let list = articles::list(
        &state.db,
        &ArticleFilter {
            pinned_first: true,
            ..ArticleFilter::published()
        },
        PageRequest::new(page, settings.per_page),
    )
    .await?;
    if page > 1 && list.items.is_empty() {
        return Err(past_the_end(page, list.pages()));
    }
    let pagination = PaginationView::new(&state.urls, "/", &list);
    let meta = PageMeta {
        title: if page > 1 {
            format!("{} — page {page}", settings.title)
        } else {
            settings.title.clone()
        },
        description: settings.description.clone(),
        canonical: state.urls.absolute(&state.urls.page("/", page)),
        feeds: PageMeta::feeds_for(&state.urls, &settings.title, ""),
        open_graph: vec![
            ("og:type".into(), "website".into()),
            ("og:site_name".into(), settings.title.clone()),
            ("og:title".into(), settings.title.clone()),
            ("og:description".into(), settings.description.clone()),
            ("og:url".into(), state.urls.absolute("/")),
        ],
        prev_url: pagination.prev_url.clone(),
        next_url: pagination.next_url.clone(),
        ..PageMeta::default()
    };
    let last_modified = newest(list.items.iter().map(|a| &a.updated_at));
    let view = HomePage {
        articles: ArticleCard::all(&list.items, &state.urls),
        pagination,
        is_first_page: page == 1,
    };
    html_page(&state, "home.html", meta, view, last_modified).await
}
