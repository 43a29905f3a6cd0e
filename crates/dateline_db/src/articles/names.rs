//! The authors, section and tags a draft names, and its translators.
//!
//! With `SaveRights::ManageNames` a save creates the ones that do not
//! exist and may change an author's bio; with `NameExisting` it only links
//! the ones that exist, as they are, and `check` refuses the rest with a
//! message for each field. Rights come from the caller's role
//! (`dateline_core::auth`), never from the draft.

use crate::{DbError, Result, ts};
use chrono::{DateTime, Utc};
use dateline_core::{ArticleDraft, ArticleId, SaveRights, ValidationErrors};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Refuses what `rights` do not allow the draft to create or change.
pub(crate) async fn check(
    conn: &mut AnyConnection,
    draft: &ArticleDraft,
    rights: SaveRights,
) -> Result<()> {
    if rights == SaveRights::ManageNames {
        return Ok(());
    }
    let mut errors = ValidationErrors::new();
    if let Some(section) = &draft.section
        && term_id(conn, Term::Section, section.slug.as_str())
            .await?
            .is_none()
    {
        errors.add(
            "section",
            none_such("section", &[section.name.as_str()], "create"),
        );
    }
    let mut missing = Vec::new();
    for tag in &draft.tags {
        if term_id(conn, Term::Tag, tag.slug.as_str()).await?.is_none() {
            missing.push(tag.name.as_str());
        }
    }
    if !missing.is_empty() {
        errors.add("tags", none_such("tag", &missing, "create"));
    }
    let mut missing = Vec::new();
    let mut rewritten = Vec::new();
    for author in &draft.authors {
        let bio: Option<String> = sqlx::query_scalar("SELECT bio FROM authors WHERE slug = $1")
            .bind(author.slug.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        match (bio, &author.bio) {
            (None, _) => missing.push(author.name.as_str()),
            (Some(now), Some(wanted)) if now != *wanted => rewritten.push(author.name.as_str()),
            _ => {}
        }
    }
    let mut message = Vec::new();
    if !missing.is_empty() {
        message.push(none_such("author", &missing, "add"));
    }
    if !rewritten.is_empty() {
        message.push(format!(
            "Only an editor can change an author's bio ({}).",
            quoted(&rewritten)
        ));
    }
    if !message.is_empty() {
        errors.add("authors", message.join(" "));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DbError::Invalid(errors))
    }
}

/// "There is no section “X”; an editor can create it."
fn none_such(kind: &str, names: &[&str], verb: &str) -> String {
    match names {
        [one] => format!(
            "There is no {kind} \u{201c}{one}\u{201d}; an editor can {verb} {}.",
            if kind == "author" { "them" } else { "it" }
        ),
        many => format!(
            "There are no {kind}s {}; an editor can {verb} them.",
            quoted(many)
        ),
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\u{201c}{n}\u{201d}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Copy)]
enum Term {
    Section,
    Tag,
}

async fn term_id(conn: &mut AnyConnection, term: Term, slug: &str) -> Result<Option<i64>> {
    let sql = match term {
        Term::Section => "SELECT id FROM sections WHERE slug = $1",
        Term::Tag => "SELECT id FROM tags WHERE slug = $1",
    };
    Ok(sqlx::query_scalar(sql)
        .bind(slug.to_owned())
        .fetch_optional(&mut *conn)
        .await?)
}

/// The id of the draft's section, created first when `rights` allow.
pub(crate) async fn section_in(
    conn: &mut AnyConnection,
    draft: &ArticleDraft,
    rights: SaveRights,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let Some(section) = &draft.section else {
        return Ok(None);
    };
    if rights == SaveRights::ManageNames {
        sqlx::query("INSERT INTO sections (slug, name, created_at, position) VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections)) ON CONFLICT (slug) DO NOTHING")
            .bind(section.slug.to_string())
            .bind(section.name.clone())
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
    }
    term_id(conn, Term::Section, section.slug.as_str())
        .await?
        .map(Some)
        .ok_or_else(|| {
            DbError::invalid(
                "section",
                none_such("section", &[section.name.as_str()], "create"),
            )
        })
}

/// Replaces the article's authors, tags and translators with the draft's,
/// creating authors and tags (and changing bios) first when `rights` allow.
pub(crate) async fn link_in(
    conn: &mut AnyConnection,
    id: ArticleId,
    d: &ArticleDraft,
    rights: SaveRights,
    now: DateTime<Utc>,
) -> Result<()> {
    for table in ["article_authors", "article_tags", "article_translators"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE article_id = $1"
        )))
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    }
    let manage = rights == SaveRights::ManageNames;
    for (position, author) in d.authors.iter().enumerate() {
        if manage {
            let insert = match &author.bio {
                Some(_) => {
                    "INSERT INTO authors (slug, name, bio, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (slug) DO UPDATE SET bio = excluded.bio, updated_at = excluded.updated_at"
                }
                None => {
                    "INSERT INTO authors (slug, name, bio, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (slug) DO NOTHING"
                }
            };
            sqlx::query(insert)
                .bind(author.slug.to_string())
                .bind(author.name.clone())
                .bind(author.bio.clone().unwrap_or_default())
                .bind(ts(now))
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query("INSERT INTO article_authors (article_id, author_id, position) SELECT $1, id, $2 FROM authors WHERE slug = $3")
            .bind(id.0)
            .bind(position as i64)
            .bind(author.slug.to_string())
            .execute(&mut *conn)
            .await?;
    }
    for (position, tag) in d.tags.iter().enumerate() {
        if manage {
            sqlx::query("INSERT INTO tags (slug, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING")
                .bind(tag.slug.to_string())
                .bind(tag.name.clone())
                .bind(ts(now))
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query("INSERT INTO article_tags (article_id, tag_id, position) SELECT $1, id, $2 FROM tags WHERE slug = $3")
            .bind(id.0)
            .bind(position as i64)
            .bind(tag.slug.to_string())
            .execute(&mut *conn)
            .await?;
    }
    if let Some(p) = &d.provenance {
        for (position, name) in p.translators.iter().enumerate() {
            sqlx::query(
                "INSERT INTO article_translators (article_id, position, name) VALUES ($1, $2, $3)",
            )
            .bind(id.0)
            .bind(position as i64)
            .bind(name.clone())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The ids of the names a batch of drafts uses, by slug.
#[derive(Default)]
pub(crate) struct NameIds {
    pub(crate) sections: HashMap<String, i64>,
    pub(crate) tags: HashMap<String, i64>,
    pub(crate) authors: HashMap<String, i64>,
}

/// `section_in` and the names of `link_in` for several drafts at once,
/// with every right (`SaveRights::ManageNames`): what is missing is
/// created, an author's bio is the last one a draft gives; `at` is each
/// draft's save time. Returns every id the drafts need.
pub(crate) async fn ensure_many(
    conn: &mut AnyConnection,
    drafts: &[(&ArticleDraft, DateTime<Utc>)],
) -> Result<NameIds> {
    let mut ids = NameIds::default();
    let mut sections: Vec<(&str, &str, DateTime<Utc>)> = Vec::new();
    let mut tags: HashMap<&str, (&str, DateTime<Utc>)> = HashMap::new();
    let mut authors: HashMap<&str, (&str, Option<&str>, DateTime<Utc>)> = HashMap::new();
    for (d, at) in drafts {
        if let Some(s) = &d.section
            && !sections.iter().any(|(slug, _, _)| *slug == s.slug.as_str())
        {
            sections.push((s.slug.as_str(), s.name.as_str(), *at));
        }
        for t in &d.tags {
            tags.entry(t.slug.as_str())
                .or_insert((t.name.as_str(), *at));
        }
        for a in &d.authors {
            let entry = authors
                .entry(a.slug.as_str())
                .or_insert((a.name.as_str(), None, *at));
            if let Some(bio) = &a.bio {
                *entry = (entry.0, Some(bio.as_str()), *at);
            }
        }
    }
    ids.sections = slug_ids(conn, "sections", sections.iter().map(|s| s.0)).await?;
    // Few and rarely new: each new section takes the next position.
    let new_sections: Vec<_> = sections
        .iter()
        .filter(|(slug, _, _)| !ids.sections.contains_key(*slug))
        .collect();
    for (slug, name, at) in &new_sections {
        sqlx::query("INSERT INTO sections (slug, name, created_at, position) VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections)) ON CONFLICT (slug) DO NOTHING")
            .bind(slug.to_string())
            .bind(name.to_string())
            .bind(ts(*at))
            .execute(&mut *conn)
            .await?;
    }
    if !new_sections.is_empty() {
        ids.sections = slug_ids(conn, "sections", sections.iter().map(|s| s.0)).await?;
    }
    crate::sql::insert_rows(
        conn,
        "INSERT INTO tags (slug, name, created_at) VALUES ",
        " ON CONFLICT (slug) DO NOTHING",
        3,
        &tags,
        |q, (slug, (name, at))| {
            q.bind(slug.to_string()).push(", ").bind(name.to_string());
            q.push(", ").bind(ts(*at));
        },
    )
    .await?;
    ids.tags = slug_ids(conn, "tags", tags.keys().copied()).await?;
    for (with_bio, tail) in [
        (
            true,
            " ON CONFLICT (slug) DO UPDATE SET bio = excluded.bio, updated_at = excluded.updated_at",
        ),
        (false, " ON CONFLICT (slug) DO NOTHING"),
    ] {
        crate::sql::insert_rows(
            conn,
            "INSERT INTO authors (slug, name, bio, created_at, updated_at) VALUES ",
            tail,
            5,
            authors.iter().filter(|(_, a)| a.1.is_some() == with_bio),
            |q, (slug, (name, bio, at))| {
                q.bind(slug.to_string()).push(", ").bind(name.to_string());
                q.push(", ").bind(bio.unwrap_or_default().to_string());
                q.push(", ").bind(ts(*at)).push(", ").bind(ts(*at));
            },
        )
        .await?;
    }
    ids.authors = slug_ids(conn, "authors", authors.keys().copied()).await?;
    Ok(ids)
}

/// The ids of the rows of `table` (a fixed name, never input) with these
/// slugs.
async fn slug_ids<'a>(
    conn: &mut AnyConnection,
    table: &'static str,
    slugs: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, i64>> {
    let slugs: Vec<&str> = slugs.collect();
    let mut out = HashMap::with_capacity(slugs.len());
    for chunk in slugs.chunks(500) {
        let mut q = crate::sql::Sql::for_conn(
            conn,
            &format!("SELECT slug, id FROM {table} WHERE slug IN ("),
        );
        q.bind_list(chunk.iter().map(|s| s.to_string())).push(")");
        let found: Vec<(String, i64)> = q.query_as().fetch_all(&mut *conn).await?;
        out.extend(found);
    }
    Ok(out)
}
