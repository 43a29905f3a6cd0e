//! `POST /api/csp-reports`: where browsers say what the site's
//! Content-Security-Policy blocked (`security_headers.rs`). A violation on
//! our own pages is a bug (something inline slipped in) or an attack
//! (injected markup), so each report is logged with its page, directive and
//! what was blocked, and counted in `dateline_csp_violations_total` by
//! directive. Both report formats are read: `report-uri`'s
//! `application/csp-report`, which our policy asks for, and the Reporting
//! API's `application/reports+json`, which a proxy's `report-to` may send.
//!
//! Anyone can post here, so a report is never trusted: its fields are cut
//! short and stripped of control characters before they reach the log, it
//! is never stored or shown, and a client that sends too many is refused.

use crate::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::Value;

/// Largest report body read.
pub const MAX_REPORT_BYTES: usize = 64 * 1024;
/// Reports kept from one request (the Reporting API sends them in batches).
const MAX_PER_REQUEST: usize = 20;
/// Longest field logged, in characters.
const MAX_FIELD_CHARS: usize = 300;

/// The directives a policy has; anything else is counted as "other", so a
/// forged report cannot make new metric series.
const DIRECTIVES: &[&str] = &[
    "base-uri",
    "connect-src",
    "default-src",
    "font-src",
    "form-action",
    "frame-ancestors",
    "frame-src",
    "img-src",
    "manifest-src",
    "media-src",
    "object-src",
    "script-src",
    "script-src-attr",
    "script-src-elem",
    "style-src",
    "style-src-attr",
    "style-src-elem",
    "worker-src",
];

/// One violation, in either format's field names.
struct Violation {
    page: String,
    directive: String,
    blocked: String,
    source: String,
    sample: String,
}

/// A field as it may be logged: short, on one line, no control characters.
fn clean(v: Option<&Value>) -> String {
    let text = match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_CHARS)
        .collect()
}

impl Violation {
    /// `{"csp-report": {"document-uri": …}}` (report-uri).
    fn from_csp_report(r: &Value) -> Self {
        let directive = r
            .get("effective-directive")
            .or_else(|| r.get("violated-directive"));
        let line = clean(r.get("line-number"));
        Self {
            page: clean(r.get("document-uri")),
            directive: clean(directive),
            blocked: clean(r.get("blocked-uri")),
            source: format!("{}:{line}", clean(r.get("source-file"))),
            sample: clean(r.get("script-sample")),
        }
    }

    /// `{"type": "csp-violation", "body": {"documentURL": …}}` (report-to).
    fn from_reporting_api(body: &Value) -> Self {
        let line = clean(body.get("lineNumber"));
        Self {
            page: clean(body.get("documentURL")),
            directive: clean(body.get("effectiveDirective")),
            blocked: clean(body.get("blockedURL")),
            source: format!("{}:{line}", clean(body.get("sourceFile"))),
            sample: clean(body.get("sample")),
        }
    }
}

/// The violations a report body holds, in whichever format it came.
fn violations(body: &[u8]) -> Option<Vec<Violation>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let found: Vec<Violation> = match &value {
        Value::Object(o) => vec![Violation::from_csp_report(o.get("csp-report")?)],
        Value::Array(reports) => reports
            .iter()
            .filter(|r| r.get("type").and_then(Value::as_str) == Some("csp-violation"))
            .filter_map(|r| r.get("body"))
            .take(MAX_PER_REQUEST)
            .map(Violation::from_reporting_api)
            .collect(),
        _ => return None,
    };
    Some(found)
}

/// `POST /api/csp-reports`
pub async fn receive(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let ip = crate::auth::client_ip(&parts, &state.config.trusted_proxies);
    if let Err(wait) = state.csp_report_limiter.check(ip) {
        return Err(AppError::TooManyRequests {
            message: "Too many reports from your network; later ones are not read.".into(),
            retry_after: wait,
        });
    }
    state.csp_report_limiter.failed(ip);
    let found = violations(&body).ok_or_else(|| {
        AppError::BadRequest(
            "Send a Content-Security-Policy report: a csp-report object or a list of reports."
                .into(),
        )
    })?;
    for v in found {
        let directive = DIRECTIVES
            .iter()
            .find(|d| **d == v.directive)
            .copied()
            .unwrap_or("other");
        metrics::counter!("dateline_csp_violations_total", "directive" => directive).increment(1);
        tracing::warn!(
            page = %v.page,
            directive = %v.directive,
            blocked = %v.blocked,
            source = %v.source,
            sample = %v.sample,
            "content security policy violation"
        );
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats_and_cleans_fields() {
        let old = br#"{"csp-report": {"document-uri": "http://news.test/a\nforged line",
            "effective-directive": "script-src-elem", "blocked-uri": "inline",
            "line-number": 12, "source-file": "http://news.test/a"}}"#;
        let v = violations(old).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].page, "http://news.test/aforged line");
        assert_eq!(v[0].directive, "script-src-elem");
        assert_eq!(v[0].source, "http://news.test/a:12");

        let new = br#"[{"type": "csp-violation", "url": "http://news.test/",
            "body": {"documentURL": "http://news.test/", "effectiveDirective": "style-src-attr",
            "blockedURL": "inline", "sample": "color: red"}},
            {"type": "deprecation", "body": {}}]"#;
        let v = violations(new).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].directive, "style-src-attr");
        assert_eq!(v[0].sample, "color: red");

        assert!(violations(b"not json").is_none());
        assert!(violations(br#"{"other": 1}"#).is_none());
        let long = format!(
            r#"{{"csp-report": {{"document-uri": "{}"}}}}"#,
            "x".repeat(5000)
        );
        assert_eq!(
            violations(long.as_bytes()).unwrap()[0].page.len(),
            MAX_FIELD_CHARS
        );
    }
}
