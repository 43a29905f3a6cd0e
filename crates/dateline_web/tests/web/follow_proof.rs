//! Only the owner of an address starts mail to it: a follow asked by anyone
//! waits for its confirmation, "stop all" cannot be undone by a stranger,
//! and the owner confirms — by the mailed link, which also offers the
//! address's other waiting follows, or from a browser that confirmed one
//! before. Mail received by an SMTP server on loopback; SQLite and
//! PostgreSQL.

use crate::reader::{Reader, get, post};
use crate::support::TestApp;
use axum::http::StatusCode;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;
use dateline_mail::test_smtp::{Received, TestSmtp};
use mail_parser::MessageParser;

const FIRST: &str = "bridge-reopens-in-mosul";
const SECOND: &str = "market-rebuilt-in-mosul";

async fn site(db: TestDb) -> TestApp {
    let app = TestApp::new(db).await;
    app.add("Bridge reopens in Mosul", |_| {}).await;
    app.add("Market rebuilt in Mosul", |_| {}).await;
    app.relaxed_comments(|_| {}).await;
    app
}

fn text_of(r: &Received) -> String {
    let m = MessageParser::default().parse(&r.data[..]).expect("MIME");
    m.body_text(0).expect("a text part").into_owned()
}

fn link(text: &str, prefix: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{text}"))
        .replace("http://news.test", "")
}

/// What the SMTP server received since the last call.
async fn delivered(app: &TestApp, smtp: &TestSmtp) -> Vec<Received> {
    let before = smtp.count();
    app.deliver_to(Some(&smtp.url())).await;
    smtp.received()[before..].to_vec()
}

/// The notifications (not confirmations) among `mails` to `to`.
fn notifications_to<'a>(mails: &'a [Received], to: &str) -> Vec<&'a Received> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .filter(|m| {
            let parsed = MessageParser::default().parse(&m.data[..]).expect("MIME");
            parsed
                .subject()
                .is_some_and(|s| s.starts_with("New comment") || s.contains(" replied on "))
        })
        .collect()
}

async fn follow(app: &TestApp, reader: &mut Reader, slug: &str, email: &str, kind: &str) {
    let r = post(
        app,
        reader,
        &format!("/{slug}/comments/follow"),
        &[("email", email), ("kind", kind)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

async fn comment(app: &TestApp, slug: &str, body: &str) {
    let token = app.comment_token().await;
    let r = app
        .post_form(
            &format!("/{slug}/comments"),
            &[
                ("body", body),
                ("name", "Omar"),
                ("email", "omar@readers.test"),
                ("token", &token),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

/// A confirmed follower, told of one comment; returns the notification.
async fn confirmed(app: &TestApp, smtp: &TestSmtp, reader: &mut Reader, email: &str) -> Received {
    follow(app, reader, FIRST, email, "all").await;
    let mails = delivered(app, smtp).await;
    let confirm = link(
        &text_of(&mails[0]),
        "http://news.test/comments/follow/confirm/",
    );
    assert_eq!(
        get(app, reader, &confirm).await.select("main form button"),
        ["Confirm"]
    );
    post(app, reader, &confirm, &[]).await;
    comment(app, FIRST, "Traffic is back.").await;
    let mails = delivered(app, smtp).await;
    let told = notifications_to(&mails, email);
    assert_eq!(told.len(), 1);
    told[0].clone()
}

async fn nobody_but_the_owner_undoes_stop_all(db: TestDb) {
    let app = site(db).await;
    let smtp = TestSmtp::start().await.unwrap();
    let mut layla = Reader::new("198.51.100.20");
    let told = confirmed(&app, &smtp, &mut layla, "layla@readers.test").await;

    // She stops everything; a stranger follows for her again; nothing.
    let stop_all = link(&text_of(&told), "http://news.test/comments/follow/all/");
    post(&app, &mut layla, &stop_all, &[]).await;
    let mut stranger = Reader::new("203.0.113.13");
    follow(&app, &mut stranger, FIRST, "layla@readers.test", "all").await;
    follow(&app, &mut stranger, FIRST, "layla@readers.test", "replies").await;
    comment(&app, FIRST, "After the stop.").await;
    let mails = delivered(&app, &smtp).await;
    assert!(
        notifications_to(&mails, "layla@readers.test").is_empty(),
        "a stranger cannot undo “stop all”"
    );

    // From the browser that confirmed, following again starts that one
    // follow at once (the others stay stopped).
    follow(&app, &mut layla, SECOND, "layla@readers.test", "all").await;
    comment(&app, SECOND, "Prices are down.").await;
    comment(&app, FIRST, "Still nothing for her here.").await;
    let mails = delivered(&app, &smtp).await;
    let told = notifications_to(&mails, "layla@readers.test");
    assert_eq!(told.len(), 1);
    assert!(text_of(told[0]).contains("Prices are down."));
}

async fn a_stranger_cannot_start_mail_to_a_confirmed_address(db: TestDb) {
    let app = site(db).await;
    let smtp = TestSmtp::start().await.unwrap();
    let mut huda = Reader::new("198.51.100.24");
    confirmed(&app, &smtp, &mut huda, "huda@readers.test").await;

    // A stranger follows another article, and replies, for her address:
    // nothing reaches her but (at most) a confirmation.
    let mut stranger = Reader::new("203.0.113.14");
    follow(&app, &mut stranger, SECOND, "huda@readers.test", "all").await;
    comment(&app, SECOND, "Stalls are open.").await;
    let mails = delivered(&app, &smtp).await;
    assert!(
        notifications_to(&mails, "huda@readers.test").is_empty(),
        "a follow she did not confirm sends her nothing"
    );
}

async fn the_owner_confirms_what_waits_from_one_link(db: TestDb) {
    let app = site(db).await;
    let smtp = TestSmtp::start().await.unwrap();
    let mut sana = Reader::new("198.51.100.21");
    follow(&app, &mut sana, FIRST, "sana@readers.test", "all").await;
    // Within the hour: no second mail, but the first one's page lists it.
    follow(&app, &mut sana, SECOND, "sana@readers.test", "all").await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1, "one confirmation an hour");
    let confirm = link(
        &text_of(&mails[0]),
        "http://news.test/comments/follow/confirm/",
    );
    // Opened in another browser (the phone's mail app).
    let mut phone = Reader::new("198.51.100.22");
    let page = get(&app, &phone, &confirm).await;
    assert!(page.text().contains("Bridge reopens in Mosul"));
    assert_eq!(
        page.select("main fieldset li a"),
        ["Market rebuilt in Mosul"]
    );
    let waiting = page.attrs("input[name=waiting]", "value");
    let done = post(
        &app,
        &mut phone,
        &confirm,
        &[("also", "1"), ("waiting", &waiting[0])],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.text().contains("Confirmed"));
    comment(&app, FIRST, "On the bridge.").await;
    comment(&app, SECOND, "On the market.").await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(notifications_to(&mails, "sana@readers.test").len(), 2);

    // Not ticked, not confirmed: a follow waiting beside the link's own.
    let mut rami = Reader::new("198.51.100.23");
    follow(&app, &mut rami, FIRST, "rami@readers.test", "all").await;
    follow(&app, &mut rami, SECOND, "rami@readers.test", "all").await;
    let mails = delivered(&app, &smtp).await;
    let confirm = link(
        &text_of(&mails[0]),
        "http://news.test/comments/follow/confirm/",
    );
    post(&app, &mut rami, &confirm, &[]).await;
    comment(&app, SECOND, "Only for the market.").await;
    let mails = delivered(&app, &smtp).await;
    assert!(notifications_to(&mails, "rami@readers.test").is_empty());
    // A forged or stale link confirms nothing.
    let forged = format!("{}9", &confirm[..confirm.len() - 1]);
    assert_eq!(get(&app, &rami, &forged).await.status, StatusCode::GONE);
}

both_databases!(
    nobody_but_the_owner_undoes_stop_all,
    a_stranger_cannot_start_mail_to_a_confirmed_address,
    the_owner_confirms_what_waits_from_one_link,
);
