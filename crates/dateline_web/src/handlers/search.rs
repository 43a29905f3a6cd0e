use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::{html_page, past_the_end};
use crate::state::AppState;
use crate::views::{ArticleCard, PageMeta, PaginationView};
use axum::extract::State;
use axum::response::Response;
use dateline_db::search;
use dateline_db::views::PageRequest;
use serde::{Deserialize, Serialize};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub page: Option<u32>,
}

#[derive(Serialize)]
struct SearchPage {
    query: String,
    articles: Vec<ArticleCard>,
    total: u64,
    pagination: PaginationView,
}

/// Checks a query's length, trimmed.
pub(crate) fn checked_query(q: &str) -> Result<String, AppError> {
    let q = q.trim();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadRequest(format!(
            "Search for at most {MAX_QUERY_CHARS} characters; this query has {}.",
            q.chars().count()
        )));
    }
    Ok(q.to_owned())
}

/// `GET /search?q=...`: published articles, best match first.
pub async fn search_page(
    State(state): State<AppState>,
    Q(params): Q<SearchParams>,
) -> Result<Response, AppError> {
    let query = checked_query(&params.q)?;
    let page = match params.page {
        Some(0) => {
            return Err(AppError::BadRequest(
                "Pages are numbered from 1; ?page=0 does not exist.".into(),
            ));
        }
        Some(n) => n,
        None => 1,
    };
    let site = crate::handlers::site(&state).await?;
    let settings = &site.settings;
    let hits = search::search(&state.db, &query, PageRequest::new(page, settings.per_page)).await?;
    if page > 1 && hits.items.is_empty() {
        return Err(past_the_end(page, hits.pages()));
    }
    let path = state.urls.search(&query);
    let pagination = PaginationView::new(&state.urls, &path, &hits);
    let meta = PageMeta {
        title: if query.is_empty() {
            format!("Search — {}", settings.title)
        } else {
            format!("“{query}” — search — {}", settings.title)
        },
        description: format!("Search the reporting of {}.", settings.title),
        canonical: state.urls.absolute(&state.urls.page(&path, page)),
        noindex: true,
        prev_url: pagination.prev_url.clone(),
        next_url: pagination.next_url.clone(),
        ..PageMeta::default()
    };
    let view = SearchPage {
        articles: ArticleCard::all(&hits.items, &state.urls),
        total: hits.total,
        query,
        pagination,
    };
    html_page(&state, "search.html", meta, view, None).await
}
