//! The rules a comment goes through hold for every way around them: an
//! edit is checked like a new comment (and held, off the page, when the
//! rules say so, without telling followers again); typing an address that
//! commented before does not skip moderation; one form token sends a few
//! comments at most, even when they are sent at once. On SQLite and
//! PostgreSQL.

use crate::reader::{Reader, get, post, post_json};
use crate::support::TestApp;
use axum::http::StatusCode;
use chrono::Utc;
use dateline_core::comment::CommentStatus;
use dateline_db::both_databases;
use dateline_db::comments::{self, BanKind, Moderation};
use dateline_db::follows::{self, FollowKind, FollowRequest};
use dateline_db::testing::TestDb;
use dateline_mail::test_smtp::TestSmtp;

const SLUG: &str = "curfew-lifted-in-kirkuk";

async fn site(db: TestDb, hold_first: bool) -> TestApp {
    let app = TestApp::new(db).await;
    app.add("Curfew lifted in Kirkuk", |_| {}).await;
    app.relaxed_comments(|s| {
        s.hold_first = hold_first;
        s.blocked_words = vec!["casino".into()];
        s.max_links = 2;
    })
    .await;
    app
}

/// Posts a comment as `reader` and returns the answer's JSON.
async fn comment(app: &TestApp, reader: &mut Reader, email: &str, body: &str) -> serde_json::Value {
    let token = app.comment_token().await;
    let r = post_json(
        app,
        reader,
        &format!("/{SLUG}/comments"),
        &[
            ("body", body),
            ("name", "Zainab"),
            ("email", email),
            ("token", &token),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

async fn approve(app: &TestApp, id: i64) {
    comments::moderate(
        &app.db.db,
        &[id],
        &Moderation::Status(CommentStatus::Approved),
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap();
    app.refresh().await;
}

async fn an_edit_goes_through_the_rules_of_a_new_comment(db: TestDb) {
    let app = site(db, false).await;
    let smtp = TestSmtp::start().await.unwrap();
    let article = comments::target_by_slug(&app.db.db, SLUG)
        .await
        .unwrap()
        .unwrap();
    follows::follow(
        &app.db.db,
        &FollowRequest {
            email: "watcher@readers.test",
            article: dateline_core::ArticleId(article.id),
            kind: FollowKind::All,
            comment_id: None,
            proven: true,
        },
        Utc::now(),
        |_| None,
    )
    .await
    .unwrap();
    let mut writer = Reader::new("198.51.100.60");
    let posted = comment(
        &app,
        &mut writer,
        "zainab@readers.test",
        "Shops open again.",
    )
    .await;
    assert_eq!(posted["status"], "approved");
    let id = posted["id"].as_i64().unwrap();
    app.deliver_to(Some(&smtp.url())).await;
    assert_eq!(smtp.count(), 1, "the follower is told once");

    // Twelve links in an approved comment's edit: held, and off the page.
    let links: String = (0..12)
        .map(|n| format!("https://spam{n}.example "))
        .collect();
    let r = post(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", &links)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = get(&app, &Reader::new("203.0.113.9"), &format!("/{SLUG}")).await;
    assert_eq!(page.select(".comment-count"), ["0 Comments"]);
    assert!(
        !page.text().contains("spam0.example"),
        "held text is not shown"
    );
    let feed = app.get(&format!("/{SLUG}/comments.atom")).await.text();
    assert!(!feed.contains("spam0.example"));
    let api = app
        .get(&format!("/api/v1/articles/{}/comments", article.id))
        .await
        .json();
    assert_eq!(api["count"], 0);
    let yours = get(&app, &writer, &format!("/comments/{id}/yours")).await;
    assert!(
        yours.text().contains("awaiting moderation"),
        "{}",
        yours.text()
    );
    let row = comments::get(&app.db.db, id).await.unwrap().unwrap();
    assert_eq!(row.status, "pending");
    assert_eq!(row.held_because, "edited after approval: 12 links");

    // Approved again by a moderator: shown, and nobody is told again.
    approve(&app, id).await;
    let page = get(&app, &Reader::new("203.0.113.9"), &format!("/{SLUG}")).await;
    assert_eq!(page.select(".comment-count"), ["1 Comment"]);
    app.deliver_to(Some(&smtp.url())).await;
    assert_eq!(smtp.count(), 1, "an edit notifies nobody");

    // Blocked words hold an edit too, and the JSON answer says so.
    let r = post_json(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", "Best casino in town")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "pending");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("awaiting moderation")
    );
    approve(&app, id).await;

    // A plain edit stays published.
    let r = post(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", "Shops and schools open again.")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        comments::get(&app.db.db, id).await.unwrap().unwrap().status,
        "approved"
    );

    // Too long, or with a control character: the form again, kept.
    let long = "a".repeat(5001);
    let r = post(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", &long)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("5001"));
    let r = post(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", "Bell\u{7}")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("U+0007"), "{}", r.text());
    assert_eq!(r.select("#comment-body"), ["Bell\u{7}"]);

    // Banned since posting: no more edits.
    comments::ban(
        &app.db.db,
        BanKind::Email,
        "zainab@readers.test",
        "zainab@readers.test",
        "test",
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap();
    let r = post(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", "Changed my mind.")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        comments::get(&app.db.db, id)
            .await
            .unwrap()
            .unwrap()
            .body_markdown,
        "Shops and schools open again."
    );
}

async fn a_known_address_is_trusted_only_from_its_writers_browser(db: TestDb) {
    let app = site(db, true).await;
    let mut zainab = Reader::new("198.51.100.61");
    let first = comment(&app, &mut zainab, "zainab@readers.test", "First time here.").await;
    assert_eq!(first["status"], "pending");
    approve(&app, first["id"].as_i64().unwrap()).await;

    // Someone else types her address: held, like any first comment.
    let mut impostor = Reader::new("203.0.113.66");
    let r = comment(&app, &mut impostor, "zainab@readers.test", "Buy my course.").await;
    assert_eq!(r["status"], "pending", "an address alone proves nothing");
    let r = comment(
        &app,
        &mut Reader::new("203.0.113.67"),
        "zainab@readers.test",
        "Again.",
    )
    .await;
    assert_eq!(r["status"], "pending");

    // Her own browser goes straight through.
    let r = comment(&app, &mut zainab, "zainab@readers.test", "Second time.").await;
    assert_eq!(r["status"], "approved");

    // On a new device, once she confirmed a link mailed to her there.
    let mut phone = Reader::new("198.51.100.62");
    let r = comment(&app, &mut phone, "zainab@readers.test", "From my phone.").await;
    assert_eq!(r["status"], "pending");
    let asked = post(
        &app,
        &mut phone,
        &format!("/{SLUG}/comments/follow"),
        &[("email", "zainab@readers.test"), ("kind", "all")],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text());
    let mails = app.outbox().await;
    let link = mails
        .iter()
        .find_map(|m| {
            m.split_whitespace()
                .find(|w| w.starts_with("http://news.test/comments/follow/confirm/"))
        })
        .expect("a confirmation link")
        .trim_start_matches("http://news.test")
        .to_owned();
    let done = post(&app, &mut phone, &link, &[]).await;
    assert_eq!(done.status, StatusCode::OK);
    let r = comment(&app, &mut phone, "zainab@readers.test", "Phone again.").await;
    assert_eq!(r["status"], "approved");
}

async fn a_form_token_sends_a_few_comments_at_most(db: TestDb) {
    let app = std::sync::Arc::new(site(db, false).await);
    let token = app.comment_token().await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let app = app.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut reader = Reader::new(&format!("10.9.{i}.1"));
            post_json(
                &app,
                &mut reader,
                &format!("/{SLUG}/comments"),
                &[
                    ("body", &format!("Sent at once, {i}.")),
                    ("name", "Robot"),
                    ("email", &format!("robot{i}@spam.test")),
                    ("token", &token),
                ],
            )
            .await
        }));
    }
    let mut created = 0;
    let mut refused = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => refused.push(r.json()),
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(created, 3, "one token, three comments at most");
    assert_eq!(refused.len(), 9);
    assert!(
        refused[0]["error"]
            .as_str()
            .unwrap()
            .contains("already sent several comments"),
        "{}",
        refused[0]
    );
    // The refusal hands out a fresh token, which works.
    let fresh = refused[0]["token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, token);
    let mut reader = Reader::new("10.9.99.1");
    let r = post_json(
        &app,
        &mut reader,
        &format!("/{SLUG}/comments"),
        &[
            ("body", "Sent again."),
            ("name", "Person"),
            ("email", "person@readers.test"),
            ("token", &fresh),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Tokens the page's script fetches are each their own.
    assert_ne!(app.comment_token().await, app.comment_token().await);
}

async fn comments_sent_at_once_stay_within_the_hourly_limit(db: TestDb) {
    let app = std::sync::Arc::new(site(db, false).await);
    let mut tokens = Vec::new();
    for _ in 0..40 {
        tokens.push(app.comment_token().await);
    }
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            // One client, a new address and form each time.
            let mut reader = Reader::new("192.0.2.77");
            post_json(
                &app,
                &mut reader,
                &format!("/{SLUG}/comments"),
                &[
                    ("body", &format!("All at once, {i}.")),
                    ("name", "Flood"),
                    ("email", &format!("flood{i}@spam.test")),
                    ("token", &token),
                ],
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((created, limited), (30, 10), "30 an hour from one client");
    let article = comments::target_by_slug(&app.db.db, SLUG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(article.comment_count, 30);
}

both_databases!(
    comments_sent_at_once_stay_within_the_hourly_limit,
    an_edit_goes_through_the_rules_of_a_new_comment,
    a_known_address_is_trusted_only_from_its_writers_browser,
    a_form_token_sends_a_few_comments_at_most,
);
