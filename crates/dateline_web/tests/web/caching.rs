//! HTTP caching: ETag and Last-Modified with 304s, compression, and a page
//! cache that every write invalidates.

use crate::support::TestApp;
use axum::http::StatusCode;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;
use std::io::Read;

async fn etags_and_dates_answer_304(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Cached report", |_| {}).await;
    for path in [
        "/",
        "/cached-report",
        "/feed.xml",
        "/api/v1/articles",
        "/sitemap.xml",
    ] {
        let first = app.get(path).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = first.header("etag").to_owned();
        assert!(
            etag.starts_with('"') && etag.len() > 10,
            "{path}: etag {etag:?}"
        );
        assert!(!first.header("cache-control").is_empty(), "{path}");
        let again = app.get_with(path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        let other = app
            .get_with(path, &[("if-none-match", "\"something-else\"")])
            .await;
        assert_eq!(other.status, StatusCode::OK, "{path}");
    }
    let page = app.get("/cached-report").await;
    let modified = page.header("last-modified").to_owned();
    assert!(modified.ends_with("GMT"), "{modified}");
    assert_eq!(
        app.get_with("/cached-report", &[("if-modified-since", &modified)])
            .await
            .status,
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        app.get_with(
            "/cached-report",
            &[("if-modified-since", "Mon, 01 Jan 2024 00:00:00 GMT")]
        )
        .await
        .status,
        StatusCode::OK
    );
}

async fn compressed_when_asked(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Compressed report", |i| {
        i.body = "A long paragraph. ".repeat(200)
    })
    .await;
    let plain = app.get("/compressed-report").await;
    assert_eq!(plain.header("content-encoding"), "");
    let gz = app
        .get_with("/compressed-report", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert_eq!(gz.header("vary"), "accept-encoding");
    let mut out = String::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, plain.text());
    let br = app
        .get_with("/compressed-report", &[("accept-encoding", "gzip, br")])
        .await;
    assert_eq!(br.header("content-encoding"), "br");
    assert!(br.body.len() < plain.body.len() / 3);
    // A representation's validator is the same whatever the encoding.
    assert_eq!(gz.header("etag"), plain.header("etag"));
}

async fn a_write_invalidates_cached_pages(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("First story", |_| {}).await;
    let before = app.get("/").await;
    assert!(before.text().contains("First story"));
    let etag = before.header("etag").to_owned();
    assert_eq!(
        app.get("/").await.header("etag"),
        etag,
        "served from the cache"
    );
    app.add("Second story", |_| {}).await;
    let after = app.get_with("/", &[("if-none-match", &etag)]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(after.text().contains("Second story"));
    assert_ne!(after.header("etag"), etag);
}

async fn assets_are_versioned_and_immutable(db: TestDb) {
    let app = TestApp::new(db).await;
    let home = app.get("/").await;
    let css = home.attrs("link[rel=stylesheet]", "href")[0].clone();
    assert!(css.starts_with("/static/style.") && css.ends_with(".css"));
    let r = app.get(&css).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(
        r.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        app.get("/static/style.000000000000.css").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/favicon.ico").await.status,
        StatusCode::MOVED_PERMANENTLY
    );
    std::fs::write(
        app.dir.path().join("media/photo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    assert_eq!(app.get("/media/photo.svg").await.status, StatusCode::OK);
}

async fn without_a_page_cache_pages_still_validate_and_compress(db: TestDb) {
    let app = TestApp::with_page_cache(db, 0).await;
    app.add("Uncached report", |i| i.body = "Words. ".repeat(300))
        .await;
    // The page holds a comment-form token that changes each second, so a
    // second boundary between two requests changes the page (and its ETag):
    // try again then, at most three times, before calling it a failure.
    let mut tries = 0;
    loop {
        tries += 1;
        let first = app.get("/uncached-report").await;
        let etag = first.header("etag").to_owned();
        assert!(!etag.is_empty());
        let again = app
            .get_with("/uncached-report", &[("if-none-match", &etag)])
            .await;
        let gz = app
            .get_with("/uncached-report", &[("accept-encoding", "gzip")])
            .await;
        assert_eq!(gz.header("content-encoding"), "gzip");
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz.body[..])
            .read_to_string(&mut out)
            .unwrap();
        if tries < 3 && (again.status != StatusCode::NOT_MODIFIED || out != first.text()) {
            continue;
        }
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert_eq!(out, first.text());
        break;
    }
    assert!(app.state.cache.is_empty());
}

both_databases!(
    without_a_page_cache_pages_still_validate_and_compress,
    etags_and_dates_answer_304,
    compressed_when_asked,
    a_write_invalidates_cached_pages,
    assets_are_versioned_and_immutable,
);
