//! Inline feedback end to end in headless Chromium against `dateline
//! serve`, on SQLite and PostgreSQL: an editor asks about a paragraph with
//! the newsroom editor's button; one reader answers it beside the paragraph
//! with JavaScript, and comments on another paragraph; a second reader,
//! without JavaScript, answers through the paragraph's own page; the
//! markers and "Inline Feedbacks" count each answer. The editor then
//! rewords the asked paragraph and removes the other: the answers stay
//! beside the reworded one, and the comment on the removed one is listed as
//! on an earlier version.

use crate::browser::{
    accessibility_violations, axe_source, browser_with, click, fill, submit_sign_in, text,
};
use crate::comments::{
    ARTICLE, PASSWORD, count, save_comment_settings, site_with, text_becomes, wait_for, write,
};
use dateline_core::comment::CommentSettings;
use dateline_db::Backend;
use dateline_db::testing::TestDb;
use fantoccini::{Client, Locator};

const HEADLINE: &str = "Dockworkers end a nine-day strike at Basra's main port";

/// The body the editor writes, before asking about the second paragraph.
const BODY: &str = "Cranes at the northern quay began moving again on Monday morning.\n\n\
Dockworkers said the new rota gives them one rest day in four.\n\n\
Ships that had waited at anchor for a week were the first to be unloaded.\n\n\
The union's negotiator said the new rota would be reviewed in three months.";

const QUESTION: &str = "Do you work shifts at the port? How does the new rota compare?";

/// The same, the asked paragraph reworded and the ships removed.
const EDITED: &str = "Cranes at the northern quay began moving again on Monday morning.\n\n\
Dockworkers said the new rota gives them one full rest day in every four.\n\
{? Do you work shifts at the port? How does the new rota compare? }\n\n\
The union's negotiator said the new rota would be reviewed in three months.";

/// Signs in and opens the article in the newsroom's editor.
async fn open_editor(client: &Client, base: &str) {
    client.goto(&format!("{base}/admin/login")).await.unwrap();
    submit_sign_in(client, "editor@newsroom.test", PASSWORD).await;
    wait_for(client, "nav[aria-label=Newsroom]").await;
    client
        .goto(&format!("{base}/admin/articles"))
        .await
        .unwrap();
    client
        .find(Locator::LinkText(HEADLINE))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(client, "#body").await;
}

async fn save_and_sign_out(client: &Client) {
    click(client, "button[value=save]").await;
    wait_for(client, "p.notice").await;
    click(client, "form.sign-out button").await;
    wait_for(client, "form[action='/admin/login']").await;
}

/// Signs in, replaces the article's body in the editor, saves, signs out.
async fn edit_body(client: &Client, base: &str, body: &str) {
    open_editor(client, base).await;
    fill(client, "body", body).await;
    save_and_sign_out(client).await;
}

/// The editor writes `body`, puts the cursor in the paragraph that starts
/// with `paragraph`, asks with the editor's button, and types `question`
/// over the placeholder it selects.
async fn ask_with_the_button(
    client: &Client,
    base: &str,
    body: &str,
    paragraph: &str,
    question: &str,
) {
    open_editor(client, base).await;
    fill(client, "body", body).await;
    client
        .execute(
            "const b = document.getElementById('body');
             const at = b.value.indexOf(arguments[0]) + 3;
             b.setSelectionRange(at, at);",
            vec![serde_json::json!(paragraph)],
        )
        .await
        .unwrap();
    click(client, "button.ask-readers").await;
    let selected = client
        .execute(
            "const b = document.getElementById('body');
             return b.value.slice(b.selectionStart, b.selectionEnd);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(selected, serde_json::json!("Your question?"));
    client
        .find(Locator::Id("body"))
        .await
        .unwrap()
        .send_keys(question)
        .await
        .unwrap();
    save_and_sign_out(client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_feedback_in_the_browser_on_sqlite() {
    inline_feedback_in_the_browser(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_feedback_in_the_browser_on_postgres() {
    inline_feedback_in_the_browser(Backend::Postgres).await;
}

async fn inline_feedback_in_the_browser(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let (_storage, mut server) = site_with(backend, &db, dir.path(), &[]).await;
    save_comment_settings(
        backend,
        &db,
        dir.path(),
        &CommentSettings {
            min_seconds: 0,
            hold_first: false,
            ..Default::default()
        },
    )
    .await;
    let base = server.base.clone();
    let article = format!("{base}/{ARTICLE}");
    let axe = axe_source().expect("axe-core is missing: run scripts/test");
    let (_driver, client) = browser_with(true).await;

    // The editor asks readers about the second paragraph, with the
    // editor's button.
    ask_with_the_button(&client, &base, BODY, "Dockworkers said", QUESTION).await;
    client.goto(&article).await.unwrap();
    wait_for(&client, "p.asked a.passage-marker.asked").await;
    let asked = text(&client, "p.asked").await;
    assert!(
        asked.starts_with("Dockworkers said the new rota gives them one rest day in four."),
        "{asked}"
    );
    text_becomes(&client, ".inline-count", "0 Inline Feedbacks").await;
    assert_eq!(count(&client, ".story-body p a.passage-marker").await, 4);

    // With JavaScript: the marker opens the question and the form beside
    // the paragraph.
    click(&client, "p.asked a.passage-marker").await;
    wait_for(&client, ".passage-panel #comment-form").await;
    assert_eq!(
        text(&client, ".passage-panel .passage-question").await,
        "The editors ask: Do you work shifts at the port? How does the new rota compare?"
    );
    assert_eq!(
        text(&client, ".passage-panel .comment-form-heading").await,
        "Answer the editors’ question"
    );
    let violations = accessibility_violations(&client, &axe).await;
    assert!(violations.is_empty(), "axe, panel open: {violations:#?}");
    write(
        &client,
        "Night shifts, yes. One day in four is better than the old one in six.",
        "Hassan Ali",
        "hassan@readers.test",
    )
    .await;
    text_becomes(&client, "p.asked a.passage-marker .marker-count", "1").await;
    text_becomes(&client, ".inline-count", "1 Inline Feedbacks").await;
    text_becomes(&client, ".comment-count", "1 Comment").await;
    text_becomes(
        &client,
        ".passage-panel li.comment .comment-body",
        "Night shifts, yes. One day in four is better than the old one in six.",
    )
    .await;

    // Any paragraph: the ships.
    click(&client, "#p4 a.passage-marker").await;
    wait_for(&client, "#passage-p4 #comment-form").await;
    assert_eq!(
        count(&client, ".passage-panel").await,
        1,
        "one panel at a time"
    );
    write(
        &client,
        "Which ships? The grain carriers?",
        "Hassan Ali",
        "hassan@readers.test",
    )
    .await;
    text_becomes(&client, "#p4 a.passage-marker .marker-count", "1").await;
    text_becomes(&client, ".inline-count", "2 Inline Feedbacks").await;

    // The filter shows inline feedback only.
    client.goto(&article).await.unwrap();
    text_becomes(&client, "p.asked a.passage-marker .marker-count", "1").await;
    click(&client, "a[data-filter=inline]").await;
    text_becomes(
        &client,
        "#comment-list > li:last-child .comment-passage a",
        "“Dockworkers said the new rota gives them one rest day in four.”",
    )
    .await;
    assert_eq!(count(&client, "#comment-list > li.comment").await, 2);
    // The paragraph's own page, audited too.
    client
        .goto(&format!("{article}/passages/p3"))
        .await
        .unwrap();
    wait_for(&client, "h1#passage-heading").await;
    let violations = accessibility_violations(&client, &axe).await;
    assert!(
        violations.is_empty(),
        "axe, a paragraph's page: {violations:#?}"
    );
    client.close().await.unwrap();

    // Without JavaScript: the marker leads to the paragraph's page.
    let (_driver2, plain) = browser_with(false).await;
    plain.goto(&article).await.unwrap();
    click(&plain, "p.asked a.passage-marker").await;
    wait_for(&plain, "h1#passage-heading").await;
    assert_eq!(
        text(&plain, "h1#passage-heading").await,
        "The editors ask: Do you work shifts at the port? How does the new rota compare?"
    );
    assert_eq!(text(&plain, ".passage-answers-count").await, "1 answer");
    write(
        &plain,
        "I load the day shift. We were not asked about the rota.",
        "Mariam Jassim",
        "mariam@readers.test",
    )
    .await;
    wait_for(&plain, ".form-notice").await;
    plain.goto(&article).await.unwrap();
    text_becomes(&plain, ".inline-count", "3 Inline Feedbacks").await;
    text_becomes(&plain, "p.asked a.passage-marker .marker-count", "2").await;

    // The editor rewords the asked paragraph and removes the ships.
    edit_body(&plain, &base, EDITED).await;
    plain.goto(&article).await.unwrap();
    let asked = text(&plain, "p.asked").await;
    assert!(
        asked.starts_with(
            "Dockworkers said the new rota gives them one full rest day in every four."
        ),
        "{asked}"
    );
    text_becomes(&plain, "p.asked a.passage-marker .marker-count", "2").await;
    assert_eq!(count(&plain, "#p4").await, 0, "the removed paragraph");
    text_becomes(&plain, ".inline-count", "3 Inline Feedbacks").await;
    let earlier = plain
        .find(Locator::XPath(
            "//p[@class='comment-passage'][contains(., 'earlier version')]/a",
        ))
        .await
        .expect("the comment on the removed paragraph, as on an earlier version");
    assert_eq!(
        earlier.text().await.unwrap(),
        "“Ships that had waited at anchor for a week were the first to be unloaded.”"
    );
    earlier.click().await.unwrap();
    wait_for(&plain, ".passage-earlier").await;
    assert_eq!(
        text(&plain, ".passage-panel li.comment .comment-body").await,
        "Which ships? The grain carriers?"
    );
    assert_eq!(count(&plain, "#comment-form").await, 0);
    // The answers on the page of the reworded paragraph.
    plain.goto(&article).await.unwrap();
    click(&plain, "p.asked a.passage-marker").await;
    wait_for(&plain, "h1#passage-heading").await;
    assert_eq!(count(&plain, ".passage-panel li.comment").await, 2);

    plain.close().await.unwrap();
    assert!(
        server.terminate(),
        "serve did not exit cleanly:\n{}",
        server.log()
    );
}
