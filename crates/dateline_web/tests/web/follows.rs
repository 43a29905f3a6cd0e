//! "Notify of" through the router, on SQLite and PostgreSQL, with mail
//! received by an SMTP server on loopback and parsed as MIME: following an
//! article (every new comment, replies to one's own comments, replies to
//! one comment), confirming by mail once, the notification with its link
//! and one-click unsubscribe, and what must not happen: mail about one's own
//! comment, about a held comment before it is approved, a second
//! confirmation within the hour, an answer that tells who follows.

use crate::support::TestApp;
use axum::http::StatusCode;
use chrono::Utc;
use dateline_core::comment::CommentStatus;
use dateline_db::both_databases;
use dateline_db::comments::{self, Moderation};
use dateline_db::testing::TestDb;
use dateline_mail::test_smtp::{Received, TestSmtp};
use mail_parser::MessageParser;

const SLUG: &str = "bridge-reopens-in-mosul";

async fn site(db: TestDb) -> TestApp {
    let app = TestApp::new(db).await;
    app.add("Bridge reopens in Mosul", |_| {}).await;
    app.relaxed_comments(|_| {}).await;
    app
}

async fn post(
    app: &TestApp,
    name: &str,
    email: &str,
    body: &str,
    parent: Option<i64>,
    notify: bool,
) -> (i64, String) {
    let token = app.comment_token().await;
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let mut fields = vec![
        ("body", body),
        ("name", name),
        ("email", email),
        ("token", token.as_str()),
        ("parent_id", parent.as_str()),
    ];
    if notify {
        fields.push(("notify", "1"));
    }
    let r = app
        .post_form(
            &format!("/{SLUG}/comments"),
            &fields,
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    (
        r.json()["id"].as_i64().unwrap(),
        r.json()["status"].as_str().unwrap().to_owned(),
    )
}

fn to(r: &Received) -> String {
    r.to.first().cloned().unwrap_or_default()
}

fn text_of(r: &Received) -> String {
    let m = MessageParser::default().parse(&r.data[..]).expect("MIME");
    m.body_text(0).expect("a text part").into_owned()
}

fn link(text: &str, prefix: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{text}"))
        .to_owned()
        .replace("http://news.test", "")
}

async fn delivered(app: &TestApp, smtp: &TestSmtp) -> Vec<Received> {
    let before = smtp.count();
    app.deliver_to(Some(&smtp.url())).await;
    smtp.received()[before..].to_vec()
}

async fn notify_of_new_comments_and_replies(db: TestDb) {
    let app = site(db).await;
    let smtp = TestSmtp::start().await.unwrap();

    // A reader who only gives an address: every new follow-up comment.
    let r = app
        .post_form(
            &format!("/{SLUG}/comments/follow"),
            &[("email", "Follower@Readers.test"), ("kind", "all")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let unknown = app
        .post_form(
            &format!("/{SLUG}/comments/follow"),
            &[("email", "x@readers.test"), ("kind", "all")],
            &[],
        )
        .await;
    assert_eq!(
        r.select("p[role=status]")[0].replace("follower@readers.test", "X"),
        unknown.select("p[role=status]")[0].replace("x@readers.test", "X"),
        "the answer is the same for any address"
    );
    let bad = app
        .post_form(
            &format!("/{SLUG}/comments/follow"),
            &[("email", "nope"), ("kind", "all")],
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.attrs("#follow-email", "value"), ["nope"]);
    // Asking again within the hour sends nothing more.
    app.post_form(
        &format!("/{SLUG}/comments/follow"),
        &[("email", "follower@readers.test"), ("kind", "replies")],
        &[],
    )
    .await;
    let mails = delivered(&app, &smtp).await;
    let confirmations: Vec<_> = mails
        .iter()
        .filter(|m| to(m) == "follower@readers.test")
        .collect();
    assert_eq!(confirmations.len(), 1, "one confirmation an hour");

    // A comment before the address is confirmed notifies nobody.
    post(
        &app,
        "Omar",
        "omar@readers.test",
        "Traffic is back on the bridge.",
        None,
        false,
    )
    .await;
    assert!(delivered(&app, &smtp).await.is_empty());

    // Confirm from the link (a page with a button: scanners confirm nobody).
    let confirm = link(
        &text_of(confirmations[0]),
        "http://news.test/comments/follow/confirm/",
    );
    let page = app.get(&confirm).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("main form button"), ["Confirm"]);
    let done = app.post_form(&confirm, &[], &[]).await;
    assert!(done.text().contains("Confirmed"));

    // Now a new comment arrives by mail, with its link and one-click unsubscribe.
    let (id, _) = post(
        &app,
        "Omar",
        "omar@readers.test",
        "And the *buses* run again.",
        None,
        false,
    )
    .await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(
        mails.iter().map(to).collect::<Vec<_>>(),
        ["follower@readers.test"],
        "the writer is not told of their own comment"
    );
    let m = MessageParser::default().parse(&mails[0].data[..]).unwrap();
    assert_eq!(
        m.subject(),
        Some("New comment by Omar on “Bridge reopens in Mosul”")
    );
    let text = m.body_text(0).unwrap().into_owned();
    assert!(text.contains("And the buses run again."), "{text}");
    let html = m.body_html(0).unwrap().into_owned();
    assert!(html.contains("<em>buses</em>"));
    let comment_link = link(&text, &format!("http://news.test/{SLUG}/comments/{id}"));
    assert_eq!(
        app.get(comment_link.split('#').next().unwrap())
            .await
            .status,
        StatusCode::OK
    );
    let unsubscribe = m
        .header_raw("List-Unsubscribe")
        .expect("List-Unsubscribe")
        .trim()
        .to_owned();
    assert!(
        unsubscribe.starts_with("<http://news.test/comments/follow/"),
        "{unsubscribe}"
    );
    assert_eq!(
        m.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    let one_click = unsubscribe
        .trim_matches(['<', '>'])
        .replace("http://news.test", "");

    // A held comment notifies only once it is approved, and then once.
    let mut s = comments::settings(&app.db.db).await.unwrap();
    s.blocked_words = vec!["bridge toll".into()];
    comments::save_settings(
        &app.db.db,
        &s,
        chrono::Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    app.refresh().await;
    let (held, status) = post(
        &app,
        "Sana",
        "sana@readers.test",
        "Will there be a bridge toll?",
        None,
        false,
    )
    .await;
    assert_eq!(status, "pending");
    assert!(
        delivered(&app, &smtp).await.is_empty(),
        "nothing for a held comment"
    );
    comments::moderate(
        &app.db.db,
        &[held],
        &Moderation::Status(CommentStatus::Approved),
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap();
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1);
    assert!(text_of(&mails[0]).contains("Will there be a bridge toll?"));
    for status in [CommentStatus::Pending, CommentStatus::Approved] {
        comments::moderate(
            &app.db.db,
            &[held],
            &Moderation::Status(status),
            &dateline_core::audit::Who::cli(""),
            Utc::now(),
        )
        .await
        .unwrap();
    }
    assert!(
        delivered(&app, &smtp).await.is_empty(),
        "approved again: no second notification"
    );

    // One-click unsubscribe (RFC 8058) stops further mail.
    let r = app
        .post_form(&one_click, &[("List-Unsubscribe", "One-Click")], &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().starts_with("Unsubscribed"));
    // "replies" was followed too: a root comment is not a reply to them.
    post(
        &app,
        "Omar",
        "omar@readers.test",
        "One more thing.",
        None,
        false,
    )
    .await;
    assert!(delivered(&app, &smtp).await.is_empty());
}

async fn notify_of_replies_to_ones_own_comments(db: TestDb) {
    let app = site(db).await;
    let smtp = TestSmtp::start().await.unwrap();
    // Layla comments and ticks "Email me replies to this comment".
    let (mine, _) = post(
        &app,
        "Layla",
        "layla@readers.test",
        "Which crossing reopened?",
        None,
        true,
    )
    .await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(mails.len(), 1, "a confirmation first");
    let confirm = link(
        &text_of(&mails[0]),
        "http://news.test/comments/follow/confirm/",
    );
    app.post_form(&confirm, &[], &[]).await;

    // A reply two levels below her comment reaches her; another thread does not.
    let (reply, _) = post(
        &app,
        "Omar",
        "omar@readers.test",
        "The old iron bridge.",
        Some(mine),
        false,
    )
    .await;
    let mails = delivered(&app, &smtp).await;
    assert_eq!(
        mails.iter().map(to).collect::<Vec<_>>(),
        ["layla@readers.test"]
    );
    assert!(text_of(&mails[0]).contains("Omar replied to Layla"));
    post(
        &app,
        "Sana",
        "sana@readers.test",
        "It was rebuilt in 2019.",
        Some(reply),
        false,
    )
    .await;
    assert_eq!(
        delivered(&app, &smtp)
            .await
            .iter()
            .map(to)
            .collect::<Vec<_>>(),
        ["layla@readers.test"]
    );
    post(
        &app,
        "Sana",
        "sana@readers.test",
        "Unrelated question.",
        None,
        false,
    )
    .await;
    assert!(delivered(&app, &smtp).await.is_empty());
    // Her own reply in her own thread does not notify her.
    post(
        &app,
        "Layla",
        "layla@readers.test",
        "Thank you both.",
        Some(reply),
        false,
    )
    .await;
    assert!(
        delivered(&app, &smtp)
            .await
            .iter()
            .all(|m| to(m) != "layla@readers.test")
    );

    // "Stop all" from a notification ends everything for the address.
    post(
        &app,
        "Omar",
        "omar@readers.test",
        "You are welcome.",
        Some(mine),
        false,
    )
    .await;
    let mails = delivered(&app, &smtp).await;
    let all = link(&text_of(&mails[0]), "http://news.test/comments/follow/all/");
    assert!(
        app.get(&all)
            .await
            .text()
            .contains("Stop every comment notification")
    );
    app.post_form(&all, &[], &[]).await;
    post(
        &app,
        "Omar",
        "omar@readers.test",
        "One more.",
        Some(mine),
        false,
    )
    .await;
    assert!(delivered(&app, &smtp).await.is_empty());
    // A forged link does nothing.
    let forged = format!("{}9", &all[..all.len() - 1]);
    assert_eq!(app.get(&forged).await.status, StatusCode::GONE);
}

async fn editors_see_and_remove_follows_and_the_api_follows(db: TestDb) {
    use axum::body::Body;
    use axum::http::Request;
    use dateline_core::Role;
    let app = site(db).await;
    let smtp = TestSmtp::start().await.unwrap();
    let article = comments::target_by_slug(&app.db.db, SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    let follow_from = |cookie: &str, body: serde_json::Value| {
        let req = Request::post(format!("/api/v1/articles/{article}/follow"))
            .header("content-type", "application/json")
            .header("cookie", cookie)
            .body(Body::from(body.to_string()))
            .unwrap();
        app.request(req)
    };
    let follow = |body: serde_json::Value| follow_from("", body);
    let r = follow(serde_json::json!({"email": "Rami@Readers.test", "kind": "all"})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let r = follow(serde_json::json!({"email": "nope", "kind": "everything"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &r.json()["error"]["fields"];
    assert!(
        fields["email"].is_string() && fields["kind"].is_string(),
        "{fields}"
    );
    let mails = delivered(&app, &smtp).await;
    let confirm = link(
        &text_of(&mails[0]),
        "http://news.test/comments/follow/confirm/",
    );
    // The browser that confirms is remembered as one that reads the mail.
    let confirmed = app.post_form(&confirm, &[], &[]).await;
    let rami_browser = confirmed
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let editor = app.browser(Role::Editor).await;
    let token = app.token(&editor.user).await;
    let listed = app
        .api(
            axum::http::Method::GET,
            &format!("/api/v1/admin/comments/follows?article={article}"),
            &token,
            None,
        )
        .await
        .json();
    assert_eq!(listed[0]["email"], "rami@readers.test");
    assert_eq!(listed[0]["kind"], "all");
    assert_eq!(listed[0]["confirmed"], true);
    let page = app
        .get_as(
            &editor,
            &format!("/admin/comments?article={article}&status=all"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.select("table tbody tr td:first-child a"),
        ["rami@readers.test"]
    );
    let by_address = app
        .get_as(
            &editor,
            "/admin/comments?email=rami%40readers.test&status=all",
        )
        .await;
    assert_eq!(
        by_address.select("table tbody tr td:nth-child(2) a"),
        ["Bridge reopens in Mosul"]
    );
    let action = page.attrs("form[action^='/admin/follows/']", "action")[0].clone();
    let r = app
        .post_as(&editor, &action, &[("back", "status=all")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    post(
        &app,
        "Omar",
        "omar@readers.test",
        "Nobody is told of this one.",
        None,
        false,
    )
    .await;
    assert!(
        delivered(&app, &smtp).await.is_empty(),
        "removed by an editor: no more mail"
    );

    // Following again needs the address's confirmation, unless it comes
    // from the browser that confirmed it.
    follow(serde_json::json!({"email": "rami@readers.test", "kind": "all"})).await;
    post(&app, "Omar", "omar@readers.test", "Not yet.", None, false).await;
    assert!(
        delivered(&app, &smtp).await.is_empty(),
        "no mail until confirmed (and no second confirmation within the hour)"
    );
    follow_from(
        &rami_browser,
        serde_json::json!({"email": "rami@readers.test", "kind": "all"}),
    )
    .await;

    // The Comments API ends a follow with the token of a notification's link,
    // and an editor removes one over the admin API.
    post(
        &app,
        "Omar",
        "omar@readers.test",
        "Back again.",
        None,
        false,
    )
    .await;
    let mails = delivered(&app, &smtp).await;
    let stop = link(&text_of(&mails[0]), "http://news.test/comments/follow/");
    let token_part = stop
        .trim_start_matches("/comments/follow/")
        .trim_end_matches("/unsubscribe")
        .to_owned();
    let req = Request::post("/api/v1/comments/unfollow")
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::json!({ "token": token_part }).to_string(),
        ))
        .unwrap();
    assert_eq!(app.request(req).await.status, StatusCode::NO_CONTENT);
    let req = Request::post("/api/v1/comments/unfollow")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"token": "1.0.forged"}"#))
        .unwrap();
    assert_eq!(app.request(req).await.status, StatusCode::NOT_FOUND);
    post(&app, "Omar", "omar@readers.test", "And again.", None, false).await;
    assert!(delivered(&app, &smtp).await.is_empty());
    follow(serde_json::json!({"email": "rami@readers.test", "kind": "replies"})).await;
    let listed = app
        .api(
            axum::http::Method::GET,
            "/api/v1/admin/comments/follows?email=rami@readers.test",
            &token,
            None,
        )
        .await
        .json();
    assert_eq!(listed[0]["kind"], "replies");
    assert_eq!(
        listed[0]["confirmed"], false,
        "asked without proof: waiting"
    );
    let id = listed[0]["id"].as_i64().unwrap();
    let r = app
        .api(
            axum::http::Method::DELETE,
            &format!("/api/v1/admin/comments/follows/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

both_databases!(
    notify_of_new_comments_and_replies,
    notify_of_replies_to_ones_own_comments,
    editors_see_and_remove_follows_and_the_api_follows,
);
