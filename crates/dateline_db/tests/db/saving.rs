//! Saving under load and under rules (issue 12): old addresses stay their
//! article's, what a save may do is a parameter of the save, concurrent
//! saves keep anchors and ids in step, and
//! bodies stored by an older renderer are rendered again when the database
//! is opened.

use crate::articles::{add, draft, now};
use dateline_core::ArticleId;
use dateline_core::article::AuthorInput;
use dateline_db::articles::{self, SaveTarget, SlugLookup};
use dateline_db::people::{self, TermKind};
use dateline_db::testing::TestDb;
use dateline_db::{DbError, both_databases, site};

/// Concurrent saves of one article each anchor against the passages they
/// read; a save whose passages changed meanwhile prepares again, so the
/// stored ids and passages always agree.
async fn concurrent_saves_keep_anchors_consistent(t: TestDb) {
    let id = add(&t, &draft("Contested body", |_| {})).await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let body: String = (0..=n)
                .map(|i| format!("Paragraph {i} of version {n}.\n\n"))
                .collect();
            let d = draft("Contested body", |i| i.body = body);
            articles::save(
                &db,
                SaveTarget::Existing {
                    id,
                    expected_revision: None,
                },
                &d,
                now(),
                &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
            )
            .await
        }));
    }
    let mut saved = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => saved += 1,
            // Under this much contention a save may give up, and say so.
            Err(DbError::Conflict { field, .. }) if field == "body" => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(saved > 0);
    let v = articles::find(&t.db, id).await.unwrap().unwrap();
    let current: Vec<_> = dateline_db::passages::for_article(&t.db, id)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.current())
        .collect();
    let ids: Vec<String> = v
        .body_html
        .split("<p id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        current.iter().map(|p| p.anchor.clone()).collect::<Vec<_>>()
    );
    assert!(dateline_render::is_clean(&v.body_html));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an anchor twice: {ids:?}");
}

/// A changed slug redirects, and no other article may take the old one
/// (issue 12, finding 5).
async fn a_changed_slug_redirects(t: TestDb) {
    let d = draft("Old headline", |_| {});
    let id = add(&t, &d).await;
    let renamed = draft("New headline", |_| {});
    articles::save(
        &t.db,
        SaveTarget::Existing {
            id,
            expected_revision: Some(1),
        },
        &renamed,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    assert_eq!(
        articles::find_published(&t.db, "old-headline")
            .await
            .unwrap(),
        SlugLookup::Moved("new-headline".into())
    );
    assert!(matches!(
        articles::find_published(&t.db, "new-headline")
            .await
            .unwrap(),
        SlugLookup::Found(_)
    ));
    assert_eq!(
        articles::find_published(&t.db, "never-was").await.unwrap(),
        SlugLookup::NotFound
    );

    // No other article may take the old slug: it keeps redirecting.
    let err = articles::save(
        &t.db,
        SaveTarget::New,
        &draft("Old headline", |_| {}),
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DbError::Conflict { ref field, ref message } if field == "slug" && message.contains("old address")),
        "{err:?}"
    );
    assert_eq!(
        articles::find_published(&t.db, "old-headline")
            .await
            .unwrap(),
        SlugLookup::Moved("new-headline".into())
    );
    // The article itself may take it back.
    articles::save(
        &t.db,
        SaveTarget::Existing {
            id,
            expected_revision: None,
        },
        &d,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    assert!(matches!(
        articles::find_published(&t.db, "old-headline")
            .await
            .unwrap(),
        SlugLookup::Found(_)
    ));
    assert_eq!(
        articles::find_published(&t.db, "new-headline")
            .await
            .unwrap(),
        SlugLookup::Moved("old-headline".into())
    );
}

/// Storage holds the rule whoever calls it (issue 12, finding 5): a save
/// without the right to manage names creates none and changes no bio.
async fn rights_are_a_parameter_of_the_save(t: TestDb) {
    add(
        &t,
        &draft("Existing names", |i| {
            i.section = Some("World".into());
            i.tags = vec!["Water".into()];
            i.authors = vec![AuthorInput::Full {
                name: "Rana Haddad".into(),
                slug: None,
                bio: Some("Covers water.".into()),
            }];
        }),
    )
    .await;
    let writer = articles::SavedBy {
        who: dateline_core::audit::Who::cli(""),
        rights: dateline_core::SaveRights::NameExisting,
    };
    let version = site::content_version(&t.db).await.unwrap();
    let err = articles::save(
        &t.db,
        SaveTarget::New,
        &draft("New names", |i| {
            i.section = Some("Sport".into());
            i.tags = vec!["Water".into(), "Football".into(), "Tennis".into()];
            i.authors = vec![
                AuthorInput::Full {
                    name: "Rana Haddad".into(),
                    slug: None,
                    bio: Some("Rewritten.".into()),
                },
                AuthorInput::Name("Omar Aziz".into()),
            ];
        }),
        now(),
        &writer,
    )
    .await
    .unwrap_err();
    let DbError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        errors.for_field("section"),
        Some("There is no section \u{201c}Sport\u{201d}; an editor can create it.")
    );
    assert_eq!(
        errors.for_field("tags"),
        Some(
            "There are no tags \u{201c}Football\u{201d}, \u{201c}Tennis\u{201d}; an editor can create them."
        )
    );
    assert_eq!(
        errors.for_field("authors"),
        Some(
            "There is no author \u{201c}Omar Aziz\u{201d}; an editor can add them. Only an editor can change an author's bio (\u{201c}Rana Haddad\u{201d})."
        )
    );
    assert_eq!(
        site::content_version(&t.db).await.unwrap(),
        version,
        "nothing written"
    );
    assert!(
        people::term(&t.db, TermKind::Section, "sport")
            .await
            .unwrap()
            .is_none()
    );
    assert!(people::author(&t.db, "omar-aziz").await.unwrap().is_none());
    assert_eq!(
        people::author(&t.db, "rana-haddad")
            .await
            .unwrap()
            .unwrap()
            .bio,
        "Covers water."
    );
    // Naming what exists, as it is, is a save like any other.
    let saved = articles::save(
        &t.db,
        SaveTarget::New,
        &draft("Same names", |i| {
            i.section = Some("World".into());
            i.tags = vec!["Water".into()];
        }),
        now(),
        &writer,
    )
    .await
    .unwrap();
    let v = articles::find(&t.db, saved.id).await.unwrap().unwrap();
    assert_eq!(v.summary.section.unwrap().slug, "world");
    assert_eq!(v.summary.authors[0].bio, "Covers water.");
}

/// A database written by the renderer before issue 12 may hold bodies cut
/// after sanitizing; opening it renders every body again from its Markdown.
async fn opening_renders_older_bodies_again(t: TestDb) {
    let id = add(
        &t,
        &draft("Stored before", |i| {
            i.body = "Intro ![&#xE000;](https://x.invalid/a.png) &#xE001;&quot; onerror=&quot;window.pwned=1&quot; x=\n\nSecond.\n{? Asked? }\n".into();
        }),
    )
    .await;
    let deep = add(&t, &draft("Too deep now", |_| {})).await;
    let raw = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&t.child_url())
        .await
        .unwrap();
    // What the old renderer stored, and a body no longer accepted.
    sqlx::query("UPDATE article_bodies SET body_html = $1 WHERE article_id = $2")
        .bind("<p id=\"p1\">Intro <img src=\"https://x.invalid/a.png\" alt=\"\" onerror=\"window.pwned=1\" x=</p>")
        .bind(id.0)
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query("UPDATE article_bodies SET body_markdown = $1 WHERE article_id = $2")
        .bind("<div>".repeat(5_000))
        .bind(deep.0)
        .execute(&raw)
        .await
        .unwrap();
    // What migration 0009 does to such a database.
    sqlx::raw_sql(include_str!(
        "../../migrations/0009_render_bodies_again.sql"
    ))
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    // Opening it renders them again.
    t.db.migrate().await.unwrap();
    assert!(
        site::content_version(&t.db).await.unwrap() >= 2,
        "pages move on"
    );
    let v = articles::find(&t.db, id).await.unwrap().unwrap();
    assert!(dateline_render::is_clean(&v.body_html), "{}", v.body_html);
    assert!(!v.body_html.contains("alt=\"\" onerror"), "{}", v.body_html);
    assert!(
        v.body_html.starts_with("<p id=\"p1\">Intro <img"),
        "{}",
        v.body_html
    );
    let passages = dateline_db::passages::for_article(&t.db, id).await.unwrap();
    assert_eq!(passages[1].question.as_deref(), Some("Asked?"));
    assert_eq!(
        articles::revisions(&t.db, id).await.unwrap().len(),
        1,
        "no revision"
    );
    let v = articles::find(&t.db, deep).await.unwrap().unwrap();
    assert_eq!(v.body_html, "", "a body too deep to render shows empty");
}

/// Articles created together (an import's batch): one refused (its slug is
/// taken, by an article here or by one earlier in the batch) leaves nothing
/// behind, and the others land whole.
async fn a_batch_creates_all_but_the_refused(t: TestDb) {
    add(
        &t,
        &draft("Already here", |i| i.slug = Some("taken".into())),
    )
    .await;
    let before = site::content_version(&t.db).await.unwrap();
    let item = |slug: &str, word: &str| {
        (
            draft(&format!("Batch report {slug}"), |i| {
                i.slug = Some(slug.into());
                i.body = format!("A report about the {word}.\n\nIts second paragraph.");
            }),
            now(),
        )
    };
    let items = [
        item("first", "lighthouse"),
        item("taken", "aqueduct"),
        item("third", "caravan"),
        item("first", "minaret"),
    ];
    let by = articles::SavedBy::operator(dateline_core::audit::Who::cli(""));
    let results = articles::create_many(&t.db, &items, &by).await.unwrap();
    let slugs: Vec<Result<String, String>> = results
        .iter()
        .map(|r| match r {
            Ok(saved) => Ok(saved.slug.clone()),
            Err(DbError::Conflict { field, .. }) => Err(field.clone()),
            Err(e) => panic!("{e}"),
        })
        .collect();
    assert_eq!(
        slugs,
        [
            Ok("first".to_string()),
            Err("slug".to_string()),
            Ok("third".to_string()),
            Err("slug".to_string())
        ]
    );
    let found = |word: &'static str| {
        let db = t.db.clone();
        async move {
            dateline_db::search::search(&db, word, dateline_db::views::PageRequest::new(1, 5))
                .await
                .unwrap()
                .total
        }
    };
    assert_eq!((found("lighthouse").await, found("caravan").await), (1, 1));
    assert_eq!(
        (found("aqueduct").await, found("minaret").await),
        (0, 0),
        "nothing of a refused article stays"
    );
    let third = results[2].as_ref().unwrap();
    let stored = articles::find(&t.db, third.id).await.unwrap().unwrap();
    assert!(stored.body_html.contains("caravan"), "{}", stored.body_html);
    assert_eq!(articles::revisions(&t.db, third.id).await.unwrap().len(), 1);
    assert_eq!(site::content_version(&t.db).await.unwrap(), before + 1);
}

/// A batch of new articles written together (`articles::create_many`)
/// stores exactly what saving each on its own stores: every field, names
/// (a new section, tags and an author's bio among them), passages, search
/// terms, the first revision and the audit entry.
async fn a_batch_stores_what_saves_one_by_one_store(t: TestDb) {
    let rich = |slug: &str, n: usize| {
        draft(&format!("Report {n} on the river ports"), |i| {
            i.slug = Some(slug.into());
            i.deck = Some(format!("Deck {n}."));
            i.dateline = Some("BASRA, Iraq.".into());
            i.authors = vec![
                AuthorInput::Full {
                    name: "Huda Salim".into(),
                    slug: None,
                    bio: Some("Covers the ports.".into()),
                },
                AuthorInput::Name(format!("Writer {}", n % 2)),
            ];
            i.section = Some(format!("Ports {}", n % 2));
            i.tags = vec![format!("Dredging {n}"), "Harbours".into()];
            i.original = Some(dateline_core::article::ProvenanceInput {
                outlet: "Al-Mina".into(),
                url: Some(format!("https://example.org/{n}")),
                language: Some("ar".into()),
                translators: vec!["Nadia Karim".into(), "Yusuf Adel".into()],
            });
            if n == 2 {
                i.status = Some("draft".into());
                i.published_at = None;
            }
            i.body = format!(
                "The silt of season {n} closed a berth.\n\n> A quote from the quay.\n\nThird paragraph, word{n}."
            );
        })
    };
    let by = articles::SavedBy::operator(dateline_core::audit::Who::cli("importer"));
    let together: Vec<_> = (0..4)
        .map(|n| (rich(&format!("together-{n}"), n), now()))
        .collect();
    let saved = articles::create_many(&t.db, &together, &by).await.unwrap();
    let mut pairs = Vec::new();
    for (n, result) in saved.into_iter().enumerate() {
        let alone = articles::save(
            &t.db,
            SaveTarget::New,
            &rich(&format!("alone-{n}"), n),
            now(),
            &by,
        )
        .await
        .unwrap();
        pairs.push((result.unwrap().id, alone.id));
    }
    let published = dateline_db::audit::Filter {
        action: Some("article.published".into()),
        ..Default::default()
    };
    let entries = dateline_db::audit::entries(&t.db, &published, 100)
        .await
        .unwrap();
    for (a, b) in pairs {
        let (x, y) = (
            articles::find(&t.db, a).await.unwrap().unwrap(),
            articles::find(&t.db, b).await.unwrap().unwrap(),
        );
        let same = |v: &dateline_db::views::ArticleView| {
            let mut s = v.summary.clone();
            s.id = dateline_core::ArticleId(0);
            s.slug = String::new();
            (s, v.body_markdown.clone(), v.body_html.clone())
        };
        assert_eq!(
            same(&x),
            same(&y),
            "{} and {}",
            x.summary.slug,
            y.summary.slug
        );
        let passages = |id| {
            let db = t.db.clone();
            async move {
                dateline_db::passages::for_article(&db, id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|p| (p.anchor, p.position, p.text, p.question))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(passages(a).await, passages(b).await);
        assert!(!passages(a).await.is_empty());
        assert_eq!(
            articles::revisions(&t.db, a).await.unwrap().len(),
            articles::revisions(&t.db, b).await.unwrap().len()
        );
        let audited = |id: ArticleId| entries.iter().filter(|e| e.object_id == Some(id.0)).count();
        assert_eq!(audited(a), audited(b));
        assert_eq!(
            audited(a),
            usize::from(x.summary.status == dateline_core::ArticleStatus::Published)
        );
    }
    for n in [0, 1, 3] {
        let found = dateline_db::search::search(
            &t.db,
            &format!("word{n}"),
            dateline_db::views::PageRequest::new(1, 5),
        )
        .await
        .unwrap();
        let mut slugs: Vec<_> = found.items.iter().map(|a| a.slug.clone()).collect();
        slugs.sort();
        assert_eq!(slugs, [format!("alone-{n}"), format!("together-{n}")]);
    }
    let dredged =
        dateline_db::search::search(&t.db, "word2", dateline_db::views::PageRequest::new(1, 5))
            .await
            .unwrap();
    assert_eq!(dredged.total, 0, "a draft is not found");
}

both_databases!(
    a_batch_stores_what_saves_one_by_one_store,
    a_batch_creates_all_but_the_refused,
    a_changed_slug_redirects,
    rights_are_a_parameter_of_the_save,
    concurrent_saves_keep_anchors_consistent,
    opening_renders_older_bodies_again,
);
