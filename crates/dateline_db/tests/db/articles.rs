//! Articles: saving with everything tied to them, reading, listing, search.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dateline_core::article::ArticleInput;
use dateline_core::article::{AuthorInput, FeaturedImageInput, ProvenanceInput};
use dateline_core::{ArticleDraft, ArticleId, ArticleStatus, Language};
use dateline_db::articles::{self, ArticleFilter, SaveTarget, SlugLookup};
use dateline_db::people::{self, TermKind};
use dateline_db::testing::TestDb;
use dateline_db::views::PageRequest;
use dateline_db::{DbError, both_databases, site};

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

pub(crate) fn draft(headline: &str, f: impl FnOnce(&mut ArticleInput)) -> ArticleDraft {
    let mut input = ArticleInput {
        headline: headline.into(),
        body: format!("{headline}. A report in several words.\n\nSecond paragraph."),
        status: Some("published".into()),
        published_at: Some(now() - Duration::hours(1)),
        authors: vec![AuthorInput::Name("Rana Haddad".into())],
        ..Default::default()
    };
    f(&mut input);
    input
        .validate(&Language::english(), now())
        .expect("valid draft")
}

pub(crate) async fn add(t: &TestDb, d: &ArticleDraft) -> ArticleId {
    articles::save(
        &t.db,
        SaveTarget::New,
        d,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .expect("save")
    .id
}

async fn migrating_twice_changes_nothing(t: TestDb) {
    t.db.migrate().await.unwrap();
    assert_eq!(site::content_version(&t.db).await.unwrap(), 1);
}

async fn saves_every_field_and_reads_it_back(t: TestDb) {
    let d = draft("Water talks resume in Baghdad", |i| {
        i.deck = Some("Negotiators meet for the first time since spring.".into());
        i.dateline = Some("BAGHDAD, Iraq.".into());
        i.authors = vec![
            AuthorInput::Full {
                name: "Rana Haddad".into(),
                slug: None,
                bio: Some("Covers water.".into()),
            },
            AuthorInput::Name("Omar Aziz".into()),
        ];
        i.section = Some("World".into());
        i.tags = vec!["Water".into(), "Iraq".into()];
        i.featured_image = Some(FeaturedImageInput {
            url: "/media/river.svg".into(),
            alt: "The river at dawn".into(),
            caption: "The Tigris".into(),
            credit: "Staff".into(),
        });
        i.original = Some(ProvenanceInput {
            outlet: "Al-Mada".into(),
            url: Some("https://example.org/r".into()),
            language: Some("ar".into()),
            translators: vec!["Layla Hassan".into(), "Sami Noor".into()],
        });
        i.body = "First *paragraph*.\n\n<script>alert(1)</script>Second.".into();
    });
    let id = add(&t, &d).await;
    let v = articles::find(&t.db, id).await.unwrap().unwrap();
    let s = &v.summary;
    assert_eq!(s.headline, "Water talks resume in Baghdad");
    assert_eq!(s.deck, "Negotiators meet for the first time since spring.");
    assert_eq!(s.dateline, "BAGHDAD, Iraq.");
    assert_eq!(s.status, ArticleStatus::Published);
    assert_eq!(
        s.authors
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["Rana Haddad", "Omar Aziz"]
    );
    assert_eq!(s.authors[0].bio, "Covers water.");
    assert_eq!(s.section.as_ref().unwrap().name, "World");
    assert_eq!(
        s.tags.iter().map(|t| t.slug.as_str()).collect::<Vec<_>>(),
        ["water", "iraq"]
    );
    assert_eq!(s.featured_image.as_ref().unwrap().credit, "Staff");
    let p = s.provenance.as_ref().unwrap();
    assert_eq!(p.outlet, "Al-Mada");
    assert_eq!(p.language.as_ref().unwrap().as_str(), "ar");
    assert_eq!(p.translators, ["Layla Hassan", "Sami Noor"]);
    assert!(v.body_html.contains("<em>paragraph</em>"));
    assert!(!v.body_html.contains("<script"), "{}", v.body_html);
    assert_eq!(s.excerpt, "First paragraph.");
    assert_eq!(s.published_at, Some(now() - Duration::hours(1)));
    assert_eq!(s.revision, 1);
}

async fn links_translations_both_ways(t: TestDb) {
    let en = add(&t, &draft("Farmers count the cost", |_| {})).await;
    let ar = add(
        &t,
        &draft("المزارعون يحصون الخسائر", |i| {
            i.slug = Some("farmers-count-the-cost-ar".into());
            i.language = Some("ar".into());
            i.translation_of = Some("farmers-count-the-cost".into());
        }),
    )
    .await;
    let fr = add(
        &t,
        &draft("Les agriculteurs comptent", |i| {
            i.language = Some("fr".into());
            i.translation_of = Some("farmers-count-the-cost-ar".into());
        }),
    )
    .await;
    let en_view = articles::find(&t.db, en).await.unwrap().unwrap();
    let langs: Vec<&str> = en_view
        .translations
        .iter()
        .map(|l| l.language.as_str())
        .collect();
    assert_eq!(langs, ["ar", "fr"]);
    let ar_view = articles::find(&t.db, ar).await.unwrap().unwrap();
    assert_eq!(ar_view.summary.direction, dateline_core::Direction::Rtl);
    assert_eq!(ar_view.translations.len(), 2);
    let fr_view = articles::find(&t.db, fr).await.unwrap().unwrap();
    assert_eq!(fr_view.translations.len(), 2);
}

async fn refuses_unknown_translation_and_saves_nothing(t: TestDb) {
    let d = draft("Orphan", |i| {
        i.translation_of = Some("no-such-article".into())
    });
    let err = articles::save(
        &t.db,
        SaveTarget::New,
        &d,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap_err();
    match err {
        DbError::Invalid(e) => assert!(
            e.for_field("translation_of")
                .unwrap()
                .contains("no-such-article")
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }
    let all = articles::list(&t.db, &ArticleFilter::default(), PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!(all.total, 0);
    assert!(
        people::author(&t.db, "rana-haddad")
            .await
            .unwrap()
            .is_none(),
        "author row left behind"
    );
    assert_eq!(site::content_version(&t.db).await.unwrap(), 1);
}

async fn saving_the_same_draft_again_writes_nothing(t: TestDb) {
    let d = draft("Unchanged report", |_| {});
    let id = add(&t, &d).await;
    let version = site::content_version(&t.db).await.unwrap();
    let again = articles::save(
        &t.db,
        SaveTarget::Existing {
            id,
            expected_revision: None,
        },
        &d,
        now() + Duration::hours(1),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    assert!(!again.changed);
    assert_eq!(again.revision, 1);
    assert_eq!(site::content_version(&t.db).await.unwrap(), version);
    let v = articles::find(&t.db, id).await.unwrap().unwrap();
    assert_eq!(
        v.summary.updated_at,
        now() - Duration::hours(1),
        "neither the import nor an unchanged save counts as an update after publication"
    );
    assert_eq!(articles::revisions(&t.db, id).await.unwrap().len(), 1);
}

async fn a_taken_slug_is_a_conflict(t: TestDb) {
    add(&t, &draft("Same slug", |_| {})).await;
    let err = articles::save(
        &t.db,
        SaveTarget::New,
        &draft("Same slug", |_| {}),
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DbError::Conflict { ref field, .. } if field == "slug"),
        "{err:?}"
    );
}

async fn a_stale_revision_is_refused(t: TestDb) {
    let id = add(&t, &draft("Contested", |_| {})).await;
    let first = draft("Contested", |i| i.deck = Some("first".into()));
    let second = draft("Contested", |i| i.deck = Some("second".into()));
    let saved = articles::save(
        &t.db,
        SaveTarget::Existing {
            id,
            expected_revision: Some(1),
        },
        &first,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    assert_eq!(saved.revision, 2);
    let err = articles::save(
        &t.db,
        SaveTarget::Existing {
            id,
            expected_revision: Some(1),
        },
        &second,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            DbError::StaleRevision {
                expected: 1,
                actual: 2
            }
        ),
        "{err:?}"
    );
    let v = articles::find(&t.db, id).await.unwrap().unwrap();
    assert_eq!(v.summary.deck, "first");
    let revs = articles::revisions(&t.db, id).await.unwrap();
    assert_eq!(revs.iter().map(|r| r.revision).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(revs[1].draft.deck, "");
}

async fn scheduled_articles_publish_when_due(t: TestDb) {
    let at = now() + Duration::hours(2);
    let id = add(
        &t,
        &draft("Embargoed", |i| {
            i.status = Some("scheduled".into());
            i.published_at = Some(at);
        }),
    )
    .await;
    let listed = |t: &TestDb| {
        let db = t.db.clone();
        async move {
            articles::list(&db, &ArticleFilter::published(), PageRequest::new(1, 10))
                .await
                .unwrap()
                .total
        }
    };
    let found = |t: &TestDb| {
        let db = t.db.clone();
        async move {
            dateline_db::search::search(&db, "embargoed", PageRequest::new(1, 10))
                .await
                .unwrap()
                .items
                .len()
        }
    };
    assert_eq!(listed(&t).await, 0);
    assert_eq!(found(&t).await, 0, "not found before its time");
    assert_eq!(
        articles::find_published(&t.db, "embargoed").await.unwrap(),
        SlugLookup::NotFound
    );
    assert_eq!(
        articles::publish_due(&t.db, at - Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    let before = site::content_version(&t.db).await.unwrap();
    assert_eq!(articles::publish_due(&t.db, at).await.unwrap(), 1);
    assert!(site::content_version(&t.db).await.unwrap() > before);
    assert_eq!(listed(&t).await, 1);
    assert_eq!(found(&t).await, 1, "found once published");
    assert_eq!(
        articles::find(&t.db, id)
            .await
            .unwrap()
            .unwrap()
            .summary
            .status,
        ArticleStatus::Published
    );
}

async fn lists_filter_and_paginate(t: TestDb) {
    for n in 0..25 {
        add(
            &t,
            &draft(&format!("Story number {n}"), |i| {
                i.published_at = Some(now() - Duration::days(n));
                i.section = Some(if n % 2 == 0 { "World" } else { "Economy" }.into());
                i.tags = vec![format!("tag-{}", n % 3)];
                if n % 5 == 0 {
                    i.authors = vec![AuthorInput::Name("Omar Aziz".into())];
                    i.language = Some("ar".into());
                }
            }),
        )
        .await;
    }
    add(&t, &draft("A draft", |i| i.status = Some("draft".into()))).await;

    let p1 = articles::list(&t.db, &ArticleFilter::published(), PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!((p1.total, p1.items.len(), p1.pages()), (25, 10, 3));
    assert_eq!(p1.items[0].headline, "Story number 0");
    assert!(p1.has_next() && !p1.has_previous());
    let p3 = articles::list(&t.db, &ArticleFilter::published(), PageRequest::new(3, 10))
        .await
        .unwrap();
    assert_eq!(p3.items.len(), 5);
    assert_eq!(p3.items[4].headline, "Story number 24");

    let count = |f: ArticleFilter| {
        let db = t.db.clone();
        async move {
            articles::list(&db, &f, PageRequest::new(1, 100))
                .await
                .unwrap()
                .total
        }
    };
    assert_eq!(
        count(ArticleFilter {
            section: Some("world".into()),
            ..ArticleFilter::published()
        })
        .await,
        13
    );
    assert_eq!(
        count(ArticleFilter {
            tag: Some("tag-0".into()),
            ..ArticleFilter::published()
        })
        .await,
        9
    );
    assert_eq!(
        count(ArticleFilter {
            author: Some("omar-aziz".into()),
            ..ArticleFilter::published()
        })
        .await,
        5
    );
    assert_eq!(
        count(ArticleFilter {
            language: Some("ar".into()),
            ..ArticleFilter::published()
        })
        .await,
        5
    );
    assert_eq!(
        count(ArticleFilter {
            since: Some(now() - Duration::days(3) - Duration::hours(2)),
            ..ArticleFilter::published()
        })
        .await,
        4
    );
    assert_eq!(count(ArticleFilter::default()).await, 26);

    let sections = people::terms(&t.db, TermKind::Section).await.unwrap();
    assert_eq!(
        sections
            .iter()
            .map(|s| (s.name.as_str(), s.article_count))
            .collect::<Vec<_>>(),
        [("World", Some(13)), ("Economy", Some(12))]
    );
    let months = articles::months_with_articles(&t.db).await.unwrap();
    assert_eq!(months.iter().map(|m| m.2).sum::<i64>(), 25);
    assert_eq!((months[0].0, months[0].1), (2026, 11));
}

async fn settings_round_trip(t: TestDb) {
    let mut s = site::settings(&t.db).await.unwrap();
    assert_eq!(s.title, "Dateline");
    s.title = "The Tigris Ledger".into();
    s.navigation.push(site::NavLink {
        label: "About".into(),
        url: "/about".into(),
    });
    site::save_settings(&t.db, &s, now(), &dateline_core::audit::Who::cli(""))
        .await
        .unwrap();
    assert_eq!(site::settings(&t.db).await.unwrap(), s);
    assert_eq!(site::content_version(&t.db).await.unwrap(), 2);
}

async fn writers_in_parallel_lose_nothing(t: TestDb) {
    let mut tasks = Vec::new();
    for n in 0..20 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            let d = draft(&format!("Parallel {n}"), |i| i.tags = vec!["Shared".into()]);
            articles::save(
                &db,
                SaveTarget::New,
                &d,
                now(),
                &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
            )
            .await
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("every parallel save succeeds");
    }
    let all = articles::list(
        &t.db,
        &ArticleFilter {
            tag: Some("shared".into()),
            ..ArticleFilter::published()
        },
        PageRequest::new(1, 50),
    )
    .await
    .unwrap();
    assert_eq!(all.total, 20);
}

async fn ownership_first_publication_newsroom_filters_and_delete(t: TestDb) {
    let owner = dateline_db::accounts::create_user(
        &t.db,
        "o@example.org",
        "Owner",
        dateline_core::Role::Contributor,
        "x",
        now(),
        &dateline_core::audit::Who::cli(""),
    )
    .await
    .unwrap();
    let d = draft("Owned draft", |i| i.status = Some("draft".into()));
    let saved = articles::save(
        &t.db,
        SaveTarget::New,
        &d,
        now(),
        &articles::SavedBy {
            who: dateline_core::audit::Who::user(
                owner.id,
                &owner.name,
                dateline_core::audit::Via::Session,
                "",
            ),
            rights: dateline_core::SaveRights::ManageNames,
        },
    )
    .await
    .unwrap();
    let v = articles::find(&t.db, saved.id).await.unwrap().unwrap();
    assert_eq!(v.summary.owner, Some(owner.id));
    assert!(!v.summary.access().ever_published);
    let published = draft("Owned draft", |_| {});
    articles::save(
        &t.db,
        SaveTarget::Existing {
            id: saved.id,
            expected_revision: Some(1),
        },
        &published,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    let unpublished = draft("Owned draft", |i| i.status = Some("draft".into()));
    articles::save(
        &t.db,
        SaveTarget::Existing {
            id: saved.id,
            expected_revision: Some(2),
        },
        &unpublished,
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    let v = articles::find(&t.db, saved.id).await.unwrap().unwrap();
    assert!(
        v.summary.access().ever_published,
        "a draft that once went out remembers it"
    );
    assert_eq!(
        v.summary.owner,
        Some(owner.id),
        "saving by someone else keeps the owner"
    );

    add(&t, &draft("Someone else's 100% report_x", |_| {})).await;
    let list = |f: ArticleFilter| {
        let db = t.db.clone();
        async move {
            articles::list(&db, &f, PageRequest::new(1, 10))
                .await
                .unwrap()
        }
    };
    assert_eq!(
        list(ArticleFilter {
            owner: Some(owner.id),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        list(ArticleFilter {
            text: Some("OWNED".into()),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        list(ArticleFilter {
            text: Some("100%".into()),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        list(ArticleFilter {
            text: Some("0%".into()),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        list(ArticleFilter {
            text: Some("%".into()),
            ..Default::default()
        })
        .await
        .total,
        1,
        "wildcards are literal"
    );
    assert_eq!(
        list(ArticleFilter {
            text: Some("t_x".into()),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        list(ArticleFilter {
            text: Some("t_y".into()),
            ..Default::default()
        })
        .await
        .total,
        0
    );
    let recent = list(ArticleFilter {
        recently_updated: true,
        ..Default::default()
    })
    .await;
    assert_eq!(recent.items.len(), 2);

    assert!(
        articles::delete(&t.db, saved.id, now(), &dateline_core::audit::Who::cli(""))
            .await
            .unwrap()
    );
    assert!(articles::find(&t.db, saved.id).await.unwrap().is_none());
    assert!(
        articles::revisions(&t.db, saved.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !articles::delete(&t.db, saved.id, now(), &dateline_core::audit::Who::cli(""))
            .await
            .unwrap()
    );
}

both_databases!(
    ownership_first_publication_newsroom_filters_and_delete,
    migrating_twice_changes_nothing,
    saves_every_field_and_reads_it_back,
    links_translations_both_ways,
    refuses_unknown_translation_and_saves_nothing,
    a_taken_slug_is_a_conflict,
    saving_the_same_draft_again_writes_nothing,
    a_stale_revision_is_refused,
    scheduled_articles_publish_when_due,
    lists_filter_and_paginate,
    settings_round_trip,
    writers_in_parallel_lose_nothing,
);
