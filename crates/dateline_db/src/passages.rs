//! Inline feedback's storage: the passages (paragraphs) of each article
//! under anchors that outlive edits, the editors' questions on them, and how
//! many approved comments each has.
//!
//! Anchors are given when an article is saved, by matching the new
//! paragraphs to the old ones (`dateline_core::passage::assign`) before the
//! save's transaction; the transaction checks the rows it matched against
//! are still there (`known_in`) and stores the result (`store_in`). The
//! stored HTML carries the anchors as the paragraphs' ids.

use crate::sql::Sql;
use crate::{Db, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use dateline_core::passage::{Anchoring, KnownPassage, assign};
use dateline_render::Passage;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

/// Rows per multi-row INSERT: well under both databases' parameter limits.
const INSERT_BATCH: usize = 100;

/// A passage as readers and the Comments API see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassageView {
    pub anchor: String,
    /// Its place in the current body; `None` once an edit removed it.
    pub position: Option<i64>,
    pub text: String,
    pub question: Option<String>,
    /// Approved comments on it, replies included.
    pub answers: i64,
    pub removed_at: Option<DateTime<Utc>>,
}

impl PassageView {
    /// Still in the article as it reads now.
    pub fn current(&self) -> bool {
        self.position.is_some()
    }
}

#[derive(FromRow)]
struct PassageRow {
    anchor: String,
    position: Option<i64>,
    text: String,
    question: String,
    answers: i64,
    removed_at: Option<i64>,
}

impl From<PassageRow> for PassageView {
    fn from(r: PassageRow) -> Self {
        Self {
            anchor: r.anchor,
            position: r.position,
            text: r.text,
            question: (!r.question.is_empty()).then_some(r.question),
            answers: r.answers,
            removed_at: r.removed_at.map(from_ts),
        }
    }
}

const SELECT: &str = "SELECT p.anchor, p.position, p.text, p.question, p.removed_at, \
     (SELECT COUNT(*) FROM comments c WHERE c.article_id = p.article_id AND c.anchor = p.anchor \
      AND c.status = 'approved' AND c.deleted_at IS NULL) AS answers \
     FROM article_passages p WHERE p.article_id = $1";

/// Every passage an article has had: current ones in reading order, then
/// removed ones, most recently removed first.
pub async fn for_article(db: &Db, article: ArticleId) -> Result<Vec<PassageView>> {
    let rows: Vec<PassageRow> = sqlx::query_as(SELECT)
        .bind(article.0)
        .fetch_all(db.pool())
        .await?;
    let mut out: Vec<PassageView> = rows.into_iter().map(PassageView::from).collect();
    out.sort_by(|a, b| match (a.position, b.position) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.removed_at.cmp(&a.removed_at),
    });
    Ok(out)
}

/// One passage of an article, current or removed.
pub async fn get(db: &Db, article: ArticleId, anchor: &str) -> Result<Option<PassageView>> {
    let row: Option<PassageRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} AND p.anchor = $2")))
            .bind(article.0)
            .bind(anchor.to_owned())
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(PassageView::from))
}

/// A passage as a save finds it: what its anchor is matched against, and
/// what tells whether the save changes its row.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub(crate) struct KnownRow {
    anchor: String,
    position: Option<i64>,
    text: String,
    question: String,
}

/// The passages an article has now: current ones in reading order, then
/// removed ones.
pub(crate) async fn known_in(
    conn: &mut AnyConnection,
    article: ArticleId,
) -> Result<Vec<KnownRow>> {
    let mut rows: Vec<KnownRow> = sqlx::query_as(
        "SELECT anchor, position, text, question FROM article_passages WHERE article_id = $1",
    )
    .bind(article.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.sort_by(|a, b| {
        (a.position.is_none(), a.position, &a.anchor).cmp(&(
            b.position.is_none(),
            b.position,
            &b.anchor,
        ))
    });
    Ok(rows)
}

/// Which anchor each new paragraph keeps (pure work, done before the
/// save's transaction).
pub(crate) fn anchoring(known: &[KnownRow], passages: &[Passage]) -> Anchoring {
    let known: Vec<KnownPassage> = known
        .iter()
        .map(|r| KnownPassage {
            anchor: r.anchor.clone(),
            text: r.text.clone(),
            current: r.position.is_some(),
        })
        .collect();
    let texts: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
    assign(&known, &texts)
}

/// Stores the passages of articles that have none yet (new ones, written
/// together): `(article, anchors, passages)`, an anchor per passage.
pub(crate) async fn store_new_many(
    conn: &mut AnyConnection,
    articles: &[(ArticleId, &[String], &[Passage])],
) -> Result<()> {
    let rows =
        articles.iter().flat_map(|(article, anchors, passages)| {
            anchors.iter().zip(passages.iter()).enumerate().map(
                move |(position, (anchor, passage))| (*article, anchor, position as i64, passage),
            )
        });
    crate::sql::insert_rows(
        conn,
        "INSERT INTO article_passages (article_id, anchor, position, text, question, removed_at) VALUES ",
        "",
        5,
        rows,
        |q, (article, anchor, position, passage)| {
            q.bind(article.0).push(", ").bind(anchor.clone()).push(", ");
            q.bind(position).push(", ").bind(passage.text.clone()).push(", ");
            q.bind(passage.question.clone().unwrap_or_default()).push(", NULL");
        },
    )
    .await?;
    Ok(())
}

/// Stores what a save's anchoring changed, against the rows it was made
/// from (`known`, which the caller checked are still the rows now).
pub(crate) async fn store_in(
    conn: &mut AnyConnection,
    article: ArticleId,
    anchoring: &Anchoring,
    passages: &[Passage],
    known: &[KnownRow],
    now: DateTime<Utc>,
) -> Result<()> {
    let before: std::collections::HashMap<&str, &KnownRow> =
        known.iter().map(|r| (r.anchor.as_str(), r)).collect();
    let changed: Vec<(&String, i64, &Passage, String)> = anchoring
        .anchors
        .iter()
        .zip(passages)
        .enumerate()
        .map(|(position, (anchor, passage))| {
            let question = passage.question.clone().unwrap_or_default();
            (anchor, position as i64, passage, question)
        })
        .filter(|(anchor, position, passage, question)| {
            !before.get(anchor.as_str()).is_some_and(|r| {
                r.position == Some(*position) && r.text == passage.text && r.question == *question
            })
        })
        .collect();
    // A long body has thousands of paragraphs: rows go in batches, so the
    // write lock is held for a few statements, not one per paragraph.
    for batch in changed.chunks(INSERT_BATCH) {
        let mut sql = Sql::new(
            "INSERT INTO article_passages (article_id, anchor, position, text, question, removed_at) VALUES ",
        );
        for (i, (anchor, position, passage, question)) in batch.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(article.0)
                .push(", ")
                .bind((*anchor).clone())
                .push(", ")
                .bind(*position)
                .push(", ")
                .bind(passage.text.clone())
                .push(", ")
                .bind(question.clone())
                .push(", NULL)");
        }
        sql.push(
            " ON CONFLICT (article_id, anchor) DO UPDATE SET position = excluded.position, \
             text = excluded.text, question = excluded.question, removed_at = NULL",
        );
        sql.query().execute(&mut *conn).await?;
    }
    for batch in anchoring.removed.chunks(INSERT_BATCH) {
        let mut sql = Sql::new("UPDATE article_passages SET position = NULL, removed_at = ");
        sql.bind(ts(now))
            .push(" WHERE article_id = ")
            .bind(article.0)
            .push(" AND anchor IN (")
            .bind_list(batch.iter().cloned())
            .push(")");
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}
