//! RSS, Atom, JSON Feed, sitemaps and robots.txt: well-formed and complete.

use crate::support::TestApp;
use axum::http::{Method, StatusCode};
use dateline_core::article::ArticleInput;
use dateline_core::article::ProvenanceInput;
use dateline_core::{Language, Role};
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn xml(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text)
        .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{text}"))
}

fn texts(doc: &roxmltree::Document<'_>, ns: Option<&str>, name: &str) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == name && n.tag_name().namespace() == ns)
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

async fn site(app: &TestApp) {
    app.add("Wheat & water: a <difficult> season", |i| {
        i.section = Some("Economy".into());
        i.tags = vec!["Agriculture".into()];
        i.body = "Farmers **worry**.\n\nThe river is low.".into();
        i.original = Some(ProvenanceInput {
            outlet: "Nineveh Ledger".into(),
            url: None,
            language: Some("ar".into()),
            translators: vec!["Layla Hassan".into()],
        });
    })
    .await;
    app.add("Port strike ends", |i| i.tags = vec!["Labour".into()])
        .await;
}

async fn rss_is_valid_and_carries_full_content(db: TestDb) {
    let app = TestApp::new(db).await;
    site(&app).await;
    let r = app.get("/feed.xml").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        "application/rss+xml; charset=utf-8"
    );
    let text = r.text();
    let doc = xml(&text);
    assert_eq!(doc.root_element().attribute("version"), Some("2.0"));
    let titles = texts(&doc, None, "title");
    assert_eq!(
        titles[1..],
        ["Port strike ends", "Wheat & water: a <difficult> season"]
    );
    let content = texts(
        &doc,
        Some("http://purl.org/rss/1.0/modules/content/"),
        "encoded",
    );
    assert!(
        content[1].contains("<strong>worry</strong>"),
        "{}",
        content[1]
    );
    assert_eq!(
        texts(&doc, Some("http://purl.org/dc/elements/1.1/"), "creator")[0],
        "Rana Haddad"
    );
    assert!(texts(&doc, None, "pubDate")[0].ends_with("+0000"));
    assert!(texts(&doc, None, "guid")[0].starts_with("tag:news.test,"));
    let categories = texts(&doc, None, "category");
    assert!(
        categories.contains(&"Economy".to_string())
            && categories.contains(&"Agriculture".to_string())
    );
}

async fn atom_is_valid(db: TestDb) {
    let app = TestApp::new(db).await;
    site(&app).await;
    let r = app.get("/atom.xml").await;
    assert_eq!(
        r.header("content-type"),
        "application/atom+xml; charset=utf-8"
    );
    let text = r.text();
    let doc = xml(&text);
    assert_eq!(doc.root_element().tag_name().namespace(), Some(ATOM));
    let entries: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ATOM, "entry")))
        .collect();
    assert_eq!(entries.len(), 2);
    for e in &entries {
        for required in ["id", "title", "updated", "published", "author", "content"] {
            assert!(
                e.children().any(|c| c.has_tag_name((ATOM, required))),
                "entry without {required}"
            );
        }
    }
    let self_link = doc
        .descendants()
        .find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some("self"))
        .unwrap();
    assert_eq!(
        self_link.attribute("href"),
        Some("http://news.test/atom.xml")
    );
}

async fn json_feed_follows_version_1_1(db: TestDb) {
    let app = TestApp::new(db).await;
    site(&app).await;
    let r = app.get("/feed.json").await;
    assert_eq!(
        r.header("content-type"),
        "application/feed+json; charset=utf-8"
    );
    let j = r.json();
    assert_eq!(j["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(j["feed_url"], "http://news.test/feed.json");
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["title"], "Wheat & water: a <difficult> season");
    assert!(
        items[1]["content_html"]
            .as_str()
            .unwrap()
            .contains("<strong>worry</strong>")
    );
    assert_eq!(items[1]["authors"][0]["name"], "Rana Haddad");
    assert!(items[0]["date_published"].as_str().unwrap().ends_with('Z'));
}

async fn feeds_per_tag_section_and_author(db: TestDb) {
    let app = TestApp::new(db).await;
    site(&app).await;
    let tag = app.get("/tag/labour/feed.xml").await;
    let text = tag.text();
    let doc = xml(&text);
    assert_eq!(
        texts(&doc, None, "title"),
        ["Dateline — Labour", "Port strike ends"]
    );
    let section = app.get("/section/economy/atom.xml").await.text();
    assert!(section.contains("Wheat &amp; water") && !section.contains("Port strike"));
    let author = app.get("/author/rana-haddad/feed.json").await.json();
    assert_eq!(author["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/tag/nothing/feed.xml").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn sitemaps_and_robots(db: TestDb) {
    let app = TestApp::new(db).await;
    site(&app).await;
    let index = app.get("/sitemap.xml").await.text();
    let doc = xml(&index);
    let locs = texts(
        &doc,
        Some("http://www.sitemaps.org/schemas/sitemap/0.9"),
        "loc",
    );
    assert_eq!(
        locs,
        [
            "http://news.test/sitemaps/pages.xml",
            "http://news.test/sitemaps/articles-1.xml",
            "http://news.test/sitemaps/news.xml"
        ]
    );
    for loc in &locs {
        let path = loc.trim_start_matches("http://news.test");
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        xml(&r.text());
    }
    let articles = app.get("/sitemaps/articles-1.xml").await.text();
    assert!(articles.contains("<loc>http://news.test/port-strike-ends</loc>"));
    let pages = app.get("/sitemaps/pages.xml").await.text();
    assert!(
        pages.contains("http://news.test/tag/labour")
            && pages.contains("http://news.test/section/economy")
    );
    let news = app.get("/sitemaps/news.xml").await.text();
    let doc = xml(&news);
    let ns = Some("http://www.google.com/schemas/sitemap-news/0.9");
    assert_eq!(
        texts(&doc, ns, "title"),
        ["Port strike ends", "Wheat & water: a <difficult> season"]
    );
    assert_eq!(texts(&doc, ns, "language"), ["en", "en"]);
    let robots = app.get("/robots.txt").await.text();
    assert!(robots.contains("Sitemap: http://news.test/sitemap.xml"));
    assert!(robots.contains("Disallow: /admin/"));
}

/// Control characters already stored (from before they were refused, or
/// written by a route that did not check) never make a feed or sitemap
/// invalid XML; new ones are refused at the form with a reason.
async fn control_characters_never_reach_xml(db: TestDb) {
    use dateline_core::comment::CommentStatus;
    use dateline_db::comments::{self, NewComment};
    let app = TestApp::new(db).await;
    // Typed today, they are refused with a message naming the field.
    let refused = ArticleInput {
        headline: "Water\u{1} talks".into(),
        body: "Delegates met\u{c} at dawn.\r\n\r\nNo deal yet.".into(),
        tags: vec!["Rivers\u{7}".into()],
        ..Default::default()
    }
    .validate(&Language::english(), chrono::Utc::now())
    .unwrap_err();
    let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["headline", "tags", "body"], "{refused}");
    assert!(refused.to_string().contains("U+0001"), "{refused}");
    let admin = app
        .user(
            "rana@newsroom.test",
            "Rana Haddad",
            Role::Admin,
            "a long pass phrase",
        )
        .await;
    let token = app.token(&admin).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/admin/sections",
            &token,
            Some(serde_json::json!({"name": "Sport\u{0}s", "slug": "", "description": ""})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("U+0000"), "{}", r.text());
    // Stored before that rule (or by a site's own code): feeds still parse.
    let article = app
        .add_stored(
            "Water talks resume",
            |i| i.tags = vec!["Rivers".into()],
            |d| {
                d.headline = "Water\u{1} talks \u{1b}resume".into();
                d.deck = "Both \u{8}sides".into();
                d.body_markdown = "Delegates met\u{c} at dawn.\n\nNo \u{ffff}deal yet.".into();
            },
        )
        .await;
    app.relaxed_comments(|_| {}).await;
    let target = comments::target_by_id(&app.db.db, article)
        .await
        .unwrap()
        .unwrap();
    comments::create(
        &app.db.db,
        &NewComment {
            article_id: article,
            parent_id: None,
            status: CommentStatus::Approved,
            held_because: String::new(),
            author_name: "Evil\u{1}\u{8} Name".into(),
            author_email: "evil@readers.test".into(),
            author_url: String::new(),
            user_id: None,
            body_markdown: "Hi\u{c}there \u{1b}[2J".into(),
            body_html: "<p>Hi\u{c}there \u{1b}[2J</p>".into(),
            ip_hash: String::new(),
            ip_prefix: String::new(),
            user_agent: String::new(),
            owner_hash: String::new(),
            anchor: None,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    app.refresh().await;
    let comments_feed = format!("/{}/comments.atom", target.slug);
    for path in [
        "/feed.xml",
        "/atom.xml",
        "/sitemaps/news.xml",
        "/sitemaps/pages.xml",
        "/sitemaps/articles-1.xml",
        comments_feed.as_str(),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        xml(&r.text());
    }
    let text = app.get(&comments_feed).await.text();
    let doc = xml(&text);
    assert_eq!(
        texts(&doc, Some(ATOM), "name")[0],
        "Evil Name",
        "stored control characters are left out"
    );
    let rss = app.get("/feed.xml").await.text();
    assert_eq!(texts(&xml(&rss), None, "title")[1], "Water talks resume");

    // New ones are refused, with the reason, and the comment kept.
    let token = app.comment_token().await;
    let r = app
        .post_form(
            &format!("/{}/comments", target.slug),
            &[
                ("body", "A fair question."),
                ("name", "Bell\u{7} Ringer"),
                ("email", "bell@readers.test"),
                ("token", &token),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("U+0007"), "{}", r.text());
    assert_eq!(r.select("#comment-body"), ["A fair question."]);
}

both_databases!(
    control_characters_never_reach_xml,
    rss_is_valid_and_carries_full_content,
    atom_is_valid,
    json_feed_follows_version_1_1,
    feeds_per_tag_section_and_author,
    sitemaps_and_robots,
);
