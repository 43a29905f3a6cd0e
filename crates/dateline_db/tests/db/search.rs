//! Search: ranking in English and Arabic, and the ranking that reads only
//! the best postings against the one that scores every posting.

use crate::articles::{add, draft, now};
use chrono::Duration;
use dateline_core::ArticleStatus;
use dateline_db::articles::{self, SaveTarget};
use dateline_db::testing::TestDb;
use dateline_db::views::PageRequest;
use dateline_db::{both_databases, search};

async fn search_ranks_in_english_and_arabic(t: TestDb) {
    add(
        &t,
        &draft("Farmers fear the drought", |i| {
            i.body = "The river is low and farmers worry about the harvest.".into();
        }),
    )
    .await;
    add(
        &t,
        &draft("Bank raises rates", |i| {
            i.body =
                "The central bank raised rates. Farmers were not mentioned until the end: farming."
                    .into();
        }),
    )
    .await;
    add(
        &t,
        &draft("المزارعون يخشون الجفاف", |i| {
            i.slug = Some("drought-ar".into());
            i.language = Some("ar".into());
            i.body = "انخفض منسوب النهر ويخشى المُزارعون على المحصول.".into();
        }),
    )
    .await;
    add(
        &t,
        &draft("Unpublished farmers", |i| i.status = Some("draft".into())),
    )
    .await;

    let hits = search::search(&t.db, "farmer", PageRequest::new(1, 10))
        .await
        .unwrap();
    let heads: Vec<&str> = hits.items.iter().map(|a| a.headline.as_str()).collect();
    assert_eq!(
        heads,
        ["Farmers fear the drought", "Bank raises rates"],
        "headline match ranks first; drafts never show"
    );

    let both = search::search(&t.db, "farmers drought", PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!(both.items[0].headline, "Farmers fear the drought");

    // Arabic: without the short vowels, with a different spelling of hamza.
    let ar = search::search(&t.db, "المزارعون", PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!(ar.items.len(), 1);
    assert_eq!(ar.items[0].slug, "drought-ar");
    let ar2 = search::search(&t.db, "الجفاف", PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!(ar2.total, 1);

    assert_eq!(
        search::search(&t.db, "", PageRequest::new(1, 10))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        search::search(&t.db, "zebra", PageRequest::new(1, 10))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        search::search(&t.db, "farming", PageRequest::new(1, 10))
            .await
            .unwrap()
            .total,
        1
    );
    // Search follows edits: the old words no longer find the article.
    let id = articles::id_for_slug(&t.db, "bank-raises-rates", None)
        .await
        .unwrap()
        .unwrap();
    articles::save(
        &t.db,
        SaveTarget::Existing {
            id,
            expected_revision: None,
        },
        &draft("Bank raises rates", |i| i.body = "Rates rose.".into()),
        now(),
        &articles::SavedBy::operator(dateline_core::audit::Who::cli("")),
    )
    .await
    .unwrap();
    assert_eq!(
        search::search(&t.db, "farming", PageRequest::new(1, 10))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        search::search(&t.db, "rates", PageRequest::new(1, 10))
            .await
            .unwrap()
            .total,
        1
    );

    let reindexed = search::reindex_all(&t.db, |_, _| {}).await.unwrap();
    assert_eq!(reindexed, 4);
    assert_eq!(
        search::search(&t.db, "farmer", PageRequest::new(1, 10))
            .await
            .unwrap()
            .total,
        1
    );
}

/// Words of the generated reports: each appears in some of them, a number
/// of times that varies; the filler makes every report's length its own, so
/// no two reports score alike.
const WORDS: [&str; 6] = [
    "harbour",
    "drought",
    "ceasefire",
    "tanker",
    "budget",
    "locust",
];
const FILLER: [&str; 5] = ["river", "market", "morning", "council", "village"];

fn body(i: usize, filler: usize) -> String {
    let mut words = Vec::new();
    for (k, w) in WORDS.iter().enumerate() {
        for _ in 0..(i * (k + 2) + k) % (k + 4) {
            words.push(*w);
        }
    }
    for j in 0..filler + i {
        words.push(FILLER[(i + j) % FILLER.len()]);
    }
    words.join(" ")
}

async fn add_reports(t: &TestDb, range: std::ops::Range<usize>, filler: usize) {
    for i in range {
        let d = draft(&format!("Report {i}"), |input| {
            input.slug = Some(format!("report-{i}"));
            input.body = body(i, filler);
            input.published_at = Some(now() - Duration::minutes(i as i64));
            if i % 9 == 4 {
                input.status = Some("draft".into());
                input.published_at = None;
            }
        });
        assert_eq!(
            d.status == ArticleStatus::Published,
            i % 9 != 4,
            "report {i}"
        );
        add(t, &d).await;
    }
}

/// Every page of `query`, `per_page` at a time, against the order and count
/// of scoring every posting.
async fn pages_match_every_posting(t: &TestDb, query: &str, per_page: u32) {
    let want = search::ranked_by_every_posting(&t.db, query).await.unwrap();
    let mut got = Vec::new();
    for page in 1.. {
        let hits = search::search(&t.db, query, PageRequest::new(page, per_page))
            .await
            .unwrap();
        assert_eq!(hits.total as usize, want.len(), "the count of {query:?}");
        if hits.items.is_empty() {
            break;
        }
        got.extend(hits.items.iter().map(|a| a.id.0));
    }
    assert_eq!(got, want, "the order of {query:?}, {per_page} a page");
}

async fn the_best_postings_rank_as_every_posting_does(t: TestDb) {
    let queries = [
        "harbour",
        "locust",
        "river",
        "harbour drought",
        "tanker river",
        "locust ceasefire budget",
        "harbours and tankers",
        "report",
    ];
    // Short reports: the index's average length is below the one impacts
    // are stored at.
    add_reports(&t, 0..70, 20).await;
    for q in queries {
        pages_match_every_posting(&t, q, 7).await;
    }
    // Long ones raise the average above it: long reports now gain.
    add_reports(&t, 70..110, 1300).await;
    for q in queries {
        pages_match_every_posting(&t, q, 6).await;
        pages_match_every_posting(&t, q, 50).await;
    }
    // Enough reports that a common word's postings take several steps to
    // read (the first step reads 128), each step scoring only the new ones
    // with the best of the steps before.
    add_reports(&t, 110..520, 10).await;
    for q in queries {
        pages_match_every_posting(&t, q, 10).await;
    }
}

both_databases!(
    search_ranks_in_english_and_arabic,
    the_best_postings_rank_as_every_posting_does,
);
