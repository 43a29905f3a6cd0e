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

/// An author by id.
pub async fn author_by_id(db: &Db, id: i64) -> Result<Option<AuthorView>> {
    let row: Option<AuthorRow> =
        sqlx::query_as("SELECT id, slug, name, bio FROM authors WHERE id = $1")
            .bind(id)
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
    fn noun(self) -> &'static str {
        match self {
            TermKind::Section => "section",
            TermKind::Tag => "tag",
        }
    }

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

fn slug_taken(e: sqlx::Error, what: &str) -> crate::DbError {
    if crate::DbError::is_unique_violation(&e) {
        crate::DbError::Conflict {
            field: "slug".into(),
            message: format!("Another {what} already has this slug; choose another."),
        }
    } else {
        e.into()
    }
}

/// A section or tag by id.
pub async fn term_by_id(db: &Db, kind: TermKind, id: i64) -> Result<Option<TermView>> {
    let sql = format!(
        "SELECT id, slug, name, description FROM {} WHERE id = $1",
        kind.table()
    );
    let row: Option<TermRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(TermView::from))
}

/// Renames a section or tag, or changes its slug or description.
pub async fn update_term(
    db: &Db,
    kind: TermKind,
    id: i64,
    name: &str,
    slug: &dateline_core::Slug,
    description: &str,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let sql = format!(
        "UPDATE {} SET name = $1, slug = $2, description = $3 WHERE id = $4",
        kind.table()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name.trim().to_owned())
        .bind(slug.to_string())
        .bind(description.trim().to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| slug_taken(e, kind.noun()))?;
    if done.rows_affected() == 0 {
        return Err(crate::DbError::NotFound);
    }
    crate::site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a section (tags are created by the articles that name them).
pub async fn create_section(
    db: &Db,
    name: &str,
    slug: &dateline_core::Slug,
    description: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    let mut tx = db.write_tx().await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO sections (slug, name, description, position, created_at) VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections), $4) RETURNING id")
        .bind(slug.to_string())
        .bind(name.trim().to_owned())
        .bind(description.trim().to_owned())
        .bind(crate::ts(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| slug_taken(e, "section"))?;
    crate::site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// Deletes a section or tag; articles filed under it lose only that.
pub async fn delete_term(db: &Db, kind: TermKind, id: i64) -> Result<bool> {
    let mut tx = db.write_tx().await?;
    let sql = format!("DELETE FROM {} WHERE id = $1", kind.table());
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    crate::site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Changes an author's name, slug or bio.
pub async fn update_author(
    db: &Db,
    id: i64,
    name: &str,
    slug: &dateline_core::Slug,
    bio: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let mut tx = db.write_tx().await?;
    let done = sqlx::query(
        "UPDATE authors SET name = $1, slug = $2, bio = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(name.trim().to_owned())
    .bind(slug.to_string())
    .bind(bio.trim().to_owned())
    .bind(crate::ts(now))
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| slug_taken(e, "author"))?;
    if done.rows_affected() == 0 {
        return Err(crate::DbError::NotFound);
    }
    crate::site::bump_content_version(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
