//! What a save may change besides its own article (issue 12, finding 5):
//! without the editor role, only authors, sections and tags that exist, as
//! they are; for everyone, never another article's old addresses. Through
//! the newsroom form and the admin API alike. And the newsroom preview
//! shows a writer only translations they may read.

use crate::support::{Browser, Resp, TestApp};
use axum::http::{Method, StatusCode};
use dateline_core::Role;
use dateline_core::article::AuthorInput;
use dateline_db::both_databases;
use dateline_db::people::{self, TermKind};
use dateline_db::testing::TestDb;
use serde_json::json;

async fn form_save(app: &TestApp, b: &Browser, fields: &[(&str, &str)]) -> Resp {
    let mut all = vec![("body", "Text of the report."), ("action", "save")];
    all.extend_from_slice(fields);
    app.post_multipart_as(b, "/admin/articles/new", &all, &[])
        .await
}

/// The message the editor shows beside `field`.
fn field_error(r: &Resp, field: &str) -> String {
    r.select(&format!("#{field}-error")).join(" ")
}

async fn a_site_with_an_author_and_desks(app: &TestApp) {
    app.add("Rivers run low", |i| {
        i.authors = vec![AuthorInput::Full {
            name: "Rana Haddad".into(),
            slug: Some("rana-haddad".into()),
            bio: Some("Covers water and farming.".into()),
        }];
        i.section = Some("Environment".into());
        i.tags = vec!["Water".into()];
    })
    .await;
}

async fn writers_only_name_what_exists(db: TestDb) {
    let app = TestApp::new(db).await;
    a_site_with_an_author_and_desks(&app).await;
    for role in [Role::Contributor, Role::Author] {
        let b = app.browser(role).await;
        let token = app.token(&b.user).await;

        // Through the form: a new section, a new tag, a new author.
        let r = form_save(
            &app,
            &b,
            &[
                ("headline", "A desk of my own"),
                ("section", "Investigations"),
                ("tags", "Water, Leaks"),
                ("authors", "Rana Haddad, Nobody Yet"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}");
        assert_eq!(
            field_error(&r, "section"),
            "There is no section \u{201c}Investigations\u{201d}; an editor can create it."
        );
        assert!(
            field_error(&r, "tags").contains("\u{201c}Leaks\u{201d}"),
            "{role}"
        );
        assert!(
            field_error(&r, "authors").contains("\u{201c}Nobody Yet\u{201d}"),
            "{role}"
        );
        assert_eq!(r.attrs("#section", "value"), ["Investigations"], "kept");
        assert_eq!(r.attrs("#headline", "value"), ["A desk of my own"]);

        // Through the admin API: an existing author's public bio.
        let r = app
            .api(
                Method::POST,
                "/api/v1/admin/articles",
                &token,
                Some(json!({
                    "headline": "Bio by the back door",
                    "body": "x",
                    "authors": [{"name": "Rana Haddad", "slug": "rana-haddad", "bio": "Replaced."}],
                    "section": "Investigations",
                })),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{role}: {}",
            r.text()
        );
        let fields = &r.json()["error"]["fields"];
        assert!(
            fields["authors"].as_str().unwrap().contains("bio"),
            "{fields}"
        );
        assert!(
            fields["section"]
                .as_str()
                .unwrap()
                .contains("Investigations")
        );

        // Naming what exists, as it is, works.
        let r = form_save(
            &app,
            &b,
            &[
                ("headline", &format!("Low water, by a {role}")),
                ("section", "Environment"),
                ("tags", "Water"),
                ("authors", "Rana Haddad"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{role}: {}", r.text());
    }
    let rana = people::author(&app.db.db, "rana-haddad")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rana.bio, "Covers water and farming.");
    for (kind, slug) in [
        (TermKind::Section, "investigations"),
        (TermKind::Tag, "leaks"),
    ] {
        assert!(
            people::term(&app.db.db, kind, slug)
                .await
                .unwrap()
                .is_none(),
            "{slug} was created"
        );
    }
    assert!(
        people::author(&app.db.db, "nobody-yet")
            .await
            .unwrap()
            .is_none()
    );

    // Editors create and describe them, through either door.
    let editor = app.browser(Role::Editor).await;
    let r = form_save(
        &app,
        &editor,
        &[
            ("headline", "A new desk"),
            ("section", "Investigations"),
            ("tags", "Leaks"),
            ("authors", "Nobody Yet"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let token = app.token(&editor.user).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/admin/articles",
            &token,
            Some(json!({
                "headline": "A new bio",
                "body": "x",
                "authors": [{"name": "Rana Haddad", "slug": "rana-haddad", "bio": "Reports on water."}],
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let rana = people::author(&app.db.db, "rana-haddad")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rana.bio, "Reports on water.");
    assert!(
        people::term(&app.db.db, TermKind::Section, "investigations")
            .await
            .unwrap()
            .is_some()
    );
}

async fn no_save_takes_another_articles_old_address(db: TestDb) {
    let app = TestApp::new(db).await;
    let editor = app.browser(Role::Editor).await;
    let id = app
        .add("Dam report", |i| i.slug = Some("dam-report".into()))
        .await;
    // Renamed: its old address leads to it.
    let r = app
        .post_multipart_as(
            &editor,
            &format!("/admin/articles/{}", id.0),
            &[
                ("headline", "Dam report"),
                ("slug", "dam-report-updated"),
                ("body", "First paragraph."),
                ("action", "publish"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    app.refresh().await;
    assert_eq!(
        app.get("/dam-report").await.header("location"),
        "/dam-report-updated"
    );

    for role in [Role::Contributor, Role::Editor] {
        let b = app.browser(role).await;
        // Taking the old address for a new article.
        let r = form_save(
            &app,
            &b,
            &[("headline", "Squatter"), ("slug", "dam-report")],
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{role}: {}", r.text());
        assert!(field_error(&r, "slug").contains("old address"), "{role}");
        // Or by renaming one's own draft onto it, through the API.
        let token = app.token(&b.user).await;
        let created = app
            .api(
                Method::POST,
                "/api/v1/admin/articles",
                &token,
                Some(json!({"headline": "Mine", "slug": format!("mine-{role}"), "body": "x"})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let mine = created.json()["article"]["id"].as_i64().unwrap();
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/articles/{mine}"),
                &token,
                Some(json!({"headline": "Mine", "slug": "dam-report", "body": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{role}: {}", r.text());
        assert_eq!(
            r.json()["error"]["fields"]["slug"]
                .as_str()
                .map(|m| m.contains("old address")),
            Some(true)
        );
        app.refresh().await;
        assert_eq!(
            app.get("/dam-report").await.header("location"),
            "/dam-report-updated",
            "the old address still leads to its article after a {role}'s try"
        );
    }

    // An article may take back its own old address.
    let r = app
        .post_multipart_as(
            &editor,
            &format!("/admin/articles/{}", id.0),
            &[
                ("headline", "Dam report"),
                ("slug", "dam-report"),
                ("body", "First paragraph."),
                ("action", "publish"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    app.refresh().await;
    assert_eq!(app.get("/dam-report").await.status, StatusCode::OK);
    assert_eq!(
        app.get("/dam-report-updated").await.header("location"),
        "/dam-report"
    );
}

async fn previews_show_only_translations_the_writer_may_read(db: TestDb) {
    let app = TestApp::new(db).await;
    let editor = app.browser(Role::Editor).await;
    let contributor = app.browser(Role::Contributor).await;
    let r = form_save(
        &app,
        &editor,
        &[
            ("headline", "Embargoed: minister resigns"),
            ("slug", "secret-draft"),
            ("language", "ar"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    app.add("Published original", |i| {
        i.slug = Some("published-original".into());
        i.language = Some("ar".into());
    })
    .await;
    let preview = |translation_of: &'static str| {
        let app = &app;
        let contributor = &contributor;
        async move {
            app.post_multipart_as(
                contributor,
                "/admin/preview",
                &[
                    ("headline", "My translation"),
                    ("body", "Text."),
                    ("language", "en"),
                    ("translation_of", translation_of),
                ],
                &[],
            )
            .await
        }
    };
    let r = preview("secret-draft").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.text().contains("Embargoed"),
        "another's draft headline in a preview"
    );
    let r = preview("published-original").await;
    assert!(r.text().contains("Published original"));
    // The editor may read the draft, so the editor's preview shows it.
    let r = app
        .post_multipart_as(
            &editor,
            "/admin/preview",
            &[
                ("headline", "Editor's translation"),
                ("body", "Text."),
                ("language", "en"),
                ("translation_of", "secret-draft"),
            ],
            &[],
        )
        .await;
    assert!(r.text().contains("Embargoed"));
}

both_databases!(
    writers_only_name_what_exists,
    no_save_takes_another_articles_old_address,
    previews_show_only_translations_the_writer_may_read
);
