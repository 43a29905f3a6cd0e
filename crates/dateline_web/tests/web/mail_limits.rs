//! One limit on requests that make Dateline mail an address a reader typed
//! — a commenter's data link, a comment's "Email me replies", "Notify of",
//! a newsletter sign-up — counted before anything is queued, so it holds
//! when the requests arrive all at once. On SQLite and PostgreSQL.

use crate::support::{Resp, TestApp};
use axum::http::StatusCode;
use chrono::Utc;
use dateline_core::comment::CommentStatus;
use dateline_db::both_databases;
use dateline_db::comments::{self, NewComment};
use dateline_db::testing::TestDb;
use std::sync::Arc;

const SLUG: &str = "schools-reopen-in-raqqa";

/// What one request asks for.
#[derive(Clone, Copy)]
enum Ask {
    DataLink,
    CommentWithReplies,
    Follow,
    SignUp,
}

async fn ask(app: &TestApp, what: Ask, n: usize) -> Resp {
    let email = format!("reader{n}@readers.test");
    match what {
        Ask::DataLink => {
            app.post_form("/comments/my-data", &[("email", &email)], &[])
                .await
        }
        Ask::CommentWithReplies => {
            let token = app.comment_token().await;
            app.post_form(
                &format!("/{SLUG}/comments"),
                &[
                    ("body", &format!("Comment {n}; tell me of replies.")),
                    ("name", &format!("Reader {n}")),
                    ("email", &email),
                    ("token", &token),
                    ("notify", "1"),
                ],
                &[("accept", "application/json")],
            )
            .await
        }
        Ask::Follow => {
            app.post_form(
                &format!("/{SLUG}/comments/follow"),
                &[("email", &email), ("kind", "all")],
                &[],
            )
            .await
        }
        Ask::SignUp => app.post_form("/subscribe", &[("email", &email)], &[]).await,
    }
}

async fn every_request_that_mails_an_address_counts_even_at_once(db: TestDb) {
    let app = Arc::new(TestApp::new(db).await);
    let article = app.add("Schools reopen in Raqqa", |_| {}).await;
    app.relaxed_comments(|_| {}).await;
    // Addresses that commented, so that each data link request has
    // something to mail.
    for n in 0..12 {
        comments::create(
            &app.db.db,
            &NewComment {
                article_id: article,
                parent_id: None,
                status: CommentStatus::Approved,
                held_because: String::new(),
                author_name: format!("Reader {n}"),
                author_email: format!("reader{n}@readers.test"),
                author_url: String::new(),
                user_id: None,
                body_markdown: "Earlier.".into(),
                body_html: "<p>Earlier.</p>".into(),
                ip_hash: String::new(),
                ip_prefix: String::new(),
                user_agent: String::new(),
                owner_hash: String::new(),
                anchor: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    }
    // 30 requests from one client, each for a different address: data
    // links, comments asking for replies, follows and sign-ups, at once.
    let plan: Vec<(Ask, usize)> = (0..12)
        .map(|n| (Ask::DataLink, n))
        .chain((12..24).map(|n| (Ask::CommentWithReplies, n)))
        .chain((24..27).map(|n| (Ask::Follow, n)))
        .chain((27..30).map(|n| (Ask::SignUp, n)))
        .collect();
    let mut tasks = Vec::new();
    for (what, n) in plan {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { ask(&app, what, n).await }));
    }
    let mut answered = 0;
    let mut limited = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::OK | StatusCode::CREATED => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert!(!r.header("retry-after").is_empty());
                assert!(
                    r.text().contains("many times in the last hour"),
                    "{}",
                    r.text()
                );
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(
        (answered, limited),
        (20, 10),
        "20 an hour, however they come"
    );
    let mails = app.outbox().await;
    assert_eq!(mails.len(), 20, "nothing is mailed past the limit");
    // A comment refused for asking for replies says how to post it anyway.
    let r = ask(&app, Ask::CommentWithReplies, 40).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.json()["error"].as_str().unwrap().contains("untick"),
        "{}",
        r.text()
    );
}

both_databases!(every_request_that_mails_an_address_counts_even_at_once);
