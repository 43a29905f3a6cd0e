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
    articles::save(
        db,
        SaveTarget::New,
        &draft,
        Utc::now(),
        &dateline_db::articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap()
    .id
}

/// `n` confirmed readers `PREFIX0@example.org`…, an article, and its send
/// to them, queued.
async fn readers_and_a_send(
    db: &Db,
    prefix: &str,
    n: usize,
    subject: &str,
) -> (dateline_core::ArticleId, sends::Send) {
    let rows: Vec<ImportRow> = (0..n)
        .map(|i| ImportRow {
            email: format!("{prefix}{i}@example.org"),
            name: format!("Reader {i}"),
            frequency: Frequency::Each,
            sections: vec![],
        })
        .collect();
    subscribers::import(db, &rows, Utc::now(), &dateline_core::audit::Who::cli(""))
        .await
        .unwrap();
    let id = article(db).await;
    let send = sends::send_article(
        db,
        id,
        subject,
        SendMode::First,
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    (id, send)
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
    let (id, send) = readers_and_a_send(&db, "reader", 60, "Flood warnings").await;
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
    // Deferred at least once (more if the machine was slow to stop the
    // deferrals before the one-second retry), then sent.
    assert_eq!(m7[0].status, "sent");
    assert!(m7[0].attempts >= 2, "{m7:?}");

    // The next send skips the bounced addresses before anything is queued.
    let again = sends::send_article(
        &db,
        id,
        "Flood warnings",
        SendMode::Again,
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
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

/// Postfix's smtp-sink, keeping each message in `dir`; stopped when dropped.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

impl SmtpSink {
    fn start(dir: &std::path::Path) -> Self {
        let bin = "/usr/sbin/smtp-sink";
        assert!(
            std::path::Path::new(bin).exists(),
            "{bin} is missing: run scripts/test, which installs Postfix's tools (apt-get install postfix)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = std::process::Command::new(bin);
        // As root, smtp-sink must be told whom to run as; that user writes the files.
        if is_root() {
            cmd.args(["-u", "nobody"]);
            std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
                .unwrap();
        }
        let template = format!("{}/%Y%m%d.", dir.display());
        let child = cmd
            .args(["-d", &template, &format!("127.0.0.1:{port}"), "64"])
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "smtp-sink did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn postfix_smtp_sink_receives_well_formed_mail(t: TestDb) {
    let db = t.db.clone();
    let rows: Vec<ImportRow> = ["ali@example.org", "noor@example.org"]
        .iter()
        .map(|e| ImportRow {
            email: (*e).into(),
            name: "Ali \"Abu\" Noor".into(),
            frequency: Frequency::Each,
            sections: vec![],
        })
        .collect();
    subscribers::import(&db, &rows, Utc::now(), &dateline_core::audit::Who::cli(""))
        .await
        .unwrap();
    let id = article(&db).await;
    let send = sends::send_article(
        &db,
        id,
        "Flood warnings — تحذيرات",
        SendMode::First,
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sink_dir = dir.path().join("sink");
    std::fs::create_dir_all(&sink_dir).unwrap();
    let sink = SmtpSink::start(&sink_dir);
    let worker = Worker::new(
        db.clone(),
        config(&format!("smtp://127.0.0.1:{}", sink.port), dir.path()),
    )
    .await
    .unwrap();
    worker.run_until_empty(CancellationToken::new()).await;
    let done = sends::get(&db, send.id).await.unwrap().unwrap();
    assert_eq!((done.status.as_str(), done.sent), ("done", 2));
    drop(sink);
    let files: Vec<_> = std::fs::read_dir(&sink_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let mut to = Vec::new();
    for f in files {
        let raw = std::fs::read(&f).unwrap();
        let m = mail_parser::MessageParser::default()
            .parse(&raw[..])
            .unwrap();
        to.push(
            m.to()
                .unwrap()
                .first()
                .unwrap()
                .address()
                .unwrap()
                .to_owned(),
        );
        assert_eq!(m.subject(), Some("Flood warnings — تحذيرات"));
        assert!(
            m.message_id()
                .unwrap()
                .starts_with(&format!("newsletter.{}.", send.id))
        );
        assert!(m.date().is_some());
        assert_eq!(
            m.from().unwrap().first().unwrap().address(),
            Some("desk@news.test")
        );
        assert!(
            m.header_raw("List-Unsubscribe")
                .unwrap()
                .contains("<http://news.test/newsletter/")
        );
        assert_eq!(
            m.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(
            m.body_text(0)
                .unwrap()
                .contains("The river rose two metres overnight.")
        );
        assert!(
            m.body_html(0)
                .unwrap()
                .contains("<p id=\"p1\">The river rose two metres overnight.</p>")
        );
    }
    to.sort();
    assert_eq!(to, ["ali@example.org", "noor@example.org"]);
}

async fn digests_go_out_once_with_what_each_reader_follows(t: TestDb) {
    use chrono::{Datelike, NaiveTime, TimeZone};
    let db = t.db.clone();
    // "Now" is yesterday at 08:00 UTC; the digest hour is 07:00, so the
    // daily digest covers the day before 07:00 yesterday.
    let yesterday = (Utc::now() - Duration::days(1)).date_naive();
    let now = Utc.from_utc_datetime(&yesterday.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap()));
    let mut settings = dateline_db::site::settings(&db).await.unwrap();
    settings.digest_hour = 7;
    settings.digest_weekday = now.weekday().number_from_monday() % 7 + 1; // not today: no weekly
    dateline_db::site::save_settings(
        &db,
        &settings,
        Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    for (headline, section) in [
        ("Wheat prices climb", "Economy"),
        ("Council elects a speaker", "Politics"),
    ] {
        let input = ArticleInput {
            headline: headline.into(),
            body: format!("{headline}, in brief."),
            section: Some(section.into()),
            status: Some("published".into()),
            published_at: Some(now - Duration::hours(3)),
            ..Default::default()
        };
        let draft = input.validate(&Language::english(), Utc::now()).unwrap();
        articles::save(
            &db,
            SaveTarget::New,
            &draft,
            Utc::now(),
            &dateline_db::articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
        )
        .await
        .unwrap();
    }
    let row = |email: &str, frequency, sections: &[&str]| ImportRow {
        email: email.into(),
        name: String::new(),
        frequency,
        sections: sections.iter().map(|s| (*s).to_owned()).collect(),
    };
    subscribers::import(
        &db,
        &[
            row("all@example.org", Frequency::Daily, &[]),
            row("economy@example.org", Frequency::Daily, &["economy"]),
            row("sport@example.org", Frequency::Daily, &["sport"]),
            row("weekly@example.org", Frequency::Weekly, &[]),
            row("each@example.org", Frequency::Each, &[]),
        ],
        Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();

    assert!(
        dateline_mail::schedule::tick(&db, now - Duration::hours(2))
            .await
            .unwrap()
            .is_empty(),
        "not before the hour"
    );
    let made = dateline_mail::schedule::tick(&db, now).await.unwrap();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(
        (
            made[0].kind.as_str(),
            made[0].queued,
            made[0].articles.len()
        ),
        ("digest", 3, 2)
    );
    assert!(
        dateline_mail::schedule::tick(&db, now + Duration::hours(5))
            .await
            .unwrap()
            .is_empty(),
        "once a day"
    );

    let smtp = TestSmtp::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    Worker::new(db.clone(), config(&smtp.url(), dir.path()))
        .await
        .unwrap()
        .run_until_empty(CancellationToken::new())
        .await;
    let mut got: Vec<(String, String)> = smtp
        .received()
        .iter()
        .map(|r| (r.to[0].clone(), r.text()))
        .collect();
    got.sort();
    assert_eq!(
        got.len(),
        2,
        "the sport reader has nothing in the digest: {:?}",
        got.iter().map(|g| &g.0).collect::<Vec<_>>()
    );
    assert_eq!(got[0].0, "all@example.org");
    assert!(
        got[0].1.contains("Wheat prices climb") && got[0].1.contains("Council elects a speaker")
    );
    assert!(
        got[0]
            .1
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    assert_eq!(got[1].0, "economy@example.org");
    assert!(got[1].1.contains("Wheat prices climb") && !got[1].1.contains("Council elects"));
    let done = sends::get(&db, made[0].id).await.unwrap().unwrap();
    assert_eq!(
        (done.status.as_str(), done.sent, done.skipped),
        ("done", 2, 1)
    );
}

async fn a_stopping_worker_puts_back_what_it_did_not_start(t: TestDb) {
    let db = t.db.clone();
    let (_, _) = readers_and_a_send(&db, "slow", 40, "Slowly").await;
    let smtp = TestSmtp::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Five a second: most of the batch it takes is still waiting at the stop.
    let worker = Worker::new(
        db.clone(),
        MailConfig {
            rate: Some(5.0),
            ..config(&smtp.url(), dir.path())
        },
    )
    .await
    .unwrap();
    let stop = CancellationToken::new();
    let running = {
        let stop = stop.clone();
        tokio::spawn(async move { worker.run(stop).await })
    };
    // Stop once a few have gone out (however slow the machine is today).
    smtp.wait_for(3, std::time::Duration::from_secs(30)).await;
    stop.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(10), running)
        .await
        .expect("stops promptly")
        .unwrap();
    let c = mail::counts(&db).await.unwrap();
    assert_eq!(c.sending, 0, "nothing left held: {c:?}");
    assert_eq!(c.sent as usize, smtp.count());
    assert!(c.queued > 0 && c.sent > 0, "{c:?}");
    assert_eq!(c.queued + c.sent, 40);
}

async fn two_workers_never_send_the_same_message(t: TestDb) {
    let db = t.db.clone();
    let (_, send) = readers_and_a_send(&db, "pair", 400, "Twice?").await;
    let smtp = TestSmtp::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Two processes' worth of workers on one database, as `serve` and
    // `mail work` side by side would be.
    let a = Worker::new(db.clone(), config(&smtp.url(), dir.path()))
        .await
        .unwrap();
    let b = Worker::new(db.clone(), config(&smtp.url(), dir.path()))
        .await
        .unwrap();
    tokio::join!(
        a.run_until_empty(CancellationToken::new()),
        b.run_until_empty(CancellationToken::new())
    );
    let mut copies: HashMap<String, usize> = HashMap::new();
    for r in smtp.received() {
        *copies.entry(r.to[0].clone()).or_default() += 1;
    }
    assert_eq!(copies.len(), 400);
    assert!(copies.values().all(|n| *n == 1), "someone got it twice");
    let done = sends::get(&db, send.id).await.unwrap().unwrap();
    assert_eq!((done.status.as_str(), done.sent), ("done", 400));
}

both_databases!(
    two_workers_never_send_the_same_message,
    a_stopping_worker_puts_back_what_it_did_not_start,
    digests_go_out_once_with_what_each_reader_follows,
    refused_recipients_and_dropped_connections,
    a_permanent_refusal_of_the_message_fails_it,
    postfix_smtp_sink_receives_well_formed_mail,
);
