//! The editor: forms that keep what was typed, conflicts that lose nothing,
//! uploads, preview, revisions, and the pages around it.

use crate::support::{TestApp, png};
use axum::http::{Method, StatusCode};
use dateline_core::{ArticleId, Role};
use dateline_db::both_databases;
use dateline_db::testing::TestDb;
use serde_json::json;

fn id_from(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn a_form_with_errors_comes_back_filled_in(db: TestDb) {
    let app = TestApp::new(db).await;
    let b = app.browser(Role::Editor).await;
    let r = app
        .post_multipart_as(
            &b,
            "/admin/articles/new",
            &[
                ("headline", "Dockworkers return"),
                ("dateline", "BASRA, Iraq."),
                ("body", "The cranes moved again."),
                ("image_url", "/media/crane.jpg"),
                ("image_alt", ""),
                ("original_url", "not a url"),
                ("published_at", "next tuesday"),
                ("translators", "Layla Hassan"),
                ("action", "publish"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.attrs("#headline", "value"), ["Dockworkers return"]);
    assert_eq!(r.attrs("#dateline", "value"), ["BASRA, Iraq."]);
    assert_eq!(r.select("#body"), ["The cranes moved again."]);
    assert_eq!(r.attrs("#translators", "value"), ["Layla Hassan"]);
    assert!(r.select("#image_alt-error")[0].contains("Describe the image"));
    assert!(r.select("#published_at-error")[0].contains("date and time"));
    assert!(r.select("#original_outlet-error")[0].contains("Name the outlet"));
    assert!(r.select("#original_url-error")[0].contains("http"));
    assert_eq!(r.attrs("#image_alt", "aria-invalid"), ["true"]);
    assert!(r.select(".error-summary h2")[0].starts_with("Nothing was saved"));
    assert_eq!(
        dateline_db::articles::list(
            &app.db.db,
            &Default::default(),
            dateline_db::views::PageRequest::new(1, 5)
        )
        .await
        .unwrap()
        .total,
        0
    );
}

async fn a_concurrent_edit_is_detected_and_loses_nothing(db: TestDb) {
    let app = TestApp::new(db).await;
    let first = app.browser(Role::Editor).await;
    let second = app.browser(Role::Editor).await;
    let r = app
        .post_multipart_as(
            &first,
            "/admin/articles/new",
            &[
                ("headline", "Water talks"),
                ("body", "One."),
                ("action", "save"),
            ],
            &[],
        )
        .await;
    let id = id_from(r.header("location"));
    // Both open revision 1.
    for b in [&first, &second] {
        assert_eq!(
            app.get_as(b, &format!("/admin/articles/{id}"))
                .await
                .attrs("input[name=revision]", "value"),
            ["1"]
        );
    }
    let saved = app
        .post_multipart_as(
            &first,
            &format!("/admin/articles/{id}"),
            &[
                ("headline", "Water talks"),
                ("body", "First editor's text."),
                ("revision", "1"),
            ],
            &[],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let clash = app
        .post_multipart_as(
            &second,
            &format!("/admin/articles/{id}"),
            &[
                ("headline", "Water talks"),
                ("body", "Second editor's text."),
                ("revision", "1"),
            ],
            &[],
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert!(
        clash.select(".conflict p")[0].contains("Someone else saved this article (revision 2)")
    );
    assert_eq!(
        clash.select("#body"),
        ["Second editor's text."],
        "what they typed is still there"
    );
    assert_eq!(
        clash.attrs("input[name=revision]", "value"),
        ["2"],
        "the next save knowingly replaces revision 2"
    );
    let v = dateline_db::articles::find(&app.db.db, ArticleId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        v.body_markdown, "First editor's text.\n",
        "the first save was not overwritten"
    );
    let again = app
        .post_multipart_as(
            &second,
            &format!("/admin/articles/{id}"),
            &[
                ("headline", "Water talks"),
                ("body", "Second editor's text."),
                ("revision", "2"),
            ],
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let revs = dateline_db::articles::revisions(&app.db.db, ArticleId(id))
        .await
        .unwrap();
    assert_eq!(revs.len(), 3, "every version is kept");
}

async fn images_are_checked_resized_and_served_with_srcset(db: TestDb) {
    let app = TestApp::new(db).await;
    let b = app.browser(Role::Author).await;
    let big = png(2000, 1000);
    let r = app
        .post_multipart_as(
            &b,
            "/admin/articles/new",
            &[
                ("headline", "River at dawn"),
                ("body", "Text."),
                ("image_alt", "Boats on the river"),
                ("action", "publish"),
            ],
            &[("image_file", "river dawn.png", "image/png", &big)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let media = dateline_db::media::recent(&app.db.db, 5).await.unwrap();
    assert_eq!(media.len(), 1);
    let m = &media[0];
    assert_eq!(
        m.variants.iter().map(|v| v.width).collect::<Vec<_>>(),
        [480, 960, 1600, 2000]
    );
    assert!(
        m.path.starts_with("/media/uploads/") && m.path.ends_with("-river-dawn-2000.jpg"),
        "{}",
        m.path
    );
    for v in &m.variants {
        let file = app.get(&v.path).await;
        assert_eq!(file.status, StatusCode::OK, "{}", v.path);
        let img = image::load_from_memory(&file.body).unwrap();
        assert_eq!(img.width(), v.width);
    }
    app.refresh().await;
    let page = app.get("/river-at-dawn").await;
    let srcset = page.attrs(".featured img", "srcset")[0].clone();
    assert!(
        srcset.contains(" 480w") && srcset.contains(" 2000w"),
        "{srcset}"
    );
    assert_eq!(
        page.attrs(".featured img", "src"),
        std::slice::from_ref(&m.path)
    );

    // Not an image, whatever it claims: refused, and the form kept.
    let r = app
        .post_multipart_as(
            &b,
            "/admin/articles/new",
            &[("headline", "Fake"), ("body", "x")],
            &[(
                "image_file",
                "photo.png",
                "image/png",
                b"<script>alert(1)</script>",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.select("#image_file-error")[0].contains("not an image"));
    assert_eq!(r.attrs("#headline", "value"), ["Fake"]);
    let r = app
        .post_multipart_as(
            &b,
            "/admin/media",
            &[],
            &[("file", "notes.txt", "text/plain", b"hello")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.select("#file-error")[0].contains("JPEG, PNG, GIF or WebP"));
    // Too large for the site's limit (4 MB in tests).
    let huge = vec![0u8; 4 * 1024 * 1024 + 10];
    let r = app
        .post_multipart_as(
            &b,
            "/admin/media",
            &[],
            &[("file", "huge.png", "image/png", &huge)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().contains("larger than 4 MB"), "{}", r.text());
    assert_eq!(
        dateline_db::media::recent(&app.db.db, 5)
            .await
            .unwrap()
            .len(),
        1,
        "nothing else was stored"
    );
}

async fn preview_shows_the_reader_page_without_saving(db: TestDb) {
    let app = TestApp::new(db).await;
    let b = app.browser(Role::Contributor).await;
    let r = app
        .post_multipart_as(
            &b,
            "/admin/preview",
            &[
                ("headline", "Preview of a report"),
                ("dateline", "ERBIL, Iraq."),
                (
                    "body",
                    "A *preview*.\n{? Were you <there>? }\n\n<script>alert(1)</script>",
                ),
                ("original_outlet", "Kurdistan Courier"),
                ("original_language", "ku"),
                ("translators", "Hawre Aziz"),
                ("language", "en"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(r.select("h1"), ["Preview of a report"]);
    assert_eq!(r.select(".story-body .dateline"), ["ERBIL, Iraq."]);
    assert_eq!(
        r.select(".credit-line"),
        ["Original report: Kurdistan Courier, translated from Kurdish by Hawre Aziz."]
    );
    assert!(!r.text().contains("<script>alert"));
    // The editors' question shows where its marker will be, as text.
    assert_eq!(
        r.select(".story-body .passage-question-preview"),
        ["Question for readers: Were you <there>?"]
    );
    assert!(!r.text().contains("{?"));
    assert_eq!(
        dateline_db::articles::list(
            &app.db.db,
            &Default::default(),
            dateline_db::views::PageRequest::new(1, 5)
        )
        .await
        .unwrap()
        .total,
        0
    );
    // Live preview of the body alone.
    let frag = app
        .post_as(
            &b,
            "/admin/preview/body",
            &[(
                "body",
                "**bold** <img src=x onerror=alert(1)>\n{? Is it bold enough? }",
            )],
        )
        .await;
    assert_eq!(frag.status, StatusCode::OK);
    assert!(frag.text().contains("<strong>bold</strong>"));
    assert!(
        frag.text()
            .contains("Question for readers: Is it bold enough?"),
        "{}",
        frag.text()
    );
    assert!(!frag.text().contains("onerror"));
}

async fn revisions_compare_and_restore(db: TestDb) {
    let app = TestApp::new(db).await;
    let b = app.browser(Role::Editor).await;
    let r = app
        .post_multipart_as(
            &b,
            "/admin/articles/new",
            &[
                ("headline", "Budget vote"),
                ("body", "Line one.\n\nLine two."),
                ("action", "publish"),
            ],
            &[],
        )
        .await;
    let id = id_from(r.header("location"));
    app.post_multipart_as(
        &b,
        &format!("/admin/articles/{id}"),
        &[
            ("headline", "Budget vote delayed"),
            ("body", "Line one.\n\nLine 2, corrected."),
        ],
        &[],
    )
    .await;
    let list = app
        .get_as(&b, &format!("/admin/articles/{id}/revisions"))
        .await;
    assert_eq!(list.select("tbody tr").len(), 2);
    assert!(list.text().contains(&b.user.name), "who saved is shown");
    let diff = app
        .get_as(&b, &format!("/admin/articles/{id}/revisions/1"))
        .await;
    assert_eq!(diff.status, StatusCode::OK);
    assert!(diff.select(".field-diff del")[0].contains("Budget vote"));
    assert!(diff.select(".body-diff del")[0].contains("Line two."));
    assert!(diff.select(".body-diff ins")[0].contains("Line 2, corrected."));
    let r = app
        .post_as(
            &b,
            &format!("/admin/articles/{id}/revisions/1/restore"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let v = dateline_db::articles::find(&app.db.db, ArticleId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.summary.headline, "Budget vote");
    assert_eq!(v.summary.revision, 3);
    assert_eq!(
        v.summary.status,
        dateline_core::ArticleStatus::Published,
        "restoring text does not change the status"
    );
    app.refresh().await;
    // The changed slug went back too, and the other one now redirects.
    assert_eq!(app.get("/budget-vote").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/budget-vote-delayed").await.status,
        StatusCode::MOVED_PERMANENTLY
    );
}

async fn publishing_scheduling_and_deleting_from_the_editor(db: TestDb) {
    let app = TestApp::new(db).await;
    let b = app.browser(Role::Author).await;
    let r = app
        .post_multipart_as(
            &b,
            "/admin/articles/new",
            &[
                ("headline", "Harvest numbers"),
                ("body", "Text."),
                ("action", "save"),
            ],
            &[],
        )
        .await;
    let id = id_from(r.header("location"));
    assert!(r.header("location").ends_with("notice=created"));
    app.refresh().await;
    assert_eq!(
        app.get("/harvest-numbers").await.status,
        StatusCode::NOT_FOUND,
        "a draft is not public"
    );
    let r = app
        .post_multipart_as(
            &b,
            &format!("/admin/articles/{id}"),
            &[
                ("headline", "Harvest numbers"),
                ("body", "Text."),
                ("action", "publish"),
            ],
            &[],
        )
        .await;
    assert!(r.header("location").ends_with("notice=published"));
    app.refresh().await;
    assert_eq!(app.get("/harvest-numbers").await.status, StatusCode::OK);
    let page = app
        .get_as(&b, &format!("/admin/articles/{id}?notice=published"))
        .await;
    assert_eq!(
        page.select(".notice")[0],
        "Published: the article is on the site."
    );
    let r = app
        .post_multipart_as(
            &b,
            &format!("/admin/articles/{id}"),
            &[
                ("headline", "Harvest numbers"),
                ("body", "Text."),
                ("action", "schedule"),
                ("published_at", "2099-01-01T08:00"),
            ],
            &[],
        )
        .await;
    assert!(
        r.header("location").ends_with("notice=scheduled"),
        "{}",
        r.header("location")
    );
    app.refresh().await;
    assert_eq!(
        app.get("/harvest-numbers").await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post_multipart_as(
            &b,
            &format!("/admin/articles/{id}"),
            &[
                ("headline", "Harvest numbers"),
                ("body", "Text."),
                ("action", "schedule"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scheduling needs a time"
    );
    assert!(r.select("#published_at-error")[0].contains("time it should appear"));
    let confirm = app
        .get_as(&b, &format!("/admin/articles/{id}/delete"))
        .await;
    assert!(confirm.select("h1")[0].contains("Harvest numbers"));
    let r = app
        .post_as(&b, &format!("/admin/articles/{id}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_as(&b, &format!("/admin/articles/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn sections_tags_authors_and_settings(db: TestDb) {
    let app = TestApp::new(db).await;
    let admin = app.browser(Role::Admin).await;
    app.add("Grain prices", |i| {
        i.section = Some("Economy".into());
        i.tags = vec!["Wheat".into()];
    })
    .await;
    let tag = dateline_db::people::term(&app.db.db, dateline_db::people::TermKind::Tag, "wheat")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_as(
            &admin,
            &format!("/admin/tags/{}", tag.id),
            &[
                ("name", "Wheat and barley"),
                ("slug", "Not A Slug"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("not-a-slug"), "the error suggests a slug");
    let r = app
        .post_as(
            &admin,
            &format!("/admin/tags/{}", tag.id),
            &[
                ("name", "Wheat and barley"),
                ("slug", "grain"),
                ("description", "Cereal crops."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.refresh().await;
    assert_eq!(
        app.get("/tag/grain").await.select("h1"),
        ["Wheat and barley"]
    );
    let r = app
        .post_as(
            &admin,
            "/admin/sections",
            &[("name", "Economy"), ("slug", "economy")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("already has this slug"));
    let author = dateline_db::people::author(&app.db.db, "rana-haddad")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_as(
            &admin,
            &format!("/admin/authors/{}", author.id),
            &[
                ("name", "Rana Haddad"),
                ("slug", "rana-haddad"),
                ("bio", "Covers water and farming."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post_as(
            &admin,
            "/admin/settings",
            &[
                ("title", "The Tigris Ledger"),
                ("description", "News."),
                ("language", "english"),
                ("per_page", "500"),
                ("navigation", "About | /about\nbroken line"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.attrs("#title", "value"), ["The Tigris Ledger"]);
    for field in ["language", "per_page", "navigation"] {
        assert!(
            !r.select(&format!("#{field}-error")).is_empty(),
            "no error for {field}"
        );
    }
    let r = app
        .post_as(
            &admin,
            "/admin/settings",
            &[
                ("title", "The Tigris Ledger"),
                ("description", "News."),
                ("language", "en"),
                ("per_page", "10"),
                ("navigation", "About | /about"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.refresh().await;
    let home = app.get("/").await;
    assert_eq!(home.select(".site-title"), ["The Tigris Ledger"]);
    assert!(home.select("nav.sections a").contains(&"About".to_string()));
    assert_eq!(
        app.get("/author/rana-haddad")
            .await
            .select(".list-description"),
        ["Covers water and farming."]
    );
    let r = app
        .post_as(&admin, &format!("/admin/tags/{}/delete", tag.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.refresh().await;
    assert_eq!(app.get("/tag/grain").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/grain-prices").await.status,
        StatusCode::OK,
        "the article stays"
    );
}

async fn the_admin_api_does_what_the_editor_does(db: TestDb) {
    let app = TestApp::new(db).await;
    let editor = app.browser(Role::Editor).await;
    let token = app.token(&editor.user).await;
    let r = app.api(Method::POST, "/api/v1/admin/articles", &token, Some(json!({
        "headline": "Ports reopen",
        "dateline": "BASRA, Iraq.",
        "body": "Ships are moving.",
        "tags": ["Trade"],
        "status": "published",
        "original": {"outlet": "Shatt Daily", "language": "ar", "translators": ["Layla Hassan"]}
    }))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let a = r.json()["article"].clone();
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["status"], "published");
    assert_eq!(a["revision"], 1);
    assert_eq!(a["owner_id"], editor.user.id.0);
    assert_eq!(a["body_html"], "<p id=\"p1\">Ships are moving.</p>\n");
    app.refresh().await;
    assert_eq!(app.get("/ports-reopen").await.status, StatusCode::OK);

    let stale = json!({"headline": "Ports reopen", "body": "Second.", "status": "published", "revision": 1});
    assert_eq!(app.api(Method::PUT, &format!("/api/v1/admin/articles/{id}"), &token, Some(json!({"headline": "Ports reopen", "body": "First.", "status": "published", "revision": 1}))).await.status, StatusCode::OK);
    let conflict = app
        .api(
            Method::PUT,
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            Some(stale),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(
        conflict.json()["error"]["fields"]["revision"]
            .as_str()
            .unwrap()
            .contains("revision 2")
    );

    let invalid = app.api(Method::POST, "/api/v1/admin/articles", &token, Some(json!({"headline": "", "status": "live", "featured_image": {"url": "javascript:x"}}))).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = invalid.json()["error"]["fields"].clone();
    for f in [
        "headline",
        "status",
        "featured_image.url",
        "featured_image.alt",
    ] {
        assert!(fields[f].is_string(), "no error for {f}: {fields}");
    }
    let unknown = app
        .api(
            Method::POST,
            "/api/v1/admin/articles",
            &token,
            Some(json!({"headline": "x", "colour": "red"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );

    let list = app
        .api(
            Method::GET,
            "/api/v1/admin/articles?status=published",
            &token,
            None,
        )
        .await
        .json();
    assert_eq!(list["pagination"]["total"], 1);
    let revisions = app
        .api(
            Method::GET,
            &format!("/api/v1/admin/articles/{id}/revisions"),
            &token,
            None,
        )
        .await
        .json();
    assert_eq!(revisions["revisions"].as_array().unwrap().len(), 2);
    let restored = app
        .api(
            Method::POST,
            &format!("/api/v1/admin/articles/{id}/revisions/1/restore"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        restored.json()["article"]["body_markdown"],
        "Ships are moving.\n"
    );

    // Images by API.
    let (ct, body) =
        crate::support::multipart(&[], &[("file", "map.png", "image/png", &png(800, 400))]);
    let req = axum::http::Request::post("/api/v1/admin/media")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", ct)
        .body(axum::body::Body::from(body))
        .unwrap();
    let up = app.request(req).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());
    assert_eq!(up.json()["media"]["widths"], json!([480, 800]));

    let gone = app
        .api(
            Method::DELETE,
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let bad = app
        .api(Method::GET, "/api/v1/admin/me", "dl_not-a-real-token", None)
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.header("www-authenticate"), "Bearer realm=\"dateline\"");
}

both_databases!(
    a_form_with_errors_comes_back_filled_in,
    a_concurrent_edit_is_detected_and_loses_nothing,
    images_are_checked_resized_and_served_with_srcset,
    preview_shows_the_reader_page_without_saving,
    revisions_compare_and_restore,
    publishing_scheduling_and_deleting_from_the_editor,
    sections_tags_authors_and_settings,
    the_admin_api_does_what_the_editor_does,
);
