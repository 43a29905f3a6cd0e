//! Every kind of page, in one headless Chromium session over the demo
//! newsroom: axe-core finds no accessibility violation of moderate impact
//! or more, and the Content-Security-Policy blocks nothing (the shared
//! browser helpers check both on every audited page, and the server's log
//! of reported violations when it stops). Then a page that breaks the
//! policy, to show that the check catches it.

use crate::browser::{
    accessibility_violations, axe_source, browser_with, click, csp_violations, fill, submit_sign_in,
};
use crate::comments::{wait_for, write};
use crate::support::{Server, add_user, run, stderr};
use fantoccini::{Client, Locator};

const PASSWORD: &str = "saffron ledger harbour";

/// Opens `path` (when given), waits for `ready`, and audits the page.
async fn audit(client: &Client, axe: &str, base: &str, path: Option<&str>, ready: &str) {
    if let Some(path) = path {
        client.goto(&format!("{base}{path}")).await.unwrap();
    }
    wait_for(client, ready).await;
    let url = client.current_url().await.unwrap();
    let found = accessibility_violations(client, axe).await;
    assert!(found.is_empty(), "{url} ({ready}): {found:#?}");
}

/// Waits until the element has some text.
async fn text_becomes_nonempty(client: &Client, css: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while crate::browser::text(client, css).await.trim().is_empty() {
        assert!(std::time::Instant::now() < deadline, "{css} stays empty");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The address of the first link `css` finds on the current page.
async fn first_link(client: &Client, css: &str) -> String {
    let href = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(href.starts_with('/'), "{css}: {href}");
    href
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_page_passes_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = run(&["demo", "--data-dir", data]);
    assert!(o.status.success(), "{}", stderr(&o));
    add_user(
        data,
        "admin@newsroom.test",
        "Salma Idris",
        "admin",
        PASSWORD,
    );
    let mut server = Server::start(dir.path(), None).await;
    let base = server.base.clone();
    let axe = axe_source().expect("axe-core is missing: run scripts/test");
    let (_driver, client) = browser_with(true).await;
    let c = &client;

    // Reader pages.
    audit(c, &axe, &base, Some("/"), ".front .card").await;
    audit(c, &axe, &base, Some("/section/environment"), ".list .card").await;
    audit(c, &axe, &base, Some("/tag/water"), ".list .card").await;
    audit(c, &axe, &base, Some("/author/rana-haddad"), ".list .card").await;
    audit(c, &axe, &base, Some("/archive"), "main h1").await;
    let month = first_link(c, "main a[href^='/archive/']").await;
    audit(c, &axe, &base, Some(&month), ".list .card").await;
    audit(c, &axe, &base, Some("/search?q=solar"), ".list .card").await;
    audit(c, &axe, &base, Some("/search?q=zeppelin"), ".empty").await;
    audit(c, &axe, &base, Some("/no-such-report"), "main h1").await;
    audit(
        c,
        &axe,
        &base,
        Some("/tigris-water-talks-resume-ar"),
        "article.story",
    )
    .await;
    // The page's JSON-LD is data, which script-src does not govern: it is
    // there, whole, and the audit above found nothing blocked.
    let json_ld = c
        .execute(
            "return JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)['@type'];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(json_ld, "NewsArticle");

    // An article with its comments, a reply form open, then a paragraph's
    // panel open; a reader's comment, held for the moderators.
    audit(
        c,
        &axe,
        &base,
        Some("/erbil-solar-farm"),
        "#comment-list li.comment",
    )
    .await;
    click(c, "#comment-list a.reply-link").await;
    audit(c, &axe, &base, None, "li.comment #comment-form").await;
    write(
        c,
        "The evening peak is the real test.",
        "Nawal Saeed",
        "nawal@readers.test",
    )
    .await;
    // Sent faster than a person writes (the site waits three seconds): the
    // form says so, and keeps the text.
    text_becomes_nonempty(c, "#comment-form .form-status").await;
    audit(c, &axe, &base, None, "#comment-form .form-status").await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    click(c, "#comment-form button[type=submit]").await;
    wait_for(c, "li.comment-pending").await;
    audit(c, &axe, &base, None, "li.comment-pending").await;
    click(c, "p.asked a.passage-marker").await;
    audit(c, &axe, &base, None, ".passage-panel #comment-form").await;
    audit(
        c,
        &axe,
        &base,
        Some("/erbil-solar-farm/passages/p3"),
        "h1#passage-heading",
    )
    .await;
    let permalink = first_link(c, "li.comment a.comment-time").await;
    let reply = first_link(c, "li.comment a.reply-link").await;
    audit(c, &axe, &base, Some(&permalink), "li.comment").await;
    audit(c, &axe, &base, Some(&reply), "#comment-form").await;

    // The newsletter: the page, and what a sign-up answers.
    audit(c, &axe, &base, Some("/subscribe"), "form.signup-form").await;
    fill(c, "signup-email", "nawal@readers.test").await;
    click(c, "form.signup-form button[type=submit]").await;
    audit(c, &axe, &base, None, "main h1").await;
    audit(c, &axe, &base, Some("/comments/my-data"), "main form").await;

    // The newsroom.
    audit(c, &axe, &base, Some("/admin/login"), "main form").await;
    submit_sign_in(c, "admin@newsroom.test", PASSWORD).await;
    audit(c, &axe, &base, None, "table.articles").await;
    let edit = first_link(c, "table.articles a[href^='/admin/articles/']").await;
    audit(c, &axe, &base, Some(&edit), "#live-preview").await;
    audit(
        c,
        &axe,
        &base,
        Some(&format!("{edit}/revisions")),
        "main h1",
    )
    .await;
    audit(c, &axe, &base, Some("/admin/articles/new"), "#live-preview").await;
    audit(c, &axe, &base, Some("/admin/comments"), ".moderation-item").await;
    for (path, ready) in [
        ("/admin/subscribers", "main h1"),
        ("/admin/newsletters", "main h1"),
        ("/admin/settings", "main form"),
        ("/admin/users", "main h1"),
        ("/admin/tokens", "main h1"),
        ("/admin/account", "main h1"),
        ("/admin/taxonomy", "main h1"),
        ("/admin/authors", "main h1"),
        ("/admin/media", "main h1"),
    ] {
        audit(c, &axe, &base, Some(path), ready).await;
    }
    client.close().await.unwrap();
    assert!(server.terminate(), "{}", server.log());
}

/// A site whose front page template has inline script and style, as an
/// override might: the browser blocks both, and the check reports both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_catches_what_the_policy_blocks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/home.html"),
        "{% extends \"base.html\" %}{% block main %}\
         <h1 style=\"color: red\">Front</h1>\
         <script>document.title = 'ran';</script>\
         {% endblock %}",
    )
    .unwrap();
    let mut server = Server::start(dir.path(), None).await;
    let (_driver, client) = browser_with(true).await;
    client.goto(&server.base).await.unwrap();
    wait_for(&client, "main h1").await;
    assert_ne!(
        client.title().await.unwrap(),
        "ran",
        "the inline script ran"
    );
    let seen = csp_violations(&client).await;
    for directive in ["script-src-elem", "style-src-attr"] {
        assert!(
            seen.iter().any(|v| v.starts_with(directive)),
            "{directive}: {seen:#?}"
        );
    }
    let reported = server.take_csp_violations().await;
    for directive in ["script-src-elem", "style-src-attr"] {
        assert!(
            reported.iter().any(|v| v.contains(directive)),
            "the server heard of no {directive} violation: {reported:#?}"
        );
    }
    client.close().await.unwrap();

    // Without JavaScript there is no listener: the browser's own report
    // reaches the server.
    let (_driver, plain) = browser_with(false).await;
    plain.goto(&server.base).await.unwrap();
    wait_for(&plain, "main h1").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let reported = server.take_csp_violations().await;
        if reported.iter().any(|v| v.contains("style-src-attr")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the browser reported nothing without JavaScript: {reported:#?}"
        );
    }
    plain.close().await.unwrap();
    assert!(server.terminate(), "{}", server.log());
}
