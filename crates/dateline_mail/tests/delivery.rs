//! Delivery against an SMTP server that misbehaves: recipients refused for
//! good and for now, connections dropped in the middle of a message. On
//! SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

use chrono::{Duration, Utc};
use dateline_core::Language;
use dateline_core::article::ArticleInput;
use dateline_core::newsletter::Frequency;
use dateline_db::articles::{self, SaveTarget};
use dateline_db::both_databases;
use dateline_db::sends::{self, SendMode};
use dateline_db::subscribers::{self, ImportRow};
use dateline_db::testing::TestDb;
use dateline_db::{Db, mail};
use dateline_mail::test_smtp::TestSmtp;
use dateline_mail::{MailConfig, Worker};
use std::collections::HashMap;
use tokio_util::sync::CancellationToken;

async fn article(db: &Db) -> dateline_core::ArticleId {
    let input = ArticleInput {
        headline: "Flood warnings along the Tigris".into(),
        body: "The river rose two metres overnight.\n\nFarmers moved their herds.".into(),
        status: Some("published".into()),
        published_at: Some(Utc::now() - Duration::hours(1)),
        ..Default::default()
    };
    let draft = input.validate(&Language::english(), Utc::now()).unwrap();
    articles::save(db, SaveTarget::New, &draft, Utc::now(), None)
        .await
        .unwrap()
        .id
}

fn config(url: &str, dir: &std::path::Path) -> MailConfig {
    MailConfig {
        smtp_url: Some(url.to_owned()),
        outbox_dir: dir.join("outbox"),
        from: "The Desk <desk@news.test>".into(),
        base_url: url::Url::parse("http://news.test").unwrap(),
        concurrency: 4,
        rate: None,
        lease: Duration::minutes(5),
        retry_after: Duration::seconds(1),
    }
}

async fn refused_recipients_and_dropped_connections(t: TestDb) {
    let db = t.db.clone();
    let rows: Vec<ImportRow> = (0..60)
        .map(|i| ImportRow {
            email: format!("reader{i}@example.org"),
            name: format!("Reader {i}"),
            frequency: Frequency::Each,
            sections: vec![],
        })
        .collect();
    subscribers::import(&db, &rows, Utc::now()).await.unwrap();
    let id = article(&db).await;
    let send = sends::send_article(&db, id, "Flood warnings", SendMode::First, None, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(send.queued, 60);

    let smtp = TestSmtp::start().await.unwrap();
    smtp.refuse(&[
        "reader3@example.org",
        "reader14@example.org",
        "reader40@example.org",
    ]);
    smtp.defer(&["reader7@example.org"]);
    smtp.drop_at(10);
    smtp.drop_at(31);
    let dir = tempfile::tempdir().unwrap();
    let worker = Worker::new(db.clone(), config(&smtp.url(), dir.path()))
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let running = {
        let stop = stop.clone();
        tokio::spawn(async move { worker.run(stop).await })
    };
    // The deferred reader is tried, and told to come back.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let m = mail::messages_to(&db, "reader7@example.org").await.unwrap();
        if m[0].attempts >= 1
            && m[0]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("451"))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "reader7 was never deferred: {m:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    smtp.stop_deferring();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let done = loop {
        let s = sends::get(&db, send.id).await.unwrap().unwrap();
        if s.status == "done" {
            break s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the send did not finish: {s:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    stop.cancel();
    running.await.unwrap();

    assert_eq!(
        (done.sent, done.bounced, done.failed, done.skipped),
        (57, 3, 0, 0),
        "{done:?}"
    );
    assert_eq!(smtp.dropped(), 2);
    assert!(smtp.sessions() > 1, "a dropped connection is replaced");
    let mut copies: HashMap<String, usize> = HashMap::new();
    for r in smtp.received() {
        assert_eq!(r.to.len(), 1);
        *copies.entry(r.to[0].clone()).or_default() += 1;
        let id = r.header("Message-ID").unwrap();
        assert!(id.starts_with(&format!("<newsletter.{}.", send.id)), "{id}");
    }
    assert_eq!(copies.len(), 57, "everyone not refused, and only them");
    assert!(
        copies.values().all(|n| *n == 1),
        "nobody twice: a dropped message was not accepted"
    );
    for refused in [
        "reader3@example.org",
        "reader14@example.org",
        "reader40@example.org",
    ] {
        assert!(!copies.contains_key(refused));
        let m = mail::messages_to(&db, refused).await.unwrap();
        assert_eq!(m[0].status, "bounced");
        assert!(
            m[0].last_error.as_deref().unwrap().contains("550"),
            "the server's answer is kept: {m:?}"
        );
        assert_eq!(
            mail::suppression(&db, refused).await.unwrap().as_deref(),
            Some("hard_bounce")
        );
    }
    assert!(
        copies.contains_key("reader7@example.org"),
        "the deferred reader got it on a retry"
    );
    let m7 = mail::messages_to(&db, "reader7@example.org").await.unwrap();
    assert_eq!((m7[0].status.as_str(), m7[0].attempts), ("sent", 2));

    // The next send skips the bounced addresses before anything is queued.
    let again = sends::send_article(&db, id, "Flood warnings", SendMode::Again, None, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.queued, 0,
        "everyone had it, and the bounced are suppressed"
    );
}

async fn a_permanent_refusal_of_the_message_fails_it(t: TestDb) {
    let db = t.db.clone();
    // A message with no valid recipient: the server answers 554 to DATA;
    // lettre reports it permanent, and it is recorded as failed, once.
    let id = mail::enqueue(
        &db,
        &mail::NewMail {
            kind: "password_reset".into(),
            to: "gone@example.org".into(),
            to_name: String::new(),
            subject: "Reset".into(),
            text: "x".into(),
            html: "<p>x</p>".into(),
            subscriber_id: None,
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let smtp = TestSmtp::start().await.unwrap();
    smtp.refuse(&["gone@example.org"]);
    let dir = tempfile::tempdir().unwrap();
    let worker = Worker::new(db.clone(), config(&smtp.url(), dir.path()))
        .await
        .unwrap();
    worker.run_until_empty(CancellationToken::new()).await;
    let m = mail::messages_to(&db, "gone@example.org").await.unwrap();
    assert_eq!(m[0].id, id);
    assert_eq!(m[0].status, "bounced");
    assert_eq!(m[0].attempts, 1);
    assert_eq!(smtp.count(), 0);
}

both_databases!(
    refused_recipients_and_dropped_connections,
    a_permanent_refusal_of_the_message_fails_it
);
