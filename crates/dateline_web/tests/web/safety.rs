//! Nothing an article's fields contain can run in a reader's browser.

use crate::support::TestApp;
use dateline_core::article::{AuthorInput, FeaturedImageInput, ProvenanceInput};
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

const PAYLOADS: &[&str] = &[
    "<script>alert('x')</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(2)>",
    "</script><script>alert(3)</script>",
    "javascript:alert(4)",
    "<a href=\"javascript:alert(5)\">click</a>",
    "{{ 7*7 }} {% raw %}",
    "<iframe src=//evil.example></iframe>",
];

/// Fails when the document could run script: a script element other than
/// JSON-LD or our own script files, an event-handler attribute, or a
/// javascript: URL.
pub fn assert_inert(html: &str, context: &str) {
    let doc = scraper::Html::parse_document(html);
    let all = scraper::Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let v = el.value();
        // Our own scripts, from a file we ship, are the only ones that run.
        let ours = v.attr("src").is_some_and(|s| s.starts_with("/static/"))
            && el.text().all(|t| t.trim().is_empty());
        if v.name() == "script" && !ours {
            assert_eq!(
                v.attr("type"),
                Some("application/ld+json"),
                "{context}: a live script element"
            );
        }
        assert!(v.name() != "iframe", "{context}: an iframe");
        for (name, value) in v.attrs() {
            assert!(
                !name.starts_with("on"),
                "{context}: event handler {name}={value}"
            );
            if matches!(name, "href" | "src" | "action") {
                assert!(
                    !value
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("javascript:"),
                    "{context}: {name}={value}"
                );
            }
        }
    }
}

async fn hostile_fields_are_escaped_everywhere(db: TestDb) {
    let app = TestApp::new(db).await;
    for (n, p) in PAYLOADS.iter().enumerate() {
        app.add(&format!("Hostile {n} {p}"), |i| {
            i.slug = Some(format!("hostile-{n}"));
            i.deck = Some(p.to_string());
            i.dateline = Some(p.to_string());
            i.excerpt = Some(p.to_string());
            i.section = Some(format!("Section {p}"));
            i.tags = vec![format!("Tag {p}")];
            i.authors = vec![AuthorInput::Full {
                name: format!("Author {p}"),
                slug: Some(format!("author-{n}")),
                bio: Some(p.to_string()),
            }];
            i.featured_image = Some(FeaturedImageInput {
                url: "/media/x.svg".into(),
                alt: p.to_string(),
                caption: p.to_string(),
                credit: p.to_string(),
            });
            i.original = Some(ProvenanceInput {
                outlet: p.to_string(),
                url: Some("https://example.org/x".into()),
                language: Some("ar".into()),
                translators: vec![p.to_string()],
            });
            i.body = format!("{p}\n\n[link](javascript:alert(9)) <b onclick=alert(8)>bold</b>");
        })
        .await;
        let page = app.get(&format!("/hostile-{n}")).await;
        assert_eq!(page.status, axum::http::StatusCode::OK);
        assert_inert(&page.text(), &format!("article page, payload {n}"));
        // The text survives, as text.
        assert_eq!(
            page.select("h1"),
            [format!("Hostile {n} {p}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")]
        );
        let ld = page.select("script[type='application/ld+json']");
        assert_eq!(ld.len(), 1, "payload {n} broke out of the JSON-LD");
        let parsed: serde_json::Value = serde_json::from_str(&ld[0]).unwrap();
        assert_eq!(parsed["description"], *p);
    }
    for path in [
        "/",
        "/search?q=hostile",
        "/archive",
        "/section/section-script-alert-x-script",
        "/author/author-1",
        "/tag/tag-script-alert-x-script",
        "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let r = app.get(path).await;
        assert_inert(&r.text(), path);
    }
    for feed in ["/feed.xml", "/atom.xml"] {
        let text = app.get(feed).await.text();
        roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{feed} broken by a payload: {e}"));
        assert!(!text.contains("<script"), "{feed}");
    }
}

/// What readers have tried on comment sections, in every field.
pub const COMMENT_PAYLOADS: &[&str] = &[
    "<script>window.pwned=1</script>",
    "\"><img src=x onerror=\"window.pwned=1\">",
    "'><svg onload=window.pwned=1>",
    "[click](javascript:window.pwned=1)",
    "[click](JaVaScRiPt:window.pwned=1)",
    "[click](&#106;avascript:window.pwned=1)",
    "[click](data:text/html;base64,PHNjcmlwdD53aW5kb3cucHduZWQ9MTwvc2NyaXB0Pg==)",
    "![x](x\" onerror=\"window.pwned=1)",
    "<a href=\"javascript:window.pwned=1\">a</a>",
    "<iframe src=\"javascript:window.pwned=1\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.pwned=1>",
    "<style>body{background:url(javascript:window.pwned=1)}</style>",
    "</textarea><script>window.pwned=1</script>",
    "</script><script>window.pwned=1</script>",
    "<details open ontoggle=window.pwned=1>",
    "`<script>window.pwned=1</script>`",
    "> <img src=x onerror=window.pwned=1>",
    "{{ 7*7 }} {% raw %} ${7*7}",
    "<object data=\"javascript:window.pwned=1\"></object>",
    "<form action=\"javascript:window.pwned=1\"><button>go</button></form>",
];

async fn hostile_comments_are_inert_everywhere(db: TestDb) {
    use dateline_core::comment::CommentSettings;
    let app = TestApp::new(db).await;
    app.add("Comment section under attack", |_| {}).await;
    let slug = "comment-section-under-attack";
    dateline_db::comments::save_settings(
        &app.db.db,
        &CommentSettings {
            min_seconds: 0,
            hold_first: false,
            max_links: 100,
            ..Default::default()
        },
        chrono::Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    app.refresh().await;
    let path = format!("/{slug}/comments");
    let mut ids = Vec::new();
    for (n, p) in COMMENT_PAYLOADS.iter().enumerate() {
        // A form token sends a few comments at most.
        let token = app.comment_token().await;
        // In the body and the name; the website as a URL carrying it.
        let website = format!("https://x{n}.example/{p}");
        let r = app
            .post_form(
                &path,
                &[
                    ("body", p),
                    ("name", &format!("N{n} {p}")),
                    ("email", &format!("r{n}@readers.test")),
                    ("website", &website),
                    ("token", &token),
                ],
                &[("accept", "application/json")],
            )
            .await;
        assert_eq!(
            r.status,
            axum::http::StatusCode::CREATED,
            "payload {n}: {}",
            r.text()
        );
        assert_inert(
            r.json()["html"].as_str().unwrap(),
            &format!("posted fragment {n}"),
        );
        ids.push(r.json()["id"].as_i64().unwrap());
        // In the email: refused, and the refusal page echoes it back inert.
        let refused = app
            .post_form(
                &path,
                &[
                    ("body", "x"),
                    ("name", "x"),
                    ("email", p),
                    ("token", &token),
                ],
                &[],
            )
            .await;
        assert_eq!(
            refused.status,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "{p}"
        );
        assert_inert(&refused.text(), &format!("refused email {n}"));
        let kept = refused.attrs("#comment-email", "value");
        assert_eq!(
            kept,
            [p.trim().to_string()],
            "the form keeps what was typed, as text"
        );
    }
    // Held ones for the admin, too.
    dateline_db::comments::moderate(
        &app.db.db,
        &ids[..5],
        &dateline_db::comments::Moderation::Status(dateline_core::comment::CommentStatus::Pending),
        &dateline_core::audit::Who::cli(""),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    app.refresh().await;
    let page = app.get(&format!("/{slug}")).await;
    assert_inert(&page.text(), "article page with hostile comments");
    assert!(
        page.text()
            .contains("&lt;script&gt;window.pwned=1&lt;/script&gt;"),
        "typed HTML shows as text"
    );
    for id in &ids[5..] {
        assert_inert(
            &app.get(&format!("/{slug}/comments/{id}")).await.text(),
            "permalink",
        );
    }
    assert_inert(
        &app.get(&format!("/{slug}/comments?sort=oldest"))
            .await
            .text(),
        "comments page",
    );
    let editor = app.browser(dateline_core::Role::Editor).await;
    for q in ["/admin/comments", "/admin/comments?status=all"] {
        let admin = app.get_as(&editor, q).await;
        assert_eq!(admin.status, axum::http::StatusCode::OK);
        assert_inert(&admin.text(), q);
    }
    let feed = app.get(&format!("/{slug}/comments.atom")).await.text();
    let doc = roxmltree::Document::parse(&feed).expect("the feed stays well-formed");
    for content in doc.descendants().filter(|n| n.has_tag_name("content")) {
        assert_inert(content.text().unwrap_or_default(), "feed entry content");
    }
    let api = app
        .get("/api/v1/articles/1/comments?limit=100")
        .await
        .json();
    for c in api["comments"].as_array().unwrap() {
        assert_inert(c["body_html"].as_str().unwrap(), "API body_html");
    }
}

both_databases!(
    hostile_fields_are_escaped_everywhere,
    hostile_comments_are_inert_everywhere
);
