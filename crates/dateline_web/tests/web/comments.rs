//! Comments through the router, on SQLite and PostgreSQL: posting and
//! replying without script, threads nested to the configured depth, votes,
//! sorting, paging by cursor, permalinks, a writer's edit window, moderation
//! rules, the spam defences and rate limits, bans, the feed, counts on the
//! front page and in the Content API, and 200 readers posting at once.

use crate::reader::{Reader, get, post, post_json, send};
use crate::support::{Resp, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use dateline_core::comment::{CommentSettings, CommentStatus};
use dateline_db::both_databases;
use dateline_db::comments::{self, Moderation};
use dateline_db::testing::TestDb;

/// Posts a comment as `reader` and returns its id.
async fn comment(
    app: &TestApp,
    reader: &mut Reader,
    slug: &str,
    name: &str,
    body: &str,
    parent: Option<i64>,
) -> i64 {
    let token = app.comment_token().await;
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let email = format!("{}@readers.test", name.to_lowercase().replace(' ', "."));
    let r = post_json(
        app,
        reader,
        &format!("/{slug}/comments"),
        &[
            ("body", body),
            ("name", name),
            ("email", &email),
            ("parent_id", &parent),
            ("token", &token),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

async fn post_reply_vote_sort_and_page(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Farmers count the cost of the drought", |_| {})
        .await;
    let slug = "farmers-count-the-cost-of-the-drought";
    app.relaxed_comments(|s| {
        s.threads_per_page = 2;
        s.max_depth = 2;
    })
    .await;
    let mut layla = Reader::new("198.51.100.7");

    let page = get(&app, &layla, &format!("/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select(".comment-count"), ["0 Comments"]);
    assert_eq!(page.select(".inline-count"), ["0 Inline Feedbacks"]);
    assert_eq!(
        page.select("#comments label[for=comment-body]"),
        ["Join the discussion"]
    );
    let token = page.attrs("#comment-form input[name=token]", "value")[0].clone();
    assert!(!token.is_empty());

    // Without script: the form posts, and the writer lands on their comment.
    let r = post(
        &app,
        &mut layla,
        &format!("/{slug}/comments"),
        &[
            (
                "body",
                "The *river* is lower than anyone remembers. [Data](https://water.example/levels)",
            ),
            ("name", "Layla Nasser"),
            ("email", "Layla@Readers.test"),
            ("website", "layla.example"),
            ("token", &token),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let yours = r.header("location").to_owned();
    assert!(yours.starts_with("/comments/") && yours.ends_with("/yours"));
    assert!(layla.cookie_header().contains("dateline_commenter="));
    let mine = get(&app, &layla, &yours).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.text().contains("Your comment is published"));
    assert_eq!(mine.header("cache-control"), "private, no-store");
    assert!(mine.text().contains("Edit your comment"));
    // Another browser does not see the writer's page.
    assert_eq!(
        get(&app, &Reader::new("203.0.113.1"), &yours).await.status,
        StatusCode::NOT_FOUND
    );

    // The cached article page moved on.
    let page = get(&app, &layla, &format!("/{slug}")).await;
    assert_eq!(page.select(".comment-count"), ["1 Comment"]);
    assert_eq!(page.select(".comment-author"), ["Layla Nasser"]);
    assert_eq!(page.select(".avatar"), ["LN"]);
    let html = page.text();
    assert!(html.contains("<em>river</em>"));
    assert!(
        html.contains(
            r#"<a href="https://water.example/levels" rel="nofollow ugc noopener">Data</a>"#
        ),
        "{html}"
    );
    assert!(html.contains(r#"href="https://layla.example/" rel="nofollow ugc noopener""#));
    assert!(
        !html.contains("layla@readers.test"),
        "the email is never shown"
    );
    let first: i64 = yours
        .trim_start_matches("/comments/")
        .trim_end_matches("/yours")
        .parse()
        .unwrap();

    // Replies three levels deep: two nested, the third flat (depth 2).
    let mut omar = Reader::new("198.51.100.8");
    let r1 = comment(
        &app,
        &mut omar,
        slug,
        "Omar Saleh",
        "Which river?",
        Some(first),
    )
    .await;
    let r2 = comment(
        &app,
        &mut layla,
        slug,
        "Layla Nasser",
        "The Tigris, near Mosul.",
        Some(r1),
    )
    .await;
    let r3 = comment(&app, &mut omar, slug, "Omar Saleh", "Thank you.", Some(r2)).await;
    let page = get(&app, &layla, &format!("/{slug}")).await;
    assert_eq!(page.select(".comment-count"), ["4 Comments"]);
    assert_eq!(
        page.select(&format!(
            "#comment-{first} > ol.replies > #comment-{r1} > ol.replies > #comment-{r2}"
        ))
        .len(),
        1
    );
    assert_eq!(
        page.select(&format!(
            "#comment-{r1} > ol.replies > #comment-{r3} .in-reply-to"
        )),
        ["replying to Layla Nasser"],
        "below the nesting depth, replies are listed flat and say whom they answer"
    );

    // Votes: one per reader; the same vote again takes it back.
    let mut sami = Reader::new("198.51.100.9");
    let v = post_json(
        &app,
        &mut sami,
        &format!("/comments/{r1}/vote"),
        &[("value", "up")],
    )
    .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text());
    assert_eq!(
        (v.json()["upvotes"].as_i64(), v.json()["yours"].as_i64()),
        (Some(1), Some(1))
    );
    let v = post_json(
        &app,
        &mut sami,
        &format!("/comments/{r1}/vote"),
        &[("value", "up")],
    )
    .await;
    assert_eq!(
        (v.json()["upvotes"].as_i64(), v.json()["yours"].as_i64()),
        (Some(0), Some(0))
    );
    let v = post_json(
        &app,
        &mut sami,
        &format!("/comments/{r1}/vote"),
        &[("value", "down")],
    )
    .await;
    assert_eq!(
        (v.json()["downvotes"].as_i64(), v.json()["score"].as_i64()),
        (Some(1), Some(-1))
    );
    // Without script, a vote answers with the comment's permalink.
    let v = post(
        &app,
        &mut layla,
        &format!("/comments/{r1}/vote"),
        &[("value", "up")],
    )
    .await;
    assert_eq!(v.status, StatusCode::SEE_OTHER);
    assert_eq!(
        v.header("location"),
        format!("/{slug}/comments/{r1}#comment-{r1}")
    );
    let v = post_json(
        &app,
        &mut layla,
        &format!("/comments/{r1}/vote"),
        &[("value", "sideways")],
    )
    .await;
    assert_eq!(v.status, StatusCode::BAD_REQUEST);

    // Three more threads, so the section pages (two threads at a time).
    let mut others = Reader::new("198.51.100.10");
    let t2 = comment(
        &app,
        &mut others,
        slug,
        "Huda Karim",
        "Second thread.",
        None,
    )
    .await;
    let t3 = comment(&app, &mut others, slug, "Ali Jaber", "Third thread.", None).await;
    let v = post_json(
        &app,
        &mut sami,
        &format!("/comments/{t2}/vote"),
        &[("value", "up")],
    )
    .await;
    assert_eq!(v.status, StatusCode::OK);
    let roots = |r: &Resp| r.attrs("#comment-list > li.comment", "id");
    let newest = get(&app, &layla, &format!("/{slug}")).await;
    assert_eq!(
        roots(&newest),
        [format!("comment-{t3}"), format!("comment-{t2}")]
    );
    let more = newest.attrs(".load-more a", "href")[0].clone();
    let page2 = get(&app, &layla, &more).await;
    assert_eq!(page2.status, StatusCode::OK);
    assert_eq!(roots(&page2), [format!("comment-{first}")]);
    assert!(page2.attrs(".load-more a", "href").is_empty());
    let oldest = get(&app, &layla, &format!("/{slug}?sort=oldest")).await;
    assert_eq!(
        roots(&oldest),
        [format!("comment-{first}"), format!("comment-{t2}")]
    );
    let votes = get(&app, &layla, &format!("/{slug}?sort=votes")).await;
    assert_eq!(roots(&votes)[0], format!("comment-{t2}"));
    // The script's partial page.
    let partial = get(&app, &layla, &format!("{more}&partial=1")).await;
    assert!(
        partial.json()["html"]
            .as_str()
            .unwrap()
            .contains(&format!("comment-{first}"))
    );
    let broken = get(
        &app,
        &layla,
        &format!("/{slug}/comments?after=not-a-cursor"),
    )
    .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);

    // Permalinks and the reply page.
    let perma = get(&app, &layla, &format!("/{slug}/comments/{r2}")).await;
    assert_eq!(perma.status, StatusCode::OK);
    assert_eq!(
        perma.attrs(".comment-focus", "id"),
        [format!("comment-{r2}")]
    );
    let reply = get(&app, &layla, &format!("/{slug}/comments/{r2}/reply")).await;
    assert_eq!(
        reply.attrs("#comment-form input[name=parent_id]", "value"),
        [r2.to_string()]
    );
    assert_eq!(
        reply.select(".comment-form-heading"),
        ["Reply to Layla Nasser"]
    );
    assert_eq!(
        get(&app, &layla, &format!("/{slug}/comments/999999"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Counts on the front page and in the Content API.
    let front = get(&app, &layla, "/").await;
    assert_eq!(front.select(".comment-link"), ["6 comments"]);
    let api = get(&app, &layla, &format!("/api/v1/articles/{slug}"))
        .await
        .json();
    assert_eq!(api["article"]["comment_count"], 6);
    assert_eq!(api["article"]["inline_count"], 0);

    // The feed: newest first, valid XML, bodies escaped inside.
    let feed = get(&app, &layla, &format!("/{slug}/comments.atom")).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(
        feed.header("content-type")
            .starts_with("application/atom+xml")
    );
    let xml = feed.text();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed Atom");
    let titles: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title") && n.parent().is_some_and(|p| p.has_tag_name("entry")))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles.len(), 6);
    assert_eq!(
        titles[0],
        "Ali Jaber on “Farmers count the cost of the drought”"
    );
}

async fn bad_input_keeps_what_was_written(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Bread prices rise again", |_| {}).await;
    let slug = "bread-prices-rise-again";
    comments::save_settings(
        &app.db.db,
        &CommentSettings {
            hold_first: false,
            ..Default::default()
        },
        chrono::Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    app.refresh().await;
    let mut reader = Reader::new("198.51.100.20");
    let path = format!("/{slug}/comments");
    let body = "A long thought about bread, kept safe.";

    // Missing fields: 422, every problem listed, the text kept.
    let t = app.comment_token().await;
    let r = post(
        &app,
        &mut reader,
        &path,
        &[
            ("body", body),
            ("name", ""),
            ("email", "nope"),
            ("token", &t),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.select("#comment-body"), [body]);
    let errors = r.select(".form-errors li");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("\"nope\" is not an email address")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("Give a name")),
        "{errors:?}"
    );
    assert_eq!(r.header("cache-control"), "private, no-store");

    // Sent the instant the form was made: refused as too fast, kept.
    let r = post(
        &app,
        &mut reader,
        &path,
        &[
            ("body", body),
            ("name", "Rana"),
            ("email", "rana@readers.test"),
            ("token", &t),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.select(".form-notice")[0].contains("faster than people write"));
    assert_eq!(r.select("#comment-body"), [body]);
    assert_eq!(r.attrs("#comment-name", "value"), ["Rana"]);

    // No token, a forged token, the robots' field filled in.
    for (token, honeypot, why) in [
        ("", "", "did not come from our comment form"),
        ("12.99.forged", "", "did not come from our comment form"),
        (t.as_str(), "https://spam.example", "looks automatic"),
    ] {
        let r = post(
            &app,
            &mut reader,
            &path,
            &[
                ("body", body),
                ("name", "Rana"),
                ("email", "rana@readers.test"),
                ("token", token),
                ("homepage", honeypot),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.select(".form-notice")[0].contains(why),
            "{why}: {:?}",
            r.select(".form-notice")
        );
    }

    app.relaxed_comments(|s| s.max_chars = 100).await;
    let t = app.comment_token().await;
    let long = "word ".repeat(40);
    let r = post(
        &app,
        &mut reader,
        &path,
        &[
            ("body", &long),
            ("name", "Rana"),
            ("email", "rana@readers.test"),
            ("token", &t),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.select(".form-errors li")[0].contains("up to 100 characters; this one has 199"));
    // A reply to a comment that is not there.
    let r = post(
        &app,
        &mut reader,
        &path,
        &[
            ("body", body),
            ("name", "Rana"),
            ("email", "rana@readers.test"),
            ("token", &t),
            ("parent_id", "424242"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("no longer there"));
    // Nothing half-saved remains.
    let list = comments::moderation_list(
        &app.db.db,
        &Default::default(),
        dateline_db::views::PageRequest::new(1, 50),
    )
    .await
    .unwrap();
    assert_eq!(list.total, 0);

    // Closed comments.
    let article = comments::target_by_slug(&app.db.db, slug)
        .await
        .unwrap()
        .unwrap();
    comments::set_closed(&app.db.db, dateline_core::ArticleId(article.id), true)
        .await
        .unwrap();
    app.refresh().await;
    let r = post(
        &app,
        &mut reader,
        &path,
        &[
            ("body", body),
            ("name", "Rana"),
            ("email", "rana@readers.test"),
            ("token", &t),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.select("#comment-body"), [body]);
    let page = get(&app, &reader, &format!("/{slug}")).await;
    assert_eq!(
        page.select(".comments-closed"),
        ["Comments on this report are closed."]
    );
    assert!(page.select("#comment-form").is_empty());
}

async fn held_comments_wait_for_a_moderator(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Power cuts in Basra", |_| {}).await;
    let slug = "power-cuts-in-basra";
    app.relaxed_comments(|s| {
        s.hold_first = true;
        s.blocked_words = vec!["cheap pills".into()];
    })
    .await;
    let mut nadia = Reader::new("198.51.100.30");
    let t = app.comment_token().await;
    let r = post_json(
        &app,
        &mut nadia,
        &format!("/{slug}/comments"),
        &[
            ("body", "First time here."),
            ("name", "Nadia"),
            ("email", "nadia@readers.test"),
            ("token", &t),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["status"], "pending");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("awaiting moderation")
    );
    let id = r.json()["id"].as_i64().unwrap();
    let page = get(&app, &nadia, &format!("/{slug}")).await;
    assert_eq!(page.select(".comment-count"), ["0 Comments"]);
    assert!(
        page.select(".comment-author").is_empty(),
        "held comments are not shown to others"
    );
    // Its writer sees it, marked as awaiting moderation.
    let mine = get(
        &app,
        &nadia,
        &format!(
            "/comments/mine?article={}",
            comments::target_by_slug(&app.db.db, slug)
                .await
                .unwrap()
                .unwrap()
                .id
        ),
    )
    .await
    .json();
    assert_eq!(mine["comments"][0]["pending"], true);
    assert!(
        mine["comments"][0]["html"]
            .as_str()
            .unwrap()
            .contains("awaiting moderation")
    );
    let yours = get(&app, &nadia, &format!("/comments/{id}/yours")).await;
    assert!(yours.text().contains("awaiting moderation"));
    assert!(
        get(
            &app,
            &Reader::new("203.0.113.50"),
            "/comments/mine?article=1"
        )
        .await
        .json()["comments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Nobody can reply to it or vote on it yet.
    let v = post_json(
        &app,
        &mut nadia,
        &format!("/comments/{id}/vote"),
        &[("value", "up")],
    )
    .await;
    assert_eq!(v.status, StatusCode::NOT_FOUND);

    // Approved by a moderator: shown, and her next comment goes straight out.
    comments::moderate(
        &app.db.db,
        &[id],
        &Moderation::Status(CommentStatus::Approved),
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap();
    app.refresh().await;
    let page = get(&app, &nadia, &format!("/{slug}")).await;
    assert_eq!(page.select(".comment-count"), ["1 Comment"]);
    assert_eq!(page.select(".comment-author"), ["Nadia"]);
    let t = app.comment_token().await;
    let r = post_json(
        &app,
        &mut nadia,
        &format!("/{slug}/comments"),
        &[
            ("body", "Second time."),
            ("name", "Nadia"),
            ("email", "nadia@readers.test"),
            ("token", &t),
        ],
    )
    .await;
    assert_eq!(r.json()["status"], "approved");

    // Blocked words and too many links hold even a known writer.
    for body in [
        "Buy cheap pills now",
        "a https://a.example b https://b.example c https://c.example",
    ] {
        let t = app.comment_token().await;
        let r = post_json(
            &app,
            &mut nadia,
            &format!("/{slug}/comments"),
            &[
                ("body", body),
                ("name", "Nadia"),
                ("email", "nadia@readers.test"),
                ("token", &t),
            ],
        )
        .await;
        assert_eq!(r.json()["status"], "pending", "{body}");
    }
    let held = comments::moderation_list(
        &app.db.db,
        &comments::ModerationFilter {
            status: Some(CommentStatus::Pending),
            ..Default::default()
        },
        dateline_db::views::PageRequest::new(1, 10),
    )
    .await
    .unwrap();
    let reasons: Vec<_> = held.items.iter().map(|i| i.held_because.clone()).collect();
    assert_eq!(reasons, ["3 links", "contains \"cheap pills\""]);
}

async fn writers_edit_and_delete_within_the_window(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Schools reopen in Aleppo", |_| {}).await;
    let slug = "schools-reopen-in-aleppo";
    app.relaxed_comments(|_| {}).await;
    let mut writer = Reader::new("198.51.100.40");
    let id = comment(&app, &mut writer, slug, "Karim", "Good news at last.", None).await;
    let mut other = Reader::new("198.51.100.41");
    let reply = comment(&app, &mut other, slug, "Mona", "Indeed.", Some(id)).await;

    let form = get(&app, &writer, &format!("/comments/{id}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.select("#comment-body"), ["Good news at last."]);
    let r = post(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", "Good news, at **last**.")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get(&app, &writer, &format!("/{slug}")).await;
    assert!(page.text().contains("Good news, at <strong>last</strong>."));
    assert_eq!(page.select(&format!("#comment-{id} .edited")), ["(edited)"]);
    let empty = post(
        &app,
        &mut writer,
        &format!("/comments/{id}/edit"),
        &[("body", " ")],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Someone else cannot, whatever the id in the address.
    let r = post(
        &app,
        &mut other,
        &format!("/comments/{id}/edit"),
        &[("body", "hijacked")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post(&app, &mut other, &format!("/comments/{id}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, &other, &format!("/comments/{id}/edit"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Deleting a comment with a reply leaves a placeholder; the count drops.
    let r = post(&app, &mut writer, &format!("/comments/{id}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get(&app, &writer, &format!("/{slug}")).await;
    assert_eq!(page.select(".comment-count"), ["1 Comment"]);
    assert_eq!(
        page.select(&format!("#comment-{id} > article .deleted")),
        ["This comment was deleted by its writer."]
    );
    assert_eq!(
        page.select(&format!("#comment-{id} #comment-{reply} .comment-author")),
        ["Mona"]
    );
    // Once the window has closed, nothing more.
    app.relaxed_comments(|s| s.edit_minutes = 0).await;
    let r = post(
        &app,
        &mut other,
        &format!("/comments/{reply}/edit"),
        &[("body", "late")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("can no longer be"), "{}", r.text());
}

async fn floods_are_held_or_refused_while_a_reader_gets_through(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Election results delayed", |_| {}).await;
    let slug = "election-results-delayed";
    comments::save_settings(
        &app.db.db,
        &CommentSettings {
            min_seconds: 2,
            ..Default::default()
        },
        chrono::Utc::now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    app.refresh().await;
    let path = format!("/{slug}/comments");
    let old_token = app.comment_token().await;
    // Forms opened a while ago, each sending one comment (a token sends a
    // few at most).
    let mut patient = Vec::new();
    for _ in 0..40 {
        patient.push(app.comment_token().await);
    }
    // A person reads for a while before writing.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

    let mut bot = Reader::new("192.0.2.66");
    let mut refused = 0;
    let mut limited = 0;
    for i in 0..105 {
        let fresh = app.comment_token().await;
        let forged = format!("10.0.{}.{}", i / 250, i % 250);
        let (tok, honeypot) = match i % 3 {
            0 => (fresh.as_str(), ""),             // instant submit
            1 => (old_token.as_str(), "http://x"), // honeypot filled
            _ => (patient[i / 3].as_str(), ""),    // patient, but many
        };
        let req = Request::post(&path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", forged.as_str())
            .header("accept", "application/json");
        let body = serde_urlencoded::to_string([
            ("body", format!("Buy followers {i} https://spam.example")),
            ("name", "Best Deals".into()),
            ("email", format!("deals{i}@spam.example")),
            ("token", tok.into()),
            ("homepage", honeypot.into()),
        ])
        .unwrap();
        let r = send(&app, &bot, req, Body::from(body)).await;
        bot.keep(&r);
        match r.status {
            StatusCode::UNPROCESSABLE_ENTITY => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            StatusCode::CREATED => {
                assert_eq!(r.json()["status"], "pending", "a new address is held")
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(
        refused, 70,
        "instant submits and filled honeypots are refused"
    );
    assert_eq!(
        limited, 5,
        "forged X-Forwarded-For headers do not spread the per-address limit"
    );
    let stored = comments::moderation_list(
        &app.db.db,
        &Default::default(),
        dateline_db::views::PageRequest::new(1, 100),
    )
    .await
    .unwrap();
    assert_eq!(
        stored.total, 30,
        "the per-address limit was stored, no more"
    );
    assert!(
        stored
            .items
            .iter()
            .all(|i| i.comment.status == CommentStatus::Pending)
    );
    assert_eq!(
        get(&app, &bot, &format!("/{slug}"))
            .await
            .select(".comment-count"),
        ["0 Comments"]
    );

    // Meanwhile a reader from elsewhere, known to the site, gets through.
    let mut reader = Reader::new("198.51.100.77");
    let first = post_json(
        &app,
        &mut reader,
        &path,
        &[
            ("body", "When will they count?"),
            ("name", "Salma"),
            ("email", "salma@readers.test"),
            ("token", &patient[36]),
        ],
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let id = first.json()["id"].as_i64().unwrap();
    comments::moderate(
        &app.db.db,
        &[id],
        &Moderation::Status(CommentStatus::Approved),
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap();
    let second = post_json(
        &app,
        &mut reader,
        &path,
        &[
            ("body", "Thanks for the update."),
            ("name", "Salma"),
            ("email", "salma@readers.test"),
            ("token", &patient[37]),
        ],
    )
    .await;
    assert_eq!(second.json()["status"], "approved");

    // Banned: by address and by client.
    comments::ban(
        &app.db.db,
        comments::BanKind::Email,
        "salma@readers.test",
        "salma@readers.test",
        "test",
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap();
    let r = post_json(
        &app,
        &mut reader,
        &path,
        &[
            ("body", "Again."),
            ("name", "Salma"),
            ("email", "salma@readers.test"),
            ("token", &patient[38]),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn two_hundred_readers_post_at_once(db: TestDb) {
    let app = std::sync::Arc::new(TestApp::new(db).await);
    app.add("Flood warnings along the Euphrates", |_| {}).await;
    let slug = "flood-warnings-along-the-euphrates";
    app.relaxed_comments(|_| {}).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let app = app.clone();
        let t = app.comment_token().await;
        tasks.push(tokio::spawn(async move {
            let mut reader = Reader::new(&format!("10.{}.{}.1", i / 200, i % 200));
            let r = post_json(
                &app,
                &mut reader,
                &format!("/{slug}/comments"),
                &[
                    ("body", &format!("Reader {i} is safe.")),
                    ("name", &format!("Reader {i}")),
                    ("email", &format!("r{i}@readers.test")),
                    ("token", &t),
                ],
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let target = comments::target_by_slug(&app.db.db, slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target.comment_count, 200);
    let mut seen = std::collections::HashSet::new();
    let mut after = None;
    loop {
        let page = comments::threads(
            &app.db.db,
            dateline_core::ArticleId(target.id),
            comments::ThreadFilter::All,
            Default::default(),
            after,
            50,
        )
        .await
        .unwrap();
        for c in &page.comments {
            assert!(
                seen.insert(c.body_markdown.clone()),
                "listed twice: {}",
                c.body_markdown
            );
        }
        match page.next {
            Some(n) => after = comments::Cursor::parse(&n),
            None => break,
        }
    }
    assert_eq!(
        seen.len(),
        200,
        "every comment is listed once across the pages"
    );
}

both_databases!(
    post_reply_vote_sort_and_page,
    bad_input_keeps_what_was_written,
    held_comments_wait_for_a_moderator,
    writers_edit_and_delete_within_the_window,
    floods_are_held_or_refused_while_a_reader_gets_through,
    two_hundred_readers_post_at_once,
    editors_moderate_in_the_newsroom,
    the_comments_api,
    commenters_export_and_erase_through_a_mailed_link,
    proof_of_work_when_the_site_asks,
);

async fn editors_moderate_in_the_newsroom(db: TestDb) {
    use dateline_core::Role;
    let app = TestApp::new(db).await;
    app.add("Doctors strike in Sulaymaniyah", |_| {}).await;
    let slug = "doctors-strike-in-sulaymaniyah";
    app.relaxed_comments(|s| s.hold_first = true).await;
    let mut reader = Reader::new("198.51.100.60");
    let held = comment(
        &app,
        &mut reader,
        slug,
        "Dana Aziz",
        "Pay the doctors.",
        None,
    )
    .await;
    let spam = comment(
        &app,
        &mut Reader::new("192.0.2.99"),
        slug,
        "Promo",
        "cheap watches",
        None,
    )
    .await;

    let contributor = app.browser(Role::Contributor).await;
    assert_eq!(
        app.get_as(&contributor, "/admin/comments").await.status,
        StatusCode::FORBIDDEN
    );
    let editor = app.browser(Role::Editor).await;
    let queue = app.get_as(&editor, "/admin/comments").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text());
    assert_eq!(
        queue.attrs("input[name=ids]", "value"),
        [spam.to_string(), held.to_string()]
    );
    assert!(
        queue
            .text()
            .contains("held: first comment from this address")
    );
    assert!(queue.select("nav.tabs a[aria-current] .count") == ["2"]);
    assert!(
        queue.select("#settings").is_empty(),
        "comment settings are for admins"
    );

    // Bulk: approve one, spam the other.
    let r = app
        .post_as(
            &editor,
            "/admin/comments/bulk",
            &[
                ("ids", &held.to_string()),
                ("action", "approve"),
                ("back", "status=pending"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location"),
        "/admin/comments?status=pending&notice=moderated"
    );
    let r = app
        .post_as(
            &editor,
            &format!("/admin/comments/{spam}/spam"),
            &[("back", "status=pending")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get(&app, &reader, &format!("/{slug}")).await;
    assert_eq!(page.select(".comment-author"), ["Dana Aziz"]);
    let queue = app.get_as(&editor, "/admin/comments").await;
    assert!(queue.text().contains("Nothing is waiting for a moderator."));

    // Edit and reply in place; the reply is published under the editor.
    let r = app
        .post_as(
            &editor,
            &format!("/admin/comments/{held}/edit"),
            &[(&format!("edit_{held}"), "Pay the doctors **now**.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post_as(
            &editor,
            &format!("/admin/comments/{held}/reply"),
            &[(
                &format!("reply_{held}"),
                "We asked the ministry; see our update.",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = get(&app, &reader, &format!("/{slug}")).await;
    assert!(
        page.text()
            .contains("Pay the doctors <strong>now</strong>.")
    );
    assert_eq!(
        page.select(&format!("#comment-{held} ol.replies .badge")),
        ["Newsroom"]
    );
    assert_eq!(page.select(".comment-count"), ["2 Comments"]);
    let history = app
        .get_as(
            &editor,
            &format!(
                "/admin/comments?email={}&status=all",
                "dana.aziz%40readers.test"
            ),
        )
        .await;
    assert_eq!(
        history.attrs("input[name=ids]", "value"),
        [held.to_string()]
    );
    assert!(
        history.text().contains("History: approved by"),
        "{}",
        history.text()
    );

    // Bans: by address, then the writer is refused.
    let r = app
        .post_as(
            &editor,
            &format!("/admin/comments/{spam}/ban"),
            &[("kind", "ip")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let t = app.comment_token().await;
    let refused = post_json(
        &app,
        &mut Reader::new("192.0.2.99"),
        &format!("/{slug}/comments"),
        &[
            ("body", "again"),
            ("name", "Promo2"),
            ("email", "other@spam.example"),
            ("token", &t),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let queue = app.get_as(&editor, "/admin/comments").await;
    assert!(queue.text().contains("the client that wrote comment"));

    // Signed in to the newsroom, an editor comments from the page itself,
    // under their own name, published at once.
    let t = app.comment_token().await;
    let r = app
        .post_form(
            &format!("/{slug}/comments"),
            &[
                ("body", "A correction: the strike began on Monday."),
                ("name", ""),
                ("email", ""),
                ("token", &t),
            ],
            &[("cookie", &editor.cookie), ("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["status"], "approved");
    assert!(r.json()["html"].as_str().unwrap().contains("Newsroom"));
    let article_id = comments::target_by_slug(&app.db.db, slug)
        .await
        .unwrap()
        .unwrap()
        .id;
    let mine = app
        .get_with(
            &format!("/comments/mine?article={article_id}"),
            &[("cookie", &editor.cookie)],
        )
        .await
        .json();
    assert_eq!(mine["newsroom"]["name"], editor.user.name.as_str());

    // Closing an article's comments.
    let article = comments::target_by_slug(&app.db.db, slug)
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_as(
            &editor,
            &format!("/admin/articles/{}/comments", article.id),
            &[("closed", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get(&app, &reader, &format!("/{slug}")).await;
    assert_eq!(
        page.select(".comments-closed"),
        ["Comments on this report are closed."]
    );

    // Admins change the settings; a wrong value is named and nothing saved.
    let admin = app.browser(Role::Admin).await;
    let r = app
        .post_as(
            &admin,
            "/admin/comments/settings",
            &[
                ("enabled", "1"),
                ("close_after_days", "0"),
                ("threads_per_page", "0"),
                ("max_depth", "3"),
                ("edit_minutes", "15"),
                ("max_chars", "5000"),
                ("max_links", "2"),
                ("blocked_words", "casino\nloans"),
                ("min_seconds", "3"),
                ("proof_of_work_bits", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .contains("Show between 1 and 200 threads at first.")
    );
    assert_eq!(r.select("#blocked_words"), ["casino loans"]);
    let r = app
        .post_as(
            &admin,
            "/admin/comments/settings",
            &[
                ("enabled", "1"),
                ("close_after_days", "30"),
                ("threads_per_page", "10"),
                ("max_depth", "4"),
                ("edit_minutes", "10"),
                ("max_chars", "3000"),
                ("max_links", "1"),
                ("blocked_words", "casino\nloans"),
                ("min_seconds", "2"),
                ("proof_of_work_bits", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let saved = comments::settings(&app.db.db).await.unwrap();
    assert_eq!(
        (saved.threads_per_page, saved.max_depth, saved.hold_first),
        (10, 4, false)
    );
    assert_eq!(saved.blocked_words, ["casino", "loans"]);
}

async fn the_comments_api(db: TestDb) {
    use axum::http::Method;
    use dateline_core::Role;
    let app = TestApp::new(db).await;
    let article = app.add("Refinery fire near Baiji", |_| {}).await;
    app.relaxed_comments(|s| s.hold_first = true).await;
    let base = format!("/api/v1/articles/{}/comments", article.0);

    let t = app.get("/api/v1/comments/token").await.json();
    assert_eq!(t["pow_bits"], 0);
    let token = t["token"].as_str().unwrap().to_owned();
    let post = |body: serde_json::Value| {
        let req = Request::post(&base)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        app.request(req)
    };
    let r = post(serde_json::json!({"body": "Is the road open?", "name": "Yusuf", "email": "yusuf@readers.test", "token": token})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["status"], "pending");
    let held = r.json()["comment"]["id"].as_i64().unwrap();
    let r = post(serde_json::json!({"body": "", "name": "Yusuf", "email": "bad", "token": token}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &r.json()["error"]["fields"];
    assert!(
        fields["body"].is_string() && fields["email"].is_string(),
        "{fields}"
    );
    let r = post(serde_json::json!({"body": "x", "name": "Y", "email": "y@readers.test"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]["fields"]["token"]
            .as_str()
            .unwrap()
            .contains("comment form")
    );

    // Public list: nothing held is shown.
    let list = app.get(&base).await.json();
    assert_eq!(list["count"], 0);
    assert_eq!(list["comments"].as_array().unwrap().len(), 0);
    assert_eq!(list["open"], true);

    // Moderation with a token: contributors may not, editors may.
    let contributor = app.browser(Role::Contributor).await;
    let ctoken = app.token(&contributor.user).await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/admin/comments", &ctoken, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let editor = app.browser(Role::Editor).await;
    let etoken = app.token(&editor.user).await;
    let queue = app
        .api(Method::GET, "/api/v1/admin/comments", &etoken, None)
        .await
        .json();
    assert_eq!(queue["counts"]["pending"], 1);
    assert_eq!(queue["comments"][0]["author_email"], "yusuf@readers.test");
    assert_eq!(
        queue["comments"][0]["held_because"],
        "first comment from this address"
    );
    let r = app
        .api(
            Method::POST,
            "/api/v1/admin/comments/moderate",
            &etoken,
            Some(serde_json::json!({"ids": [held], "action": "approve"})),
        )
        .await;
    assert_eq!(r.json()["changed"], 1);
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/admin/comments/{held}/reply"),
            &etoken,
            Some(serde_json::json!({"body": "Yes, since this morning."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["staff"], true);
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/admin/comments/{held}"),
            &etoken,
            Some(serde_json::json!({"body": "Is the **road** open?"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .api(
            Method::POST,
            "/api/v1/admin/comments/moderate",
            &etoken,
            Some(serde_json::json!({"ids": [held], "action": "explode"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Reading and voting.
    let list = app.get(&base).await.json();
    assert_eq!(list["count"], 2);
    let first = &list["comments"][0];
    assert_eq!(
        first["body_html"],
        "<p>Is the <strong>road</strong> open?</p>\n"
    );
    assert!(
        first.get("author_email").is_none(),
        "no address in the public API"
    );
    assert_eq!(list["comments"][1]["parent_id"], held);
    assert_eq!(list["comments"][1]["depth"], 1);
    let vote = Request::post(format!("/api/v1/comments/{held}/vote"))
        .header("content-type", "application/json")
        .body(Body::from(r#"{"value":"up"}"#))
        .unwrap();
    let v = app.request(vote).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.text());
    assert_eq!(v.json()["upvotes"], 1);
    let one = app
        .get(&format!("/api/v1/articles/{}", article.0))
        .await
        .json();
    assert_eq!(one["article"]["comment_count"], 2);
    assert!(
        one["article"]["comments_url"]
            .as_str()
            .unwrap()
            .ends_with(&base)
    );
    assert_eq!(
        app.get("/api/v1/articles/99999/comments").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{base}?sort=loudest")).await.status,
        StatusCode::BAD_REQUEST
    );

    // The OpenAPI document describes all of it.
    let doc = app.get("/api/openapi.json").await.json();
    for path in [
        "/api/v1/articles/{id}/comments",
        "/api/v1/comments/{id}/vote",
        "/api/v1/comments/token",
        "/api/v1/admin/comments",
        "/api/v1/admin/comments/moderate",
        "/api/v1/admin/comments/{id}/reply",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}

async fn commenters_export_and_erase_through_a_mailed_link(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Water trucks reach Hasakah", |_| {}).await;
    let slug = "water-trucks-reach-hasakah";
    app.relaxed_comments(|_| {}).await;
    let mut rima = Reader::new("198.51.100.80");
    let article_id = comments::target_by_slug(&app.db.db, slug)
        .await
        .unwrap()
        .unwrap()
        .id;
    dateline_db::follows::follow(
        &app.db.db,
        &dateline_db::follows::FollowRequest {
            email: "rima.daher@readers.test",
            article: dateline_core::ArticleId(article_id),
            kind: dateline_db::follows::FollowKind::All,
            comment_id: None,
            proven: false,
        },
        Utc::now(),
        |_| None,
    )
    .await
    .unwrap();
    let mine = comment(
        &app,
        &mut rima,
        slug,
        "Rima Daher",
        "The trucks came at dawn.",
        None,
    )
    .await;
    comment(
        &app,
        &mut rima,
        slug,
        "Rima Daher",
        "And again at noon.",
        None,
    )
    .await;
    let mut other = Reader::new("198.51.100.81");
    let reply = comment(
        &app,
        &mut other,
        slug,
        "Fadi Haddad",
        "Same in our street.",
        Some(mine),
    )
    .await;

    let bad = post(
        &app,
        &mut rima,
        "/comments/my-data",
        &[("email", "rima at home")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.attrs("#data-email", "value"), ["rima at home"]);
    let sent = post(
        &app,
        &mut rima,
        "/comments/my-data",
        &[("email", "Rima.Daher@readers.test")],
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK);
    let nobody = post(
        &app,
        &mut rima,
        "/comments/my-data",
        &[("email", "nobody@readers.test")],
    )
    .await;
    assert_eq!(
        nobody.select("p[role=status]")[0].replace("nobody@readers.test", "X"),
        sent.select("p[role=status]")[0].replace("rima.daher@readers.test", "X"),
        "the answer does not tell who commented"
    );
    post(
        &app,
        &mut rima,
        "/comments/my-data",
        &[("email", "rima.daher@readers.test")],
    )
    .await;
    let mails = app.outbox().await;
    assert_eq!(
        mails.len(),
        1,
        "one mail, to the address that commented, once an hour"
    );
    let link = mails[0]
        .split_whitespace()
        .find(|w| w.starts_with("http://news.test/comments/my-data/"))
        .expect("a link in the mail")
        .to_owned();
    let path = link.trim_start_matches("http://news.test");

    let page = get(&app, &other, path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text()
            .contains("2 comments were written here with rima.daher@readers.test")
    );
    let export = get(&app, &other, &format!("{path}/export")).await.json();
    let bodies: Vec<_> = export["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body_markdown"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies, ["The trucks came at dawn.", "And again at noon."]);
    assert_eq!(export["notifications"][0]["notify_of"], "every new comment");
    let forged = format!("{}9", &path[..path.len() - 1]);
    assert_eq!(get(&app, &other, &forged).await.status, StatusCode::GONE);

    let r = post(&app, &mut other, &format!("{path}/erase"), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Erased 2 comments."));
    assert!(
        dateline_db::follows::list(&app.db.db, None, Some("rima.daher@readers.test"), 10)
            .await
            .unwrap()
            .is_empty(),
        "their notifications are erased too"
    );
    let article = get(&app, &other, &format!("/{slug}")).await;
    assert_eq!(article.select(".comment-count"), ["1 Comment"]);
    assert!(!article.text().contains("Rima"));
    assert!(!article.text().contains("trucks came"));
    assert_eq!(
        article.select(&format!("#comment-{mine} #comment-{reply} .comment-author")),
        ["Fadi Haddad"]
    );
    assert!(
        get(&app, &other, path)
            .await
            .text()
            .contains("nothing left to show")
    );
}

async fn proof_of_work_when_the_site_asks(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Dust storm closes Baghdad airport", |_| {}).await;
    let slug = "dust-storm-closes-baghdad-airport";
    app.relaxed_comments(|s| s.proof_of_work_bits = 10).await;
    let t = app.get("/comments/token").await.json();
    assert_eq!(t["pow_bits"], 10);
    let token = t["token"].as_str().unwrap().to_owned();
    let mut reader = Reader::new("198.51.100.90");
    let path = format!("/{slug}/comments");
    let fields = |pow: &str| {
        vec![
            ("body".to_owned(), "Flights resume tomorrow?".to_owned()),
            ("name".to_owned(), "Zainab".to_owned()),
            ("email".to_owned(), "zainab@readers.test".to_owned()),
            ("token".to_owned(), token.clone()),
            ("pow".to_owned(), pow.to_owned()),
        ]
    };
    let without = fields("");
    let pairs: Vec<(&str, &str)> = without
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = post_json(&app, &mut reader, &path, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("small calculation")
    );
    // What the page's script does: find a nonce whose hash starts with ten zero bits.
    let nonce = (0u64..)
        .map(|n| n.to_string())
        .find(|n| dateline_core::comment::proof_of_work_ok(&token, n, 10))
        .unwrap();
    let with = fields(&nonce);
    let pairs: Vec<(&str, &str)> = with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = post_json(&app, &mut reader, &path, &pairs).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}
