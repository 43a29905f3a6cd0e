//! Security headers on every response, from one layer that wraps the whole
//! router: pages, error pages, 304s, the APIs, static files, media, and any
//! route added later get them without asking.
//!
//! The Content-Security-Policy lets scripts and styles come only from this
//! site's own files (`/static/…`): no inline script or style, no `eval`, no
//! plugins, no framing. It is the same for every response and carries no
//! nonce, because pages are cached whole (`cache.rs`) and nothing inline
//! needs one; JSON-LD is a data block, which `script-src` does not govern.
//! Images may come from any https site, as article bodies embed them.
//! Browsers report violations to `/api/csp-reports`
//! (`handlers/csp_reports.rs`) through `report-uri`, which every browser
//! sends at once. `report-to` is left out: where a policy names it,
//! Chromium ignores `report-uri` and batches reports for a minute or more
//! (over loopback http it sent none at all), and the browser tests count on
//! hearing of a violation while they run.
//!
//! A header a handler set itself is kept: this layer must never replace a
//! stricter choice (a private page's `Referrer-Policy: same-origin`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// Where browsers send CSP violation reports.
pub const REPORT_PATH: &str = "/api/csp-reports";

/// The headers for this site, made once.
pub struct SecurityHeaders {
    every: HeaderMap,
}

/// The policy's directives; `https` adds `upgrade-insecure-requests`, so an
/// `http:` image in an old article is fetched over https rather than blocked.
fn content_security_policy(https: bool) -> String {
    let mut directives = vec![
        "default-src 'none'".to_owned(),
        "script-src 'self'".to_owned(),
        "style-src 'self'".to_owned(),
        "img-src 'self' https:".to_owned(),
        "connect-src 'self'".to_owned(),
        "font-src 'self'".to_owned(),
        "manifest-src 'self'".to_owned(),
        "form-action 'self'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
        "base-uri 'none'".to_owned(),
        "object-src 'none'".to_owned(),
        format!("report-uri {REPORT_PATH}"),
    ];
    if https {
        directives.push("upgrade-insecure-requests".to_owned());
    }
    directives.join("; ")
}

impl SecurityHeaders {
    pub fn for_site(base_url: &url::Url) -> Self {
        let https = base_url.scheme() == "https";
        let mut every = HeaderMap::new();
        let mut set = |name: HeaderName, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                every.insert(name, v);
            }
        };
        set(
            header::CONTENT_SECURITY_POLICY,
            &content_security_policy(https),
        );
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        // For browsers that predate frame-ancestors.
        set(header::X_FRAME_OPTIONS, "DENY");
        set(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        );
        set(
            HeaderName::from_static("permissions-policy"),
            "accelerometer=(), browsing-topics=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
        );
        if https {
            set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
        }
        Self { every }
    }
}

/// Newsroom pages (sign-in, reset links, drafts) name nothing outside the
/// site; reader pages tell other sites only which site sent a reader.
fn referrer_policy(path: &str) -> &'static str {
    if path == "/admin" || path.starts_with("/admin/") {
        "same-origin"
    } else {
        "strict-origin-when-cross-origin"
    }
}

/// Images and the site's files may be shown by others (a newsletter in a
/// webmail, a feed reader); everything else is read only by this site's
/// own pages.
fn resource_policy(path: &str) -> &'static str {
    if path.starts_with("/media/") || path.starts_with("/static/") || path == "/favicon.ico" {
        "cross-origin"
    } else {
        "same-origin"
    }
}

/// Adds the site's security headers to a response that lacks them.
pub async fn add(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in &headers.every {
        if !h.contains_key(name) {
            h.insert(name.clone(), value.clone());
        }
    }
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static(referrer_policy(&path)),
        );
    }
    let corp = HeaderName::from_static("cross-origin-resource-policy");
    if !h.contains_key(&corp) {
        h.insert(corp, HeaderValue::from_static(resource_policy(&path)));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_inline_code_and_upgrades_on_https() {
        let csp = content_security_policy(false);
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("upgrade-insecure-requests"));
        assert!(content_security_policy(true).ends_with("; upgrade-insecure-requests"));
    }

    #[test]
    fn hsts_only_for_https_sites() {
        let http = SecurityHeaders::for_site(&url::Url::parse("http://news.test").unwrap());
        assert!(!http.every.contains_key(header::STRICT_TRANSPORT_SECURITY));
        let https = SecurityHeaders::for_site(&url::Url::parse("https://news.test").unwrap());
        assert_eq!(
            https.every[header::STRICT_TRANSPORT_SECURITY],
            "max-age=31536000"
        );
    }

    #[test]
    fn newsroom_pages_keep_their_address_to_the_site() {
        assert_eq!(referrer_policy("/admin/reset/abc"), "same-origin");
        assert_eq!(referrer_policy("/admin"), "same-origin");
        assert_eq!(
            referrer_policy("/administrators-report"),
            "strict-origin-when-cross-origin"
        );
    }
}
