//! Bodies that would take the sanitizer minutes are refused at once, with
//! the form kept; a long render holds up no one else's writes (issue 12,
//! finding 6).

use crate::support::TestApp;
use axum::http::{Method, StatusCode};
use dateline_core::Role;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;
use serde_json::json;
use std::time::{Duration, Instant};

/// What a save must answer within, however its body is built.
const PROMPT: Duration = Duration::from_secs(10);

/// Bodies the security review and its relatives found slow: nested blocks
/// (quadratic in the HTML parser), formatting elements the parser rebuilds
/// in every paragraph (quadratic, and 1,000 times the input in output), and
/// Markdown quotes nested to the same depth.
fn hostile_bodies() -> Vec<(&'static str, String)> {
    vec![
        ("nested divs", "<div>".repeat(80_000)),
        (
            "rebuilt formatting",
            (0..5_000).map(|i| format!("<p><b id={i}></p>")).collect(),
        ),
        ("nested quotes", format!("{}deep\n", "> ".repeat(100_000))),
        (
            "nested lists",
            (0..700)
                .map(|i| format!("{}- x\n", "  ".repeat(i)))
                .collect(),
        ),
    ]
}

/// A textarea's text as the browser would submit it again.
fn textarea(r: &crate::support::Resp, id: &str) -> String {
    let sel = scraper::Selector::parse(&format!("textarea#{id}")).unwrap();
    r.html()
        .select(&sel)
        .next()
        .map(|e| e.text().collect())
        .unwrap_or_default()
}

async fn deep_bodies_are_refused_at_once_and_kept(db: TestDb) {
    let app = TestApp::new(db).await;
    let editor = app.browser(Role::Editor).await;
    let token = app.token(&editor.user).await;
    for (what, body) in hostile_bodies() {
        let started = Instant::now();
        let r = app
            .post_multipart_as(
                &editor,
                "/admin/articles/new",
                &[("headline", "Deep"), ("body", &body), ("action", "save")],
                &[],
            )
            .await;
        let took = started.elapsed();
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(took < PROMPT, "{what}: refused after {took:?}");
        let message = r.select("#body-error").join(" ");
        assert!(message.contains("nest"), "{what}: {message}");
        assert_eq!(
            textarea(&r, "body").trim(),
            body.trim(),
            "{what}: the body is kept"
        );

        let started = Instant::now();
        let r = app
            .api(
                Method::POST,
                "/api/v1/admin/articles",
                &token,
                Some(json!({"headline": "Deep", "body": body})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(started.elapsed() < PROMPT, "{what} through the API");
        assert!(
            r.json()["error"]["fields"]["body"]
                .as_str()
                .unwrap()
                .contains("nest")
        );

        let started = Instant::now();
        let r = app
            .post_as(&editor, "/admin/preview/body", &[("body", &body)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(started.elapsed() < PROMPT, "{what} in the live preview");
        assert!(r.text().contains("nest"), "{what}: {}", r.text());
    }
    assert_eq!(
        dateline_db::articles::list(
            &app.db.db,
            &Default::default(),
            dateline_db::views::PageRequest::new(1, 5)
        )
        .await
        .unwrap()
        .total,
        0,
        "nothing was saved"
    );

    // Real articles nest a little: quotes in lists in tables.
    let nested = format!(
        "{}\n\nA list:\n\n- one\n  - two\n    - three\n      > quoted\n      > > and again\n",
        "<div><section><blockquote><ul><li><p><em><strong>Deep enough</strong></em></p></li></ul></blockquote></section></div>"
    );
    let r = app
        .post_multipart_as(
            &editor,
            "/admin/articles/new",
            &[("headline", "Nested"), ("body", &nested)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
}

/// A long render runs before the save's transaction, off the async threads:
/// a comment posted meanwhile is stored without waiting for it.
async fn a_long_render_holds_up_no_other_write(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Open thread", |_| {}).await;
    app.relaxed_comments(|_| {}).await;
    let editor = app.browser(Role::Editor).await;
    let long: String = (0..6_000)
        .map(|i| format!("Paragraph {i} of a *long* report, with [a link](https://example.org/{i}) and words enough to weigh something.\n\n"))
        .collect();
    let token = app.comment_token().await;

    let started = Instant::now();
    let save = async {
        let r = app
            .post_multipart_as(
                &editor,
                "/admin/articles/new",
                &[("headline", "Long"), ("body", &long)],
                &[],
            )
            .await;
        (r.status, started.elapsed())
    };
    let comment = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = app
            .post_form(
                "/open-thread/comments",
                &[
                    ("body", "Meanwhile."),
                    ("name", "Reader"),
                    ("email", "r@readers.test"),
                    ("token", &token),
                ],
                &[("accept", "application/json")],
            )
            .await;
        (r.status, started.elapsed())
    };
    let ((saved, save_took), (posted, comment_took)) = tokio::join!(save, comment);
    assert_eq!(saved, StatusCode::SEE_OTHER);
    assert_eq!(posted, StatusCode::CREATED);
    eprintln!("save {save_took:?}, comment done at {comment_took:?}");
    assert!(
        comment_took < save_took,
        "the comment waited for the save: {comment_took:?} vs {save_took:?}"
    );
}

both_databases!(
    deep_bodies_are_refused_at_once_and_kept,
    a_long_render_holds_up_no_other_write
);
