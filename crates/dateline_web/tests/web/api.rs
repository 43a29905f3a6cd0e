//! The Content API and its OpenAPI document.

use crate::support::{TestApp, recently};
use axum::http::StatusCode;
use chrono::Duration;
use dateline_core::article::AuthorInput;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

async fn newsroom(app: &TestApp) {
    for n in 0..5 {
        app.add(&format!("Economy story {n}"), |i| {
            i.section = Some("Economy".into());
            i.tags = vec!["Trade".into()];
            i.published_at = Some(recently() - Duration::days(n));
        })
        .await;
    }
    app.add("قصة عربية", |i| {
        i.slug = Some("arabic-story".into());
        i.language = Some("ar".into());
        i.authors = vec![AuthorInput::Name("Omar Aziz".into())];
        i.published_at = Some(recently() - Duration::days(10));
    })
    .await;
    app.add("Still a draft", |i| i.status = Some("draft".into()))
        .await;
}

async fn lists_filters_and_paginates(db: TestDb) {
    let app = TestApp::new(db).await;
    newsroom(&app).await;
    let all = app.get("/api/v1/articles").await.json();
    assert_eq!(all["pagination"]["total"], 6);
    assert_eq!(all["articles"][0]["headline"], "Economy story 0");
    assert!(all["articles"][0]["body_html"].is_null());

    let page = app.get("/api/v1/articles?per_page=2&page=2").await.json();
    assert_eq!(page["articles"].as_array().unwrap().len(), 2);
    assert_eq!(page["articles"][0]["headline"], "Economy story 2");
    assert_eq!(page["pagination"]["pages"], 3);
    assert_eq!(
        page["pagination"]["next"],
        "http://news.test/api/v1/articles?per_page=2&page=3"
    );
    assert_eq!(
        page["pagination"]["prev"],
        "http://news.test/api/v1/articles?per_page=2&page=1"
    );

    let count = |q: &str| {
        let app = &app;
        let q = q.to_owned();
        async move {
            app.get(&format!("/api/v1/articles?{q}")).await.json()["pagination"]["total"].clone()
        }
    };
    assert_eq!(count("section=economy").await, 5);
    assert_eq!(count("tag=trade").await, 5);
    assert_eq!(count("author=omar-aziz").await, 1);
    assert_eq!(count("language=ar").await, 1);
    let since = (recently() - Duration::days(2) - Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    assert_eq!(count(&format!("since={since}")).await, 3);
    assert_eq!(count("q=economy").await, 5);
}

async fn one_article_with_body_by_slug_or_id(db: TestDb) {
    let app = TestApp::new(db).await;
    newsroom(&app).await;
    let one = app.get("/api/v1/articles/arabic-story").await;
    assert_eq!(one.status, StatusCode::OK);
    let a = &one.json()["article"];
    assert_eq!(a["direction"], "rtl");
    assert_eq!(a["url"], "http://news.test/arabic-story");
    // Paragraphs carry the anchors inline comments are tied to.
    assert!(
        a["body_html"]
            .as_str()
            .unwrap()
            .starts_with("<p id=\"p1\">")
    );
    let id = a["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/articles/{id}")).await.json()["article"]["slug"],
        "arabic-story"
    );

    let draft_id = app.get("/api/v1/articles").await.json()["pagination"]["total"]
        .as_i64()
        .unwrap()
        + 1;
    let draft = app.get(&format!("/api/v1/articles/{draft_id}")).await;
    assert_eq!(
        draft.status,
        StatusCode::NOT_FOUND,
        "drafts are not in the Content API"
    );
    assert_eq!(
        app.get("/api/v1/articles/still-a-draft").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn taxonomy_and_authors(db: TestDb) {
    let app = TestApp::new(db).await;
    newsroom(&app).await;
    let tags = app.get("/api/v1/tags").await.json();
    assert_eq!(tags["items"][0]["slug"], "trade");
    assert_eq!(tags["items"][0]["article_count"], 5);
    assert_eq!(
        app.get("/api/v1/sections/economy").await.json()["name"],
        "Economy"
    );
    assert_eq!(
        app.get("/api/v1/tags/trade").await.json()["url"],
        "http://news.test/tag/trade"
    );
    let authors = app.get("/api/v1/authors").await.json();
    let names: Vec<&str> = authors["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Omar Aziz", "Rana Haddad"]);
    assert_eq!(
        app.get("/api/v1/authors/omar-aziz").await.json()["slug"],
        "omar-aziz"
    );
    assert_eq!(
        app.get("/api/v1/authors/nobody").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn errors_are_json_and_say_why(db: TestDb) {
    let app = TestApp::new(db).await;
    for (query, needle) in [
        ("per_page=500", "per_page must be between 1 and 100"),
        ("page=0", "numbered from 1"),
        ("page=x", "page"),
        ("since=yesterday", "since=yesterday is not a time"),
        ("colour=blue", "colour"),
        ("q=x&tag=y", "cannot be combined"),
    ] {
        let r = app.get(&format!("/api/v1/articles?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.header("content-type"), "application/json");
        let e = r.json();
        assert_eq!(e["error"]["status"], 400);
        assert!(
            e["error"]["message"].as_str().unwrap().contains(needle),
            "{query}: {e}"
        );
        assert!(!e["error"]["request_id"].as_str().unwrap().is_empty());
    }
    let missing = app.get("/api/v1/articles/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );
}

async fn the_openapi_document_describes_what_answers(db: TestDb) {
    let app = TestApp::new(db).await;
    newsroom(&app).await;
    let doc = app.get("/api/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "http://news.test");
    let paths = doc["paths"].as_object().unwrap();
    let (admin, public): (Vec<_>, Vec<_>) = paths
        .iter()
        .filter(|(p, _)| *p != "/api/v1/mail/events")
        .partition(|(p, _)| p.starts_with("/api/v1/admin/"));
    let events = &paths["/api/v1/mail/events"]["post"];
    assert_eq!(
        events["security"][0]["bearer"],
        serde_json::json!([]),
        "the webhook needs a token"
    );
    assert_eq!(public.len(), 14);
    for (path, item) in public {
        if [
            "/api/v1/comments/{id}/vote",
            "/api/v1/articles/{id}/follow",
            "/api/v1/comments/unfollow",
        ]
        .contains(&path.as_str())
        {
            assert!(item["post"].is_object(), "{path} has no POST");
            continue;
        }
        assert!(item["get"].is_object(), "{path} has no GET");
        let concrete = path
            .replace("{id_or_slug}", "economy-story-0")
            .replace("{id}", "1")
            .replace(
                "{slug}",
                if path.contains("authors") {
                    "rana-haddad"
                } else if path.contains("sections") {
                    "economy"
                } else {
                    "trade"
                },
            );
        let r = app.get(&concrete).await;
        assert_eq!(r.status, StatusCode::OK, "{concrete}");
        assert_eq!(r.header("content-type"), "application/json");
    }
    let operations: usize = admin
        .iter()
        .map(|(_, item)| item.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, 39, "every admin operation is documented");
    for (path, item) in admin {
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(
                op["security"][0]["bearer"],
                serde_json::json!([]),
                "{method} {path} does not say it needs a token"
            );
            // Without a token, every admin call answers 401 in the API's error shape.
            let concrete = path.replace("{id}", "1").replace("{revision}", "1");
            let req = axum::http::Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .unwrap();
            let r = app.request(req).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {concrete}");
            assert!(
                r.json()["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Bearer")
            );
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in ["ApiArticle", "ArticleList", "ApiError", "Pagination"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/articles"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "page", "per_page", "section", "tag", "author", "language", "since", "until", "q"
        ]
    );
}

both_databases!(
    lists_filters_and_paginates,
    one_article_with_body_by_slug_or_id,
    taxonomy_and_authors,
    errors_are_json_and_say_why,
    the_openapi_document_describes_what_answers,
);
