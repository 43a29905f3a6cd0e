//! Every role against every newsroom action, through the pages and the API.

use crate::support::{Browser, TestApp, png};
use axum::http::{Method, StatusCode};
use dateline_core::Role;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;
use serde_json::json;

/// What a form post answers: allowed (a redirect or a page) or refused.
fn allowed(status: StatusCode) -> bool {
    status.is_success() || status.is_redirection()
}

/// Creates an article through the editor as `b`; returns its id when allowed.
async fn create(
    app: &TestApp,
    b: &Browser,
    headline: &str,
    action: &str,
) -> (StatusCode, Option<i64>) {
    let r = app
        .post_multipart_as(
            b,
            "/admin/articles/new",
            &[
                ("headline", headline),
                ("body", "Text."),
                ("action", action),
            ],
            &[],
        )
        .await;
    let id = r
        .header("location")
        .strip_prefix("/admin/articles/")
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok());
    (r.status, id)
}

async fn edit(app: &TestApp, b: &Browser, id: i64, action: &str) -> StatusCode {
    let headline = format!("Changed headline {id}");
    let r = app
        .post_multipart_as(
            b,
            &format!("/admin/articles/{id}"),
            &[
                ("headline", &headline),
                ("body", "New text."),
                ("action", action),
            ],
            &[],
        )
        .await;
    if r.status.is_client_error() && r.status != StatusCode::FORBIDDEN {
        panic!("{} answered {}: {}", b.user.role, r.status, r.text());
    }
    r.status
}

async fn every_role_is_held_to_its_permissions(db: TestDb) {
    let app = TestApp::new(db).await;
    let owner = app.browser(Role::Admin).await;
    let png = png(64, 48);

    // (role, may publish, may touch others' articles, taxonomy, admin-only)
    let expectations = [
        (Role::Contributor, false, false, false, false),
        (Role::Author, true, false, false, false),
        (Role::Editor, true, true, true, false),
        (Role::Admin, true, true, true, true),
    ];
    for (role, publish, others, taxonomy, admin_only) in expectations {
        let who = format!("{role}");
        let b = app.browser(role).await;

        // Their own work.
        let (status, draft) = create(&app, &b, &format!("{who} draft"), "save").await;
        assert!(allowed(status), "{who} creates a draft: {status}");
        let draft = draft.unwrap();
        assert!(
            allowed(edit(&app, &b, draft, "save").await),
            "{who} edits their own draft"
        );
        let (status, _) = create(&app, &b, &format!("{who} story"), "publish").await;
        assert_eq!(
            allowed(status),
            publish,
            "{who} publishes a new article: {status}"
        );
        assert_eq!(
            allowed(edit(&app, &b, draft, "publish").await),
            publish,
            "{who} publishes their draft"
        );
        if publish {
            assert!(
                allowed(edit(&app, &b, draft, "unpublish").await),
                "{who} unpublishes their own"
            );
            assert!(
                allowed(edit(&app, &b, draft, "archive").await),
                "{who} archives their own"
            );
        } else {
            // Once published by someone else, it is no longer a contributor's to change.
            assert!(allowed(edit(&app, &owner, draft, "publish").await));
            assert_eq!(
                edit(&app, &b, draft, "save").await,
                StatusCode::FORBIDDEN,
                "{who} edits a published article"
            );
        }

        // Someone else's.
        let (_, theirs) = create(&app, &owner, &format!("Owner's draft for {who}"), "save").await;
        let theirs = theirs.unwrap();
        let open = app
            .get_as(&b, &format!("/admin/articles/{theirs}"))
            .await
            .status;
        assert_eq!(
            open == StatusCode::OK,
            others,
            "{who} opens another's draft: {open}"
        );
        assert_eq!(
            allowed(edit(&app, &b, theirs, "save").await),
            others,
            "{who} edits another's draft"
        );
        assert_eq!(
            allowed(edit(&app, &b, theirs, "publish").await),
            others,
            "{who} publishes another's"
        );
        let delete = app
            .post_as(&b, &format!("/admin/articles/{theirs}/delete"), &[])
            .await
            .status;
        assert_eq!(allowed(delete), others, "{who} deletes another's: {delete}");

        // The list shows what the role may see.
        let list = app.get_as(&b, "/admin/articles").await;
        assert_eq!(list.status, StatusCode::OK);
        let owners_drafts =
            list.text().contains("Owner&#39;s draft") || list.text().contains("Owner's draft");
        assert_eq!(
            owners_drafts, others,
            "{who} sees others' drafts in the list"
        );

        // Images: everyone.
        let upload = app
            .post_multipart_as(
                &b,
                "/admin/media",
                &[],
                &[("file", "a.png", "image/png", &png)],
            )
            .await;
        assert!(allowed(upload.status), "{who} uploads: {}", upload.status);

        // Sections, tags and authors.
        assert_eq!(
            app.get_as(&b, "/admin/taxonomy").await.status == StatusCode::OK,
            taxonomy,
            "{who} opens taxonomy"
        );
        let s = app
            .post_as(&b, "/admin/sections", &[("name", &format!("Desk {who}"))])
            .await
            .status;
        assert_eq!(allowed(s), taxonomy, "{who} creates a section: {s}");
        assert_eq!(
            app.get_as(&b, "/admin/authors").await.status == StatusCode::OK,
            taxonomy
        );

        // Admin only: settings, users, tokens.
        for page in ["/admin/settings", "/admin/users", "/admin/tokens"] {
            let s = app.get_as(&b, page).await.status;
            assert_eq!(s == StatusCode::OK, admin_only, "{who} opens {page}: {s}");
        }
        let s = app
            .post_as(
                &b,
                "/admin/settings",
                &[
                    ("title", "Renamed"),
                    ("language", "en"),
                    ("per_page", "20"),
                    ("navigation", ""),
                ],
            )
            .await
            .status;
        assert_eq!(allowed(s), admin_only, "{who} saves settings: {s}");
        let s = app
            .post_as(
                &b,
                "/admin/users",
                &[
                    ("name", &format!("Invitee {who}")),
                    ("email", &format!("invitee.{who}@newsroom.test")),
                    ("role", "author"),
                ],
            )
            .await
            .status;
        assert_eq!(allowed(s), admin_only, "{who} invites a user: {s}");
        let s = app
            .post_as(
                &b,
                "/admin/tokens",
                &[("name", "script"), ("user", &b.user.id.to_string())],
            )
            .await
            .status;
        assert_eq!(allowed(s), admin_only, "{who} creates a token: {s}");

        // Everyone has an account page.
        assert_eq!(
            app.get_as(&b, "/admin/account").await.status,
            StatusCode::OK
        );

        // The admin API applies the same rules.
        let token = app.token(&b.user).await;
        let r = app.api(Method::POST, "/api/v1/admin/articles", &token, Some(json!({"headline": format!("{who} via API"), "body": "x", "status": "published"}))).await;
        assert_eq!(
            allowed(r.status),
            publish,
            "{who} publishes via the API: {}",
            r.status
        );
        let r = app
            .api(
                Method::POST,
                "/api/v1/admin/articles",
                &token,
                Some(json!({"headline": format!("{who} API draft"), "body": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{who} drafts via the API");
        let (_, theirs_too) = create(
            &app,
            &owner,
            &format!("Owner's second draft for {who}"),
            "save",
        )
        .await;
        let r = app
            .api(
                Method::PUT,
                &format!("/api/v1/admin/articles/{}", theirs_too.unwrap()),
                &token,
                Some(json!({"headline": format!("API edit by {who}"), "body": "y"})),
            )
            .await;
        assert_eq!(
            allowed(r.status),
            others,
            "{who} changes another's via the API: {}",
            r.status
        );
        assert_eq!(
            app.api(Method::GET, "/api/v1/admin/sections", &token, None)
                .await
                .status
                == StatusCode::OK,
            taxonomy
        );
        assert_eq!(
            app.api(Method::GET, "/api/v1/admin/settings", &token, None)
                .await
                .status
                == StatusCode::OK,
            admin_only
        );
        assert_eq!(
            app.api(Method::GET, "/api/v1/admin/users", &token, None)
                .await
                .status
                == StatusCode::OK,
            admin_only
        );
        assert_eq!(
            app.api(Method::GET, "/api/v1/admin/tokens", &token, None)
                .await
                .status
                == StatusCode::OK,
            admin_only
        );
        let refused = app
            .api(Method::GET, "/api/v1/admin/users", &token, None)
            .await;
        if !admin_only {
            assert_eq!(refused.status, StatusCode::FORBIDDEN);
            assert!(
                refused.json()["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("Only an admin")
            );
        }
    }
}

async fn refusals_change_nothing(db: TestDb) {
    let app = TestApp::new(db).await;
    let owner = app.browser(Role::Editor).await;
    let contributor = app.browser(Role::Contributor).await;
    let (_, id) = create(&app, &owner, "Untouchable", "save").await;
    let id = id.unwrap();
    assert_eq!(
        edit(&app, &contributor, id, "publish").await,
        StatusCode::FORBIDDEN
    );
    let v = dateline_db::articles::find(&app.db.db, dateline_core::ArticleId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.summary.headline, "Untouchable");
    assert_eq!(v.summary.revision, 1);
    assert_eq!(app.get("/untouchable").await.status, StatusCode::NOT_FOUND);
    let page = app
        .post_multipart_as(
            &contributor,
            &format!("/admin/articles/{id}"),
            &[("headline", "x"), ("body", "y")],
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.text().contains("cannot"),
        "the refusal says why: {}",
        page.text()
    );
}

both_databases!(
    every_role_is_held_to_its_permissions,
    refusals_change_nothing
);
