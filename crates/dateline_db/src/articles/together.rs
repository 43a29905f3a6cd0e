//! New articles written together (an import's batch): the rows `save`
//! writes for one new article, for all of them, each table in as few
//! multi-row statements as the databases' limits on bound values allow.
//! `fit` says which articles may go this way; `batch.rs` writes the others
//! one by one.

use super::batch::fields;
use super::body::{Anchored, Rendered};
use super::names;
use super::save::{COLUMN_LIST, Columns, Saved, SavedBy, slug_conflict};
use crate::sql::{Sql, insert_rows};
use crate::{DbError, Result, passages, search, ts};
use chrono::{DateTime, Utc};
use dateline_core::{ArticleDraft, ArticleId, ArticleStatus, SaveRights};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// A new article ready to write (`articles::prepare_new`): its draft, the
/// time its save is recorded at, the draft as its first revision stores
/// it, and its rendered body.
pub struct NewArticle {
    pub(super) draft: ArticleDraft,
    pub(super) at: DateTime<Utc>,
    pub(super) snapshot: String,
    pub(super) rendered: Rendered,
    pub(super) anchored: Anchored,
}

/// Bound values in one row of `articles` as written here.
const ARTICLE_BINDS: usize = 26;

/// Which of `drafts` can be written together: with every right, no
/// translation link, and a slug no other article has, had, or is given in
/// this batch before it.
pub(super) async fn fit<'a>(
    conn: &mut AnyConnection,
    drafts: impl Iterator<Item = &'a ArticleDraft>,
    by: &SavedBy,
) -> Result<Vec<bool>> {
    let drafts: Vec<&ArticleDraft> = drafts.collect();
    if by.rights != SaveRights::ManageNames {
        return Ok(vec![false; drafts.len()]);
    }
    let mut taken: HashSet<String> = HashSet::new();
    for chunk in drafts.chunks(500) {
        let slugs = || chunk.iter().map(|d| d.slug.to_string());
        let mut q = Sql::for_conn(conn, "SELECT slug FROM articles WHERE slug IN (");
        q.bind_list(slugs())
            .push(") UNION SELECT old_slug FROM slug_redirects WHERE old_slug IN (");
        q.bind_list(slugs()).push(")");
        taken.extend(q.query_scalar::<String>().fetch_all(&mut *conn).await?);
    }
    Ok(drafts
        .iter()
        .map(|d| d.translation_of.is_none() && taken.insert(d.slug.to_string()))
        .collect())
}

/// Writes the articles, all or none (the caller's savepoint undoes a
/// failure); a slug taken meanwhile is a `Conflict`. Returns what each save
/// did, in order.
pub(super) async fn write(
    conn: &mut AnyConnection,
    news: &[&NewArticle],
    by: &SavedBy,
) -> Result<Vec<Saved>> {
    let drafts: Vec<(&ArticleDraft, DateTime<Utc>)> =
        news.iter().map(|n| (&n.draft, n.at)).collect();
    let names = names::ensure_many(conn, &drafts).await?;
    let ids = insert_articles(conn, news, &names.sections, by).await?;
    let rows: Vec<(ArticleId, &NewArticle)> = ids.into_iter().zip(news.iter().copied()).collect();

    insert_rows(
        conn,
        "INSERT INTO article_bodies (article_id, body_markdown, body_html) VALUES ",
        "",
        3,
        &rows,
        |q, (id, n)| {
            q.bind(id.0).push(", ").bind(n.draft.body_markdown.clone());
            q.push(", ").bind(n.anchored.html.clone());
        },
    )
    .await?;
    let passages: Vec<(ArticleId, &[String], &[dateline_render::Passage])> = rows
        .iter()
        .map(|(id, n)| {
            (
                *id,
                n.anchored.anchoring.anchors.as_slice(),
                n.rendered.passages(),
            )
        })
        .collect();
    passages::store_new_many(conn, &passages).await?;
    link_names(conn, &rows, &names).await?;
    let user = by.who.user.map(|u| u.0);
    insert_rows(
        conn,
        "INSERT INTO article_revisions (article_id, revision, created_at, draft, user_id) VALUES ",
        "",
        4,
        &rows,
        |q, (id, n)| {
            q.bind(id.0).push(", 1, ").bind(ts(n.at)).push(", ");
            q.bind(n.snapshot.clone()).push(", ").bind(user);
        },
    )
    .await?;
    let mut indexed = Vec::with_capacity(rows.len());
    for (id, n) in &rows {
        indexed.push((*id, &n.draft, &fields(&n.rendered)?.terms));
    }
    search::index_new_many(conn, &indexed).await?;

    let saved: Vec<Saved> = rows
        .iter()
        .map(|(id, n)| Saved {
            id: *id,
            slug: n.draft.slug.to_string(),
            revision: 1,
            created: true,
            changed: true,
            status: n.draft.status,
        })
        .collect();
    let events: Vec<_> = saved
        .iter()
        .zip(&rows)
        .filter_map(|(s, (_, n))| {
            crate::audit::status_event(s, None, &n.draft.headline, None).map(|e| (n.at, e))
        })
        .collect();
    crate::audit::record_many_in(conn, &by.who, &events).await?;
    Ok(saved)
}

/// Inserts the `articles` rows; returns their ids, in order.
async fn insert_articles(
    conn: &mut AnyConnection,
    news: &[&NewArticle],
    sections: &HashMap<String, i64>,
    by: &SavedBy,
) -> Result<Vec<ArticleId>> {
    let mut by_slug: HashMap<String, i64> = HashMap::with_capacity(news.len());
    for chunk in news.chunks(crate::sql::MAX_BINDS / ARTICLE_BINDS) {
        let mut q = Sql::for_conn(
            conn,
            &format!(
                "INSERT INTO articles ({COLUMN_LIST}, owner_id, created_at, updated_at, revision, anchored, first_published_at) VALUES "
            ),
        );
        for (i, n) in chunk.iter().enumerate() {
            let d = &n.draft;
            let section = match &d.section {
                Some(s) => Some(*sections.get(s.slug.as_str()).ok_or_else(|| {
                    DbError::Config(format!("the section {} was not created", s.slug))
                })?),
                None => None,
            };
            q.push(if i == 0 { "(" } else { ", (" });
            Columns::new(d, fields(&n.rendered)?.excerpt.clone(), section).bind_into(&mut q, None);
            // A report imported after the fact has not been updated since
            // it was published: its content dates from publication.
            let updated_at = d.published_at.map_or(n.at, |p| p.min(n.at));
            let first_published =
                matches!(d.status, ArticleStatus::Published | ArticleStatus::Archived)
                    .then_some(d.published_at)
                    .flatten()
                    .map(ts);
            q.push(", ").bind(by.who.user.map(|u| u.0));
            q.push(", ").bind(ts(n.at)).push(", ").bind(ts(updated_at));
            q.push(", 1, 1, ").bind(first_published).push(")");
        }
        q.push(" RETURNING id, slug");
        let stored: Vec<(i64, String)> = q
            .query_as()
            .fetch_all(&mut *conn)
            .await
            .map_err(slug_conflict)?;
        by_slug.extend(stored.into_iter().map(|(id, slug)| (slug, id)));
    }
    news.iter()
        .map(|n| {
            by_slug
                .get(n.draft.slug.as_str())
                .map(|id| ArticleId(*id))
                .ok_or_else(|| {
                    DbError::Config(format!("the article {} was not stored", n.draft.slug))
                })
        })
        .collect()
}

/// The articles' authors, tags and translators, in their order.
async fn link_names(
    conn: &mut AnyConnection,
    rows: &[(ArticleId, &NewArticle)],
    names: &names::NameIds,
) -> Result<()> {
    insert_links(
        conn,
        "INSERT INTO article_authors (article_id, author_id, position) VALUES ",
        rows,
        &names.authors,
        |d| d.authors.iter().map(|a| a.slug.as_str()).collect(),
    )
    .await?;
    insert_links(
        conn,
        "INSERT INTO article_tags (article_id, tag_id, position) VALUES ",
        rows,
        &names.tags,
        |d| d.tags.iter().map(|t| t.slug.as_str()).collect(),
    )
    .await?;
    let translators = rows.iter().flat_map(|(id, n)| {
        n.draft
            .provenance
            .iter()
            .flat_map(|p| p.translators.iter().enumerate())
            .map(move |(position, name)| (*id, position as i64, name))
    });
    insert_rows(
        conn,
        "INSERT INTO article_translators (article_id, position, name) VALUES ",
        "",
        3,
        translators,
        |q, (id, position, name)| {
            q.bind(id.0)
                .push(", ")
                .bind(position)
                .push(", ")
                .bind(name.clone());
        },
    )
    .await?;
    Ok(())
}

/// Links each article to the names `slugs` picks from its draft (by their
/// ids in `ids`), in the draft's order: `head` names the link table's
/// article, name and position columns.
async fn insert_links(
    conn: &mut AnyConnection,
    head: &str,
    rows: &[(ArticleId, &NewArticle)],
    ids: &HashMap<String, i64>,
    slugs: impl Fn(&ArticleDraft) -> Vec<&str>,
) -> Result<()> {
    let links = rows.iter().flat_map(|(article, n)| {
        slugs(&n.draft)
            .into_iter()
            .enumerate()
            .filter_map(|(position, slug)| ids.get(slug).map(|id| (*article, *id, position as i64)))
            .collect::<Vec<_>>()
    });
    insert_rows(conn, head, "", 3, links, |q, (article, id, position)| {
        q.bind(article.0)
            .push(", ")
            .bind(id)
            .push(", ")
            .bind(position);
    })
    .await?;
    Ok(())
}
