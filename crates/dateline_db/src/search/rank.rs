//! The best articles for a query without scoring every article that holds
//! its words: each query term's postings are read best first (the
//! `search_terms_ranked` index orders them by impact), every article met is
//! scored exactly in the database (its postings of all the query's terms,
//! one probe of the primary key each), and the reading stops once no
//! article still unread can rank among those wanted. This is Fagin's
//! threshold algorithm over BM25; a common word's search reads a few
//! hundred postings of its tens of thousands, and only a page of rows
//! leaves the database.
//!
//! The order is the one users see: articles holding more of the query's
//! words first, then the higher score (per word, the best of its variants),
//! then the newest. Exact, except that an unread article whose score ties
//! the last one read exactly may be left below it, and that a query stops
//! reading once it has read `READ_BUDGET` postings: one of many words that
//! are each in most articles of a large archive is ranked among the
//! articles those postings name (each scored in full), so that no query
//! (32 words at most) costs more than about that.

use super::{B, K1, REFERENCE_LENGTH};
use crate::sql::Sql;
use crate::{Db, Result};

/// BM25's length term without the length: k1 (1 - b).
const C: f64 = K1 * (1.0 - B);
/// Postings read from each term at the first step, at least (as many as
/// the articles wanted, otherwise); each step reads as deep again. A step
/// costs PostgreSQL ~5 ms of planning and hand-off whatever its depth, so
/// the first reads deep enough that a rare word ends there.
const FIRST_DEPTH: i64 = 128;
/// Postings a query reads before it stops, over all its terms.
const READ_BUDGET: i64 = 60_000;

/// One of the query's terms: a variant of word `word`, with its idf.
#[derive(Debug, Clone)]
pub(super) struct QueryTerm {
    pub term: String,
    pub word: usize,
    pub idf: f64,
}

/// What the index says about the length of articles: the current average
/// (scores use it) against the reference the impacts were stored with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lengths {
    /// Reference length over the current average.
    ratio: f64,
}

impl Lengths {
    pub(super) fn new(avg_len: f64) -> Self {
        Self {
            ratio: REFERENCE_LENGTH / avg_len.max(1.0),
        }
    }

    /// The posting's term-frequency part at the current average length,
    /// recovered from its weight and stored impact (`weight / (weight + C +
    /// e)`, where `e` is the length part at the reference length). The
    /// database computes the same (`push_score`); this is its definition.
    #[cfg(test)]
    fn tf_part(self, weight: f64, impact: f64) -> f64 {
        if impact <= 0.0 || weight <= 0.0 {
            return 0.0;
        }
        let e = (weight / impact - weight - C).max(0.0);
        weight / (weight + C + e * self.ratio)
    }

    /// The most `tf_part` can be for any posting whose impact is at most
    /// `impact`: when the average grew past the reference, long articles
    /// gain, most of all those with a heavy weight (the limit as weight
    /// grows); when it shrank, nothing gains.
    fn bound(self, impact: f64) -> f64 {
        if impact <= 0.0 {
            return 0.0;
        }
        1.0 / (1.0 + self.ratio.min(1.0) * (1.0 / impact - 1.0))
    }
}

/// An article among the best met so far, with how many of the query's
/// words it holds and its score.
struct Met {
    article_id: i64,
    matched: i64,
    score: f64,
}

/// A row of a step's answer: an article among the best met (`kind` 0, in
/// order), or a term's next impact (`kind` 1, the term's index in `id`,
/// the impact in `score`).
#[derive(sqlx::FromRow)]
struct StepRow {
    kind: i64,
    id: i64,
    matched: i64,
    score: f64,
}

/// What one step of the reading found.
struct Step {
    best: Vec<Met>,
    /// Each term's impact of the posting just past the depth read (`None`:
    /// the term has no more postings).
    next: Vec<Option<f64>>,
}

/// The ids of the `need` best published articles for `terms` (variants of
/// `words` words), best first.
///
/// Each step reads every term's postings a little deeper, best first, and
/// has the database score the articles the new postings name (each in
/// full: its postings of all the query's terms) together with the best of
/// the steps before, and return only the `need` best: an article that was
/// not among them never will be, as steps only add articles. The next
/// posting of each term bounds what any article not yet met can score. The
/// steps go on, each twice as deep as the one before, until the
/// `need`-th best met is out of an unmet article's reach, every posting is
/// read, or the budget is spent. Only a page of rows ever leaves the
/// database, and no posting is scored twice.
pub(super) async fn top(
    db: &Db,
    terms: &[QueryTerm],
    words: usize,
    lengths: Lengths,
    need: usize,
) -> Result<Vec<i64>> {
    if terms.is_empty() || need == 0 {
        return Ok(Vec::new());
    }
    let terms_count = terms.len() as i64;
    let deepest = (READ_BUDGET + terms_count - 1) / terms_count;
    let mut read = 0;
    let mut depth = i64::try_from(need)
        .unwrap_or(READ_BUDGET)
        .clamp(FIRST_DEPTH, deepest);
    let mut best: Vec<Met> = Vec::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let before: Vec<i64> = best.iter().map(|m| m.article_id).collect();
        let found = step(db, terms, lengths, (read, depth), &before, need).await?;
        best = found.best;
        read = depth;
        // The best an article not met could do: hold every word with a
        // posting past the depth, each at its bound.
        let next = found.next;
        let mut bounds = vec![None::<f64>; words];
        for (t, impact) in next.iter().enumerate() {
            if let Some(impact) = impact {
                let b = terms[t].idf * (K1 + 1.0) * lengths.bound(*impact);
                let slot = &mut bounds[terms[t].word];
                *slot = Some(slot.map_or(b, |s: f64| s.max(b)));
            }
        }
        let open = bounds.iter().flatten().count() as i64;
        let best_unmet: f64 = bounds.iter().flatten().sum();
        let settled = best.len() >= need
            && best.last().is_some_and(|last| {
                last.matched > open || (last.matched == open && last.score >= best_unmet)
            });
        let spent = depth * terms_count >= READ_BUDGET;
        if open == 0 || settled || spent {
            tracing::debug!(rounds, depth, open, settled, spent, "search: ranked");
            return Ok(best.into_iter().map(|m| m.article_id).collect());
        }
        depth = (depth * 2).min(deepest);
    }
}

/// One step, in one statement (each costs PostgreSQL a few milliseconds
/// of planning and hand-off whatever it reads): the `need` best of the
/// articles named by each term's postings `from` to `to` (in the order
/// they are read) and the articles `before`, scored in full, best first
/// (more of the query's words, then the higher score — per word, its best
/// variant's —, then the newest); and each term's impact just past `to`.
async fn step(
    db: &Db,
    terms: &[QueryTerm],
    lengths: Lengths,
    (from, to): (i64, i64),
    before: &[i64],
    need: usize,
) -> Result<Step> {
    let mut sql = Sql::for_backend(db.backend(), "WITH ");
    push_query_terms(&mut sql, terms);
    sql.push(", met AS (");
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ");
        }
        sql.push("SELECT article_id FROM ");
        push_postings(&mut sql, "article_id", &t.term, to - from, from);
        sql.push(" AS read_").push(&i.to_string());
    }
    if !before.is_empty() {
        sql.push(" UNION SELECT article_id FROM search_docs WHERE article_id IN (")
            .bind_list(before.iter().copied())
            .push(")");
    }
    sql.push("), per_word AS (SELECT t.article_id, q.word, MAX(");
    push_score(&mut sql, lengths);
    // Every posting of an article carries its publication time: the order's
    // last key needs no join with `search_docs` (which PostgreSQL, misled
    // by the estimate of the articles met, read whole).
    sql.push(
        ") AS score, MAX(t.published_at) AS published_at FROM met m CROSS JOIN q \
         JOIN search_terms t ON t.term = q.term AND t.article_id = m.article_id \
         WHERE t.published_at IS NOT NULL GROUP BY t.article_id, q.word), \
         ranked AS (SELECT article_id, \
         SUM(CASE WHEN score > 0 THEN 1 ELSE 0 END) AS matched, SUM(score) AS score, \
         MAX(published_at) AS published_at FROM per_word GROUP BY article_id) \
         SELECT kind, id, matched, score, pos FROM (\
         SELECT CAST(0 AS BIGINT) AS kind, r.article_id AS id, r.matched, r.score, \
         ROW_NUMBER() OVER (ORDER BY r.matched DESC, r.score DESC, \
         r.published_at DESC, r.article_id DESC) AS pos \
         FROM ranked r ORDER BY pos LIMIT ",
    )
    .bind(i64::try_from(need).unwrap_or(i64::MAX))
    .push(") AS best");
    for (i, t) in terms.iter().enumerate() {
        sql.push(" UNION ALL SELECT 1, ")
            .bind(i as i64)
            .push(", 0, impact, 0 FROM ");
        push_postings(&mut sql, "impact", &t.term, 1, to);
        sql.push(" AS next_").push(&i.to_string());
    }
    sql.push(" ORDER BY kind, pos");
    let rows: Vec<StepRow> = sql.query_as().fetch_all(db.pool()).await?;
    let mut found = Step {
        best: Vec::with_capacity(need),
        next: vec![None; terms.len()],
    };
    for row in rows {
        if row.kind == 0 {
            found.best.push(Met {
                article_id: row.id,
                matched: row.matched,
                score: row.score,
            });
        } else if let Some(slot) = usize::try_from(row.id)
            .ok()
            .and_then(|i| found.next.get_mut(i))
        {
            *slot = Some(row.score);
        }
    }
    Ok(found)
}

/// `column` of `term`'s published postings in the order they are read
/// (the `search_terms_ranked` index's), `limit` of them from `offset`, as
/// a parenthesised subquery.
fn push_postings(sql: &mut Sql, column: &str, term: &str, limit: i64, offset: i64) {
    sql.push("(SELECT ")
        .push(column)
        .push(" FROM search_terms WHERE term = ")
        .bind(term.to_string())
        .push(
            " AND published_at IS NOT NULL \
             ORDER BY impact DESC, published_at DESC, article_id DESC LIMIT ",
        )
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset)
        .push(")");
}

/// The query's terms as a table `q (term, word, idf)`, for a `WITH`.
pub(super) fn push_query_terms(sql: &mut Sql, terms: &[QueryTerm]) {
    sql.push("q (term, word, idf) AS (VALUES ");
    for (i, t) in terms.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(t.term.clone())
            .push(", ")
            .bind(t.word as i64)
            .push(", ")
            .bind(t.idf)
            .push(")");
    }
    sql.push(")");
}

/// A posting's score for its term (`q.idf * (k1 + 1) * tf_part`), in SQL
/// over `t` (the posting) and `q` (its query term).
fn push_score(sql: &mut Sql, lengths: Lengths) {
    // e: the posting's length part at the reference length.
    let e = |sql: &mut Sql| {
        sql.push("(t.weight / t.impact - t.weight - ")
            .bind(C)
            .push(")");
    };
    sql.push("CASE WHEN t.impact > 0 AND t.weight > 0 THEN q.idf * ")
        .bind(K1 + 1.0)
        .push(" * t.weight / (t.weight + ")
        .bind(C)
        .push(" + ")
        .bind(lengths.ratio)
        .push(" * CASE WHEN ");
    e(sql);
    sql.push(" > 0 THEN ");
    e(sql);
    sql.push(" ELSE 0 END) ELSE 0 END");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old formula, straight from weight and length.
    fn bm25_tf(weight: f64, length: f64, avg: f64) -> f64 {
        weight / (weight + K1 * (1.0 - B + B * length / avg))
    }

    fn impact(weight: f64, length: f64) -> f64 {
        super::super::impact(weight, length)
    }

    #[test]
    fn the_score_comes_back_from_the_impact_at_any_average() {
        for avg in [50.0, 400.0, 1234.5] {
            let l = Lengths::new(avg);
            for (w, len) in [(1.0, 10.0), (3.0, 400.0), (7.5, 2000.0), (1.0, 0.0)] {
                let got = l.tf_part(w, impact(w, len));
                let want = bm25_tf(w, len, avg);
                assert!(
                    (got - want).abs() < 1e-12,
                    "{w} {len} {avg}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn the_bound_holds_for_every_posting_at_or_below_an_impact() {
        for avg in [50.0, 400.0, 3000.0] {
            let l = Lengths::new(avg);
            let postings: Vec<(f64, f64)> = (1..25)
                .flat_map(|w| (0..30).map(move |n| (f64::from(w) * 0.5, f64::from(n) * 97.0)))
                .collect();
            for &(w, len) in &postings {
                let v = impact(w, len);
                // Every posting with an impact at most v scores at most the bound.
                let b = l.bound(v);
                for &(w2, len2) in &postings {
                    if impact(w2, len2) <= v {
                        assert!(l.tf_part(w2, impact(w2, len2)) <= b + 1e-12);
                    }
                }
            }
        }
    }
}
