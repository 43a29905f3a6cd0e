//! What a comment plugin kept besides the comments: readers' "Notify of"
//! follows (already confirmed by their owners) and votes. Each call is one
//! transaction; a second run of the same import adds nothing.

use super::comments::recount;
use crate::follows::FollowKind;
use crate::sql::Sql;
use crate::{Db, Result, site, ts};
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use std::collections::BTreeSet;

/// A follow whose owner confirmed it on the old site.
#[derive(Debug, Clone)]
pub struct ImportedFollow {
    pub email: String,
    pub article: ArticleId,
    pub kind: FollowKind,
    /// The comment whose replies are followed (`FollowKind::Comment`).
    pub comment_id: Option<i64>,
    pub confirmed_at: DateTime<Utc>,
}

/// What `add_follows` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowsAdded {
    pub added: u64,
    pub already_there: u64,
    /// Addresses whose owner stopped all notifications here: nothing is
    /// started again for them.
    pub stopped: Vec<String>,
}

/// Stores confirmed follows as confirmed: their owners confirmed them once,
/// and are not mailed to confirm again. An address whose owner stopped all
/// notifications on this site stays stopped.
pub async fn add_follows(db: &Db, follows: &[ImportedFollow]) -> Result<FollowsAdded> {
    let mut out = FollowsAdded::default();
    let mut tx = db.write_tx().await?;
    for f in follows {
        let email = f.email.trim().to_lowercase();
        let at = ts(f.confirmed_at);
        sqlx::query(
            "INSERT INTO comment_followers (email, confirmed_at, created_at) VALUES ($1, $2, $2) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(email.clone())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let (follower, stopped): (i64, Option<i64>) =
            sqlx::query_as("SELECT id, stopped_at FROM comment_followers WHERE email = $1")
                .bind(email.clone())
                .fetch_one(&mut *tx)
                .await?;
        if stopped.is_some() {
            if !out.stopped.contains(&email) {
                out.stopped.push(email);
            }
            continue;
        }
        sqlx::query(
            "UPDATE comment_followers SET confirmed_at = COALESCE(confirmed_at, $1) WHERE id = $2",
        )
        .bind(at)
        .bind(follower)
        .execute(&mut *tx)
        .await?;
        let added = sqlx::query(
            "INSERT INTO comment_follows (follower_id, article_id, kind, comment_id, created_at, confirmed_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (follower_id, article_id, kind, comment_id) DO NOTHING",
        )
        .bind(follower)
        .bind(f.article.0)
        .bind(f.kind.as_str())
        .bind(f.comment_id.unwrap_or(0))
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added > 0 {
            out.added += 1;
        } else {
            out.already_there += 1;
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// A vote cast on the old site.
#[derive(Debug, Clone)]
pub struct ImportedVote {
    pub comment_id: i64,
    /// Who voted, in the old site's terms, kept apart from this site's
    /// voters (e.g. `wordpress:17`).
    pub voter: String,
    pub value: i64,
    pub at: DateTime<Utc>,
}

/// Stores votes (a vote already here is kept) and sets the counts of the
/// comments they are on from what they hold. Returns how many were new.
pub async fn add_votes(db: &Db, votes: &[ImportedVote]) -> Result<u64> {
    let mut tx = db.write_tx().await?;
    let mut added = 0;
    let mut touched = BTreeSet::new();
    for chunk in votes.chunks(500) {
        let mut q =
            Sql::new("INSERT INTO comment_votes (comment_id, voter, value, created_at) VALUES ");
        for (i, v) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(v.comment_id)
                .push(", ")
                .bind(v.voter.clone())
                .push(", ");
            q.bind(v.value.signum()).push(", ").bind(ts(v.at)).push(")");
            touched.insert(v.comment_id);
        }
        q.push(" ON CONFLICT (comment_id, voter) DO NOTHING");
        added += q.query().execute(&mut *tx).await?.rows_affected();
    }
    let ids: Vec<i64> = touched.into_iter().collect();
    let mut articles = BTreeSet::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(
            "UPDATE comments SET \
             upvotes = (SELECT COUNT(*) FROM comment_votes v WHERE v.comment_id = comments.id AND v.value > 0), \
             downvotes = (SELECT COUNT(*) FROM comment_votes v WHERE v.comment_id = comments.id AND v.value < 0) \
             WHERE id IN (",
        );
        q.bind_list(chunk.iter().copied()).push(")");
        q.query().execute(&mut *tx).await?;
        let mut q = Sql::new("UPDATE comments SET score = upvotes - downvotes WHERE id IN (");
        q.bind_list(chunk.iter().copied())
            .push(") RETURNING article_id");
        let found: Vec<i64> = q.query_scalar().fetch_all(&mut *tx).await?;
        articles.extend(found);
    }
    for article in articles {
        recount(&mut tx, ArticleId(article)).await?;
    }
    site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    Ok(added)
}

/// Sets an author's bio from the old site, unless it was written here
/// since (or `overwrite`). Returns whether it changed.
pub async fn set_bio(db: &Db, author_slug: &str, bio: &str, overwrite: bool) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let sql = if overwrite {
        "UPDATE authors SET bio = $1, updated_at = $3 WHERE slug = $2 AND bio <> $1"
    } else {
        "UPDATE authors SET bio = $1, updated_at = $3 WHERE slug = $2 AND bio = ''"
    };
    let changed = sqlx::query(sql)
        .bind(bio.to_owned())
        .bind(author_slug.to_owned())
        .bind(ts(Utc::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    if changed {
        site::bump_content_version(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(changed)
}
