//! Security headers on every kind of response, and pages that hold nothing
//! inline the Content-Security-Policy would block; the endpoint browsers
//! report violations to.

use crate::support::{Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use dateline_core::Role;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

/// The headers every response carries, whatever it is.
fn assert_secured(r: &Resp, what: &str) {
    let csp = r.header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "report-uri /api/csp-reports",
    ] {
        assert!(
            csp.split("; ").any(|d| d == directive),
            "{what}: no {directive} in {csp:?}"
        );
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(r.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(r.header("x-frame-options"), "DENY", "{what}");
    assert_eq!(
        r.header("cross-origin-opener-policy"),
        "same-origin",
        "{what}"
    );
    assert!(
        r.header("permissions-policy").contains("camera=()"),
        "{what}"
    );
    assert_eq!(
        r.header("strict-transport-security"),
        "",
        "{what}: HSTS on a site served over plain http"
    );
}

fn referrer(r: &Resp) -> &str {
    r.header("referrer-policy")
}

async fn every_kind_of_response_carries_the_headers(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Grain arrives at Umm Qasr", |i| {
        i.section = Some("Economy".into());
    })
    .await;

    let page = app.get("/grain-arrives-at-umm-qasr").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_secured(&page, "reader page");
    assert_eq!(referrer(&page), "strict-origin-when-cross-origin");
    assert_eq!(page.header("cross-origin-resource-policy"), "same-origin");

    // The same page again comes from the page cache, with the same headers.
    let hit = app.get("/grain-arrives-at-umm-qasr").await;
    assert_eq!(hit.header("etag"), page.header("etag"));
    assert_secured(&hit, "cached page");
    let unchanged = app
        .get_with(
            "/grain-arrives-at-umm-qasr",
            &[("if-none-match", page.header("etag"))],
        )
        .await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert_secured(&unchanged, "304");

    let missing = app.get("/no-such-report").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_secured(&missing, "error page");

    let api = app.get("/api/v1/articles").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_secured(&api, "Content API");
    let api_error = app.get("/api/v1/articles/999999").await;
    assert_eq!(api_error.status, StatusCode::NOT_FOUND);
    assert_secured(&api_error, "Content API error");

    let css = page.attrs("link[rel=stylesheet]", "href")[0].clone();
    let asset = app.get(&css).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_secured(&asset, "static asset");
    // The site's files and images may be shown by others (a newsletter).
    assert_eq!(asset.header("cross-origin-resource-policy"), "cross-origin");
    std::fs::write(
        app.dir.path().join("media/quay.jpg"),
        crate::support::png(20, 20),
    )
    .unwrap();
    let media = app.get("/media/quay.jpg").await;
    assert_eq!(media.status, StatusCode::OK);
    assert_secured(&media, "media file");

    let feed = app.get("/feed.xml").await;
    assert_secured(&feed, "feed");
    let wrong_method = app.send(Method::DELETE, "/", Vec::new()).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_secured(&wrong_method, "405");

    // Newsroom pages keep their addresses (reset links, drafts) to the site.
    let sign_in = app.get("/admin/login").await;
    assert_secured(&sign_in, "sign-in page");
    assert_eq!(referrer(&sign_in), "same-origin");
    let editor = app.browser(Role::Editor).await;
    let list = app.get_as(&editor, "/admin/articles").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_secured(&list, "newsroom page");
    assert_eq!(referrer(&list), "same-origin");
    let not_allowed = app.get_as(&editor, "/admin/users").await;
    assert_eq!(not_allowed.status, StatusCode::FORBIDDEN);
    assert_secured(&not_allowed, "newsroom error page");
    assert_eq!(referrer(&not_allowed), "same-origin");
    // A route nobody has written yet is covered too.
    let future = app.get("/admin/not-yet-a-page").await;
    assert_secured(&future, "unknown newsroom address");
    assert_eq!(referrer(&future), "same-origin");

    // A private reader page keeps the stricter policy its handler chose.
    let subscribe = app.get("/subscribe").await;
    assert_secured(&subscribe, "subscribe page");
    assert_eq!(referrer(&subscribe), "same-origin");
}

async fn https_sites_ask_for_https_only(db: TestDb) {
    let app = TestApp::with_base(db, "https://news.test").await;
    for path in ["/", "/no-such-page", "/api/v1/articles", "/admin/login"] {
        let r = app.get(path).await;
        assert_eq!(
            r.header("strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
        assert!(
            r.header("content-security-policy")
                .ends_with("; upgrade-insecure-requests"),
            "{path}"
        );
    }
}

/// Fails when the page holds something the policy would block: inline
/// script (JSON-LD is data, and allowed), inline style, event handlers,
/// plugins, frames, a `<base>`, or a form that posts to another site.
fn assert_within_policy(r: &Resp, what: &str) {
    let doc = r.html();
    let all = scraper::Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let v = el.value();
        match v.name() {
            "script" => assert!(
                v.attr("src").is_some_and(|s| s.starts_with("/static/"))
                    || v.attr("type") == Some("application/ld+json"),
                "{what}: an inline script"
            ),
            "style" | "base" | "object" | "embed" | "iframe" | "frame" => {
                panic!("{what}: a <{}> element", v.name())
            }
            "form" => {
                let action = v.attr("action").unwrap_or("");
                assert!(
                    action.starts_with('/') && !action.starts_with("//"),
                    "{what}: a form posting to {action:?}"
                );
            }
            _ => {}
        }
        for (name, value) in v.attrs() {
            assert!(
                name != "style",
                "{what}: style=\"{value}\" on <{}>",
                v.name()
            );
            assert!(!name.starts_with("on"), "{what}: {name}=\"{value}\"");
        }
    }
}

async fn no_page_holds_what_the_policy_blocks(db: TestDb) {
    let app = TestApp::new(db).await;
    let id = app
        .add("Fishermen return to the marshes", |i| {
            i.section = Some("Environment".into());
            i.tags = vec!["Water".into()];
            i.body = "Boats are back.\n\nThe water rose in spring.\n\n{? Have you been to the marshes? }".into();
        })
        .await;
    app.relaxed_comments(|_| {}).await;
    let token = app.comment_token().await;
    let comment = serde_json::json!({
        "body": "My uncle fishes there.", "name": "Huda Karim",
        "email": "huda@readers.test", "token": token,
    });
    let posted = app
        .request(
            Request::post(format!("/api/v1/articles/{}/comments", id.0))
                .header("content-type", "application/json")
                .body(Body::from(comment.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text());
    let comment_id = posted.json()["comment"]["id"].as_i64().unwrap();
    app.refresh().await;

    let article = app.get("/fishermen-return-to-the-marshes").await;
    assert!(
        !article.attrs(".avatar", "class").is_empty(),
        "the page shows an avatar"
    );
    for path in [
        "/".to_owned(),
        "/fishermen-return-to-the-marshes".to_owned(),
        format!("/fishermen-return-to-the-marshes/comments/{comment_id}"),
        format!("/fishermen-return-to-the-marshes/comments/{comment_id}/reply"),
        "/fishermen-return-to-the-marshes/passages/p2".to_owned(),
        "/section/environment".to_owned(),
        "/tag/water".to_owned(),
        "/author/rana-haddad".to_owned(),
        "/archive".to_owned(),
        "/search?q=marshes".to_owned(),
        "/search?q=nothing+like+it".to_owned(),
        "/subscribe".to_owned(),
        "/comments/my-data".to_owned(),
        "/no-such-page".to_owned(),
        "/admin/login".to_owned(),
        "/admin/forgot".to_owned(),
    ] {
        let r = app.get(&path).await;
        assert!(
            r.status.is_success() || r.status == StatusCode::NOT_FOUND,
            "{path}: {}",
            r.status
        );
        assert_within_policy(&r, &path);
    }
    let admin = app.browser(Role::Admin).await;
    for path in [
        "/admin/articles".to_owned(),
        "/admin/articles/new".to_owned(),
        format!("/admin/articles/{}", id.0),
        format!("/admin/articles/{}/revisions", id.0),
        "/admin/comments".to_owned(),
        "/admin/media".to_owned(),
        "/admin/taxonomy".to_owned(),
        "/admin/authors".to_owned(),
        "/admin/newsletters".to_owned(),
        "/admin/subscribers".to_owned(),
        "/admin/users".to_owned(),
        "/admin/tokens".to_owned(),
        "/admin/settings".to_owned(),
        "/admin/account".to_owned(),
    ] {
        let r = app.get_as(&admin, &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_within_policy(&r, &path);
    }
}

async fn violation_reports_are_read_counted_and_limited(db: TestDb) {
    let app = TestApp::new(db).await;
    let post = |content_type: &'static str, body: String| {
        app.request(
            Request::post("/api/csp-reports")
                .header("content-type", content_type)
                .body(Body::from(body))
                .unwrap(),
        )
    };
    let report_uri = serde_json::json!({"csp-report": {
        "document-uri": "http://news.test/", "effective-directive": "script-src-elem",
        "blocked-uri": "inline", "line-number": 3,
    }});
    let r = post("application/csp-report", report_uri.to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_secured(&r, "report endpoint");
    let report_to = serde_json::json!([{"type": "csp-violation", "url": "http://news.test/",
        "body": {"documentURL": "http://news.test/", "effectiveDirective": "style-src-attr",
                 "blockedURL": "inline"}}]);
    let r = post("application/reports+json", report_to.to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let metrics = app.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("dateline_csp_violations_total{directive=\"style-src-attr\"}")),
        "{metrics}"
    );

    let r = post("application/json", "{\"not\": \"a report\"}".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post("application/csp-report", "x".repeat(100 * 1024)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let refused = loop {
        let r = post("application/csp-report", report_uri.to_string()).await;
        if r.status != StatusCode::NO_CONTENT {
            break r;
        }
    };
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!refused.header("retry-after").is_empty());
}

both_databases!(
    every_kind_of_response_carries_the_headers,
    https_sites_ask_for_https_only,
    no_page_holds_what_the_policy_blocks,
    violation_reports_are_read_counted_and_limited,
);
