//! Inline feedback through the router, on SQLite and PostgreSQL: an editor's
//! question in the Markdown becomes a marker beside its paragraph; readers
//! answer it, and comment on any other paragraph, with and without script;
//! the markers, "Inline Feedbacks" and the filter count them; replies stay
//! on their thread's paragraph; a held answer counts only once approved;
//! followers are told of an answer with the paragraph it answers;
//! and after an edit (a paragraph changed, one removed, one added) every
//! answer is still beside its paragraph or listed as on an earlier version.

use crate::support::TestApp;
use axum::http::StatusCode;
use chrono::Utc;
use dateline_core::Language;
use dateline_core::article::{ArticleInput, AuthorInput};
use dateline_core::comment::CommentStatus;
use dateline_db::articles::{self, SaveTarget};
use dateline_db::both_databases;
use dateline_db::comments::{self, Moderation};
use dateline_db::follows::{self, FollowKind};
use dateline_db::testing::TestDb;
use dateline_mail::test_smtp::TestSmtp;
use mail_parser::MessageParser;

const SLUG: &str = "canal-repairs-begin";

const BODY: &str = "Engineers began repairing the main canal near Basra on Monday, \
officials said.\n\n\
Farmers along the canal say the water has not reached their fields since June.\n\
{? Has the water reached fields where you live? }\n\n\
The ministry promised the work would be finished before the summer heat.\n\n\
A spokesman declined to say how much the repairs would cost.\n";

async fn site(db: TestDb) -> (TestApp, i64) {
    let app = TestApp::new(db).await;
    let id = app
        .add("Canal repairs begin", |i| i.body = BODY.into())
        .await;
    app.relaxed_comments(|_| {}).await;
    (app, id.0)
}

/// Posts as the page's script does; returns the JSON answer.
async fn post_json(
    app: &TestApp,
    name: &str,
    body: &str,
    anchor: &str,
    parent: Option<i64>,
) -> serde_json::Value {
    let token = app.comment_token().await;
    let email = format!("{}@readers.test", name.to_lowercase());
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let r = app
        .post_form(
            &format!("/{SLUG}/comments"),
            &[
                ("body", body),
                ("name", name),
                ("email", email.as_str()),
                ("token", token.as_str()),
                ("anchor", anchor),
                ("parent_id", parent.as_str()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

fn marker<'a>(page: &'a str, anchor: &str) -> &'a str {
    let at = page
        .find(&format!("data-anchor=\"{anchor}\""))
        .unwrap_or_else(|| panic!("no marker for {anchor} in {page}"));
    let start = page[..at].rfind("<a ").unwrap();
    let end = page[start..].find("</a>").unwrap() + start;
    &page[start..end]
}

async fn edit(app: &TestApp, id: i64, body: &str) {
    let mut input = ArticleInput {
        headline: "Canal repairs begin".into(),
        body: body.into(),
        status: Some("published".into()),
        published_at: Some(Utc::now() - chrono::Duration::hours(1)),
        authors: vec![AuthorInput::Name("Rana Haddad".into())],
        ..Default::default()
    };
    input.slug = Some(SLUG.into());
    let draft = input.validate(&Language::english(), Utc::now()).unwrap();
    articles::save(
        &app.db.db,
        SaveTarget::Existing {
            id: dateline_core::ArticleId(id),
            expected_revision: None,
        },
        &draft,
        Utc::now(),
        &dateline_db::articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    app.refresh().await;
}

async fn questions_markers_and_answers(db: TestDb) {
    let (app, id) = site(db).await;

    // The question leaves the text and marks its paragraph.
    let page = app.get(&format!("/{SLUG}")).await.text();
    assert!(!page.contains("{?"), "the question line shows as text");
    assert!(
        page.contains("<p class=\"asked\" id=\"p2\">Farmers along the canal"),
        "{page}"
    );
    for anchor in ["p1", "p2", "p3", "p4"] {
        assert!(
            page.contains(&format!("id=\"{anchor}\"")),
            "{anchor} missing"
        );
    }
    let asked = marker(&page, "p2");
    assert!(
        asked.contains(
            "The editors ask: Has the water reached fields where you live?; no answers yet"
        ),
        "{asked}"
    );
    assert!(marker(&page, "p3").contains("comment on this paragraph"));
    assert!(page.contains(&format!("href=\"/{SLUG}/passages/p2\"")));
    assert!(page.contains("0 Inline Feedbacks"));

    // Without script: the marker's page has the question and a form for it.
    let passage = app.get(&format!("/{SLUG}/passages/p2")).await;
    assert_eq!(passage.status, StatusCode::OK);
    let html = passage.text();
    assert!(html.contains("The editors ask: Has the water reached fields where you live?"));
    assert!(html.contains("Farmers along the canal say the water has not reached"));
    assert!(
        html.contains("name=\"anchor\" id=\"comment-anchor\" value=\"p2\""),
        "{html}"
    );
    assert!(html.contains("Answer the editors’ question"));
    assert!(html.contains("No answers yet"));

    // A reader answers through that form.
    let token = app.comment_token().await;
    let r = app
        .post_form(
            &format!("/{SLUG}/comments"),
            &[
                ("body", "Not in Abu al-Khasib: the channel is still dry."),
                ("name", "Huda"),
                ("email", "huda@readers.test"),
                ("token", token.as_str()),
                ("anchor", "p2"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // With script: an answer and a comment on a paragraph with no question.
    let second = post_json(&app, "Karim", "Ours came back last week.", "p2", None).await;
    assert_eq!(second["anchor"], "p2");
    assert_eq!(second["status"], "approved");
    let other = post_json(
        &app,
        "Salma",
        "How much did the last repair cost?",
        "p4",
        None,
    )
    .await;
    // A reply stays on its thread's paragraph, whatever it was sent with.
    let reply_id = other["id"].as_i64().unwrap();
    let reply = post_json(&app, "Nadia", "Nobody ever says.", "p1", Some(reply_id)).await;
    assert_eq!(reply["anchor"], "p4");
    // And an ordinary comment.
    post_json(&app, "Omar", "Good to see the work begin.", "", None).await;

    let page = app.get(&format!("/{SLUG}")).await.text();
    assert!(
        marker(&page, "p2").contains("2 answers"),
        "{}",
        marker(&page, "p2")
    );
    assert!(
        marker(&page, "p2").contains("<span class=\"marker-count\" aria-hidden=\"true\">2</span>")
    );
    assert!(marker(&page, "p4").contains("2 comments on this paragraph"));
    assert!(marker(&page, "p3").contains("passage-marker empty"));
    assert!(page.contains("4 Inline Feedbacks"), "inline count");
    assert!(page.contains("5 Comments"));
    assert!(
        page.contains(
            "On the paragraph <a href=\"/canal-repairs-begin#p2\">“Farmers along the canal"
        )
    );

    // The filter lists inline threads only; the API says the same.
    let inline = app.get(&format!("/{SLUG}?filter=inline")).await.text();
    assert!(inline.contains("Abu al-Khasib") && inline.contains("Nobody ever says."));
    assert!(
        !inline.contains("Good to see the work begin."),
        "an ordinary comment in the filter"
    );
    assert!(inline.contains("Inline feedback (4)"));
    let partial = app
        .get(&format!("/{SLUG}/comments?filter=inline&partial=1"))
        .await
        .json();
    assert!(!partial["html"].as_str().unwrap().contains("Good to see"));
    let api = app
        .get(&format!("/api/v1/articles/{id}/comments?anchor=p2"))
        .await
        .json();
    let bodies: Vec<&str> = api["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body_html"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2, "{api}");
    assert!(
        api["comments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["anchor"] == "p2")
    );
    let api = app
        .get(&format!("/api/v1/articles/{id}/comments?inline=true"))
        .await
        .json();
    assert_eq!(api["comments"].as_array().unwrap().len(), 4);
    assert_eq!(api["inline_count"], 4);
    let passages = app
        .get(&format!("/api/v1/articles/{id}/passages"))
        .await
        .json();
    let list = passages["passages"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[1]["anchor"], "p2");
    assert_eq!(
        list[1]["question"],
        "Has the water reached fields where you live?"
    );
    assert_eq!(list[1]["answers"], 2);
    assert_eq!(list[3]["answers"], 2);
    assert!(list[0]["question"].is_null());

    // The panel the script shows beside the paragraph.
    let panel = app
        .get(&format!("/{SLUG}/passages/p2?partial=1"))
        .await
        .json();
    assert_eq!(panel["answers"], 2);
    assert_eq!(panel["open"], true);
    let panel_html = panel["html"].as_str().unwrap();
    assert!(panel_html.contains("id=\"passage-comment-"), "{panel_html}");
    assert!(panel_html.contains("Ours came back last week."));

    // The Comments API takes an anchor too.
    let api_token = app.comment_token().await;
    let req = axum::http::Request::post(format!("/api/v1/articles/{id}/comments"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            serde_json::json!({"body": "From the API.", "name": "Api", "email": "api@readers.test", "token": api_token, "anchor": "p1"}).to_string(),
        ))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["comment"]["anchor"], "p1");
    let openapi = app.get("/api/openapi.json").await.json();
    assert!(openapi["paths"]["/api/v1/articles/{id}/passages"]["get"].is_object());
    let params =
        openapi["paths"]["/api/v1/articles/{id}/comments"]["get"]["parameters"].to_string();
    assert!(
        params.contains("\"anchor\"") && params.contains("\"inline\""),
        "{params}"
    );
}

async fn a_paragraph_that_is_not_there(db: TestDb) {
    let (app, id) = site(db).await;
    let token = app.comment_token().await;
    let r = app
        .post_form(
            &format!("/{SLUG}/comments"),
            &[
                ("body", "My words, kept."),
                ("name", "Huda"),
                ("email", "huda@readers.test"),
                ("token", token.as_str()),
                ("anchor", "p99"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("a paragraph the report does not have"),
        "{html}"
    );
    assert!(html.contains("My words, kept."));
    // Sending it again goes to the whole report.
    assert!(
        html.contains("name=\"anchor\" id=\"comment-anchor\" value=\"\""),
        "{html}"
    );
    let r = app
        .post_form(
            &format!("/{SLUG}/comments"),
            &[
                ("body", ""),
                ("name", "Huda"),
                ("email", "huda@readers.test"),
                ("token", token.as_str()),
                ("anchor", "<script>"),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &r.json()["fields"];
    assert!(
        fields["anchor"].is_string() && fields["body"].is_string(),
        "{fields}"
    );
    assert_eq!(
        app.get(&format!("/{SLUG}/passages/p99")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        comments::target_by_id(&app.db.db, dateline_core::ArticleId(id))
            .await
            .unwrap()
            .unwrap()
            .comment_count,
        0,
        "nothing stored"
    );
}

async fn held_answers_count_once_approved(db: TestDb) {
    let (app, id) = site(db).await;
    app.relaxed_comments(|s| s.hold_first = true).await;
    let held = post_json(&app, "Huda", "Dry here.", "p2", None).await;
    assert_eq!(held["status"], "pending");
    let page = app.get(&format!("/{SLUG}")).await.text();
    assert!(marker(&page, "p2").contains("no answers yet"));
    assert!(page.contains("0 Inline Feedbacks"));
    comments::moderate(
        &app.db.db,
        &[held["id"].as_i64().unwrap()],
        &Moderation::Status(CommentStatus::Approved),
        &dateline_core::audit::Who::cli(""),
        Utc::now(),
    )
    .await
    .unwrap();
    app.refresh().await;
    let page = app.get(&format!("/{SLUG}")).await.text();
    assert!(
        marker(&page, "p2").contains("1 answer"),
        "{}",
        marker(&page, "p2")
    );
    assert!(page.contains("1 Inline Feedbacks"));
    let passages = app
        .get(&format!("/api/v1/articles/{id}/passages"))
        .await
        .json();
    assert_eq!(passages["passages"][1]["answers"], 1);
    // Comments turned off: paragraphs take none either.
    app.relaxed_comments(|s| s.enabled = false).await;
    let page = app.get(&format!("/{SLUG}")).await.text();
    assert!(!page.contains("passage-marker"), "{page}");
}

async fn answers_survive_edits(db: TestDb) {
    let (app, id) = site(db).await;
    post_json(&app, "Huda", "Still dry in Abu al-Khasib.", "p2", None).await;
    post_json(&app, "Salma", "What did the last repair cost?", "p4", None).await;
    post_json(&app, "Karim", "A fine start.", "p1", None).await;

    // A paragraph added at the top, the asked one reworded, the cost one
    // removed.
    edit(
        &app,
        id,
        "Work crews arrived at dawn.\n\n\
Engineers began repairing the main canal near Basra on Monday, officials said.\n\n\
Farmers along the canal say the water has not reached most of their fields since early June.\n\
{? Has the water reached fields where you live? }\n\n\
The ministry promised the work would be finished before the summer heat.\n",
    )
    .await;
    let page = app.get(&format!("/{SLUG}")).await.text();
    assert!(
        page.contains("<p id=\"p5\">Work crews arrived at dawn."),
        "{page}"
    );
    assert!(page.contains("<p class=\"asked\" id=\"p2\">Farmers along the canal say the water has not reached most"), "{page}");
    assert!(marker(&page, "p2").contains("1 answer"));
    assert!(marker(&page, "p1").contains("1 comment on this paragraph"));
    assert!(
        !page.contains("id=\"p4\""),
        "the removed paragraph is still there"
    );
    // Its comment stays, as on an earlier version.
    assert!(page.contains("On an earlier version of the report <a href=\"/canal-repairs-begin/passages/p4\">“A spokesman declined"), "{page}");
    assert!(page.contains("3 Inline Feedbacks"));
    let removed = app.get(&format!("/{SLUG}/passages/p4")).await.text();
    assert!(removed.contains("This paragraph was removed from the report in a later edit"));
    assert!(removed.contains("What did the last repair cost?"));
    assert!(
        !removed.contains("id=\"comment-form\""),
        "a form for a removed paragraph"
    );
    let passages = app
        .get(&format!("/api/v1/articles/{id}/passages"))
        .await
        .json();
    let p4 = passages["passages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["anchor"] == "p4")
        .unwrap()
        .clone();
    assert!(p4["position"].is_null());
    assert_eq!(p4["answers"], 1);
    // Nobody can start a new thread on it.
    let token = app.comment_token().await;
    let r = app
        .post_form(
            &format!("/{SLUG}/comments"),
            &[
                ("body", "Late."),
                ("name", "Omar"),
                ("email", "omar@readers.test"),
                ("token", token.as_str()),
                ("anchor", "p4"),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["fields"]["anchor"]
            .as_str()
            .unwrap()
            .contains("was removed")
    );

    // The editor sees the feedback beside the body.
    let editor = app.browser(dateline_core::Role::Editor).await;
    let page = app
        .get_as(&editor, &format!("/admin/articles/{id}"))
        .await
        .text();
    assert!(page.contains("<legend>Inline feedback</legend>"), "{page}");
    assert!(page.contains("<strong>Has the water reached fields where you live?</strong> — <a href=\"/canal-repairs-begin/passages/p2\">"), "{page}");
    assert!(
        page.contains(": 1 comment (paragraph removed; shown as on an earlier version)"),
        "{page}"
    );

    // Put back, the paragraph gets its anchor, and its comment, again.
    edit(&app, id, &format!("{BODY}\nWork crews arrived at dawn.\n")).await;
    let page = app.get(&format!("/{SLUG}")).await.text();
    assert!(page.contains("<p id=\"p4\">A spokesman declined"), "{page}");
    assert!(marker(&page, "p4").contains("1 comment on this paragraph"));
}

async fn followers_hear_of_answers_with_their_paragraph(db: TestDb) {
    let (app, id) = site(db).await;
    let smtp = TestSmtp::start().await.unwrap();
    let article = dateline_core::ArticleId(id);
    follows::follow(
        &app.db.db,
        &follows::FollowRequest {
            email: "watcher@readers.test",
            article,
            kind: FollowKind::All,
            comment_id: None,
            proven: false,
        },
        Utc::now(),
        |_| None,
    )
    .await
    .unwrap();
    let follow = &follows::list(&app.db.db, Some(article), None, 10)
        .await
        .unwrap()[0];
    follows::confirm(&app.db.db, follow.id, &[], Utc::now())
        .await
        .unwrap();
    post_json(&app, "Huda", "Still dry in Abu al-Khasib.", "p2", None).await;
    app.deliver_to(Some(&smtp.url())).await;
    let received = smtp.received();
    let mail = received
        .iter()
        .find(|r| r.to.iter().any(|t| t == "watcher@readers.test"))
        .expect("the follower is told");
    let m = MessageParser::default().parse(&mail.data[..]).unwrap();
    let text = m.body_text(0).unwrap().into_owned();
    assert!(
        text.contains("On the paragraph “Farmers along the canal say the water has not reached their fields since June.” (the editors asked: Has the water reached fields where you live?)"),
        "{text}"
    );
    assert!(text.contains("Still dry in Abu al-Khasib."));
    let html = m.body_html(0).unwrap().into_owned();
    assert!(
        html.contains("On the paragraph “Farmers along the canal"),
        "{html}"
    );
}

async fn hostile_questions_stay_text(db: TestDb) {
    let app = TestApp::new(db).await;
    app.add("Hostile question", |i| {
        i.body =
            "A paragraph.\n{? <script>window.pwned=1</script> \"><img src=x onerror=alert(1)> }\n"
                .into();
    })
    .await;
    let page = app.get("/hostile-question").await.text();
    assert!(!page.contains("<script>window.pwned"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&lt;script&gt;window.pwned=1&lt;/script&gt;"),
        "{page}"
    );
    let passage = app.get("/hostile-question/passages/p1").await.text();
    assert!(!passage.contains("<script>window.pwned") && !passage.contains("<img src=x"));
}

both_databases!(
    questions_markers_and_answers,
    a_paragraph_that_is_not_there,
    held_answers_count_once_approved,
    answers_survive_edits,
    followers_hear_of_answers_with_their_paragraph,
    hostile_questions_stay_text,
);
