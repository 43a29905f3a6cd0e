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
        Self::build(db, page_cache_bytes, "http://news.test").await
    }

    pub async fn with_base(db: TestDb, base: &str) -> Self {
        Self::build(db, 8 * 1024 * 1024, base).await
    }

    async fn build(db: TestDb, page_cache_bytes: u64, base: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("media")).expect("media dir");
        let state = AppState::new(
            db.db.clone(),
            WebConfig {
                base_url: url::Url::parse(base).expect("url"),
                data_dir: dir.path().to_path_buf(),
                page_cache_bytes,
                trusted_proxies: dateline_web::auth::TrustedProxies::default(),
                mail_from: "Dateline <newsroom@news.test>".into(),
                max_upload_bytes: 4 * 1024 * 1024,
            },
        )
        .await
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
        self.add_stored(headline, f, |_| {}).await
    }

    /// `add`, with the validated draft changed by `g` before it is saved:
    /// data as an older version (or another program) could have stored it.
    pub async fn add_stored(
        &self,
        headline: &str,
        f: impl FnOnce(&mut ArticleInput),
        g: impl FnOnce(&mut dateline_core::ArticleDraft),
    ) -> ArticleId {
        let mut input = ArticleInput {
            headline: headline.into(),
            body: format!("First paragraph of “{headline}”.\n\nSecond paragraph."),
            status: Some("published".into()),
            published_at: Some(recently()),
            authors: vec![AuthorInput::Name("Rana Haddad".into())],
            ..Default::default()
        };
        f(&mut input);
        let mut draft = input
            .validate(&Language::english(), Utc::now())
            .unwrap_or_else(|e| panic!("invalid test article: {e}"));
        g(&mut draft);
        let id = articles::save(
            &self.db.db,
            SaveTarget::New,
            &draft,
            Utc::now(),
            &dateline_db::articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
        )
        .await
        .expect("save")
        .id;
        self.refresh().await;
        id
    }

    /// Confirmed subscribers who want each report (as an import makes them).
    pub async fn subscribe_confirmed(&self, emails: &[&str]) {
        let rows: Vec<_> = emails
            .iter()
            .map(|e| dateline_db::subscribers::ImportRow {
                email: (*e).into(),
                name: String::new(),
                frequency: dateline_core::newsletter::Frequency::Each,
                sections: vec![],
            })
            .collect();
        dateline_db::subscribers::import(
            &self.db.db,
            &rows,
            Utc::now(),
            &dateline_core::audit::Who::cli(""),
        )
        .await
        .expect("import");
    }

    /// A fresh comment-form token, as the page's script fetches it.
    pub async fn comment_token(&self) -> String {
        self.get("/comments/token").await.json()["token"]
            .as_str()
            .expect("a comment token")
            .to_owned()
    }

    /// Comment settings for tests that are not about the spam defences: no
    /// waiting, no holding first comments, and what `f` changes.
    pub async fn relaxed_comments(
        &self,
        f: impl FnOnce(&mut dateline_core::comment::CommentSettings),
    ) {
        let mut s = dateline_core::comment::CommentSettings {
            min_seconds: 0,
            hold_first: false,
            ..Default::default()
        };
        f(&mut s);
        dateline_db::comments::save_settings(
            &self.db.db,
            &s,
            chrono::Utc::now(),
            &dateline_core::audit::Who::cli(""),
        )
        .await
        .expect("comment settings");
        self.refresh().await;
    }

    pub async fn refresh(&self) {
        refresh_once(&self.state).await.expect("refresh");
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// What the operators' metrics listener (`--metrics-listen`) answers.
    pub async fn metrics(&self) -> String {
        let response = dateline_web::metrics_router(self.state.clone())
            .oneshot(
                Request::get("/metrics")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("body");
        String::from_utf8_lossy(&body).into_owned()
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

/// The actor of what a test sets up: the command line.
pub fn cli() -> dateline_core::audit::Who {
    dateline_core::audit::Who::cli("")
}

/// A signed-in newsroom user, as a browser holding the session cookie.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
    pub user: dateline_db::accounts::User,
}

/// Builds a `multipart/form-data` body.
pub fn multipart(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "dateline-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, content_type, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A small real PNG image.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::new_rgb8(width, height)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// A PNG that claims `width` × `height` black pixels in a file of a few
/// hundred kilobytes (rows of zeros compress a thousandfold): what an
/// attacker uploads to make a server decode gigabytes. Written row by row,
/// so making it costs the test no such memory.
pub fn sparse_png(width: u32, height: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // 8 bits a channel, RGB, deflate, no filter method, not interlaced.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut pixels = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 + 3 * width as usize];
    for _ in 0..height {
        pixels.write_all(&row).expect("deflate");
    }
    let pixels = pixels.finish().expect("deflate");
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &pixels);
    chunk(&mut out, b"IEND", &[]);
    out
}

impl TestApp {
    /// A user with this role and password (hashed for real).
    pub async fn user(
        &self,
        email: &str,
        name: &str,
        role: dateline_core::Role,
        password: &str,
    ) -> dateline_db::accounts::User {
        let hash = dateline_web::auth::passwords::hash(password.to_owned())
            .await
            .expect("hash");
        dateline_db::accounts::create_user(
            &self.db.db,
            email,
            name,
            role,
            &hash,
            Utc::now(),
            &cli(),
        )
        .await
        .expect("create user")
    }

    /// A signed-in browser for a new user with `role`, without going through
    /// the sign-in form (the tests of that form do).
    pub async fn browser(&self, role: dateline_core::Role) -> Browser {
        use dateline_web::auth::secrets::{hash_secret, new_secret};
        let n = self.db.db.clone();
        let name = format!("{} {}", role, new_secret()[..6].to_ascii_lowercase());
        let email = format!("{}@newsroom.test", name.replace(' ', "."));
        let user = dateline_db::accounts::create_user(
            &n,
            &email,
            &name,
            role,
            "$argon2id$unused",
            Utc::now(),
            &cli(),
        )
        .await
        .expect("create user");
        let token = new_secret();
        let csrf = new_secret();
        let token_hash = hash_secret(&token);
        let session = dateline_db::sessions::NewSession {
            token_hash: &token_hash,
            user: user.id,
            csrf_token: &csrf,
            expires_at: Utc::now() + Duration::days(1),
            user_agent: "test",
            ip_prefix: "127.0.0.0",
        };
        dateline_db::sessions::sign_in(&n, &session, None, "test", Utc::now(), &cli())
            .await
            .expect("session");
        Browser {
            cookie: format!("dateline_session={token}"),
            csrf,
            user,
        }
    }

    /// An API token acting as `user`.
    pub async fn token(&self, user: &dateline_db::accounts::User) -> String {
        use dateline_web::auth::secrets::{hash_secret, new_secret};
        let secret = format!("dl_{}", new_secret());
        dateline_db::tokens::create_token(
            &self.db.db,
            "test",
            &secret[..10],
            &hash_secret(&secret),
            user.id,
            Utc::now(),
            &cli(),
        )
        .await
        .expect("token");
        secret
    }

    pub async fn get_as(&self, b: &Browser, path: &str) -> Resp {
        self.get_with(path, &[("cookie", &b.cookie)]).await
    }

    /// Posts a form as `b`, with its CSRF token.
    pub async fn post_as(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", b.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all, &[("cookie", &b.cookie)]).await
    }

    /// Posts a multipart form as `b`, with its CSRF token.
    pub async fn post_multipart_as(
        &self,
        b: &Browser,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", b.csrf.as_str())];
        all.extend_from_slice(fields);
        let (content_type, body) = multipart(&all, files);
        let req = Request::post(path)
            .header("cookie", &b.cookie)
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request");
        self.request(req).await
    }

    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let body = serde_urlencoded::to_string(fields).expect("form");
        let mut req =
            Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(Body::from(body)).expect("request"))
            .await
    }

    /// Calls the admin API with a token.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.request(req.body(body).expect("request")).await
    }

    /// Delivers every queued message through the mail workers, to an SMTP
    /// server or (with `None`) into the outbox folder, until nothing is
    /// left to send.
    pub async fn deliver_to(&self, smtp_url: Option<&str>) {
        let config = dateline_mail::MailConfig {
            smtp_url: smtp_url.map(str::to_owned),
            outbox_dir: self.dir.path().join("outbox"),
            from: "The Tigris Ledger <newsroom@news.test>".into(),
            base_url: url::Url::parse(self.state.urls.base()).expect("base url"),
            concurrency: 4,
            rate: None,
            lease: chrono::Duration::minutes(5),
            retry_after: chrono::Duration::seconds(30),
        };
        let worker = dateline_mail::Worker::new(self.state.db.clone(), config)
            .await
            .expect("mail worker");
        worker
            .run_until_empty(tokio_util::sync::CancellationToken::new())
            .await;
    }

    /// Delivers every queued message into the outbox folder, and returns the
    /// messages there, oldest first.
    pub async fn outbox(&self) -> Vec<String> {
        self.deliver_to(None).await;
        let dir = self.dir.path().join("outbox");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        // mail.9@… before mail.10@…
        files.sort_by_key(|p| (p.as_os_str().len(), p.clone()));
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("eml"))
            .collect()
    }
}
