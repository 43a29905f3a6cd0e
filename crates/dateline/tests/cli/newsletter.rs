//! Newsletters from the command line: importing subscribers (with bad
//! rows), exporting and erasing them, and a send of 20,000 whose sender is
//! killed with SIGKILL halfway and finished by another process, with nobody
//! missed and at most the concurrency sent twice. SQLite and PostgreSQL.

use crate::support::{Server, bin, fixtures, run, stderr, stdout};
use dateline_db::Backend;
use dateline_db::testing::TestDb;
use dateline_mail::test_smtp::TestSmtp;
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The storage flags for a test database in `dir`.
fn storage(backend: Backend, db: &TestDb, dir: &std::path::Path) -> Vec<String> {
    let mut args = vec!["--data-dir".to_owned(), dir.to_str().unwrap().to_owned()];
    if backend == Backend::Postgres {
        args.extend(["--database".to_owned(), db.child_url()]);
    }
    args
}

fn dateline(args: &[&str], storage: &[String]) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(storage.iter().map(String::as_str));
    run(&all)
}

async fn import_export_and_erase(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let st = storage(backend, &db, dir.path());
    let csv = dir.path().join("subscribers.csv");
    std::fs::write(
        &csv,
        "email,name,frequency,sections\n\
         layla@example.org,Layla Hassan,each,\n\
         OMAR@Example.org , Omar Aziz ,weekly,economy politics\n\
         not-an-address,Nobody,each,\n\
         sara@example.org,Sara,hourly,\n\
         layla@example.org,Layla again,each,\n\
         \"rana@example.org\",\"Haddad, Rana\",daily,economy\n\
         ,,,\n\
         karim@example.org\n",
    )
    .unwrap();
    let o = dateline(&["subscribers", "import", csv.to_str().unwrap()], &st);
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "rejected rows make the exit code 2:\n{out}{}",
        stderr(&o)
    );
    assert!(out.contains("Read 8 rows"), "{out}");
    assert!(out.contains("4 subscribers added"), "{out}");
    assert!(out.contains("4 rejected"), "{out}");
    assert!(
        out.contains("line 4: \"not-an-address\" is not an email address"),
        "{out}"
    );
    assert!(
        out.contains("line 5: frequency \"hourly\" is not one of each, daily, weekly"),
        "{out}"
    );
    assert!(
        out.contains("line 6: layla@example.org appears earlier in the file"),
        "{out}"
    );
    assert!(out.contains("line 8:"), "{out}");

    // Importing again adds nobody twice.
    let o = dateline(&["subscribers", "import", csv.to_str().unwrap()], &st);
    assert!(
        stdout(&o).contains("0 subscribers added, 4 already here"),
        "{}",
        stdout(&o)
    );

    let o = dateline(&["subscribers", "export"], &st);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4, "{text}");
    let omar = rows
        .iter()
        .find(|r| &r[0] == "omar@example.org")
        .expect("omar, lower-cased");
    assert_eq!(
        (&omar[1], &omar[2], &omar[3], &omar[4]),
        ("Omar Aziz", "weekly", "economy politics", "confirmed")
    );
    assert!(rows.iter().any(|r| &r[1] == "Haddad, Rana"));

    let o = dateline(&["subscribers", "erase", "Omar@example.org"], &st);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&dateline(&["subscribers", "export"], &st));
    assert!(!text.contains("omar@example.org"));

    // A file without an email column says what it needs.
    std::fs::write(&csv, "address,name\nx@example.org,X\n").unwrap();
    let o = dateline(&["subscribers", "import", csv.to_str().unwrap()], &st);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("there is no \"email\" column"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_import_export_and_erase() {
    import_export_and_erase(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_import_export_and_erase() {
    import_export_and_erase(Backend::Postgres).await;
}

const SUBSCRIBERS: usize = 20_000;
const CONCURRENCY: usize = 8;

async fn a_killed_sender_loses_nobody(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let st = storage(backend, &db, dir.path());
    let csv = dir.path().join("many.csv");
    let mut f = std::fs::File::create(&csv).unwrap();
    writeln!(f, "email,name").unwrap();
    for i in 0..SUBSCRIBERS {
        writeln!(f, "reader{i}@example.org,Reader {i}").unwrap();
    }
    drop(f);
    let o = dateline(&["subscribers", "import", csv.to_str().unwrap()], &st);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let article = fixtures().join("01-port-strike.md");
    let o = dateline(&["article", "add", article.to_str().unwrap()], &st);
    assert!(o.status.success(), "{}", stderr(&o));

    let smtp = TestSmtp::start().await.unwrap();
    let url = smtp.url();
    let concurrency = CONCURRENCY.to_string();
    let mail_flags = [
        "--smtp",
        url.as_str(),
        "--smtp-concurrency",
        concurrency.as_str(),
        "--mail-lease-secs",
        "3",
        "--base-url",
        "http://news.test",
    ];

    // The sender, killed without warning once a good part has gone out.
    let log = std::fs::File::create(dir.path().join("send.log")).unwrap();
    let mut child = Command::new(bin())
        .args(["newsletter", "send", "basra-port-strike-ends"])
        .args(mail_flags)
        .args(&st)
        .env("DATELINE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while smtp.count() < SUBSCRIBERS / 4 {
        assert!(
            Instant::now() < deadline,
            "the send did not get going: {}",
            std::fs::read_to_string(dir.path().join("send.log")).unwrap_or_default()
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sender ended early: {}",
            std::fs::read_to_string(dir.path().join("send.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = smtp.count();
    assert!(
        at_kill < SUBSCRIBERS,
        "killed in the middle, not at the end"
    );

    let o = dateline(&["newsletter", "status"], &st);
    assert!(stdout(&o).contains("[sending]"), "{}", stdout(&o));

    // Another process takes over (after the dead sender's leases run out).
    let mut args = vec!["mail", "work", "--until-empty"];
    args.extend(mail_flags);
    let o = dateline(&args, &st);
    assert!(o.status.success(), "{}", stderr(&o));

    let received = smtp.received();
    let mut copies: HashMap<String, Vec<String>> = HashMap::new();
    for r in &received {
        copies
            .entry(r.to[0].clone())
            .or_default()
            .push(r.header("Message-ID").unwrap());
    }
    assert_eq!(
        copies.len(),
        SUBSCRIBERS,
        "every subscriber has the newsletter"
    );
    let twice: Vec<_> = copies.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        twice.len() <= CONCURRENCY,
        "{} sent twice, more than the concurrency {CONCURRENCY}",
        twice.len()
    );
    for (_, ids) in &twice {
        assert!(
            ids.windows(2).all(|w| w[0] == w[1]),
            "a repeat carries the same Message-ID: {ids:?}"
        );
    }
    assert!(received.len() <= SUBSCRIBERS + CONCURRENCY);
    eprintln!(
        "killed at {at_kill} of {SUBSCRIBERS}; {} sent twice",
        twice.len()
    );

    let o = dateline(&["newsletter", "status", "1"], &st);
    let s = stdout(&o);
    assert!(
        s.contains("[done]") && s.contains(&format!("sent {SUBSCRIBERS},")),
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_killed_sender_loses_nobody() {
    a_killed_sender_loses_nobody(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_killed_sender_loses_nobody() {
    a_killed_sender_loses_nobody(Backend::Postgres).await;
}

/// The first link in a received message's text part (decoded from its
/// transfer encoding) that starts with `prefix`.
fn link_in(raw: &[u8], prefix: &str) -> String {
    let m = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a MIME message");
    let text = m.body_text(0).expect("a text part").into_owned();
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        .to_owned()
}

async fn wait_for(smtp: &TestSmtp, n: usize, server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.count() < n {
        assert!(
            Instant::now() < deadline,
            "mail {n} never came:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn serve_delivers_mail_itself(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let st = storage(backend, &db, dir.path());
    let url = (backend == Backend::Postgres).then(|| db.child_url());
    let article = fixtures().join("01-port-strike.md");
    assert!(
        dateline(&["article", "add", article.to_str().unwrap()], &st)
            .status
            .success()
    );
    let smtp = TestSmtp::start().await.unwrap();
    let smtp_url = smtp.url();
    let server = Server::start_with(dir.path(), url.as_deref(), &["--smtp", &smtp_url]).await;
    let client = reqwest::Client::new();

    // A reader signs up on the article page's box; serve's workers mail the link.
    let r = client
        .post(format!("{}/subscribe", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=reader%40example.org&name=Reader")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for(&smtp, 1, &server).await;
    let confirm = link_in(
        &smtp.received()[0].data,
        &format!("{}/newsletter/confirm/", server.base),
    );
    assert_eq!(client.get(&confirm).send().await.unwrap().status(), 200);
    assert_eq!(client.post(&confirm).send().await.unwrap().status(), 200);
    wait_for(&smtp, 2, &server).await;
    assert!(
        smtp.received()[1]
            .header("Subject")
            .unwrap()
            .starts_with("Welcome")
    );

    // A send queued by another process goes out through serve's workers.
    let o = dateline(
        &["newsletter", "send", "basra-port-strike-ends", "--no-wait"],
        &st,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    wait_for(&smtp, 3, &server).await;
    let news = &smtp.received()[2];
    assert_eq!(news.to, ["reader@example.org"]);
    assert!(news.header("List-Unsubscribe-Post").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_serve_delivers_mail_itself() {
    serve_delivers_mail_itself(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serve_delivers_mail_itself() {
    serve_delivers_mail_itself(Backend::Postgres).await;
}

#[test]
fn every_mail_command_has_help() {
    for args in [
        vec!["mail", "work", "--help"],
        vec!["mail", "status", "--help"],
        vec!["newsletter", "send", "--help"],
        vec!["newsletter", "status", "--help"],
        vec!["newsletter", "pause", "--help"],
        vec!["subscribers", "import", "--help"],
        vec!["subscribers", "export", "--help"],
        vec!["subscribers", "erase", "--help"],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("Usage: dateline"), "{args:?}");
    }
    let o = run(&[
        "newsletter",
        "send",
        "x",
        "--smtp",
        "ftp://nowhere",
        "--data-dir",
        "/tmp/dl-none",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("SMTP server (--smtp"), "{}", stderr(&o));
}

/// Waits (a page is loading after a click) until the page's heading reads `expected`.
async fn heading_becomes(client: &fantoccini::Client, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = match client.find(fantoccini::Locator::Css("h1")).await {
            Ok(h) => h.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the heading is \"{now}\", not \"{expected}\""
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A reader in a real browser: the box under an article, the confirmation
/// link from the mail, preferences, unsubscribing; each page audited with
/// axe-core (which needs JavaScript; the reader's pages have no script of
/// their own, so they are the same without it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_subscribes_in_the_browser() {
    use crate::browser::{accessibility_violations, axe_source, browser_with, click, fill, text};
    use fantoccini::Locator;
    let dir = tempfile::tempdir().unwrap();
    let st = vec![
        "--data-dir".to_owned(),
        dir.path().to_str().unwrap().to_owned(),
    ];
    let article = fixtures().join("01-port-strike.md");
    assert!(
        dateline(&["article", "add", article.to_str().unwrap()], &st)
            .status
            .success()
    );
    let smtp = TestSmtp::start().await.unwrap();
    let server = Server::start_with(dir.path(), None, &["--smtp", &smtp.url()]).await;
    let (_driver, client) = browser_with(true).await;
    let axe = axe_source()
        .expect("axe-core is missing: run scripts/test, or set DATELINE_AXE_JS to axe.min.js");

    client
        .goto(&format!("{}/basra-port-strike-ends", server.base))
        .await
        .unwrap();
    fill(&client, "newsletter-email", "browser.reader@example.org").await;
    // Enter in the name field submits the box's form.
    fill(&client, "newsletter-name", "Hana\u{E007}").await;
    heading_becomes(&client, "Check your inbox").await;
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "check your inbox"
    );

    wait_for(&smtp, 1, &server).await;
    let confirm = link_in(
        &smtp.received()[0].data,
        &format!("{}/newsletter/confirm/", server.base),
    );
    client.goto(&confirm).await.unwrap();
    heading_becomes(&client, "Confirm your subscription").await;
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "confirm"
    );
    click(&client, "main form button").await;
    heading_becomes(&client, "You are subscribed").await;

    wait_for(&smtp, 2, &server).await;
    let welcome = &smtp.received()[1].data;
    let preferences = link_in(welcome, &format!("{}/newsletter/", server.base));
    client.goto(&preferences).await.unwrap();
    heading_becomes(&client, "Your newsletter").await;
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "preferences"
    );
    click(&client, "input[name=frequency][value=weekly]").await;
    click(&client, ".preferences-form button[type=submit]").await;
    client
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert_eq!(text(&client, ".notice").await, "Your choices are saved.");
    assert!(
        client
            .find(Locator::Css("input[name=frequency][value=weekly]"))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap()
            .as_deref()
            == Some("true")
    );

    click(&client, ".unsubscribe-link a").await;
    heading_becomes(&client, "Unsubscribe").await;
    click(&client, "main form button").await;
    heading_becomes(&client, "You are unsubscribed").await;
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "unsubscribed"
    );
}
