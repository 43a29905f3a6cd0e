use crate::urls::Urls;
use dateline_db::views::Paged;
use serde::Serialize;

/// A link with a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub url: String,
    pub label: String,
}

/// The site as every page shows it: title, navigation, assets.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub title: String,
    pub description: String,
    pub language: String,
    pub dir: &'static str,
    pub nav: Vec<Link>,
    pub css_url: String,
    pub icon_url: String,
    pub year: i32,
}

/// An alternate representation of a page, such as its feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedLink {
    pub title: String,
    pub url: String,
    pub mime: &'static str,
}

/// The `<head>` of a page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    /// Absolute URL.
    pub canonical: String,
    pub feeds: Vec<FeedLink>,
    /// The same page in other languages: (language tag, absolute URL).
    pub alternates: Vec<(String, String)>,
    /// Pairs of OpenGraph/Twitter property and content.
    pub open_graph: Vec<(String, String)>,
    /// JSON-LD, already escaped for a `<script>` element.
    pub json_ld: Option<String>,
    pub noindex: bool,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    /// Scripts the page loads (deferred); pages work without them.
    pub scripts: Vec<String>,
}

impl PageMeta {
    pub fn feeds_for(urls: &Urls, title: &str, path_prefix: &str) -> Vec<FeedLink> {
        vec![
            FeedLink {
                title: format!("{title} (RSS)"),
                url: urls.absolute(&format!("{path_prefix}/feed.xml")),
                mime: "application/rss+xml",
            },
            FeedLink {
                title: format!("{title} (Atom)"),
                url: urls.absolute(&format!("{path_prefix}/atom.xml")),
                mime: "application/atom+xml",
            },
            FeedLink {
                title: format!("{title} (JSON Feed)"),
                url: urls.absolute(&format!("{path_prefix}/feed.json")),
                mime: "application/feed+json",
            },
        ]
    }
}

/// Previous/next links for a paginated list.
#[derive(Debug, Clone, Serialize)]
pub struct PaginationView {
    pub page: u32,
    pub pages: u32,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl PaginationView {
    pub fn new<T>(urls: &Urls, path: &str, paged: &Paged<T>) -> Self {
        Self {
            page: paged.page,
            pages: paged.pages().max(1),
            prev_url: paged
                .has_previous()
                .then(|| urls.page(path, paged.page - 1)),
            next_url: paged.has_next().then(|| urls.page(path, paged.page + 1)),
        }
    }
}

/// What an error page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorView {
    pub status: u16,
    pub title: String,
    pub message: String,
    pub fields: Vec<(String, String)>,
    pub query: Option<String>,
    pub suggestions: Vec<Link>,
    pub request_id: String,
}
