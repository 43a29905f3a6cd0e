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

/// Published articles matching `query`, best first: articles containing more
/// of the query's words rank above those with fewer, then by BM25 score, then
/// the newest.
pub async fn search(db: &Db, query: &str, page: PageRequest) -> Result<Paged<ArticleSummary>> {
    let languages = published_languages(db).await?;
    let words = query_terms(query, &languages);
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

    let stats = sqlx::query("SELECT COUNT(*) AS n, CAST(AVG(length) AS DOUBLE PRECISION) AS avg_len FROM search_docs WHERE published_at IS NOT NULL")
        .fetch_one(db.pool())
        .await?;
    let docs: i64 = stats.try_get("n")?;
    let avg_len: Option<f64> = stats.try_get("avg_len")?;
    let avg_len = avg_len.unwrap_or(1.0).max(1.0);

    // One query per term: the term need not travel back with every row.
    struct Posting {
        term: usize,
        article: i64,
        weight: f64,
        length: i64,
    }
    let mut postings = Vec::new();
    let mut published_at: HashMap<i64, i64> = HashMap::new();
    let mut doc_freq = vec![0.0f64; all_terms.len()];
    for (term, text) in all_terms.iter().enumerate() {
        let rows = sqlx::query("SELECT t.article_id, t.weight, d.length, d.published_at FROM search_terms t JOIN search_docs d ON d.article_id = t.article_id WHERE t.term = $1 AND d.published_at IS NOT NULL")
            .bind(text.clone())
            .fetch_all(db.pool())
            .await?;
        doc_freq[term] = rows.len() as f64;
        for row in rows {
            let article: i64 = row.try_get(0)?;
            published_at.insert(article, row.try_get(3)?);
            postings.push(Posting {
                term,
                article,
                weight: row.try_get(1)?,
                length: row.try_get(2)?,
            });
        }
    }
    // Which query words each term stands for.
    let words_of_term: Vec<Vec<usize>> = all_terms
        .iter()
        .map(|t| (0..words.len()).filter(|w| words[*w].contains(t)).collect())
        .collect();

    // Per article, the best score each query word reached through any of its
    // variants.
    let mut per_word: HashMap<i64, Vec<f64>> = HashMap::new();
    for p in &postings {
        let df = doc_freq[p.term].max(1.0);
        let idf = (1.0 + (docs as f64 - df + 0.5) / (df + 0.5)).ln();
        let norm = K1 * (1.0 - B + B * p.length as f64 / avg_len);
        let score = idf * p.weight * (K1 + 1.0) / (p.weight + norm);
        let scores = per_word
            .entry(p.article)
            .or_insert_with(|| vec![0.0; words.len()]);
        for &w in &words_of_term[p.term] {
            if score > scores[w] {
                scores[w] = score;
            }
        }
    }
    let mut ranked: Vec<(i64, usize, f64)> = per_word
        .into_iter()
        .map(|(article, scores)| {
            let matched = scores.iter().filter(|s| **s > 0.0).count();
            (article, matched, scores.iter().sum())
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.2.total_cmp(&a.2))
            .then(published_at.get(&b.0).cmp(&published_at.get(&a.0)))
            .then(b.0.cmp(&a.0))
    });
    let total = ranked.len() as u64;
    let ids: Vec<i64> = ranked
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.per_page as usize)
        .map(|(id, _, _)| id)
        .collect();
    Ok(Paged {
        items: load_summaries(db, &ids).await?,
        total,
        page: page.page,
        per_page: page.per_page,
    })
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
