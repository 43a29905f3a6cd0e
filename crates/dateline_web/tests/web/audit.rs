//! The audit log: written by the changes themselves, whichever door they
//! came through, read by admins only (page and API), kept when its people
//! are gone.

use crate::support::TestApp;
use axum::http::{Method, StatusCode};
use dateline_core::Role;
use dateline_db::audit::{self, Entry, Filter};
use dateline_db::both_databases;
use dateline_db::testing::TestDb;
use serde_json::json;

async fn all(app: &TestApp) -> Vec<Entry> {
    audit::entries(&app.db.db, &Filter::default(), 500)
        .await
        .unwrap()
}

fn find<'a>(entries: &'a [Entry], action: &str) -> &'a Entry {
    entries
        .iter()
        .find(|e| e.action == action)
        .unwrap_or_else(|| panic!("no {action} in {entries:#?}"))
}

async fn changes_are_recorded_with_who_and_what(db: TestDb) {
    let app = TestApp::new(db).await;
    let admin = app.browser(Role::Admin).await;
    let token = app.token(&admin.user).await;
    // A page: invite someone, make them an editor.
    let r = app
        .post_as(
            &admin,
            "/admin/users",
            &[
                ("name", "Omar Aziz"),
                ("email", "omar@newsroom.test"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let omar = dateline_db::accounts::user_by_email(&app.db.db, "omar@newsroom.test")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_as(
            &admin,
            &format!("/admin/users/{}", omar.id),
            &[("name", "Omar Aziz"), ("role", "editor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The API: a token, an article published then deleted, a setting.
    let r = app
        .api(
            Method::POST,
            "/api/v1/admin/tokens",
            &token,
            Some(json!({"name": "Desk app", "user_id": omar.id.0})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let secret = r.json()["token"].as_str().unwrap().to_owned();
    let r = app
        .api(
            Method::POST,
            "/api/v1/admin/articles",
            &token,
            Some(json!({"headline": "Ports reopen", "body": "Ships move.", "status": "published"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let article = r.json()["article"]["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/admin/articles/{article}"),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let mut settings = app
        .api(Method::GET, "/api/v1/admin/settings", &token, None)
        .await
        .json();
    settings["title"] = json!("The Tigris Ledger");
    let r = app
        .api(
            Method::PUT,
            "/api/v1/admin/settings",
            &token,
            Some(settings),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let entries = all(&app).await;
    let created = find(&entries, "user.created");
    assert_eq!(created.actor_kind, "user");
    assert_eq!(created.actor_id, Some(admin.user.id));
    assert_eq!(created.actor_name, admin.user.name);
    assert_eq!(created.object_id, Some(omar.id.0));
    assert!(created.summary.contains("omar@newsroom.test") && created.summary.contains("author"));
    let role = find(&entries, "user.role_changed");
    assert!(
        role.summary.ends_with("author → editor"),
        "{}",
        role.summary
    );
    let made = find(&entries, "token.created");
    assert_eq!(made.actor_kind, "token");
    assert!(made.token_id.is_some());
    assert!(made.summary.contains("Desk app") && made.summary.contains("Omar Aziz"));
    assert!(!made.summary.contains(&secret), "never the secret");
    let published = find(&entries, "article.published");
    assert_eq!(published.object_id, Some(article));
    assert!(published.summary.contains("Ports reopen"));
    assert_eq!(find(&entries, "article.deleted").object_id, Some(article));
    assert_eq!(find(&entries, "settings.changed").summary, "title");
    // Newest first.
    assert!(entries.windows(2).all(|w| w[0].id > w[1].id));
    // Comment settings say which changed too.
    app.relaxed_comments(|_| {}).await;
    let entries = all(&app).await;
    let comments = find(&entries, "settings.changed");
    assert!(
        comments.summary.starts_with("comments: ") && comments.summary.contains("min_seconds"),
        "{}",
        comments.summary
    );
    assert_eq!(comments.actor_kind, "cli");
}

async fn admins_read_it_filtered_and_paged(db: TestDb) {
    let app = TestApp::new(db).await;
    let admin = app.browser(Role::Admin).await;
    let editor = app.browser(Role::Editor).await;
    for n in 0..3 {
        app.post_as(
            &admin,
            "/admin/users",
            &[
                ("name", &format!("Reporter {n}")),
                ("email", &format!("r{n}@newsroom.test")),
                ("role", "author"),
            ],
        )
        .await;
    }
    let page = app.get_as(&admin, "/admin/audit?action=user").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = page.select("table.audit tbody tr");
    assert!(
        rows.iter().filter(|r| r.contains("user.created")).count() >= 3,
        "{rows:?}"
    );
    assert!(
        rows.iter().all(|r| !r.contains("sign_in.")),
        "filtered to a group"
    );
    let mine = app
        .get_as(
            &admin,
            &format!(
                "/admin/audit?actor={}&action=&object_type=&object_id=",
                editor.user.id
            ),
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.text().contains("Nothing recorded that matches"));
    let bad = app.get_as(&admin, "/admin/audit?object_id=seven").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Editors see nothing of it, on the page or through the API.
    assert_eq!(
        app.get_as(&editor, "/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let editor_token = app.token(&editor.user).await;
    let r = app
        .api(Method::GET, "/api/v1/admin/audit", &editor_token, None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The API pages by `before`.
    let token = app.token(&admin.user).await;
    let first = app
        .api(
            Method::GET,
            "/api/v1/admin/audit?action=user.created&limit=2",
            &token,
            None,
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let body = first.json();
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);
    let before = body["next_before"].as_i64().expect("a next page");
    let second = app
        .api(
            Method::GET,
            &format!("/api/v1/admin/audit?action=user.created&limit=2&before={before}"),
            &token,
            None,
        )
        .await
        .json();
    let ids: Vec<i64> = second["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id < before));
    assert!(!ids.is_empty());
    let doc = app.get("/api/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/admin/audit"]["get"].is_object());
}

/// Deleting an account keeps what it did, under its name, and records the
/// deletion itself; the last admin and oneself cannot be deleted.
async fn entries_outlive_their_people(db: TestDb) {
    let app = TestApp::new(db).await;
    let admin = app.browser(Role::Admin).await;
    let other = app.browser(Role::Admin).await;
    app.post_as(
        &other,
        "/admin/settings",
        &[("title", "Renamed"), ("language", "en"), ("per_page", "10")],
    )
    .await;
    let ask = app
        .get_as(&admin, &format!("/admin/users/{}/delete", other.user.id))
        .await;
    assert_eq!(ask.status, StatusCode::OK);
    let r = app
        .post_as(
            &admin,
            &format!("/admin/users/{}/delete", other.user.id),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(
        dateline_db::accounts::user(&app.db.db, other.user.id)
            .await
            .unwrap()
            .is_none()
    );
    let theirs = audit::entries(
        &app.db.db,
        &Filter {
            actor: Some(other.user.id),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(theirs[0].action, "settings.changed");
    assert_eq!(theirs[0].actor_name, other.user.name, "the name as it was");
    let deleted = find(&all(&app).await, "user.deleted").clone();
    assert_eq!(deleted.object_id, Some(other.user.id.0));
    assert!(deleted.summary.contains(&other.user.email));
    // Not oneself; not the last admin.
    let r = app
        .post_as(
            &admin,
            &format!("/admin/users/{}/delete", admin.user.id),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let token = app.token(&admin.user).await;
    let editor = app.browser(Role::Editor).await;
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/admin/users/{}", editor.user.id),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

/// Subscribers imported, exported and erased, as the newsroom does it: the
/// log counts them, and never keeps an erased address.
async fn newsletter_actions_are_recorded(db: TestDb) {
    let app = TestApp::new(db).await;
    let editor = app.browser(Role::Editor).await;
    let csv = b"email,name\nsalma@readers.test,Salma\nkarim@readers.test,Karim\n";
    let r = app
        .post_multipart_as(
            &editor,
            "/admin/subscribers/import",
            &[],
            &[("file", "list.csv", "text/csv", &csv[..])],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let export = app.get_as(&editor, "/admin/subscribers.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    let salma = dateline_db::subscribers::by_email(&app.db.db, "salma@readers.test")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_as(
            &editor,
            &format!("/admin/subscribers/{}/erase", salma.id),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let entries = all(&app).await;
    assert!(
        find(&entries, "subscriber.imported")
            .summary
            .starts_with("2 of 2")
    );
    assert!(
        find(&entries, "subscriber.exported")
            .summary
            .starts_with("2 subscribers")
    );
    let erased = find(&entries, "subscriber.erased");
    assert_eq!(erased.object_id, Some(salma.id));
    assert_eq!(erased.actor_id, Some(editor.user.id));
    assert!(entries.iter().all(|e| !e.summary.contains("salma@")));
}

both_databases!(
    changes_are_recorded_with_who_and_what,
    admins_read_it_filtered_and_paged,
    entries_outlive_their_people,
    newsletter_actions_are_recorded,
);
