//! Comments end to end in headless Chromium against `dateline serve`, with
//! JavaScript on (SQLite) and off (PostgreSQL): a first comment is held, an
//! editor approves it in the newsroom, it shows; replies three levels deep,
//! a vote, sorting, loading more; with JavaScript, all in place, and a
//! comment posted by someone else arrives live. Hostile comments do not run
//! in the browser. Pages are audited with axe-core.

use crate::browser::{
    accessibility_violations, axe_source, browser_with, click, fill, submit_sign_in, text,
};
use crate::support::{Server, fixtures, run, run_with_input, stderr};
use dateline_core::comment::CommentSettings;
use dateline_db::Backend;
use dateline_db::testing::TestDb;
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

pub(crate) const PASSWORD: &str = "copper kettle meadow";
pub(crate) const ARTICLE: &str = "basra-port-strike-ends";

/// A site with one article, an editor, and comment settings for a browser
/// test: no minimum time (the script types fast), first comments held,
/// two threads at a time.
async fn site(backend: Backend, db: &TestDb, dir: &std::path::Path) -> (Vec<String>, Server) {
    site_with(backend, db, dir, &[]).await
}

/// The database URL a test site uses.
pub(crate) fn database_url(backend: Backend, db: &TestDb, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/dateline.db", dir.display()),
        Backend::Postgres => db.child_url(),
    }
}

/// Stores the site's comment settings (a running server reads them within
/// a second).
pub(crate) async fn save_comment_settings(
    backend: Backend,
    db: &TestDb,
    dir: &std::path::Path,
    settings: &CommentSettings,
) {
    let conn = dateline_db::Db::connect(&database_url(backend, db, dir), Default::default())
        .await
        .unwrap();
    dateline_db::comments::save_settings(
        &conn,
        settings,
        chrono::Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    conn.close().await;
}

pub(crate) async fn site_with(
    backend: Backend,
    db: &TestDb,
    dir: &std::path::Path,
    serve_flags: &[&str],
) -> (Vec<String>, Server) {
    let mut storage = vec!["--data-dir".to_owned(), dir.to_str().unwrap().to_owned()];
    if backend == Backend::Postgres {
        storage.extend(["--database".to_owned(), db.child_url()]);
    }
    let with = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(storage.iter().cloned());
        all
    };
    let add = with(&[
        "article",
        "add",
        fixtures().join("01-port-strike.md").to_str().unwrap(),
    ]);
    let o = run(&add.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let user = with(&[
        "user",
        "add",
        "--email",
        "editor@newsroom.test",
        "--name",
        "Rana Haddad",
        "--role",
        "editor",
        "--password-stdin",
    ]);
    let o = run_with_input(
        &user.iter().map(String::as_str).collect::<Vec<_>>(),
        &format!("{PASSWORD}\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    save_comment_settings(
        backend,
        db,
        dir,
        &CommentSettings {
            min_seconds: 0,
            threads_per_page: 2,
            max_depth: 3,
            ..Default::default()
        },
    )
    .await;
    let server = match backend {
        Backend::Sqlite => Server::start_with(dir, None, serve_flags).await,
        Backend::Postgres => Server::start_with(dir, Some(&db.child_url()), serve_flags).await,
    };
    (storage, server)
}

/// Waits until the element's text is `expected`.
pub(crate) async fn text_becomes(client: &Client, css: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = match client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if now.trim() == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} says \"{now}\", not \"{expected}\""
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn wait_for(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
}

pub(crate) async fn count(client: &Client, css: &str) -> usize {
    client.find_all(Locator::Css(css)).await.unwrap().len()
}

/// Writes a comment in the form that is open (under the section, or moved
/// under a comment to reply) and sends it.
pub(crate) async fn write(client: &Client, body: &str, name: &str, email: &str) {
    fill(client, "comment-body", body).await;
    fill(client, "comment-name", name).await;
    // Enter in a field sends the form, as a reader would.
    fill(client, "comment-email", &format!("{email}\u{E007}")).await;
}

async fn approve_in_the_newsroom(client: &Client, base: &str, author: &str) {
    client
        .goto(&format!("{base}/admin/comments"))
        .await
        .unwrap();
    if client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/admin/login")
    {
        submit_sign_in(client, "editor@newsroom.test", PASSWORD).await;
        wait_for(client, "nav[aria-label=Newsroom]").await;
        client
            .goto(&format!("{base}/admin/comments"))
            .await
            .unwrap();
    }
    wait_for(client, ".moderation-item").await;
    assert_eq!(text(client, ".moderation-item strong").await, author);
    click(client, ".moderation-item button[formaction$='/approve']").await;
    text_becomes(
        client,
        ".queue-empty",
        "Nothing is waiting for a moderator.",
    )
    .await;
    // Signed out again, the browser is a reader's (signed in, the comment
    // form would post as the newsroom).
    click(client, "form.sign-out button").await;
    wait_for(client, "form[action='/admin/login']").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_in_place_with_javascript() {
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let (_storage, mut server) = site(Backend::Sqlite, &db, dir.path()).await;
    let base = server.base.clone();
    let article = format!("{base}/{ARTICLE}");
    let (_driver, client) = browser_with(true).await;
    let axe = axe_source().expect("axe-core is missing: run scripts/test");

    // "Notify of", in place.
    client.goto(&article).await.unwrap();
    click(&client, ".notify-of summary").await;
    fill(&client, "notify-email", "watcher@readers.test").await;
    click(&client, ".notify-form button[type=submit]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text(&client, ".notify-form .form-status")
        .await
        .starts_with("Done.")
    {
        assert!(Instant::now() < deadline, "no answer to Notify of");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        article,
        "no page load"
    );

    // A first comment is held, and its writer sees it as such, in place.
    client.goto(&article).await.unwrap();
    text_becomes(&client, ".comment-count", "0 Comments").await;
    write(
        &client,
        "Will the *northern* quay reopen too?",
        "Layla Nasser",
        "layla@readers.test",
    )
    .await;
    wait_for(&client, "li.comment-pending .awaiting").await;
    assert!(
        text(&client, "#comment-form .form-status")
            .await
            .contains("awaiting moderation")
    );
    assert_eq!(
        client.current_url().await.unwrap().as_str(),
        article,
        "no page load"
    );
    assert_eq!(text(&client, ".comment-count").await, "0 Comments");
    // Still shown to her after a reload (her browser holds the secret).
    client.goto(&article).await.unwrap();
    wait_for(&client, "li.comment-pending").await;

    approve_in_the_newsroom(&client, &base, "Layla Nasser").await;
    client.goto(&article).await.unwrap();
    text_becomes(&client, ".comment-count", "1 Comment").await;
    assert_eq!(count(&client, "li.comment-pending").await, 0);
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "article page with comments"
    );

    // Now known, she goes straight through; replies nest three deep.
    click(&client, "a.reply-link").await;
    assert_eq!(
        text(&client, ".comment-form-heading").await,
        "Reply to Layla Nasser"
    );
    write(
        &client,
        "It reopens on Sunday.",
        "Omar Aziz",
        "omar@readers.test",
    )
    .await;
    wait_for(&client, "ol.replies li.comment").await;
    // A first comment from Omar's address is held too: approve, then reply on.
    approve_in_the_newsroom(&client, &base, "Omar Aziz").await;
    client.goto(&article).await.unwrap();
    text_becomes(&client, ".comment-count", "2 Comments").await;
    click(&client, "ol.replies a.reply-link").await;
    write(
        &client,
        "Thank you, Omar.",
        "Layla Nasser",
        "layla@readers.test",
    )
    .await;
    wait_for(&client, "ol.replies ol.replies li.comment").await;
    click(&client, "ol.replies ol.replies a.reply-link").await;
    write(
        &client,
        "You are welcome.",
        "Omar Aziz",
        "omar@readers.test",
    )
    .await;
    wait_for(&client, "ol.replies ol.replies ol.replies li.comment").await;
    text_becomes(&client, ".comment-count", "4 Comments").await;

    // A vote, in place.
    click(&client, "#comment-list > li:first-child > article .vote-up").await;
    text_becomes(
        &client,
        "#comment-list > li:first-child > article .vote-up .n",
        "1",
    )
    .await;

    // Two more threads: sorting and loading more happen in place.
    for (body, name) in [
        ("Second thread.", "Layla Nasser"),
        ("Third thread.", "Layla Nasser"),
    ] {
        write(&client, body, name, "layla@readers.test").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    client.goto(&article).await.unwrap();
    text_becomes(&client, ".comment-count", "6 Comments").await;
    assert_eq!(count(&client, "#comment-list > li.comment").await, 2);
    click(&client, "a[data-more]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&client, "#comment-list > li.comment").await < 3 {
        assert!(
            Instant::now() < deadline,
            "Load more did not add the third thread"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(client.current_url().await.unwrap().as_str(), article);
    click(&client, "a[data-sort=oldest]").await;
    text_becomes(
        &client,
        "#comment-list > li:first-child > article .comment-body",
        "Will the northern quay reopen too?",
    )
    .await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("sort=oldest")
    );

    // Someone else comments. In the oldest first, with more pages to load,
    // it is announced, not shown (and the thread on the next page is not
    // taken for new); in the newest first it appears live at the top.
    client
        .goto(&format!("{article}?sort=oldest"))
        .await
        .unwrap();
    text_becomes(
        &client,
        "#comment-list > li:first-child > article .comment-body",
        "Will the northern quay reopen too?",
    )
    .await;
    // Time for the live stream to connect.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let api = reqwest::Client::new();
    let token: serde_json::Value = api
        .get(format!("{base}/api/v1/comments/token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let article_id = api
        .get(format!("{base}/api/v1/articles/{ARTICLE}"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["article"]["id"]
        .as_i64()
        .unwrap();
    let comments_api = format!("{base}/api/v1/articles/{article_id}/comments");
    // Layla posts through the Comments API, with her browser's commenter
    // cookie (her address alone would be held as a first comment); the
    // comment's id.
    let secret = client
        .get_named_cookie("dateline_commenter")
        .await
        .expect("the commenter cookie");
    let cookie = format!("dateline_commenter={}", secret.value());
    let by_api = |body: String| {
        let request = api
            .post(&comments_api)
            .header("cookie", &cookie)
            .json(&serde_json::json!({
                "body": body,
                "name": "Layla Nasser",
                "email": "layla@readers.test",
                "token": token["token"],
            }));
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<serde_json::Value>().await.unwrap()["comment"]["id"]
                .as_i64()
                .unwrap()
        }
    };
    by_api("Posted while you read the oldest first.".into()).await;
    text_becomes(&client, "section.comments > p[aria-live]", "1 new comment.").await;
    assert_eq!(count(&client, "#comment-list > li.comment").await, 2);
    click(&client, "a[data-sort=newest]").await;
    text_becomes(
        &client,
        "#comment-list > li:first-child > article .comment-body",
        "Posted while you read the oldest first.",
    )
    .await;
    let live_id = by_api("Live from the quay.".into()).await;
    wait_for(&client, &format!("#comment-{live_id}.comment-new")).await;
    text_becomes(&client, ".comment-count", "8 Comments").await;

    // Hostile comments do not run in the page.
    by_api(HOSTILE.join("\n\n")).await;
    client.goto(&article).await.unwrap();
    wait_for(&client, "#comment-list").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pwned = client
        .execute(
            "return window.pwned === undefined ? null : window.pwned",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(pwned, serde_json::Value::Null, "a hostile comment ran");
    assert!(client.get_alert_text().await.is_err(), "a dialog opened");

    // The page still follows the live stream: stopping the server must not
    // wait for it.
    let stopping = Instant::now();
    assert!(
        server.terminate(),
        "serve did not exit cleanly:\n{}",
        server.log()
    );
    assert!(
        stopping.elapsed() < Duration::from_secs(10),
        "shutdown waited for live readers"
    );
    client.close().await.unwrap();
}

/// Payloads that set `window.pwned` if they ever run.
pub const HOSTILE: &[&str] = &[
    "<script>window.pwned=1</script>",
    "<img src=x onerror=\"window.pwned=2\">",
    "[x](javascript:window.pwned=3)",
    "<svg onload=window.pwned=4>",
    "<details open ontoggle=window.pwned=5>",
    "</textarea><script>window.pwned=6</script>",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_as_plain_forms_without_javascript() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let (_storage, mut server) = site(Backend::Postgres, &db, dir.path()).await;
    let base = server.base.clone();
    let article = format!("{base}/{ARTICLE}");
    let (_driver, client) = browser_with(false).await;

    // Posting lands on the writer's own page: held, awaiting moderation.
    client.goto(&article).await.unwrap();
    write(
        &client,
        "Will the *northern* quay reopen too?",
        "Layla Nasser",
        "layla@readers.test",
    )
    .await;
    wait_for(&client, ".awaiting").await;
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/yours")
    );
    assert!(
        text(&client, ".form-notice")
            .await
            .contains("awaiting moderation")
    );

    approve_in_the_newsroom(&client, &base, "Layla Nasser").await;
    client.goto(&article).await.unwrap();
    text_becomes(&client, ".comment-count", "1 Comment").await;

    // Replies: each "Reply" opens a page with the thread and a form.
    for (n, (body, name, email)) in [
        (
            "It reopens on Sunday.",
            "Layla Nasser",
            "layla@readers.test",
        ),
        ("Thank you.", "Layla Nasser", "layla@readers.test"),
        ("You are welcome.", "Layla Nasser", "layla@readers.test"),
    ]
    .into_iter()
    .enumerate()
    {
        let deepest = format!(
            "#comment-list{} > li > article a.reply-link",
            " > li > ol.replies".repeat(n)
        );
        click(&client, &deepest).await;
        wait_for(&client, "h1").await;
        assert_eq!(text(&client, "h1").await, "Reply to a comment");
        write(&client, body, name, email).await;
        wait_for(&client, ".form-notice").await;
        client.goto(&article).await.unwrap();
    }
    text_becomes(&client, ".comment-count", "4 Comments").await;
    assert_eq!(
        count(&client, "ol.replies ol.replies ol.replies li.comment").await,
        1
    );

    // A vote: the form posts and the permalink shows the count.
    click(&client, "#comment-list > li:first-child > article .vote-up").await;
    wait_for(&client, ".comment-focus").await;
    text_becomes(&client, ".comment-focus > article .vote-up .n", "1").await;

    // More threads; sorting and "Load more" are links.
    client.goto(&article).await.unwrap();
    for body in ["Second thread.", "Third thread."] {
        write(&client, body, "Layla Nasser", "layla@readers.test").await;
        wait_for(&client, ".form-notice").await;
        client.goto(&article).await.unwrap();
    }
    assert_eq!(count(&client, "#comment-list > li.comment").await, 2);
    click(&client, "a[data-more]").await;
    wait_for(&client, "h1#comments-heading").await;
    assert_eq!(
        text(&client, "h1#comments-heading").await,
        "Comments on this report"
    );
    assert_eq!(count(&client, "#comment-list > li.comment").await, 1);
    client.goto(&article).await.unwrap();
    click(&client, "a[data-sort=oldest]").await;
    text_becomes(
        &client,
        "#comment-list > li:first-child > article .comment-body",
        "Will the northern quay reopen too?",
    )
    .await;

    client.close().await.unwrap();
    assert!(
        server.terminate(),
        "serve did not exit cleanly:\n{}",
        server.log()
    );
}

/// The mails to `to` received so far, waiting up to 20 s for `n` of them.
async fn mails_to(
    smtp: &dateline_mail::test_smtp::TestSmtp,
    to: &str,
    n: usize,
) -> Vec<mail_parser::Message<'static>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mails: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .map(|m| {
                mail_parser::MessageParser::default()
                    .parse(&m.data[..])
                    .expect("MIME")
                    .into_owned()
            })
            .collect();
        if mails.len() >= n {
            return mails;
        }
        assert!(
            Instant::now() < deadline,
            "{to} has {} mails, not {n}",
            mails.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Follows the confirmation link mailed to `email` and presses Confirm.
async fn confirm_by_mail(
    client: &Client,
    smtp: &dateline_mail::test_smtp::TestSmtp,
    base: &str,
    email: &str,
) {
    let confirm = link_in(
        &mails_to(smtp, email, 1).await[0],
        &format!("{base}/comments/follow/confirm/"),
    );
    client.goto(&confirm).await.unwrap();
    click(client, "main form button").await;
    wait_for(client, "p[role=status]").await;
    assert!(
        text(client, "p[role=status]")
            .await
            .starts_with("Confirmed")
    );
}

fn link_in(m: &mail_parser::Message<'_>, prefix: &str) -> String {
    let text = m.body_text(0).expect("a text part").into_owned();
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        .to_owned()
}

/// "Notify of" in a browser without JavaScript, with serve delivering over
/// SMTP to a server on loopback: the three kinds of following, confirmation
/// by mail, notifications (held replies only once approved), one-click
/// unsubscribe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_of_with_mail_in_the_browser_on_sqlite() {
    notify_of_with_mail_in_the_browser(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_of_with_mail_in_the_browser_on_postgres() {
    notify_of_with_mail_in_the_browser(Backend::Postgres).await;
}

async fn notify_of_with_mail_in_the_browser(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let smtp = dateline_mail::test_smtp::TestSmtp::start().await.unwrap();
    let smtp_url = smtp.url();
    let (_storage, mut server) = site_with(backend, &db, dir.path(), &["--smtp", &smtp_url]).await;
    let base = server.base.clone();
    let article = format!("{base}/{ARTICLE}");
    let (_driver, client) = browser_with(false).await;

    // Amal follows every new comment from the header's "Notify of".
    client.goto(&article).await.unwrap();
    click(&client, ".notify-of summary").await;
    fill(&client, "notify-email", "amal@readers.test\u{E007}").await;
    wait_for(&client, "p[role=status]").await;
    assert!(text(&client, "p[role=status]").await.starts_with("Done"));
    confirm_by_mail(&client, &smtp, &base, "amal@readers.test").await;

    // Badr comments and ticks "Email me replies to this comment"; his first
    // comment is held, so nobody hears of it until an editor approves it.
    client.goto(&article).await.unwrap();
    fill(
        &client,
        "comment-body",
        "Did the night shift come back too?",
    )
    .await;
    fill(&client, "comment-name", "Badr").await;
    click(&client, "#comment-notify").await;
    fill(&client, "comment-email", "badr@readers.test\u{E007}").await;
    wait_for(&client, ".awaiting").await;
    confirm_by_mail(&client, &smtp, &base, "badr@readers.test").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        mails_to(&smtp, "amal@readers.test", 1).await.len(),
        1,
        "nothing for a held comment"
    );
    approve_in_the_newsroom(&client, &base, "Badr").await;
    let amal = mails_to(&smtp, "amal@readers.test", 2).await;
    assert_eq!(
        amal[1].subject(),
        Some("New comment by Badr on “Dockworkers end a nine-day strike at Basra's main port”")
    );
    let comment_link = link_in(&amal[1], &format!("{base}/{ARTICLE}/comments/"));
    client.goto(&comment_link).await.unwrap();
    wait_for(&client, ".comment-focus").await;

    // Chadi follows replies to his own comments, then answers Badr: held,
    // approved, and then Badr (replies to his comment) and Amal (everything)
    // hear of it; Chadi does not hear of his own.
    client.goto(&article).await.unwrap();
    click(&client, ".notify-of summary").await;
    let kind = client
        .find(Locator::Css("#notify-kind option[value=replies]"))
        .await
        .unwrap();
    kind.click().await.unwrap();
    fill(&client, "notify-email", "chadi@readers.test\u{E007}").await;
    wait_for(&client, "p[role=status]").await;
    confirm_by_mail(&client, &smtp, &base, "chadi@readers.test").await;
    client.goto(&article).await.unwrap();
    click(&client, "a.reply-link").await;
    wait_for(&client, "#comment-form").await;
    fill(&client, "comment-body", "Yes, from Sunday.").await;
    fill(&client, "comment-name", "Chadi").await;
    fill(&client, "comment-email", "chadi@readers.test\u{E007}").await;
    wait_for(&client, ".awaiting").await;
    approve_in_the_newsroom(&client, &base, "Chadi").await;
    let badr = mails_to(&smtp, "badr@readers.test", 2).await;
    assert_eq!(
        badr[1].subject(),
        Some("Chadi replied on “Dockworkers end a nine-day strike at Basra's main port”")
    );
    mails_to(&smtp, "amal@readers.test", 3).await;
    assert_eq!(
        mails_to(&smtp, "chadi@readers.test", 1).await.len(),
        1,
        "not told of his own reply"
    );

    // Amal unsubscribes with one click (RFC 8058): no more mail for her,
    // while Chadi hears of Badr's answer to him.
    let header = amal[1]
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .trim_matches(['<', '>'])
        .to_owned();
    let r = reqwest::Client::new()
        .post(&header)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    client.goto(&article).await.unwrap();
    click(&client, "ol.replies a.reply-link").await;
    wait_for(&client, "#comment-form").await;
    fill(&client, "comment-body", "Thank you, Chadi.").await;
    fill(&client, "comment-name", "Badr").await;
    fill(&client, "comment-email", "badr@readers.test\u{E007}").await;
    wait_for(&client, ".form-notice").await;
    let chadi = mails_to(&smtp, "chadi@readers.test", 2).await;
    assert_eq!(
        chadi[1].subject(),
        Some("Badr replied on “Dockworkers end a nine-day strike at Basra's main port”")
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        mails_to(&smtp, "amal@readers.test", 3).await.len(),
        3,
        "unsubscribed: nothing more"
    );

    client.close().await.unwrap();
    assert!(
        server.terminate(),
        "serve did not exit cleanly:\n{}",
        server.log()
    );
}
