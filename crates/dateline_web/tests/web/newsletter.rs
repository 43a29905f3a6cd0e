//! The newsletter from a reader's side, with mail received by a real SMTP
//! server on loopback and parsed as MIME: sign up, confirm, the welcome, a
//! newsletter, preferences, one-click unsubscribe, signing up again; and
//! what must not happen (address enumeration, mail floods, mail to
//! addresses that bounced).

use crate::support::TestApp;
use axum::http::{Method, StatusCode};
use chrono::Utc;
use dateline_core::Role;
use dateline_db::both_databases;
use dateline_db::sends::{self, SendMode};
use dateline_db::subscribers;
use dateline_db::testing::TestDb;
use dateline_mail::test_smtp::{Received, TestSmtp};
use mail_parser::{Message, MessageParser, MimeHeaders};

fn parse(r: &Received) -> Message<'static> {
    MessageParser::default()
        .parse(&r.data[..])
        .expect("a MIME message")
        .into_owned()
}

/// The first link in a message's text part that starts with `prefix`.
fn link(m: &Message<'_>, prefix: &str) -> String {
    let text = m.body_text(0).expect("a text part").into_owned();
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link starting {prefix} in:\n{text}"))
        .trim_end_matches(['.', ')', '>'])
        .to_owned()
}

fn path(url: &str) -> &str {
    url.trim_start_matches("http://news.test")
}

/// The checks every message must pass: multipart text + HTML, Message-ID,
/// Date and From present and well formed.
fn well_formed(m: &Message<'_>, to: &str) {
    assert!(
        m.message_id().is_some_and(|id| id.ends_with("@news.test")),
        "Message-ID: {:?}",
        m.message_id()
    );
    assert!(m.date().is_some(), "a Date header");
    let from = m
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .unwrap_or_default();
    assert_eq!(from, "newsroom@news.test");
    let rcpt = m
        .to()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .unwrap_or_default();
    assert_eq!(rcpt, to);
    assert!(
        m.body_text(0).is_some_and(|t| !t.trim().is_empty()),
        "a plain-text part"
    );
    assert!(
        m.body_html(0)
            .is_some_and(|t| t.contains("<html") || t.contains("<p")),
        "an HTML part"
    );
    assert!(
        m.is_content_type("multipart", "alternative"),
        "multipart/alternative"
    );
}

/// List-Unsubscribe with an https (here http) link and a mailto, and the
/// one-click header of RFC 8058. Returns the link.
fn unsubscribe_headers(m: &Message<'_>) -> String {
    let raw = m
        .header_raw("List-Unsubscribe")
        .expect("List-Unsubscribe")
        .replace(['\r', '\n'], "");
    let parts: Vec<&str> = raw
        .split(',')
        .map(|p| p.trim().trim_start_matches('<').trim_end_matches('>'))
        .collect();
    assert!(
        parts
            .iter()
            .any(|p| p.starts_with("mailto:unsubscribe@news.test?subject=")),
        "{raw}"
    );
    let url = parts
        .iter()
        .find(|p| p.starts_with("http://news.test/newsletter/"))
        .expect("an http link")
        .to_string();
    assert!(url.ends_with("/unsubscribe"), "{url}");
    assert_eq!(
        m.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    url
}

/// Where a subscription stands.
async fn status_of(app: &TestApp, email: &str) -> &'static str {
    subscribers::by_email(&app.db.db, email)
        .await
        .unwrap()
        .unwrap()
        .status
        .as_str()
}

/// Queues a send of an article, which must be made.
async fn queue_send(
    app: &TestApp,
    article: dateline_core::ArticleId,
    subject: &str,
    mode: SendMode,
) -> sends::Send {
    sends::send_article(
        &app.db.db,
        article,
        subject,
        mode,
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap()
}

async fn sign_up(app: &TestApp, email: &str, name: &str) -> crate::support::Resp {
    app.post_form("/subscribe", &[("email", email), ("name", name)], &[])
        .await
}

async fn subscribe_confirm_receive_unsubscribe(t: TestDb) {
    let app = TestApp::new(t).await;
    let smtp = TestSmtp::start().await.unwrap();
    let article = app
        .add("Water talks resume in Baghdad", |a| {
            a.dateline = Some("BAGHDAD, Iraq".into())
        })
        .await;

    // The box on the article page posts to /subscribe.
    let page = app.get("/water-talks-resume-in-baghdad").await;
    assert_eq!(page.attrs(".newsletter-box form", "action"), ["/subscribe"]);

    let r = sign_up(&app, " Reader@Example.ORG ", "Layla <b>Hassan</b>").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("Check your inbox"));
    assert_eq!(r.header("cache-control"), "private, no-store");
    app.deliver_to(Some(&smtp.url())).await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "a confirmation, nothing else");
    let confirm = parse(&mails[0]);
    well_formed(&confirm, "reader@example.org");
    assert!(
        confirm
            .subject()
            .unwrap()
            .starts_with("Confirm your subscription")
    );
    assert!(
        confirm.header_raw("List-Unsubscribe").is_none(),
        "a confirmation is not bulk mail"
    );

    // Unconfirmed addresses get no newsletter.
    let first = queue_send(&app, article, "Water talks", SendMode::First).await;
    assert_eq!(first.queued, 0);
    sends::cancel(
        &app.db.db,
        first.id,
        Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();

    // The link shows a button; the POST confirms.
    let url = link(&confirm, "http://news.test/newsletter/confirm/");
    let shown = app.get(path(&url)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(status_of(&app, "reader@example.org").await, "pending");
    let done = app.post_form(path(&url), &[], &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert!(done.text().contains("You are subscribed"));
    // A tampered link is refused.
    let tampered = format!("{}x", path(&url));
    assert_eq!(
        app.post_form(&tampered, &[], &[]).await.status,
        StatusCode::NOT_FOUND
    );

    app.deliver_to(Some(&smtp.url())).await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 2);
    let welcome = parse(&mails[1]);
    well_formed(&welcome, "reader@example.org");
    unsubscribe_headers(&welcome);
    let html = welcome.body_html(0).unwrap();
    assert!(
        html.contains("Layla &lt;b&gt;Hassan&lt;/b&gt;") || !html.contains("<b>Hassan</b>"),
        "the name is escaped"
    );

    // A newsletter.
    let send = queue_send(&app, article, "Water talks resume", SendMode::Again).await;
    assert_eq!(send.queued, 1);
    app.deliver_to(Some(&smtp.url())).await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 3);
    let news = parse(&mails[2]);
    well_formed(&news, "reader@example.org");
    assert_eq!(news.subject(), Some("Water talks resume"));
    assert!(news.header_raw("List-Id").is_some());
    let text = news.body_text(0).unwrap();
    assert!(text.contains("BAGHDAD, Iraq"), "{text}");
    assert!(
        text.contains("http://news.test/water-talks-resume-in-baghdad"),
        "{text}"
    );
    let done = sends::get(&app.db.db, send.id).await.unwrap().unwrap();
    assert_eq!((done.status.as_str(), done.sent), ("done", 1));

    // Preferences from the link in the mail.
    let prefs = link(&news, "http://news.test/newsletter/");
    let p = app.get(path(&prefs)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text().contains("reader@example.org"));
    let saved = app
        .post_form(
            path(&prefs),
            &[
                ("action", "save"),
                ("name", "Layla"),
                ("frequency", "weekly"),
            ],
            &[],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK);
    let s = subscribers::by_email(&app.db.db, "reader@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.name.as_str(), s.frequency.as_str()), ("Layla", "weekly"));
    let bad = app
        .post_form(
            path(&prefs),
            &[
                ("action", "save"),
                ("name", "Layla"),
                ("frequency", "hourly"),
            ],
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("Choose how often"));
    app.post_form(
        path(&prefs),
        &[("action", "save"), ("name", "Layla"), ("frequency", "each")],
        &[],
    )
    .await;

    // One-click unsubscribe, as a mail client does it (RFC 8058): a POST with
    // List-Unsubscribe=One-Click to the header's link, no cookie, no Origin.
    let one_click = unsubscribe_headers(&news);
    let r = app
        .post_form(path(&one_click), &[("List-Unsubscribe", "One-Click")], &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(status_of(&app, "reader@example.org").await, "unsubscribed");
    let again = app.add("A second report", |_| {}).await;
    let s2 = queue_send(&app, again, "Second", SendMode::First).await;
    assert_eq!(s2.queued, 0, "nothing to an unsubscribed reader");

    // The link's GET asks first; signing up again works (from the page).
    let ask = app.get(path(&one_click)).await;
    assert_eq!(ask.status, StatusCode::OK);
    let back = app
        .post_form(path(&prefs), &[("action", "resubscribe")], &[])
        .await;
    assert!(back.text().contains("subscribed again"), "{}", back.text());
    let s3 = queue_send(&app, again, "Second", SendMode::Again).await;
    assert_eq!(s3.queued, 1);
    let unsub = app.post_form(path(&one_click), &[], &[]).await;
    assert!(unsub.text().contains("You are unsubscribed"));
    app.deliver_to(Some(&smtp.url())).await;
    assert_eq!(
        smtp.count(),
        3,
        "the queued newsletter is skipped once unsubscribed"
    );
    assert_eq!(
        subscribers::list(
            &app.db.db,
            &Default::default(),
            dateline_db::views::PageRequest::new(1, 10)
        )
        .await
        .unwrap()
        .total,
        1,
        "one row for the address, ever"
    );
}

async fn signing_up_reveals_nothing_and_floods_nobody(t: TestDb) {
    let app = TestApp::new(t).await;
    let smtp = TestSmtp::start().await.unwrap();
    // A confirmed subscriber, a pending one, a suppressed one, a new one:
    // every answer is the same page.
    app.subscribe_confirmed(&["known@example.org"]).await;
    dateline_db::mail::suppress(
        &app.db.db,
        "bounced@example.org",
        "hard_bounce",
        "550",
        Utc::now(),
    )
    .await
    .unwrap();
    let mut pages = Vec::new();
    for email in [
        "known@example.org",
        "new@example.org",
        "bounced@example.org",
    ] {
        let r = sign_up(&app, email, "").await;
        assert_eq!(r.status, StatusCode::OK);
        pages.push(r.select("main")[0].replace(email, "X"));
    }
    assert!(pages.windows(2).all(|w| w[0] == w[1]), "{pages:#?}");
    app.deliver_to(Some(&smtp.url())).await;
    let mut subjects: Vec<(String, String)> = smtp
        .received()
        .iter()
        .map(|r| (r.to[0].clone(), parse(r).subject().unwrap().to_owned()))
        .collect();
    subjects.sort();
    assert_eq!(
        subjects.len(),
        2,
        "nothing to a suppressed address: {subjects:?}"
    );
    assert!(
        subjects[0].1.starts_with("You are already subscribed"),
        "{subjects:?}"
    );
    assert!(subjects[1].1.starts_with("Confirm your subscription"));

    // Asking again and again within the hour sends nothing more.
    for _ in 0..5 {
        assert_eq!(
            sign_up(&app, "new@example.org", "").await.status,
            StatusCode::OK
        );
    }
    app.deliver_to(Some(&smtp.url())).await;
    assert_eq!(smtp.count(), 2);

    // A bad address keeps the form filled in and says what is wrong.
    let bad = sign_up(&app, "not-an-address", "Samir").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.attrs("#signup-email", "value"), ["not-an-address"]);
    assert_eq!(bad.attrs("#signup-name", "value"), ["Samir"]);
    assert!(bad.text().contains("is not an email address"));
    assert_eq!(bad.attrs("#signup-email", "aria-invalid"), ["true"]);

    // A form from another site is refused.
    let forged = app
        .post_form(
            "/subscribe",
            &[("email", "victim@example.org")],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Past the limit per client address: 429.
    let mut last = StatusCode::OK;
    for i in 0..30 {
        last = sign_up(&app, &format!("flood{i}@example.org"), "")
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

async fn bounces_and_complaints_stop_mail(t: TestDb) {
    let app = TestApp::new(t).await;
    let smtp = TestSmtp::start().await.unwrap();
    app.subscribe_confirmed(&[
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
    ])
    .await;
    let author = app.browser(Role::Author).await.user;
    let editor = app.browser(Role::Editor).await.user;
    let events = serde_json::json!({"events": [
        {"type": "hard_bounce", "email": "A@example.org", "detail": "550 5.1.1 user unknown"},
        {"type": "complaint", "email": "b@example.org"},
        {"type": "soft_bounce", "email": "c@example.org", "detail": "452 mailbox full"},
        {"type": "hard_bounce", "email": "nonsense"}
    ]});
    // Only editors' tokens may report events.
    let weak = app
        .api(
            Method::POST,
            "/api/v1/mail/events",
            &app.token(&author).await,
            Some(events.clone()),
        )
        .await;
    assert_eq!(weak.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.api(
            Method::POST,
            "/api/v1/mail/events",
            "dl_wrong",
            Some(events.clone())
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .api(
            Method::POST,
            "/api/v1/mail/events",
            &app.token(&editor).await,
            Some(events),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["accepted"], 3);
    assert_eq!(r.json()["rejected"][0]["index"], 3);
    let article = app.add("A report for everyone", |_| {}).await;
    let send = queue_send(&app, article, "Report", SendMode::First).await;
    assert_eq!(send.queued, 2, "not to the hard bounce nor the complaint");
    app.deliver_to(Some(&smtp.url())).await;
    let mut to: Vec<String> = smtp.received().iter().map(|r| r.to[0].clone()).collect();
    to.sort();
    assert_eq!(to, ["c@example.org", "d@example.org"]);
    assert_eq!(status_of(&app, "a@example.org").await, "bounced");
    assert_eq!(status_of(&app, "b@example.org").await, "complained");

    // Marked by hand in the newsroom, and erased.
    let b = app.browser(Role::Editor).await;
    let d = subscribers::by_email(&app.db.db, "d@example.org")
        .await
        .unwrap()
        .unwrap();
    let page = app.get_as(&b, "/admin/subscribers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("d@example.org"));
    let r = app
        .post_as(
            &b,
            &format!("/admin/subscribers/{}/mark", d.id),
            &[("as", "bounced")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        dateline_db::mail::suppression(&app.db.db, "d@example.org")
            .await
            .unwrap()
            .is_some()
    );
    let r = app
        .post_as(&b, &format!("/admin/subscribers/{}/erase", d.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        subscribers::by_email(&app.db.db, "d@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        dateline_db::mail::messages_to(&app.db.db, "d@example.org")
            .await
            .unwrap()
            .is_empty(),
        "its messages are gone too"
    );
    // Importing a CSV from the newsroom: good rows added, bad ones listed.
    let file = b"email,name,frequency\nnew@example.org,New <Reader>,weekly\nbroken,Someone,each\nc@example.org,Again,each\n";
    let r = app
        .post_multipart_as(
            &b,
            "/admin/subscribers/import",
            &[],
            &[("file", "list.csv", "text/csv", file)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = r.select(".import-report")[0].clone();
    assert!(
        report.contains("Read 3 rows: 1 subscribers added, 1 already here, 1 rejected."),
        "{report}"
    );
    assert!(
        report.contains("Line 3: \"broken\" is not an email address"),
        "{report}"
    );
    assert!(r.text().contains("New &lt;Reader&gt;"), "names are escaped");
    let none = app
        .post_multipart_as(&b, "/admin/subscribers/import", &[], &[])
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text().contains("Choose a CSV file"));
    let csv = app.get_as(&b, "/admin/subscribers.csv").await;
    assert!(csv.text().starts_with("email,name,frequency"));
    assert!(!csv.text().contains("d@example.org"));
    let sends_page = app.get_as(&b, "/admin/newsletters").await;
    assert!(
        sends_page.text().contains("Report"),
        "{}",
        sends_page.text()
    );
}

async fn editors_send_from_the_newsroom(t: TestDb) {
    let app = TestApp::new(t).await;
    app.subscribe_confirmed(&["reader@example.org"]).await;
    let b = app.browser(Role::Editor).await;
    let draft = app
        .add("Harvest figures are in", |a| {
            a.status = Some("draft".into())
        })
        .await;
    let form = app
        .get_as(&b, &format!("/admin/articles/{}", draft.0))
        .await;
    assert_eq!(form.attrs("input[name=newsletter]", "type"), ["checkbox"]);
    // Marked, then published: the schedule makes the send, once.
    dateline_db::sends::set_article_newsletter(&app.db.db, draft, true)
        .await
        .unwrap();
    assert!(
        dateline_mail::schedule::send_marked_articles(&app.db.db, Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "not while a draft"
    );
    let published = app.add("Harvest figures, published", |_| {}).await;
    dateline_db::sends::set_article_newsletter(&app.db.db, published, true)
        .await
        .unwrap();
    let made = dateline_mail::schedule::send_marked_articles(&app.db.db, Utc::now())
        .await
        .unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].queued, 1);
    assert!(
        dateline_mail::schedule::send_marked_articles(&app.db.db, Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "made once"
    );

    // Sending again from the newsroom is refused, with what to do instead.
    let r = app
        .post_as(
            &b,
            "/admin/newsletters",
            &[("article", &published.0.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("already went to"), "{}", r.text());
    let r = app
        .post_as(
            &b,
            "/admin/newsletters",
            &[("article", &published.0.to_string()), ("again", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "nobody new, but allowed");

    // Pause, resume, cancel.
    let id = made[0].id;
    assert_eq!(
        app.post_as(&b, &format!("/admin/newsletters/{id}/pause"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sends::get(&app.db.db, id).await.unwrap().unwrap().status,
        "paused"
    );
    assert_eq!(dateline_db::mail::counts(&app.db.db).await.unwrap().held, 1);
    assert_eq!(
        app.post_as(&b, &format!("/admin/newsletters/{id}/resume"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.post_as(&b, &format!("/admin/newsletters/{id}/cancel"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let s = sends::get(&app.db.db, id).await.unwrap().unwrap();
    assert_eq!(s.status, "cancelled");
    assert_eq!(
        app.post_as(&b, &format!("/admin/newsletters/{id}/resume"), &[])
            .await
            .status,
        StatusCode::CONFLICT
    );
    // Authors may not.
    let a = app.browser(Role::Author).await;
    assert_eq!(
        app.get_as(&a, "/admin/newsletters").await.status,
        StatusCode::FORBIDDEN
    );
}

both_databases!(
    subscribe_confirm_receive_unsubscribe,
    signing_up_reveals_nothing_and_floods_nobody,
    bounces_and_complaints_stop_mail,
    editors_send_from_the_newsroom,
);
