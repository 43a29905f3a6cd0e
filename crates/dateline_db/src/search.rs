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

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Rows per multi-row INSERT: well under both databases' parameter limits.
const INSERT_BATCH: usize = 200;

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
    for chunk in terms.weights.chunks(INSERT_BATCH) {
        let mut sql = Sql::new("INSERT INTO search_terms (term, article_id, weight) VALUES ");
        for (i, (term, weight)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(term.clone())
                .push(", ")
                .bind(id.0)
                .push(", ")
                .bind(*weight)
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
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
        .execute(conn)
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
pub(crate) struct IndexStats {
    version: i64,
    docs: i64,
    avg_len: f64,
    languages: Vec<Language>,
}

async fn index_stats(db: &Db) -> Result<IndexStats> {
    let version = crate::site::content_version(db).await?;
    let cached = db
        .search_stats
        .lock()
        .ok()
        .and_then(|s| s.as_ref().filter(|s| s.version == version).cloned());
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
    if let Ok(mut slot) = db.search_stats.lock() {
        *slot = Some(stats.clone());
    }
    Ok(stats)
}

/// Published articles matching `query`, best first: articles containing more
/// of the query's words rank above those with fewer, then by BM25 score, then
/// the newest.
pub async fn search(db: &Db, query: &str, page: PageRequest) -> Result<Paged<ArticleSummary>> {
    let stats = index_stats(db).await?;
    let words = query_terms(query, &stats.languages);
    let empty = || Paged {
        items: Vec::new(),
        total: 0,
        page: page.page,
        per_page: page.per_page,
    };
    if words.is_empty() {
        return Ok(empty());
    }
    let all_terms: Vec<String> = {
        let mut t: Vec<String> = words.iter().flatten().cloned().collect();
        t.sort();
        t.dedup();
        t
    };

    let (docs, avg_len) = (stats.docs, stats.avg_len);

    // How many published articles hold each term, for its idf.
    let mut sql = Sql::new(
        "SELECT t.term, COUNT(*) FROM search_terms t JOIN search_docs d ON d.article_id = t.article_id \
         WHERE d.published_at IS NOT NULL AND t.term IN (",
    );
    sql.bind_list(all_terms.iter().cloned())
        .push(") GROUP BY t.term");
    let doc_freq: HashMap<String, i64> = sql
        .query_as::<(String, i64)>()
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .collect();

    let bm25 = Bm25 {
        docs,
        avg_len,
        doc_freq,
    };
    let mut rows = ranked(db, &words, &bm25, i64::from(page.per_page), page.offset()).await?;
    let total = match rows.first() {
        Some((_, total)) => *total as u64,
        // Past the last page: how many there are, for the message.
        None if page.offset() > 0 => ranked(db, &words, &bm25, 1, 0)
            .await?
            .first()
            .map_or(0, |(_, total)| *total as u64),
        None => 0,
    };
    let ids: Vec<i64> = rows.drain(..).map(|(id, _)| id).collect();
    Ok(Paged {
        items: load_summaries(db, &ids).await?,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

struct Bm25 {
    docs: i64,
    avg_len: f64,
    /// Published articles holding each term.
    doc_freq: HashMap<String, i64>,
}

/// One page of matching articles, best first, each with the number of all
/// matches. The ranking runs in the database and only the page travels
/// back: per article, the best score each query word reached through any of
/// its variants (BM25), then articles holding more of the words first, then
/// the higher score, then the newest.
async fn ranked(
    db: &Db,
    words: &[Vec<String>],
    bm25: &Bm25,
    limit: i64,
    offset: i64,
) -> Result<Vec<(i64, i64)>> {
    let mut sql = Sql::new("WITH q (term, word, idf) AS (VALUES ");
    let mut first = true;
    for (w, variants) in words.iter().enumerate() {
        for term in variants {
            let df = bm25.doc_freq.get(term).copied().unwrap_or(0) as f64;
            if df == 0.0 {
                continue;
            }
            let idf = (1.0 + (bm25.docs as f64 - df + 0.5) / (df + 0.5)).ln();
            sql.push(if first { "(" } else { ", (" });
            first = false;
            sql.bind(term.clone())
                .push(", ")
                .bind(w as i64)
                .push(", ")
                .bind(idf)
                .push(")");
        }
    }
    if first {
        return Ok(Vec::new());
    }
    sql.push("), per_word AS (SELECT t.article_id, q.word, MAX(q.idf * t.weight * ")
        .bind(K1 + 1.0)
        .push(" / (t.weight + ")
        .bind(K1)
        .push(" * (")
        .bind(1.0 - B)
        .push(" + ")
        .bind(B)
        .push(" * d.length / ")
        .bind(bm25.avg_len)
        .push(
            "))) AS score \
             FROM q JOIN search_terms t ON t.term = q.term \
             JOIN search_docs d ON d.article_id = t.article_id \
             WHERE d.published_at IS NOT NULL \
             GROUP BY t.article_id, q.word), \
             ranked AS (SELECT article_id, COUNT(*) AS matched, SUM(score) AS score \
             FROM per_word GROUP BY article_id) \
             SELECT r.article_id, COUNT(*) OVER () FROM ranked r \
             JOIN search_docs d ON d.article_id = r.article_id \
             ORDER BY r.matched DESC, r.score DESC, d.published_at DESC, r.article_id DESC \
             LIMIT ",
        )
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    Ok(sql.query_as().fetch_all(db.pool()).await?)
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
