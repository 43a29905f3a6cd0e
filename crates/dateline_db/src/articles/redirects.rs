//! An article's old addresses: a slug it left redirects to it. A save
//! touches only its own article's: it never takes, removes or re-points
//! another article's old address.

use crate::{DbError, Result};
use dateline_core::ArticleId;
use sqlx::AnyConnection;

/// Refuses `slug` for `own` (none for a new article) when it is another
/// article's old address.
pub(crate) async fn check(
    conn: &mut AnyConnection,
    own: Option<ArticleId>,
    slug: &str,
) -> Result<()> {
    let leads_to: Option<i64> =
        sqlx::query_scalar("SELECT article_id FROM slug_redirects WHERE old_slug = $1")
            .bind(slug.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
    match leads_to {
        Some(other) if own.is_none_or(|own| own.0 != other) => Err(DbError::Conflict {
            field: "slug".into(),
            message: format!(
                "\u{201c}{slug}\u{201d} is an old address of another article, and still leads there; choose another slug."
            ),
        }),
        _ => Ok(()),
    }
}

/// After `id` moved from `old_slug` to `new_slug`: an old address of its
/// own that it took back is live again, and the one it left leads to it.
pub(crate) async fn update_in(
    conn: &mut AnyConnection,
    id: ArticleId,
    old_slug: Option<&str>,
    new_slug: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM slug_redirects WHERE old_slug = $1 AND article_id = $2")
        .bind(new_slug.to_owned())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    if let Some(old) = old_slug.filter(|old| *old != new_slug) {
        sqlx::query(
            "INSERT INTO slug_redirects (old_slug, article_id) VALUES ($1, $2) ON CONFLICT (old_slug) DO NOTHING",
        )
        .bind(old.to_owned())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
