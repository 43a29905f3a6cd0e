//! Full-text search over published articles, ranked with BM25.
//!
//! Terms are made in Rust by `dateline_core::search_text` and stored in
//! `search_terms`, so ranking is the same on SQLite and PostgreSQL and works
//! in every language the site publishes in (Arabic included), without either
//! database's own text-search machinery.

use crate::articles::load_summaries;
use crate::sql::Sql;
use crate::views::{ArticleSummary, PageRequest, Paged};
use crate::{Db, Result};
use dateline_core::search_text::{Analyzer, query_terms};
use dateline_core::{ArticleDraft, ArticleId, ArticleStatus, Language};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

mod rank;

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// The article length impacts are stored at (see migration 0012); ranking
/// corrects them to the index's current average.
const REFERENCE_LENGTH: f64 = 400.0;
/// Counts kept per content version before the cache starts again.
const COUNTS_KEPT: usize = 1024;

/// How much a word counts where it appears.
const HEADLINE_WEIGHT: f64 = 3.0;
const DECK_WEIGHT: f64 = 2.0;
const TAG_WEIGHT: f64 = 2.0;
const BODY_WEIGHT: f64 = 1.0;

/// An article's terms with their weights, made before the save's
/// transaction (stemming a long body is work no write lock should wait on).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Terms {
    weights: Vec<(String, f64)>,
    length: i64,
}

impl Terms {
    /// The terms of a draft whose body reads `body_text`.
    pub(crate) fn of(draft: &ArticleDraft, body_text: &str) -> Self {
        let analyzer = Analyzer::new(&draft.language);
        let mut weights: HashMap<String, f64> = HashMap::new();
        let mut length = 0i64;
        let mut add = |text: &str, weight: f64| {
            for term in analyzer.terms(text) {
                length += 1;
                *weights.entry(term).or_default() += weight;
            }
        };
        add(&draft.headline, HEADLINE_WEIGHT);
        add(&draft.deck, DECK_WEIGHT);
        add(&draft.dateline, BODY_WEIGHT);
        add(body_text, BODY_WEIGHT);
        for tag in &draft.tags {
            add(&tag.name, TAG_WEIGHT);
        }
        if let Some(section) = &draft.section {
            add(&section.name, BODY_WEIGHT);
        }
        for author in &draft.authors {
            add(&author.name, BODY_WEIGHT);
        }
        if let Some(p) = &draft.provenance {
            add(&p.outlet, BODY_WEIGHT);
            for t in &p.translators {
                add(t, BODY_WEIGHT);
            }
        }
        Self {
            weights: weights.into_iter().collect(),
            length,
        }
    }
}

/// A posting's BM25 term-frequency part at the reference length: what the
/// index orders a term's postings by.
fn impact(weight: f64, length: f64) -> f64 {
    weight / (weight + K1 * (1.0 - B + B * length / REFERENCE_LENGTH))
}

/// Replaces an article's terms in the index.
pub(crate) async fn index_article(
    conn: &mut AnyConnection,
    id: ArticleId,
    draft: &ArticleDraft,
    terms: &Terms,
) -> Result<()> {
    sqlx::query("DELETE FROM search_terms WHERE article_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    let published_at = (draft.status == ArticleStatus::Published)
        .then_some(draft.published_at)
        .flatten()
        .map(crate::ts);
    sqlx::query("INSERT INTO search_docs (article_id, length, published_at) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO UPDATE SET length = excluded.length, published_at = excluded.published_at")
        .bind(id.0)
        .bind(terms.length)
        .bind(published_at)
        .execute(&mut *conn)
        .await?;
    let length = terms.length as f64;
    crate::sql::insert_rows(
        conn,
        "INSERT INTO search_terms (term, article_id, weight, impact, published_at) VALUES ",
        "",
        5,
        &terms.weights,
        |q, (term, weight)| {
            q.bind(term.clone()).push(", ").bind(id.0).push(", ");
            q.bind(*weight).push(", ").bind(impact(*weight, length));
            q.push(", ").bind(published_at);
        },
    )
    .await?;
    Ok(())
}

/// Indexes articles that have no terms yet (new ones, written together),
/// in as few statements as the databases allow.
pub(crate) async fn index_new_many(
    conn: &mut AnyConnection,
    articles: &[(ArticleId, &ArticleDraft, &Terms)],
) -> Result<()> {
    let published = |draft: &ArticleDraft| {
        (draft.status == ArticleStatus::Published)
            .then_some(draft.published_at)
            .flatten()
            .map(crate::ts)
    };
    crate::sql::insert_rows(
        conn,
        "INSERT INTO search_docs (article_id, length, published_at) VALUES ",
        "",
        3,
        articles,
        |q, (id, draft, terms)| {
            q.bind(id.0).push(", ").bind(terms.length).push(", ");
            q.bind(published(draft));
        },
    )
    .await?;
    let postings = articles.iter().flat_map(|(id, draft, terms)| {
        let at = published(draft);
        let length = terms.length as f64;
        terms
            .weights
            .iter()
            .map(move |(term, weight)| (*id, term, *weight, impact(*weight, length), at))
    });
    crate::sql::insert_rows(
        conn,
        "INSERT INTO search_terms (term, article_id, weight, impact, published_at) VALUES ",
        "",
        5,
        postings,
        |q, (id, term, weight, impact, at)| {
            q.bind(term.clone()).push(", ").bind(id.0).push(", ");
            q.bind(weight).push(", ").bind(impact).push(", ").bind(at);
        },
    )
    .await?;
    Ok(())
}

/// Makes an article findable from `published_at` on (`None`: not at all),
/// for status changes that do not re-index, such as a scheduled article
/// going live.
pub(crate) async fn set_published(
    conn: &mut AnyConnection,
    id: ArticleId,
    published_at: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE search_docs SET published_at = $1 WHERE article_id = $2")
        .bind(published_at)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE search_terms SET published_at = $1 WHERE article_id = $2")
        .bind(published_at)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The languages published articles are written in; a query is analysed in
/// each of them.
pub async fn published_languages(db: &Db) -> Result<Vec<Language>> {
    let codes: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT language FROM articles WHERE status = 'published' ORDER BY language",
    )
    .fetch_all(db.pool())
    .await?;
    let mut langs: Vec<Language> = codes
        .iter()
        .filter_map(|c| Language::parse(c).ok())
        .collect();
    if langs.is_empty() {
        langs.push(Language::english());
    }
    Ok(langs)
}

/// What ranking needs to know of the whole index: how many published
/// articles, their average length, the languages they are written in.
/// Reading it scans the index, so it is read again only when the content
/// version (raised by every change a reader can see, on any process) moved.
#[derive(Debug, Clone)]
struct IndexStats {
    version: i64,
    docs: i64,
    avg_len: f64,
    languages: Vec<Language>,
}

/// What searches keep between them (`Db::search_cache`): the index's stats
/// and the counts searches asked for (published articles holding a term,
/// or any of a query's terms, keyed by the sorted terms joined by a space),
/// both for one content version.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    stats: Option<IndexStats>,
    counts: HashMap<String, i64>,
}

async fn index_stats(db: &Db) -> Result<IndexStats> {
    let version = crate::site::content_version(db).await?;
    let cached = db
        .search_cache
        .lock()
        .ok()
        .and_then(|c| c.stats.as_ref().filter(|s| s.version == version).cloned());
    if let Some(stats) = cached {
        return Ok(stats);
    }
    let row = sqlx::query("SELECT COUNT(*) AS n, CAST(AVG(length) AS DOUBLE PRECISION) AS avg_len FROM search_docs WHERE published_at IS NOT NULL")
        .fetch_one(db.pool())
        .await?;
    let avg_len: Option<f64> = row.try_get("avg_len")?;
    let stats = IndexStats {
        version,
        docs: row.try_get("n")?,
        avg_len: avg_len.unwrap_or(1.0).max(1.0),
        languages: published_languages(db).await?,
    };
    if let Ok(mut cache) = db.search_cache.lock() {
        cache.stats = Some(stats.clone());
        cache.counts.clear();
    }
    Ok(stats)
}

/// Published articles holding any of `terms` (sorted, deduplicated), from
/// the cache when it holds them for `stats`' version, else counted and kept.
async fn count_holding(db: &Db, stats: &IndexStats, terms: &[String]) -> Result<i64> {
    let key = terms.join(" ");
    let current = |cache: &Cache| {
        cache
            .stats
            .as_ref()
            .is_some_and(|s| s.version == stats.version)
    };
    if let Ok(cache) = db.search_cache.lock()
        && current(&cache)
        && let Some(n) = cache.counts.get(&key)
    {
        return Ok(*n);
    }
    let mut sql = Sql::new(
        "SELECT COUNT(*) FROM (SELECT DISTINCT article_id FROM search_terms \
         WHERE published_at IS NOT NULL AND term IN (",
    );
    sql.bind_list(terms.iter().cloned()).push(")) held");
    let n: i64 = sql.query_scalar().fetch_one(db.pool()).await?;
    if let Ok(mut cache) = db.search_cache.lock()
        && current(&cache)
    {
        if cache.counts.len() >= COUNTS_KEPT {
            cache.counts.clear();
        }
        cache.counts.insert(key, n);
    }
    Ok(n)
}

/// The query's terms that published articles hold, each with the word it
/// is a variant of and its idf, and how many words the query has.
async fn ranked_terms(
    db: &Db,
    stats: &IndexStats,
    query: &str,
) -> Result<(Vec<rank::QueryTerm>, usize)> {
    let words = query_terms(query, &stats.languages);
    let mut terms: Vec<rank::QueryTerm> = Vec::new();
    for (w, variants) in words.iter().enumerate() {
        for term in variants {
            if terms.iter().any(|t| t.term == *term) {
                continue;
            }
            // A term no published article holds has no postings to read.
            let df = count_holding(db, stats, std::slice::from_ref(term)).await? as f64;
            if df > 0.0 {
                terms.push(rank::QueryTerm {
                    term: term.clone(),
                    word: w,
                    idf: (1.0 + (stats.docs as f64 - df + 0.5) / (df + 0.5)).ln(),
                });
            }
        }
    }
    Ok((terms, words.len()))
}

/// Published articles matching `query`, best first: articles containing more
/// of the query's words rank above those with fewer, then by BM25 score, then
/// the newest (`rank::top`).
pub async fn search(db: &Db, query: &str, page: PageRequest) -> Result<Paged<ArticleSummary>> {
    let stats = index_stats(db).await?;
    let (terms, words) = ranked_terms(db, &stats, query).await?;
    let mut all: Vec<String> = terms.iter().map(|t| t.term.clone()).collect();
    all.sort();
    let total = if all.is_empty() {
        0
    } else {
        count_holding(db, &stats, &all).await?
    };
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let ids: Vec<i64> = if (offset as i64) < total {
        let need = offset.saturating_add(page.per_page as usize);
        let lengths = rank::Lengths::new(stats.avg_len);
        let best = rank::top(db, &terms, words, lengths, need).await?;
        best.into_iter().skip(offset).collect()
    } else {
        Vec::new()
    };
    Ok(Paged {
        items: load_summaries(db, &ids).await?,
        total: total as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Every published article matching `query`, best first, ranked by
/// scoring each of their postings in one statement: the plain definition of
/// the order `search` reaches by reading only the best postings. Tests
/// compare the two; it is slow on a large archive.
pub async fn ranked_by_every_posting(db: &Db, query: &str) -> Result<Vec<i64>> {
    let stats = index_stats(db).await?;
    let (terms, _) = ranked_terms(db, &stats, query).await?;
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("WITH ");
    rank::push_query_terms(&mut sql, &terms);
    sql.push(", per_word AS (SELECT t.article_id, q.word, MAX(q.idf * t.weight * ")
        .bind(K1 + 1.0)
        .push(" / (t.weight + ")
        .bind(K1)
        .push(" * (")
        .bind(1.0 - B)
        .push(" + ")
        .bind(B)
        .push(" * d.length / ")
        .bind(stats.avg_len)
        .push(
            "))) AS score \
             FROM q JOIN search_terms t ON t.term = q.term \
             JOIN search_docs d ON d.article_id = t.article_id \
             WHERE d.published_at IS NOT NULL \
             GROUP BY t.article_id, q.word), \
             ranked AS (SELECT article_id, COUNT(*) AS matched, SUM(score) AS score \
             FROM per_word GROUP BY article_id) \
             SELECT r.article_id FROM ranked r \
             JOIN search_docs d ON d.article_id = r.article_id \
             ORDER BY r.matched DESC, r.score DESC, d.published_at DESC, r.article_id DESC",
        );
    Ok(sql.query_scalar().fetch_all(db.pool()).await?)
}

/// Rebuilds the index of every article, calling `progress(done, total)` as it
/// goes. For use after a change to how terms are made.
pub async fn reindex_all(db: &Db, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM articles ORDER BY id")
        .fetch_all(db.pool())
        .await?;
    let total = ids.len() as u64;
    for (done, id) in ids.into_iter().enumerate() {
        let revisions = crate::articles::revisions(db, ArticleId(id)).await?;
        let body = crate::articles::bodies(db, &[id]).await?;
        if let (Some(latest), Some(html)) = (revisions.into_iter().next(), body.get(&id)) {
            let terms = Terms::of(&latest.draft, &dateline_render::plain_text(html));
            let mut tx = db.write_tx().await?;
            index_article(&mut tx, ArticleId(id), &latest.draft, &terms).await?;
            tx.commit().await?;
        }
        progress(done as u64 + 1, total);
    }
    Ok(total)
}
