//! `TestApp`: a router over a throwaway database, driven without a socket.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use dateline_core::article::{ArticleInput, AuthorInput};
use dateline_core::{ArticleId, Language};
use dateline_db::articles::{self, SaveTarget};
use dateline_db::testing::TestDb;
use dateline_web::{AppState, WebConfig, refresh_once, router};
use tower::ServiceExt;

pub struct TestApp {
    pub db: TestDb,
    pub state: AppState,
    router: Router,
    pub dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.text())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Texts of the elements matching a CSS selector.
    pub fn select(&self, selector: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(selector).expect("valid selector");
        self.html()
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// An attribute of every element matching a CSS selector.
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(selector).expect("valid selector");
        self.html()
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(str::to_owned))
            .collect()
    }
}

/// A fixed "now" for test articles: an hour before the real one, so that
/// published times are in the past and recent enough for the news sitemap.
pub fn recently() -> DateTime<Utc> {
    Utc::now() - Duration::hours(1)
}

impl TestApp {
    pub async fn new(db: TestDb) -> Self {
        Self::with_page_cache(db, 8 * 1024 * 1024).await
    }

    pub async fn with_page_cache(db: TestDb, page_cache_bytes: u64) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("media")).expect("media dir");
        let state = AppState::new(
            db.db.clone(),
            WebConfig {
                base_url: url::Url::parse("http://news.test").expect("url"),
                data_dir: dir.path().to_path_buf(),
                page_cache_bytes,
                trusted_proxies: dateline_web::auth::TrustedProxies::default(),
                mail_from: "Dateline <newsroom@news.test>".into(),
                max_upload_bytes: 4 * 1024 * 1024,
            },
        )
        .expect("state");
        refresh_once(&state).await.expect("refresh");
        Self {
            router: router(state.clone()),
            state,
            db,
            dir,
        }
    }

    /// Saves an article (published an hour ago unless `f` says otherwise)
    /// and lets the site see it, as the refresh loop would.
    pub async fn add(&self, headline: &str, f: impl FnOnce(&mut ArticleInput)) -> ArticleId {
        let mut input = ArticleInput {
            headline: headline.into(),
            body: format!("First paragraph of “{headline}”.\n\nSecond paragraph."),
            status: Some("published".into()),
            published_at: Some(recently()),
            authors: vec![AuthorInput::Name("Rana Haddad".into())],
            ..Default::default()
        };
        f(&mut input);
        let draft = input
            .validate(&Language::english(), Utc::now())
            .unwrap_or_else(|e| panic!("invalid test article: {e}"));
        let id = articles::save(&self.db.db, SaveTarget::New, &draft, Utc::now(), None)
            .await
            .expect("save")
            .id;
        self.refresh().await;
        id
    }

    pub async fn refresh(&self) {
        refresh_once(&self.state).await.expect("refresh");
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(Body::empty()).expect("request"))
            .await
    }

    pub async fn send(&self, method: Method, path: &str, body: Vec<u8>) -> Resp {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-length", body.len().to_string())
            .body(Body::from(body))
            .expect("request");
        self.request(req).await
    }

    pub async fn request(&self, req: Request<Body>) -> Resp {
        let response = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, 64 * 1024 * 1024)
            .await
            .expect("body");
        Resp {
            status: parts.status,
            headers: parts.headers,
            body: body.to_vec(),
        }
    }
}
