//! Reader pages: what a reader sees, and what a wrong address answers.

use crate::support::{TestApp, recently};
use axum::http::StatusCode;
use chrono::Duration;
use dateline_core::article::{AuthorInput, FeaturedImageInput, ProvenanceInput};
use dateline_db::testing::TestDb;
use dateline_db::{both_databases, site};

async fn translated_pair(app: &TestApp) {
    app.add("Farmers count the cost of a dry autumn", |i| {
        i.slug = Some("farmers-count-the-cost".into());
        i.deck =
            Some("Wheat growers along the Tigris report the lowest yields in a decade.".into());
        i.dateline = Some("MOSUL, Iraq.".into());
        i.authors = vec![
            AuthorInput::Name("Rana Haddad".into()),
            AuthorInput::Name("Omar Aziz".into()),
        ];
        i.section = Some("Economy".into());
        i.tags = vec!["Agriculture".into(), "Water".into()];
        i.featured_image = Some(FeaturedImageInput {
            url: "/media/field.svg".into(),
            alt: "A dry wheat field under a pale sky".into(),
            caption: "Fields near Mosul in October.".into(),
            credit: "Dateline".into(),
        });
        i.original = Some(ProvenanceInput {
            outlet: "Nineveh Ledger".into(),
            url: Some("https://example.org/nineveh/dry-autumn".into()),
            language: Some("ar".into()),
            translators: vec!["Layla Hassan".into()],
        });
    })
    .await;
    app.add(
        "المزارعون يحصون خسائر خريف جاف",
        |i| {
            i.slug = Some("farmers-count-the-cost-ar".into());
            i.language = Some("ar".into());
            i.dateline = Some("الموصل، العراق.".into());
            i.authors = vec![AuthorInput::Name("رنا حداد".into())];
            i.section = Some("Economy".into());
            i.body = "يقول مزارعو القمح إن المحصول هو الأدنى منذ عقد.\n\nفقرة ثانية.".into();
            i.translation_of = Some("farmers-count-the-cost".into());
        },
    )
    .await;
}

async fn the_article_page_shows_the_report(db: TestDb) {
    let app = TestApp::new(db).await;
    translated_pair(&app).await;
    let page = app.get("/farmers-count-the-cost").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.select("h1"),
        ["Farmers count the cost of a dry autumn"]
    );
    assert_eq!(
        page.select(".story-header .deck"),
        ["Wheat growers along the Tigris report the lowest yields in a decade."]
    );
    assert_eq!(
        page.select(".story-body p:first-child .dateline"),
        ["MOSUL, Iraq."]
    );
    assert!(page.select(".story-body p")[0].starts_with("MOSUL, Iraq. — First paragraph"));
    assert_eq!(
        page.select(".story-meta .byline"),
        ["By Rana Haddad and Omar Aziz"]
    );
    assert_eq!(
        page.select(".credit-line"),
        ["Original report: Nineveh Ledger, translated from Arabic by Layla Hassan."]
    );
    assert_eq!(
        page.attrs(".credit-line a", "href"),
        ["https://example.org/nineveh/dry-autumn"]
    );
    assert_eq!(
        page.attrs(".translations a", "href"),
        ["/farmers-count-the-cost-ar"]
    );
    assert_eq!(page.attrs(".translations a", "hreflang"), ["ar"]);
    assert_eq!(page.select(".story-tags a"), ["Agriculture", "Water"]);
    assert_eq!(
        page.attrs(".featured img", "alt"),
        ["A dry wheat field under a pale sky"]
    );
    assert_eq!(
        page.select(".featured figcaption"),
        ["Fields near Mosul in October. Image: Dateline"]
    );
    assert_eq!(page.select(".kicker a"), ["Economy"]);
    assert_eq!(page.attrs("article.story", "dir"), ["ltr"]);
    assert_eq!(
        page.select("#newsletter-heading"),
        ["Subscribe to our newsletter"]
    );
    assert_eq!(page.select("#comments-heading"), ["0 Comments"]);

    // Machine-readable: OpenGraph and NewsArticle JSON-LD.
    assert_eq!(
        page.attrs("meta[property='og:type']", "content"),
        ["article"]
    );
    assert_eq!(
        page.attrs("meta[property='og:image']", "content"),
        ["http://news.test/media/field.svg"]
    );
    assert_eq!(
        page.attrs("link[rel=canonical]", "href"),
        ["http://news.test/farmers-count-the-cost"]
    );
    assert_eq!(
        page.attrs("link[hreflang=ar]", "href"),
        ["http://news.test/farmers-count-the-cost-ar"]
    );
    let ld: serde_json::Value =
        serde_json::from_str(&page.select("script[type='application/ld+json']")[0]).unwrap();
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(ld["headline"], "Farmers count the cost of a dry autumn");
    assert_eq!(ld["dateline"], "MOSUL, Iraq.");
    assert_eq!(ld["author"][1]["name"], "Omar Aziz");
    assert_eq!(ld["isBasedOn"]["publisher"]["name"], "Nineveh Ledger");
    assert_eq!(ld["translator"][0]["name"], "Layla Hassan");
    assert_eq!(ld["workTranslation"][0]["inLanguage"], "ar");
}

async fn a_republished_report_is_credited_without_a_translation_note(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Reprinted report", |i| {
        i.original = Some(ProvenanceInput {
            outlet: "Harbour Gazette".into(),
            url: None,
            language: Some("en".into()),
            translators: Vec::new(),
        });
    })
    .await;
    let page = app.get("/reprinted-report").await;
    assert_eq!(
        page.select(".credit-line"),
        ["Original report: Harbour Gazette."]
    );
}

async fn right_to_left_articles_render_right_to_left(db: TestDb) {
    let app = TestApp::new(db).await;
    translated_pair(&app).await;
    let page = app.get("/farmers-count-the-cost-ar").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.attrs("article.story", "dir"), ["rtl"]);
    assert_eq!(page.attrs("article.story", "lang"), ["ar"]);
    assert_eq!(page.select(".story-meta .byline"), ["بقلم رنا حداد"]);
    assert_eq!(page.select(".story-body .dateline"), ["الموصل، العراق."]);
    assert_eq!(page.attrs(".translations a", "hreflang"), ["en"]);
    // The Arabic card on the front page is marked too, inside an LTR site.
    let home = app.get("/").await;
    assert_eq!(home.attrs("html", "dir"), ["ltr"]);
    assert!(
        home.attrs("article.card", "dir")
            .contains(&"rtl".to_string())
    );
    // Percent-encoded Arabic slugs work.
    app.add("مقال بعنوان عربي", |i| {
        i.language = Some("ar".into())
    })
    .await;
    let encoded = app.get("/%D9%85%D9%82%D8%A7%D9%84-%D8%A8%D8%B9%D9%86%D9%88%D8%A7%D9%86-%D8%B9%D8%B1%D8%A8%D9%8A").await;
    assert_eq!(encoded.status, StatusCode::OK);
}

async fn the_front_page_lists_published_articles_and_paginates(db: TestDb) {
    let app = TestApp::new(db).await;
    let mut settings = site::settings(&app.db.db).await.unwrap();
    settings.per_page = 4;
    site::save_settings(
        &app.db.db,
        &settings,
        chrono::Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    for n in 0..9 {
        app.add(&format!("Report {n}"), |i| {
            i.published_at = Some(recently() - Duration::hours(n))
        })
        .await;
    }
    app.add("A draft nobody sees", |i| i.status = Some("draft".into()))
        .await;
    app.add("A scheduled story", |i| {
        i.status = Some("scheduled".into());
        i.published_at = Some(chrono::Utc::now() + Duration::days(1));
    })
    .await;

    let first = app.get("/").await;
    assert_eq!(
        first.select(".card-headline"),
        ["Report 0", "Report 1", "Report 2", "Report 3"]
    );
    assert_eq!(first.attrs("article.card-lead h2 a", "href"), ["/report-0"]);
    assert_eq!(first.attrs(".pagination a[rel=next]", "href"), ["/?page=2"]);
    assert!(first.text().contains("Page 1 of 3"));
    let third = app.get("/?page=3").await;
    assert_eq!(third.select(".card-headline"), ["Report 8"]);
    assert!(third.attrs(".pagination a[rel=next]", "href").is_empty());
    assert_eq!(third.attrs("link[rel=prev]", "href"), ["/?page=2"]);

    let past = app.get("/?page=4").await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
    assert!(
        past.text().contains("this list has 3 pages"),
        "{}",
        past.text()
    );
    assert_eq!(
        app.get("/a-draft-nobody-sees").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/a-scheduled-story").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn scheduled_articles_appear_by_themselves(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Embargoed until noon", |i| {
        i.status = Some("scheduled".into());
        i.published_at = Some(chrono::Utc::now() + Duration::seconds(2));
    })
    .await;
    assert_eq!(
        app.get("/embargoed-until-noon").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!app.get("/").await.text().contains("Embargoed until noon"));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    // What the serve loop does every second.
    app.refresh().await;
    assert_eq!(
        app.get("/embargoed-until-noon").await.status,
        StatusCode::OK
    );
    assert!(app.get("/").await.text().contains("Embargoed until noon"));
    assert!(
        app.get("/feed.xml")
            .await
            .text()
            .contains("Embargoed until noon")
    );
}

async fn a_changed_slug_answers_301(db: TestDb) {
    let app = TestApp::new(db).await;
    let id = app.add("Old title", |_| {}).await;
    let mut input = dateline_core::article::ArticleInput {
        headline: "New title".into(),
        body: "Body.".into(),
        status: Some("published".into()),
        published_at: Some(recently()),
        ..Default::default()
    };
    input.authors.push(AuthorInput::Name("Rana Haddad".into()));
    let draft = input
        .validate(&dateline_core::Language::english(), chrono::Utc::now())
        .unwrap();
    dateline_db::articles::save(
        &app.db.db,
        dateline_db::articles::SaveTarget::Existing {
            id,
            expected_revision: None,
        },
        &draft,
        chrono::Utc::now(),
        &dateline_db::articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    app.refresh().await;
    let old = app.get("/old-title").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.header("location"), "/new-title");
    assert_eq!(app.get("/new-title").await.status, StatusCode::OK);
    let api = app.get("/api/v1/articles/old-title").await;
    assert_eq!(api.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(api.header("location"), "/api/v1/articles/new-title");
}

async fn unknown_pages_get_a_helpful_404(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Farmers count the cost of a dry autumn", |_| {})
        .await;
    let missing = app.get("/farmers-count-the-costs").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.header("content-type").starts_with("text/html"));
    assert_eq!(missing.select("h1"), ["Not Found"]);
    assert_eq!(
        missing.attrs(".suggestions a", "href"),
        ["/farmers-count-the-cost-of-a-dry-autumn"]
    );
    assert_eq!(
        missing.attrs("#error-search-q", "value"),
        ["farmers count the costs"]
    );
    assert_eq!(missing.attrs("meta[name=robots]", "content"), ["noindex"]);

    for path in [
        "/tag/nothing",
        "/section/nothing",
        "/author/nobody",
        "/archive/2026/13",
        "/archive/x/y",
        "/static/nope.css",
        "/sitemaps/articles-9.xml",
        "/no/such/path",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !r.select(".error-message")[0].is_empty(),
            "{path} has no message"
        );
    }
    assert!(
        app.get("/tag/nothing")
            .await
            .text()
            .contains("There is no tag called")
    );
}

async fn malformed_queries_say_what_is_wrong(db: TestDb) {
    let app = TestApp::new(db).await;
    let r = app.get("/?page=abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.select(".error-message")[0].contains("page"),
        "{}",
        r.text()
    );
    let r = app.get("/?page=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("numbered from 1"));
    // Links shared with tracking parameters still open.
    let r = app.get("/?utm_source=newsletter&fbclid=abc").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.get("/search?q=x&utm_medium=social").await.status,
        StatusCode::OK
    );
    let long = "x".repeat(201);
    let r = app.get(&format!("/search?q={long}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("at most 200 characters"));
}

async fn oversized_and_wrong_method_requests_are_refused_clearly(db: TestDb) {
    let app = TestApp::new(db).await;
    let r = app
        .send(
            axum::http::Method::POST,
            "/api/v1/articles",
            vec![b'x'; 6 * 1024 * 1024],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than this site accepts")
    );
    let r = app.send(axum::http::Method::DELETE, "/", Vec::new()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.header("allow").contains("GET"));
    assert!(r.text().contains("can only be read"));
}

async fn lists_by_section_tag_author_and_month(db: TestDb) {
    let app = TestApp::new(db).await;
    translated_pair(&app).await;
    app.add("Port strike ends", |i| {
        i.section = Some("World".into());
        i.tags = vec!["Labour".into()];
        i.authors = vec![AuthorInput::Full {
            name: "Omar Aziz".into(),
            slug: None,
            bio: Some("Covers trade and labour.".into()),
        }];
    })
    .await;
    let economy = app.get("/section/economy").await;
    assert_eq!(economy.select("h1"), ["Economy"]);
    assert_eq!(economy.select(".card-headline").len(), 2);
    assert_eq!(
        app.get("/tag/labour").await.select(".card-headline"),
        ["Port strike ends"]
    );
    let omar = app.get("/author/omar-aziz").await;
    assert_eq!(
        omar.select(".card-headline"),
        ["Port strike ends", "Farmers count the cost of a dry autumn"]
    );
    assert_eq!(
        omar.select(".list-description"),
        ["Covers trade and labour."]
    );
    assert!(
        omar.attrs("link[type='application/rss+xml']", "href")
            .contains(&"http://news.test/author/omar-aziz/feed.xml".to_string())
    );
    let month = recently().format("/archive/%Y/%m").to_string();
    assert_eq!(app.get(&month).await.select(".card-headline").len(), 3);
    let archive = app.get("/archive").await;
    assert!(archive.attrs("a", "href").contains(&month));
    assert!(
        archive
            .select("#by-section + ul li")
            .iter()
            .any(|l| l == "Economy (2)")
    );
    // Sections are the site's navigation.
    assert_eq!(
        app.get("/").await.select("nav.sections a"),
        ["Economy", "World"]
    );
}

async fn search_finds_english_and_arabic(db: TestDb) {
    let app = TestApp::new(db).await;
    translated_pair(&app).await;
    app.add("Bank raises rates", |i| {
        i.body = "The central bank raised its main rate.".into()
    })
    .await;
    let r = app.get("/search?q=farmer").await;
    assert_eq!(
        r.select(".card-headline"),
        ["Farmers count the cost of a dry autumn"]
    );
    assert!(r.select(".list-count")[0].starts_with("1 result for"));
    let r = app
        .get("/search?q=%D8%A7%D9%84%D9%85%D8%AD%D8%B5%D9%88%D9%84")
        .await; // المحصول
    assert_eq!(
        r.select(".card-headline"),
        ["المزارعون يحصون خسائر خريف جاف"]
    );
    let none = app.get("/search?q=volcano").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.select(".empty")[0].contains("No published article matches"));
    assert_eq!(app.get("/search").await.status, StatusCode::OK);
}

async fn operators_endpoints_answer(db: TestDb) {
    let app = TestApp::new(db).await;
    assert_eq!(app.get("/healthz").await.text(), "ok\n");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");
    app.get("/").await;
    // Not on the public listener: only on the operator's own.
    assert_eq!(app.get("/metrics").await.status, StatusCode::NOT_FOUND);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("dateline_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("dateline_page_cache_bytes"));
}

both_databases!(
    the_article_page_shows_the_report,
    a_republished_report_is_credited_without_a_translation_note,
    right_to_left_articles_render_right_to_left,
    the_front_page_lists_published_articles_and_paginates,
    scheduled_articles_appear_by_themselves,
    a_changed_slug_answers_301,
    unknown_pages_get_a_helpful_404,
    malformed_queries_say_what_is_wrong,
    oversized_and_wrong_method_requests_are_refused_clearly,
    lists_by_section_tag_author_and_month,
    search_finds_english_and_arabic,
    operators_endpoints_answer,
);
