//! End to end in headless Chromium: an editor signs in, writes a translated
//! report with a dateline, uploads its image, previews it, publishes it; a
//! reader then finds it on the front page and in the RSS feed. Then the same
//! with JavaScript off, because the newsroom must work as plain forms.

use crate::browser::{
    accessibility_violations, axe_source, browser_with, click, fill, submit_sign_in, text,
};
use crate::comments::wait_for;
use crate::support::{Server, add_user};
use fantoccini::{Client, Locator};
use std::time::Duration;

const PASSWORD: &str = "river lantern granite";

async fn sign_in(client: &Client, base: &str) {
    client.goto(&format!("{base}/admin")).await.unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/admin/login")
    );
    submit_sign_in(client, "editor@newsroom.test", PASSWORD).await;
    wait_for(client, "table.articles, main p").await;
    assert_eq!(
        client.current_url().await.unwrap().path(),
        "/admin/articles"
    );
}

fn a_photo(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("harbour-cranes.png");
    let mut img = image::RgbImage::new(1200, 700);
    for (x, y, px) in img.enumerate_pixels_mut() {
        *px = image::Rgb([(x % 256) as u8, (y % 256) as u8, 140]);
    }
    img.save(&path).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_writes_previews_and_publishes_and_a_reader_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    add_user(
        data,
        "editor@newsroom.test",
        "Rana Haddad",
        "editor",
        PASSWORD,
    );
    let photo = a_photo(dir.path());
    let mut server = Server::start(dir.path(), None).await;
    let base = server.base.clone();
    let (_driver, client) = browser_with(true).await;
    let axe = axe_source().expect("axe-core is missing: run scripts/test");

    client.goto(&format!("{base}/admin/login")).await.unwrap();
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "sign-in page"
    );
    sign_in(&client, &base).await;
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "article list"
    );

    client
        .goto(&format!("{base}/admin/articles/new"))
        .await
        .unwrap();
    fill(
        &client,
        "headline",
        "Dockworkers end strike at Basra's northern quay",
    )
    .await;
    fill(
        &client,
        "deck",
        "Crews return after the port authority agrees to a new rota.",
    )
    .await;
    fill(&client, "dateline", "BASRA, Iraq.").await;
    fill(
        &client,
        "body",
        "Cranes moved again on *Monday* morning.\n\nThe union said the rota would be reviewed.",
    )
    .await;
    // The live preview follows the text (JavaScript on).
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#live-preview em"))
        .await
        .expect("the live preview renders the Markdown");
    assert_eq!(text(&client, "#live-preview em").await, "Monday");
    fill(&client, "tags", "Labour, Ports").await;
    fill(&client, "section", "Economy").await;
    fill(&client, "original_outlet", "Shatt al-Arab Daily").await;
    fill(&client, "original_language", "ar").await;
    fill(&client, "translators", "Layla Hassan").await;
    fill(&client, "image_alt", "Cranes over container stacks at dusk").await;
    fill(&client, "image_caption", "The northern quay.").await;
    client
        .find(Locator::Id("image_file"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "editor"
    );

    // Preview opens the reader page in a new tab, saving nothing.
    let editor_window = client.window().await.unwrap();
    click(&client, "button[value=preview]").await;
    let mut preview_window = None;
    for _ in 0..50 {
        let windows = client.windows().await.unwrap();
        if let Some(w) = windows.into_iter().find(|w| *w != editor_window) {
            preview_window = Some(w);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client
        .switch_to_window(preview_window.expect("a preview tab"))
        .await
        .unwrap();
    wait_for(&client, "article.story h1").await;
    assert_eq!(
        text(&client, "article.story h1").await,
        "Dockworkers end strike at Basra's northern quay"
    );
    assert_eq!(
        text(&client, ".credit-line").await,
        "Original report: Shatt al-Arab Daily, translated from Arabic by Layla Hassan."
    );
    client.close_window().await.unwrap();
    client.switch_to_window(editor_window).await.unwrap();

    click(&client, "button[value=publish]").await;
    wait_for(&client, "p.notice").await;
    assert_eq!(
        text(&client, "p.notice").await,
        "Published: the article is on the site."
    );
    let image_url = client
        .find(Locator::Id("image_url"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        image_url.starts_with("/media/uploads/") && image_url.ends_with("-1200.jpg"),
        "{image_url}"
    );

    // A reader, on the front page and in the feed.
    client.goto(&base).await.unwrap();
    let link = client
        .find(Locator::LinkText(
            "Dockworkers end strike at Basra's northern quay",
        ))
        .await
        .expect("the article is on the front page");
    link.click().await.unwrap();
    wait_for(&client, "article.story").await;
    assert_eq!(text(&client, ".story-body .dateline").await, "BASRA, IRAQ.");
    assert_eq!(text(&client, ".story-meta .byline").await, "By Rana Haddad");
    assert_eq!(
        text(&client, ".credit-line").await,
        "Original report: Shatt al-Arab Daily, translated from Arabic by Layla Hassan."
    );
    let img = client.find(Locator::Css(".featured img")).await.unwrap();
    assert!(
        img.attr("srcset")
            .await
            .unwrap()
            .unwrap_or_default()
            .contains("480w")
    );
    let loaded: bool = client
        .execute("const i = document.querySelector('.featured img'); return i.complete && i.naturalWidth > 0;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false);
    assert!(loaded, "the uploaded image is served");
    let feed = reqwest::get(format!("{base}/feed.xml"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains("<title>Dockworkers end strike at Basra&#39;s northern quay</title>")
            || feed.contains("<title>Dockworkers end strike at Basra's northern quay</title>"),
        "{feed}"
    );
    client.close().await.unwrap();
    assert!(server.terminate(), "{}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newsroom_works_without_javascript() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    add_user(
        data,
        "editor@newsroom.test",
        "Omar Aziz",
        "editor",
        PASSWORD,
    );
    let mut server = Server::start(dir.path(), None).await;
    let base = server.base.clone();
    let (_driver, client) = browser_with(false).await;
    sign_in(&client, &base).await;
    client
        .goto(&format!("{base}/admin/articles/new"))
        .await
        .unwrap();
    let hidden: bool = client
        .find(Locator::Css(".live-preview"))
        .await
        .unwrap()
        .attr("hidden")
        .await
        .unwrap()
        .is_some();
    assert!(
        hidden,
        "without JavaScript the live preview stays out of the way"
    );
    // A mistake first: the form comes back filled in, the error beside its field.
    fill(&client, "headline", "Power cuts ease in Mosul").await;
    fill(&client, "body", "Generators are quieter this week.").await;
    fill(&client, "image_url", "/media/missing.jpg").await;
    click(&client, "button[value=publish]").await;
    wait_for(&client, ".error-summary").await;
    assert!(
        text(&client, "#image_alt-error")
            .await
            .contains("Describe the image")
    );
    let kept = client
        .find(Locator::Id("headline"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Power cuts ease in Mosul"));
    fill(&client, "image_url", "").await;
    click(&client, "button[value=publish]").await;
    wait_for(&client, "p.notice").await;
    client.goto(&base).await.unwrap();
    client
        .find(Locator::LinkText("Power cuts ease in Mosul"))
        .await
        .expect("published without JavaScript");
    client.close().await.unwrap();
    assert!(server.terminate(), "{}", server.log());
}
