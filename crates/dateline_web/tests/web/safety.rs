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
fn assert_inert(html: &str, context: &str) {
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

both_databases!(hostile_fields_are_escaped_everywhere);
