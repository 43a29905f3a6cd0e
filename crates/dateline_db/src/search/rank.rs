//! The best articles for a query without scoring every article that holds
//! its words: each query term's postings are read best first (the
//! `search_terms_ranked` index orders them by impact), every article met is
//! scored exactly (its postings of all the query's terms looked up), and the
//! reading stops once no article still unread can rank among those wanted.
//! This is Fagin's threshold algorithm over BM25; a common word's search
//! reads a few hundred postings of its tens of thousands.
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
use std::collections::HashMap;

/// BM25's length term without the length: k1 (1 - b).
const C: f64 = K1 * (1.0 - B);
/// Postings read from each term at the first step, at least (as many as
/// the articles wanted, otherwise); each step reads twice as many as the one
/// before.
const FIRST_PAGE: i64 = 8;
const LARGEST_PAGE: i64 = 8192;
/// Postings a query reads before it stops, over all its terms.
const READ_BUDGET: i64 = 60_000;
/// Articles looked up at once for their other terms' postings.
const LOOKUP_BATCH: usize = 400;

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
    /// e)`, where `e` is the length part at the reference length).
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

/// An article met while reading.
struct Seen {
    published_at: i64,
    /// Per query word, its best variant's score (0: the word is absent).
    scores: Vec<f64>,
}

impl Seen {
    fn key(&self) -> (usize, f64) {
        (
            self.scores.iter().filter(|s| **s > 0.0).count(),
            self.scores.iter().sum(),
        )
    }
}

/// A term's postings as read so far, best first.
struct Stream {
    read: i64,
    done: bool,
    /// The impact of the last posting read (every unread one has at most it).
    last_impact: f64,
}

/// The ids of the `need` best published articles for `terms` (variants of
/// `words` words), best first.
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
    let mut streams: Vec<Stream> = terms
        .iter()
        .map(|_| Stream {
            read: 0,
            done: false,
            last_impact: 1.0,
        })
        .collect();
    let mut seen: HashMap<i64, Seen> = HashMap::new();
    let mut page = i64::try_from(need)
        .unwrap_or(LARGEST_PAGE)
        .clamp(FIRST_PAGE, LARGEST_PAGE);
    let mut rounds = 0;
    loop {
        rounds += 1;
        // Articles met for the first time, by the term that met them.
        let mut met: Vec<Vec<i64>> = vec![Vec::new(); terms.len()];
        for (t, stream) in streams.iter_mut().enumerate() {
            if stream.done {
                continue;
            }
            let rows: Vec<(i64, f64, f64, i64)> = sqlx::query_as(
                "SELECT article_id, weight, impact, published_at FROM search_terms \
                 WHERE term = $1 AND published_at IS NOT NULL \
                 ORDER BY impact DESC, published_at DESC, article_id DESC LIMIT $2 OFFSET $3",
            )
            .bind(&terms[t].term)
            .bind(page)
            .bind(stream.read)
            .fetch_all(db.pool())
            .await?;
            stream.read += rows.len() as i64;
            stream.done = (rows.len() as i64) < page;
            for (id, weight, impact, published_at) in rows {
                stream.last_impact = impact;
                let entry = seen.entry(id).or_insert_with(|| {
                    met[t].push(id);
                    Seen {
                        published_at,
                        scores: vec![0.0; words],
                    }
                });
                score(entry, &terms[t], lengths.tf_part(weight, impact));
            }
        }
        // Every article met gets its other terms' postings now, so that
        // whatever is seen is scored in full.
        for (t, ids) in met.iter().enumerate() {
            let others: Vec<String> = terms
                .iter()
                .enumerate()
                .filter(|(o, _)| *o != t)
                .map(|(_, q)| q.term.clone())
                .collect();
            if others.is_empty() {
                continue;
            }
            for chunk in ids.chunks(LOOKUP_BATCH) {
                let mut sql = Sql::for_backend(
                    db.backend(),
                    "SELECT article_id, term, weight, impact FROM search_terms \
                     WHERE published_at IS NOT NULL AND term IN (",
                );
                sql.bind_list(others.iter().cloned())
                    .push(") AND article_id IN (")
                    .bind_list(chunk.iter().copied())
                    .push(")");
                let rows: Vec<(i64, String, f64, f64)> =
                    sql.query_as().fetch_all(db.pool()).await?;
                for (id, term, weight, impact) in rows {
                    if let (Some(entry), Some(q)) =
                        (seen.get_mut(&id), terms.iter().find(|q| q.term == term))
                    {
                        score(entry, q, lengths.tf_part(weight, impact));
                    }
                }
            }
        }
        // The best an unread article could do: hold every word whose
        // postings are not all read, each at its bound.
        let mut bounds = vec![None::<f64>; words];
        for (t, stream) in streams.iter().enumerate() {
            if stream.done {
                continue;
            }
            let b = terms[t].idf * (K1 + 1.0) * lengths.bound(stream.last_impact);
            let slot = &mut bounds[terms[t].word];
            *slot = Some(slot.map_or(b, |s: f64| s.max(b)));
        }
        let open = bounds.iter().flatten().count();
        let read: i64 = streams.iter().map(|s| s.read).sum();
        if open == 0 || read >= READ_BUDGET {
            tracing::debug!(
                rounds,
                read,
                met = seen.len(),
                open,
                "search: every posting read or the budget spent"
            );
            break;
        }
        let best_unread: f64 = bounds.iter().flatten().sum();
        let ahead = seen
            .values()
            .filter(|s| {
                let (matched, score) = s.key();
                matched > open || (matched == open && score >= best_unread)
            })
            .count();
        if ahead >= need {
            tracing::debug!(
                rounds,
                read,
                met = seen.len(),
                "search: no unread article can reach the page"
            );
            break;
        }
        page = (page * 2).min(LARGEST_PAGE);
    }
    let mut ranked: Vec<(usize, f64, i64, i64)> = seen
        .into_iter()
        .map(|(id, s)| {
            let (matched, score) = s.key();
            (matched, score, s.published_at, id)
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(b.2.cmp(&a.2))
            .then(b.3.cmp(&a.3))
    });
    Ok(ranked.into_iter().take(need).map(|r| r.3).collect())
}

/// Counts a posting of `term` toward its word's score in `entry`.
fn score(entry: &mut Seen, term: &QueryTerm, tf_part: f64) {
    let s = term.idf * (K1 + 1.0) * tf_part;
    let slot = &mut entry.scores[term.word];
    if s > *slot {
        *slot = s;
    }
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
