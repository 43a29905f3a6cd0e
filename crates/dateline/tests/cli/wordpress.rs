//! `dateline import wordpress` with a hand-written export of an invented
//! site (crates/dateline_wordpress/fixtures/oasis-ledger.xml), on SQLite
//! and PostgreSQL: what is imported, what is not and why, the old
//! addresses, feeds' GUIDs, idempotence, and that nothing private leaks.

use crate::support::{Server, run, stderr, stdout};
use dateline_db::Backend;
use dateline_db::testing::TestDb;
use std::path::{Path, PathBuf};

pub fn export_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dateline_wordpress/fixtures/oasis-ledger.xml")
}

/// `dateline import wordpress FILE` with the fixture's meta mapped.
fn import(file: &Path, db_args: &[&str], extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "import",
        "wordpress",
        file.to_str().unwrap(),
        "--map-meta",
        "source_outlet=outlet",
        "--map-meta",
        "translators=translators",
    ];
    args.extend(extra);
    args.extend(db_args);
    run(&args)
}

/// A client that does not follow redirects.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn location(server: &Server, path: &str) -> (u16, String) {
    let r = client()
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), loc)
}

async fn text(server: &Server, path: &str) -> String {
    let r = server.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The path, percent-encoded as the site writes it in a Location.
fn enc(path: &str) -> String {
    path.split('/')
        .map(percent_encoding_seg)
        .collect::<Vec<_>>()
        .join("/")
}

fn percent_encoding_seg(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn a_wordpress_site_moves_in(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(test_db.child_url()),
    };
    let mut db_args: Vec<&str> = vec!["--data-dir", &data];
    if let Some(u) = &url {
        db_args.extend(["--database", u.as_str()]);
    }

    let o = import(&export_fixture(), &db_args, &[]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    // Six posts (published, Arabic, draft, scheduled, private, pending), a page;
    // 9 readers' comments, one pingback kept as a mention.
    assert!(
        out.contains(
            "Imported 7 articles (0 updated, 0 unchanged), 9 comments (0 already here), 1 mentions"
        ),
        "{out}"
    );
    for expected in [
        "private in WordPress: imported as a draft",
        "comment 109 answers a comment not in the export",
        "\"Water & Wells\" became a tag",
        "its author \"ghostwriter\" is not among the export's authors",
        "pullquote (1×)",
        "contact-form-7 (1×)",
        "broken_meta (1×)",
        "https://oasis-ledger.example/wp-content/uploads/2024/03/well.jpg",
        "categories had a parent category",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(
        !out.contains("[sic]"),
        "text in brackets is not a shortcode:\n{out}"
    );

    let server = Server::start(dir.path(), url.as_deref()).await;

    // Every old address answers 301 with the new one.
    let wells = "/wells-run-dry";
    let convoy = "/قافلة-مياه";
    for (old, new) in [
        ("/2024/03/04/wells-run-dry/", wells.to_string()),
        ("/2024/03/wells-run-dry/", wells.to_string()),
        ("/wells-run-dry/", wells.to_string()),
        ("/?p=10", wells.to_string()),
        ("/archives/10", wells.to_string()),
        (
            "/2024/03/10/%d9%82%d8%a7%d9%81%d9%84%d8%a9-%d9%85%d9%8a%d8%a7%d9%87/",
            enc(convoy),
        ),
        ("/?p=11", enc(convoy)),
        ("/category/water/", "/section/water-wells".into()),
        ("/category/region/water/", "/section/water-wells".into()),
        (
            "/category/water/feed/",
            "/section/water-wells/feed.xml".into(),
        ),
        ("/tag/drought/", "/tag/drought".into()),
        ("/tag/%d9%85%d9%8a%d8%a7%d9%87/", enc("/tag/مياه")),
        ("/author/samira/", "/author/samira".into()),
        ("/author/yusuf-h/", "/author/yusuf-h".into()),
        ("/author/yusuf-h/feed/", "/author/yusuf-h/feed.xml".into()),
        ("/feed/", "/feed.xml".into()),
        ("/comments/feed/", "/feed.xml".into()),
        ("/2024/03/", "/archive/2024/03".into()),
    ] {
        assert_eq!(location(&server, old).await, (301, new.clone()), "{old}");
    }
    // Where they lead is there.
    let page = text(&server, wells).await;
    assert_eq!(server.get(&enc(convoy)).await.status(), 200);
    assert_eq!(server.get("/section/water-wells").await.status(), 200);
    assert_eq!(server.get("/author/yusuf-h").await.status(), 200);

    // The article: blocks and shortcodes gone, the figure kept, the
    // provenance mapped from meta, the thread nested four deep with the
    // old comment numbers (so `#comment-N` links still land).
    assert!(!page.contains("wp:paragraph") && !page.contains("wp:image"));
    assert!(page.contains("<figcaption>The north well, dry since February.</figcaption>"));
    assert!(page.contains("Desert Water Monitor"), "provenance");
    assert!(
        page.contains("Nadia Farah"),
        "translators from serialized meta"
    );
    let doc = scraper::Html::parse_document(&page);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    assert_eq!(
        doc.select(&sel("#comment-101 #comment-102 #comment-103 #comment-104"))
            .count(),
        1,
        "the thread is nested as it was"
    );
    let arabic = doc
        .select(&sel("#comment-103"))
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert!(arabic.contains("جدي حفر البئر"), "{arabic}");
    assert!(
        page.contains("<strong>never</strong>"),
        "comment HTML became Markdown"
    );
    // The hostile comment is text, its link and its author's URL gone.
    // Shown as text: no element the browser would run.
    let hostile = doc.select(&sel("#comment-105")).next().unwrap();
    assert!(
        hostile
            .text()
            .collect::<String>()
            .contains("<script>window.pwned = 1</script>")
    );
    assert_eq!(hostile.select(&sel("script, img, [onerror]")).count(), 0);
    assert!(!page.contains("<script>window.pwned"));
    assert!(!page.contains("javascript:alert"));
    assert!(page.contains("Mallory &lt;b&gt;Admin&lt;/b&gt;") || page.contains("Mallory Admin"));
    // Held and trashed comments are not shown; the orphan starts a thread.
    assert!(!page.contains("Waiting for a moderator") && !page.contains("Buy now"));
    assert!(doc.select(&sel("#comment-109")).count() == 1);
    // The pingback is a mention, not a comment.
    assert!(page.contains("sahel-water.example"), "the mention is shown");
    assert_eq!(doc.select(&sel("#comment-108")).count(), 0);

    let api: serde_json::Value =
        serde_json::from_str(&text(&server, "/api/v1/articles/wells-run-dry").await).unwrap();
    assert_eq!(api["article"]["comment_count"], 6, "{api}");

    // The Arabic report: Arabic, right to left, its caption a figure.
    let ar = text(&server, &enc(convoy)).await;
    assert!(ar.contains("lang=\"ar\"") && ar.contains("dir=\"rtl\""));
    assert!(
        ar.contains("<figcaption>شاحنات القافلة عند مدخل المدينة</figcaption>"),
        "{ar}"
    );
    assert!(
        !ar.contains("[caption") && !ar.contains("[pullquote") && !ar.contains("contact-form-7")
    );
    assert!(ar.contains("الماء أولاً") && ar.contains("[sic]"));
    assert!(
        ar.contains("صحيفة الرافدين"),
        "outlet from a serialized string"
    );

    // The sticky post leads the front page though a newer one exists.
    let home = text(&server, "/").await;
    let first = home.find("Wells run dry").unwrap();
    assert!(first < home.find("بغداد تستقبل").unwrap());

    // The page: at the root, in the navigation (its menu item), without a
    // byline, dates or comments; in the sitemap, not in feeds or lists.
    for old in ["/corrections-policy/", "/?page_id=30", "/?p=30"] {
        assert_eq!(
            location(&server, old).await,
            (301, "/corrections-policy".into()),
            "{old}"
        );
    }
    let policy = text(&server, "/corrections-policy").await;
    assert!(policy.contains("we say so at the top of the report"));
    let pdoc = scraper::Html::parse_document(&policy);
    assert_eq!(
        pdoc.select(&sel(".story-meta, #comments, .newsletter-box"))
            .count(),
        0
    );
    assert!(policy.contains("\"@type\":\"WebPage\""));
    let nav: Vec<String> = doc
        .select(&sel("nav.sections a"))
        .map(|a| a.text().collect())
        .collect();
    assert!(nav.contains(&"Corrections policy".to_string()), "{nav:?}");
    assert!(
        text(&server, "/sitemaps/articles-1.xml")
            .await
            .contains("/corrections-policy")
    );
    assert!(
        !text(&server, "/sitemaps/news.xml")
            .await
            .contains("/corrections-policy")
    );
    for path in ["/feed.xml", "/", "/archive", "/api/v1/articles"] {
        let body = text(&server, path).await;
        let body = body.replace("href=\"/corrections-policy\">Corrections policy</a>", "");
        assert!(
            !body.contains("Corrections policy"),
            "the page is listed in {path}"
        );
    }

    // Feeds keep the old GUIDs.
    let rss = text(&server, "/feed.xml").await;
    assert!(
        rss.contains("<guid isPermaLink=\"false\">https://oasis-ledger.example/?p=10</guid>"),
        "{rss}"
    );
    let atom = text(&server, "/atom.xml").await;
    assert!(atom.contains("<id>https://oasis-ledger.example/?p=11</id>"));

    // Nothing private, scheduled or draft leaks.
    for path in [
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/api/v1/articles",
        "/search?q=said",
        "/search?q=dam",
        "/api/v1/articles?q=dam",
        "/",
        "/section/water-wells",
    ] {
        let body = text(&server, path).await;
        for secret in [
            "SECRET",
            "Staff only",
            "Embargoed",
            "salt flats",
            "market fire",
        ] {
            assert!(!body.contains(secret), "{secret} leaks through {path}");
        }
    }
    for path in [
        "/2024/02/01/sources-list/",
        "/sources-list",
        "/2030/01/15/dam-report/",
        "/dam-report",
    ] {
        let (status, loc) = location(&server, path).await;
        assert_eq!(status, 404, "{path} → {loc}");
    }
    // `/?p=ID` of an item that is not public is the front page, not it.
    for id in [12, 13, 14, 15] {
        let path = format!("/?p={id}");
        let (status, loc) = location(&server, &path).await;
        assert_eq!((status, loc.as_str()), (200, ""), "{path}");
    }

    // The same file again changes nothing.
    let o = import(&export_fixture(), &db_args, &[]);
    let again = stdout(&o);
    assert!(o.status.success(), "{again}");
    assert!(
        again.contains(
            "Imported 0 articles (0 updated, 7 unchanged), 0 comments (9 already here), 0 mentions"
        ),
        "{again}"
    );
    let api: serde_json::Value =
        serde_json::from_str(&text(&server, "/api/v1/articles/wells-run-dry").await).unwrap();
    assert_eq!(api["article"]["comment_count"], 6);

    // A newer export: one report changed, one new reply. An article edited
    // in Dateline since is kept unless --overwrite.
    let newer = dir.path().join("newer.xml");
    let xml = std::fs::read_to_string(export_fixture()).unwrap();
    let xml = xml
        .replace(
            "Three of seven wells gave no water this month.",
            "Three of seven wells, the council confirmed.",
        )
        .replace("وصلت صباح اليوم أول قافلة", "وصلت صباح الأحد أول قافلة")
        .replace(
            "<wp:comment_id>201</wp:comment_id>",
            "<wp:comment_id>202</wp:comment_id>",
        );
    std::fs::write(&newer, xml).unwrap();
    let edited = dir.path().join("edited.md");
    std::fs::write(
        &edited,
        "+++\nheadline = \"Wells run dry, edited in Dateline\"\nslug = \"wells-run-dry\"\nstatus = \"published\"\nauthors = [\"Samira Okafor\"]\n+++\n\nAn editor rewrote this in Dateline.\n",
    )
    .unwrap();
    let mut args = vec!["article", "add", edited.to_str().unwrap()];
    args.extend(db_args.iter().copied());
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = import(&newer, &db_args, &[]);
    let out = stdout(&o);
    assert!(
        out.contains("Imported 0 articles (1 updated, 5 unchanged), 1 comments (8 already here)"),
        "{out}"
    );
    assert!(
        out.contains("Edited in Dateline since the last import"),
        "{out}"
    );
    assert!(out.contains("post 10 “Wells run dry"), "{out}");
    let o = import(&newer, &db_args, &["--overwrite"]);
    let out = stdout(&o);
    assert!(out.contains("(1 updated, 6 unchanged)"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_wordpress_site_moves_in() {
    a_wordpress_site_moves_in(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_wordpress_site_moves_in() {
    a_wordpress_site_moves_in(Backend::Postgres).await;
}

/// Files that are not whole exports are refused with what is wrong and
/// where, and leave nothing half-imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_exports_are_refused_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let xml = std::fs::read_to_string(export_fixture()).unwrap();
    let cases = [
        ("not-xml.xml", "just some words".to_string(), "not XML"),
        (
            "html.xml",
            "<html><body>hello</body></html>".to_string(),
            "not a WordPress export",
        ),
        (
            "newer.xml",
            xml.replace("<wp:wxr_version>1.2", "<wp:wxr_version>3.0"),
            "version 3.0",
        ),
    ];
    for (name, content, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        let o = import(&file, &["--data-dir", data], &[]);
        assert!(!o.status.success(), "{name}");
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(all.contains(expected), "{name}: {all}");
    }
    // Cut short inside the second post: nothing is imported (the file is
    // read whole before anything is stored), the command says where it
    // stopped, and a run with the whole file does the job.
    let cut = &xml[..xml.find("<wp:comment_id>201").unwrap()];
    let file = dir.path().join("cut.xml");
    std::fs::write(&file, cut).unwrap();
    let o = import(&file, &["--data-dir", data], &[]);
    assert!(!o.status.success());
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("cut short") && all.contains("line "), "{all}");
    assert!(all.contains("Imported 0 articles"), "{all}");
    let o = import(&export_fixture(), &["--data-dir", data], &[]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("Imported 7 articles (0 updated, 0 unchanged), 9 comments (0 already here)"),
        "{out}"
    );
    // A missing file.
    let o = import(&dir.path().join("nope.xml"), &["--data-dir", data], &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nope.xml"), "{}", stderr(&o));
}

/// In Chromium: a reader follows a link to the old site's address of a
/// comment (`/2024/03/04/wells-run-dry/#comment-103`), lands on the report
/// with the comment in view, and reads the imported thread nested, the
/// Arabic reply right to left; the page passes the accessibility audit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_follows_an_old_link_to_an_imported_thread() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let o = import(&export_fixture(), &["--data-dir", &data], &[]);
    assert!(o.status.success(), "{}", stdout(&o));
    let mut server = Server::start(dir.path(), None).await;
    let (_driver, client) = crate::browser::browser_with(true).await;
    let axe = crate::browser::axe_source()
        .expect("axe-core is missing: run scripts/test, or set DATELINE_AXE_JS to axe.min.js");

    client
        .goto(&format!(
            "{}/2024/03/04/wells-run-dry/#comment-103",
            server.base
        ))
        .await
        .unwrap();
    let landed = url::Url::parse(&format!("{}/wells-run-dry#comment-103", server.base)).unwrap();
    client.wait().for_url(&landed).await.unwrap();
    let nested = client
        .find(fantoccini::Locator::Css(
            "#comment-101 #comment-102 #comment-103 .comment-body",
        ))
        .await
        .expect("the reply sits inside its thread");
    assert!(nested.text().await.unwrap().contains("جدي حفر البئر"));
    let direction = client
        .execute(
            "return getComputedStyle(document.querySelector('#comment-103 .comment-body')).direction",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(direction.as_str(), Some("rtl"));
    let in_view = client
        .execute(
            "const r = document.getElementById('comment-103').getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        in_view.as_bool(),
        Some(true),
        "the old anchor scrolls to the comment"
    );
    assert_eq!(
        crate::browser::accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "imported article"
    );
    client.close().await.unwrap();
    assert!(server.terminate(), "{}", server.log());
}

/// `--uploads DIR`: images the posts show come in as Dateline media (the
/// featured image and the body's, resized like uploads), their old
/// addresses redirect to them, and a missing file is listed and keeps its
/// old address. A second run stores nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_come_in_from_a_copy_of_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap().to_owned();
    let uploads = dir.path().join("uploads");
    std::fs::create_dir_all(uploads.join("2024/03")).unwrap();
    let mut img = image::RgbImage::new(1600, 1000);
    for (x, y, px) in img.enumerate_pixels_mut() {
        *px = image::Rgb([(x % 256) as u8, (y % 200) as u8, 90]);
    }
    img.save_with_format(uploads.join("2024/03/well.jpg"), image::ImageFormat::Jpeg)
        .unwrap();
    let uploads_arg = uploads.to_str().unwrap().to_owned();
    let o = import(
        &export_fixture(),
        &["--data-dir", &data],
        &["--uploads", &uploads_arg],
    );
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    let missing = &out[out.find("Images not imported").expect("a list")..];
    assert!(missing.contains("2024/03/convoy.jpg"), "{out}");
    assert!(!missing.contains("2024/03/well.jpg"), "{out}");
    let media_files = || {
        std::fs::read_dir(dir.path().join("data/media/uploads"))
            .unwrap()
            .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
            .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
            .count()
    };
    let stored = media_files();
    assert!(stored >= 2, "the image at a few widths");

    let server = Server::start(std::path::Path::new(&data), None).await;
    let page = text(&server, "/wells-run-dry").await;
    let doc = scraper::Html::parse_document(&page);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let srcs: Vec<String> = doc
        .select(&sel("img"))
        .filter_map(|i| i.value().attr("src").map(str::to_owned))
        .collect();
    assert!(!srcs.is_empty());
    assert!(
        srcs.iter().all(|s| s.starts_with("/media/uploads/")),
        "{srcs:?}"
    );
    assert!(
        !page.contains("oasis-ledger.example/wp-content"),
        "no old image address left"
    );
    let (status, new) = location(&server, "/wp-content/uploads/2024/03/well.jpg").await;
    assert_eq!(status, 301);
    assert!(new.starts_with("/media/uploads/"), "{new}");
    let image = server.get(&new).await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/jpeg");
    // The Arabic report's image was not in the folder: its old address stays.
    let ar = text(&server, &enc("/قافلة-مياه")).await;
    assert!(ar.contains("https://oasis-ledger.example/wp-content/uploads/2024/03/convoy.jpg"));

    let o = import(
        &export_fixture(),
        &["--data-dir", &data],
        &["--uploads", &uploads_arg],
    );
    let again = stdout(&o);
    assert!(again.contains("(0 updated, 7 unchanged)"), "{again}");
    assert_eq!(media_files(), stored, "nothing stored twice");
}
