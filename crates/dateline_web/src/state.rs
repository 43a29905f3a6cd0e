use crate::assets::Assets;
use crate::cache::PageCache;
use crate::templates::Templates;
use crate::urls::Urls;
use dateline_db::Db;
use std::path::PathBuf;
use std::sync::Arc;

/// What the web side needs to know from the operator.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public address of the site, e.g. `https://news.example` (no trailing
    /// slash); used for canonical links, feeds and sitemaps.
    pub base_url: url::Url,
    /// Where `media/` and template overrides (`templates/`) live.
    pub data_dir: PathBuf,
    /// Most memory the page cache may hold, in bytes.
    pub page_cache_bytes: u64,
    /// Proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: crate::auth::TrustedProxies,
    /// The From of the mail Dateline sends, e.g. `Dateline <news@example.org>`.
    pub mail_from: String,
    /// Largest image upload, in bytes.
    pub max_upload_bytes: u64,
}

impl WebConfig {
    /// Cookies are marked Secure when the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

/// The site's settings with the frame every page shares, cached per content
/// version (see `handlers::site`).
pub struct SiteContext {
    pub settings: dateline_db::site::SiteSettings,
    /// Saving them raises the content version too.
    pub comments: dateline_core::comment::CommentSettings,
    pub view: crate::views::SiteView,
}

/// A `SiteContext` and the content version it was built at.
pub(crate) type CachedSite = (i64, Arc<SiteContext>);

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub urls: Urls,
    pub cache: Arc<PageCache>,
    pub(crate) templates: Arc<Templates>,
    pub(crate) assets: Arc<Assets>,
    pub(crate) config: Arc<WebConfig>,
    pub(crate) site: Arc<std::sync::Mutex<Option<CachedSite>>>,
    /// Turns at argon2id: every password hashed or checked for a request.
    pub hashing: Arc<crate::auth::hashing::Hashing>,
    /// Content-Security-Policy reports per client address.
    pub(crate) csp_report_limiter: Arc<crate::auth::LoginLimiter>,
    /// Turns at decoding and resizing uploaded images.
    pub(crate) image_turns: Arc<tokio::sync::Semaphore>,
    /// Signed links to subscribers' pages.
    pub(crate) links: Arc<dateline_mail::Links>,
    /// Signs comment forms and commenters' data links; hashes client
    /// addresses with the site's key.
    pub(crate) signer: dateline_core::signing::Signer,
    /// Ids of articles whose comments changed, for readers watching live.
    pub(crate) comment_changes: tokio::sync::broadcast::Sender<i64>,
    /// Cancelled when the server stops: long-lived responses (live comment
    /// streams) end, so a graceful shutdown does not wait for readers.
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl AppState {
    /// Builds the state, loading templates (with the data directory's
    /// overrides) and embedded assets. Fails with a message naming the template
    /// when an override does not parse.
    pub async fn new(db: Db, config: WebConfig) -> anyhow::Result<Self> {
        crate::metrics::handle();
        let assets = Arc::new(Assets::embedded());
        let templates = Arc::new(Templates::load(&config.data_dir.join("templates"))?);
        let links = Arc::new(dateline_mail::Links::for_site(&db, &config.base_url).await?);
        let signer = links.signer().clone();
        Ok(Self {
            signer,
            comment_changes: tokio::sync::broadcast::channel(256).0,
            shutdown: tokio_util::sync::CancellationToken::new(),
            db,
            urls: Urls::new(&config.base_url),
            cache: Arc::new(PageCache::new(config.page_cache_bytes)),
            templates,
            assets,
            links,
            image_turns: Arc::new(crate::newsroom::images::work_turns()),
            config: Arc::new(config),
            site: Arc::default(),
            csp_report_limiter: Arc::new(crate::auth::LoginLimiter::new(
                100,
                std::time::Duration::from_secs(60),
            )),
            hashing: Arc::new(crate::auth::hashing::Hashing::for_this_machine()),
        })
    }
}

impl AppState {
    /// An article's comments changed (here, or in another process): drop
    /// the cached pages that show them and tell readers watching live.
    /// After a write that moved the content version: this process's pages
    /// move at once (others within a second, from the refresh loop), so an
    /// editor who saves and looks sees the change.
    pub(crate) async fn content_changed(&self) {
        match dateline_db::site::content_version(&self.db).await {
            Ok(v) => self.cache.set_version(v),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the content version; pages move within a second")
            }
        }
    }

    pub(crate) fn comments_changed(&self, article_id: i64, slug: &str) {
        self.cache.touch(&format!("/{slug}"));
        self.cache.touch("/");
        self.cache.touch("/api");
        // Nobody listening is not an error.
        let _ = self.comment_changes.send(article_id);
    }
}
