//! The page cache, and HTTP validation (ETag, Last-Modified, 304).
//!
//! A public GET whose handler marks its response [`Cacheable`] is kept in
//! memory, whole, with a strong hash for its ETag and gzip and brotli copies
//! made once, so a cached page is served without touching the database or
//! compressing again. Entries are keyed by the content version: when anything
//! public changes (in this process or another, see `refresh.rs`) the version
//! moves on and old entries are never read again. Comments change far more
//! often than articles, so they move only the pages they appear on: each
//! path's first segment (`/slug`, `/`, `/api`) has an epoch that is part of
//! the key, and a comment write moves the epochs of its article's pages
//! ([`PageCache::touch`]). Memory is bounded by weight.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::state::AppState;

/// Largest response body the cache will hold.
const MAX_CACHED_BODY: usize = 4 * 1024 * 1024;
/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 512;

/// Marks a response as the same for every reader until content changes.
#[derive(Debug, Clone, Copy)]
pub struct Cacheable;

#[derive(Debug)]
struct CachedPage {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    last_modified: Option<HeaderValue>,
    last_modified_at: Option<DateTime<Utc>>,
    etag: HeaderValue,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

#[derive(Clone)]
struct PageWeighter;

/// Content version, epoch of the path's scope, path and query.
type PageKey = (i64, u64, String);

impl Weighter<PageKey, Arc<CachedPage>> for PageWeighter {
    fn weight(&self, key: &PageKey, page: &Arc<CachedPage>) -> u64 {
        let bodies = page.identity.len()
            + page.gzip.as_ref().map_or(0, Bytes::len)
            + page.brotli.as_ref().map_or(0, Bytes::len);
        (key.2.len() + bodies + 256) as u64
    }
}

/// Rendered public responses, keyed by content version and URL.
pub struct PageCache {
    entries: Cache<PageKey, Arc<CachedPage>, PageWeighter>,
    version: AtomicI64,
    /// Epochs of scopes whose pages changed without the content version
    /// moving; a scope never touched is at epoch 0.
    epochs: RwLock<HashMap<String, u64>>,
    next_epoch: AtomicU64,
    /// The comments version this process has caught up with.
    comments_seen: AtomicI64,
    /// False when configured with no memory: pages still get validators (and
    /// 304s), and are compressed per request by the compression layer.
    enabled: bool,
}

impl PageCache {
    pub fn new(max_bytes: u64) -> Self {
        // quick_cache wants an estimate of the number of items; pages are a
        // few tens of kilobytes each.
        let estimated_items = (max_bytes / 32_768).clamp(64, 1_000_000) as usize;
        Self {
            entries: Cache::with_weighter(estimated_items, max_bytes.max(1), PageWeighter),
            version: AtomicI64::new(0),
            epochs: RwLock::new(HashMap::new()),
            next_epoch: AtomicU64::new(1),
            comments_seen: AtomicI64::new(0),
            enabled: max_bytes > 0,
        }
    }

    /// The content version pages are cached under.
    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    /// Moves to a new content version; everything cached before is dropped.
    pub fn set_version(&self, version: i64) {
        if self.version.swap(version, Ordering::AcqRel) != version {
            self.entries.clear();
        }
    }

    /// Drops the cached pages of a scope (`/slug`, `/`, `/api`): their
    /// keys move to a new epoch and old entries age out unread.
    pub fn touch(&self, scope: &str) {
        let epoch = self.next_epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut epochs) = self.epochs.write() {
            epochs.insert(scope.to_owned(), epoch);
        }
    }

    fn epoch(&self, path: &str) -> u64 {
        self.epochs
            .read()
            .ok()
            .and_then(|e| e.get(scope_of(path)).copied())
            .unwrap_or(0)
    }

    /// The comments version this process's pages reflect.
    pub fn comments_seen(&self) -> i64 {
        self.comments_seen.load(Ordering::Acquire)
    }

    pub fn set_comments_seen(&self, version: i64) {
        self.comments_seen.fetch_max(version, Ordering::AcqRel);
    }

    /// Bytes held now.
    pub fn weight(&self) -> u64 {
        self.entries.weight()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

fn negotiate(headers: &HeaderMap) -> Encoding {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|part| {
            let mut bits = part.trim().split(';');
            let coding = bits.next().unwrap_or_default().trim();
            let refused = bits.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    if accepts("br") {
        Encoding::Brotli
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn compress_gzip(data: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::new(6),
    );
    enc.write_all(data).ok()?;
    enc.finish().ok().map(Bytes::from)
}

fn compress_brotli(data: &[u8]) -> Option<Bytes> {
    let mut out = Vec::with_capacity(data.len() / 4);
    // A 256 KiB window is plenty for a page and keeps the encoder's tables
    // (which it allocates and clears on every call) small.
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 18,
        size_hint: data.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

fn is_compressible(content_type: &HeaderValue) -> bool {
    let ct = content_type.to_str().unwrap_or_default();
    ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("xml")
        || ct.contains("javascript")
}

impl CachedPage {
    /// With `precompress`, gzip and brotli copies are made now, for a page
    /// that will be served many times from the cache.
    fn build(headers: &HeaderMap, body: Bytes, precompress: bool) -> Self {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
        let cache_control = headers
            .get(header::CACHE_CONTROL)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("public, no-cache"));
        let last_modified = headers.get(header::LAST_MODIFIED).cloned();
        let last_modified_at = last_modified
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|t| t.with_timezone(&Utc));
        let hash = xxhash_rust::xxh3::xxh3_128(&body);
        let etag = HeaderValue::from_str(&format!("\"{hash:032x}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        let (gzip, brotli) =
            if precompress && body.len() >= MIN_COMPRESS && is_compressible(&content_type) {
                (compress_gzip(&body), compress_brotli(&body))
            } else {
                (None, None)
            };
        Self {
            content_type,
            cache_control,
            last_modified,
            last_modified_at,
            etag,
            identity: body,
            gzip,
            brotli,
        }
    }

    /// True when the client's copy is current (If-None-Match, or failing that
    /// If-Modified-Since).
    fn not_modified(&self, req: &HeaderMap) -> bool {
        if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            let ours = self.etag.to_str().unwrap_or_default();
            return inm.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == ours
            });
        }
        match (
            req.get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| DateTime::parse_from_rfc2822(v).ok()),
            self.last_modified_at,
        ) {
            (Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
            _ => false,
        }
    }

    fn respond(&self, req: &HeaderMap) -> Response {
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Some(lm) = &self.last_modified {
            headers.insert(header::LAST_MODIFIED, lm.clone());
        }
        if self.not_modified(req) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        let body = match (negotiate(req), &self.brotli, &self.gzip) {
            (Encoding::Brotli, Some(br), _) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
                br.clone()
            }
            (Encoding::Brotli | Encoding::Gzip, _, Some(gz)) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gz.clone()
            }
            _ => self.identity.clone(),
        };
        (headers, Body::from(body)).into_response()
    }
}

/// Serves cached pages, and caches what handlers mark [`Cacheable`].
pub async fn page_cache(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let key = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    let cache = &state.cache;
    let version = cache.version();
    let epoch = cache.epoch(request.uri().path());
    if let Some(page) = cache.entries.get(&(version, epoch, key.clone())) {
        metrics::counter!("dateline_page_cache_hits_total").increment(1);
        return page.respond(request.headers());
    }
    let req_headers = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.extensions().get::<Cacheable>().is_none() {
        return response;
    }
    metrics::counter!("dateline_page_cache_misses_total").increment(1);
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_CACHED_BODY).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "response too large to cache",
        )
            .into_response();
    };
    let page = Arc::new(CachedPage::build(&parts.headers, bytes, cache.enabled));
    // A page rendered while the content changed may be stale: serve it to this
    // request, but do not keep it.
    if cache.enabled && cache.version() == version && cache.epoch(&key_path(&key)) == epoch {
        cache.entries.insert((version, epoch, key), page.clone());
    }
    page.respond(&req_headers)
}

/// The scope a path's pages belong to: its first segment.
fn scope_of(path: &str) -> &str {
    let rest = path.strip_prefix('/').unwrap_or(path);
    match rest.find(['/', '?']) {
        Some(end) => &path[..end + 1],
        None => path,
    }
}

fn key_path(key: &str) -> String {
    key.split('?').next().unwrap_or(key).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn negotiates_encodings() {
        assert!(
            negotiate(&headers(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")]))
                == Encoding::Brotli
        );
        assert!(negotiate(&headers(&[(header::ACCEPT_ENCODING, "gzip")])) == Encoding::Gzip);
        assert!(
            negotiate(&headers(&[(header::ACCEPT_ENCODING, "br;q=0, gzip")])) == Encoding::Gzip
        );
        assert!(negotiate(&headers(&[])) == Encoding::Identity);
    }

    #[test]
    fn validates_etags_and_dates() {
        let page = CachedPage::build(
            &headers(&[
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::LAST_MODIFIED, "Tue, 24 Nov 2026 08:00:00 GMT"),
            ]),
            Bytes::from_static(b"<p>hello</p>"),
            true,
        );
        let etag = page.etag.to_str().unwrap().to_owned();
        assert!(page.not_modified(&headers(&[(header::IF_NONE_MATCH, &etag)])));
        assert!(page.not_modified(&headers(&[(header::IF_NONE_MATCH, &format!("W/{etag}"))])));
        assert!(!page.not_modified(&headers(&[(header::IF_NONE_MATCH, "\"other\"")])));
        assert!(page.not_modified(&headers(&[(
            header::IF_MODIFIED_SINCE,
            "Tue, 24 Nov 2026 08:00:00 GMT"
        )])));
        assert!(!page.not_modified(&headers(&[(
            header::IF_MODIFIED_SINCE,
            "Tue, 24 Nov 2026 07:59:59 GMT"
        )])));
    }

    #[test]
    fn compresses_once_and_round_trips() {
        let body = "<p>Farmers count the cost.</p>".repeat(100);
        let page = CachedPage::build(
            &headers(&[(header::CONTENT_TYPE, "text/html")]),
            Bytes::from(body.clone()),
            true,
        );
        let gz = page.gzip.as_ref().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
            .unwrap();
        assert_eq!(out, body);
        assert!(page.brotli.as_ref().unwrap().len() < body.len() / 4);
    }

    #[test]
    fn a_cache_without_memory_keeps_nothing() {
        let cache = PageCache::new(0);
        assert!(!cache.enabled);
        assert!(PageCache::new(1024).enabled);
    }

    #[test]
    fn a_new_version_empties_the_cache() {
        let cache = PageCache::new(1 << 20);
        cache.set_version(1);
        let page = Arc::new(CachedPage::build(
            &HeaderMap::new(),
            Bytes::from_static(b"x"),
            true,
        ));
        cache.entries.insert((1, 0, "/".into()), page);
        assert_eq!(cache.len(), 1);
        cache.set_version(1);
        assert_eq!(cache.len(), 1);
        cache.set_version(2);
        assert!(cache.is_empty());
    }

    #[test]
    fn scopes_are_first_segments() {
        assert_eq!(scope_of("/"), "/");
        assert_eq!(
            scope_of("/farmers-count-the-cost"),
            "/farmers-count-the-cost"
        );
        assert_eq!(scope_of("/farmers/comments/4"), "/farmers");
        assert_eq!(scope_of("/api/v1/articles"), "/api");
        let cache = PageCache::new(1 << 20);
        assert_eq!(cache.epoch("/a/comments"), 0);
        cache.touch("/a");
        assert_ne!(cache.epoch("/a/comments"), 0);
        assert_eq!(cache.epoch("/b"), 0);
    }
}
