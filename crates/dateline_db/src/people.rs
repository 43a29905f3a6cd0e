//! Authors, sections and tags: the people and places articles are filed under.

use crate::rows::{AuthorRow, TermRow};
use crate::views::{AuthorView, TermView};
use crate::{Db, Result};
use sqlx::Row;

/// An author by slug.
pub async fn author(db: &Db, slug: &str) -> Result<Option<AuthorView>> {
    let row: Option<AuthorRow> =
        sqlx::query_as("SELECT id, slug, name, bio FROM authors WHERE slug = $1")
            .bind(slug.to_owned())
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(AuthorView::from))
}

/// Every author, by name, with how many published articles carry their name.
pub async fn authors(db: &Db) -> Result<Vec<(AuthorView, i64)>> {
    let rows = sqlx::query(
        "SELECT au.id, au.slug, au.name, au.bio, \
         (SELECT COUNT(*) FROM article_authors aa JOIN articles a ON a.id = aa.article_id WHERE aa.author_id = au.id AND a.status = 'published') AS n \
         FROM authors au ORDER BY au.name, au.id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let author = AuthorView::from(AuthorRow {
                id: r.try_get("id")?,
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                bio: r.try_get("bio")?,
            });
            Ok((author, r.try_get("n")?))
        })
        .collect()
}

/// Which kind of term: they live in separate tables with the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    Section,
    Tag,
}

impl TermKind {
    fn table(self) -> &'static str {
        match self {
            TermKind::Section => "sections",
            TermKind::Tag => "tags",
        }
    }

    fn count_sql(self) -> &'static str {
        match self {
            TermKind::Section => {
                "(SELECT COUNT(*) FROM articles a WHERE a.section_id = t.id AND a.status = 'published')"
            }
            TermKind::Tag => {
                "(SELECT COUNT(*) FROM article_tags at JOIN articles a ON a.id = at.article_id WHERE at.tag_id = t.id AND a.status = 'published')"
            }
        }
    }

    fn order_sql(self) -> &'static str {
        match self {
            TermKind::Section => "t.position, t.name",
            TermKind::Tag => "t.name, t.id",
        }
    }
}

/// A section or tag by slug.
pub async fn term(db: &Db, kind: TermKind, slug: &str) -> Result<Option<TermView>> {
    let sql = format!(
        "SELECT id, slug, name, description FROM {} WHERE slug = $1",
        kind.table()
    );
    let row: Option<TermRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(slug.to_owned())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(TermView::from))
}

/// Every section or tag, with its count of published articles. Sections come
/// in their navigation order, tags by name.
pub async fn terms(db: &Db, kind: TermKind) -> Result<Vec<TermView>> {
    let sql = format!(
        "SELECT t.id, t.slug, t.name, t.description, {} AS n FROM {} t ORDER BY {}",
        kind.count_sql(),
        kind.table(),
        kind.order_sql()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TermView {
                id: r.try_get("id")?,
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                article_count: Some(r.try_get("n")?),
            })
        })
        .collect()
}
