//! Saving a draft: one transaction writes the article with its authors,
//! section, tags, translators, translation links, revision, old addresses,
//! passages, body and search terms, or nothing at all.
//!
//! Nothing heavy runs inside the transaction (on SQLite it holds the one
//! write lock every comment and sign-up waits for): the body is rendered,
//! anchored and indexed before it begins (`body::prepare`). The anchors
//! depend on the passages read then, so the transaction reads them again;
//! if a concurrent save changed them, it writes nothing and the save
//! prepares again. What a save may do besides its own article comes from
//! the caller (`SavedBy`), never from the draft.

use super::body::{self, Anchored, DraftFields, Rendered};
use super::{names, redirects};
use crate::passages::{self, KnownRow};
use crate::sql::Sql;
use crate::{Db, DbError, Result, search, site, ts};
use chrono::{DateTime, Utc};
use dateline_core::audit::Who;
use dateline_core::{Actor, ArticleDraft, ArticleId, ArticleStatus, SaveRights, UserId};
use sqlx::{AnyConnection, Row};

/// Which article a save writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTarget {
    New,
    /// An existing article; with `expected_revision`, the save fails if someone
    /// else saved since that revision.
    Existing {
        id: ArticleId,
        expected_revision: Option<i64>,
    },
}

impl SaveTarget {
    fn id(self) -> Option<ArticleId> {
        match self {
            Self::New => None,
            Self::Existing { id, .. } => Some(id),
        }
    }
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: ArticleId,
    pub slug: String,
    pub revision: i64,
    pub created: bool,
    /// False when the draft was identical to the latest revision: nothing was
    /// written (importing the same file twice is harmless).
    pub changed: bool,
    pub status: ArticleStatus,
}

/// Who saves, and what the save may do besides writing its article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedBy {
    /// Recorded on the revision (a new article becomes their user's) and
    /// in the audit log when the save changes what the public sees.
    pub who: Who,
    pub rights: SaveRights,
}

impl SavedBy {
    /// An operator on the command line: every right.
    pub fn operator(who: Who) -> Self {
        Self {
            who,
            rights: SaveRights::ManageNames,
        }
    }

    /// A newsroom user, with the rights their role gives.
    pub fn actor(actor: &Actor) -> Self {
        Self {
            who: actor.who.clone(),
            rights: actor.save_rights(),
        }
    }

    fn user(&self) -> Option<UserId> {
        self.who.user
    }
}

/// How many times a save anchors its body when concurrent saves keep
/// changing the article's passages under it.
const ATTEMPTS: usize = 5;

/// Stores a validated draft, all of it or nothing. A change of status
/// (published, scheduled, unpublished, archived) goes into the audit log in
/// the same transaction.
pub async fn save(
    db: &Db,
    target: SaveTarget,
    draft: &ArticleDraft,
    now: DateTime<Utc>,
    by: &SavedBy,
) -> Result<Saved> {
    save_as(db, target, draft, now, by, None).await
}

/// Stores revision `restored`'s content (in `draft`) as a new revision of
/// `target`, audited as a restore.
pub(crate) async fn save_restoring(
    db: &Db,
    target: SaveTarget,
    draft: &ArticleDraft,
    restored: i64,
    now: DateTime<Utc>,
    by: &SavedBy,
) -> Result<Saved> {
    save_as(db, target, draft, now, by, Some(restored)).await
}

async fn save_as(
    db: &Db,
    target: SaveTarget,
    draft: &ArticleDraft,
    now: DateTime<Utc>,
    by: &SavedBy,
    restored: Option<i64>,
) -> Result<Saved> {
    let snapshot = serde_json::to_string(draft).map_err(|e| DbError::Config(e.to_string()))?;
    {
        let mut conn = db.pool().acquire().await?;
        if let SaveTarget::Existing {
            id,
            expected_revision,
        } = target
            && let Some(unchanged) =
                unchanged(&mut conn, id, expected_revision, &snapshot, draft).await?
        {
            return Ok(unchanged);
        }
        // Refusals that need no rendering come before it.
        check(&mut conn, target, draft, by.rights).await?;
    }
    let rendered = body::render(&draft.body_markdown, Some(draft)).await?;
    let Some(fields) = &rendered.fields else {
        return Err(DbError::Config("a rendered body lost its draft".into()));
    };
    for _ in 0..ATTEMPTS {
        let known = match target.id() {
            Some(id) => passages::known_in(&mut *db.pool().acquire().await?, id).await?,
            None => Vec::new(),
        };
        let anchored = body::anchor(&rendered, &known).await?;
        let mut tx = db.write_tx().await?;
        let before = match target.id() {
            Some(id) => {
                lock_in(&mut tx, id).await?;
                crate::audit::article_status(&mut tx, id).await?
            }
            None => None,
        };
        let Some(saved) = write(
            &mut tx,
            target,
            draft,
            &snapshot,
            &known,
            (&rendered, &anchored, fields),
            now,
            by,
        )
        .await?
        else {
            continue;
        };
        if saved.changed {
            let headline = &draft.headline;
            crate::audit::status_changed(&mut tx, &saved, before, headline, restored, now, &by.who)
                .await?;
            site::bump_content_version(&mut tx).await?;
        }
        tx.commit().await?;
        return Ok(saved);
    }
    Err(DbError::Conflict {
        field: "body".into(),
        message: "Other saves kept changing this article while yours was prepared; nothing of yours was lost: save again."
            .into(),
    })
}

/// The refusals a save makes before writing: names its rights do not
/// allow, and a slug that is another article's old address.
async fn check(
    conn: &mut AnyConnection,
    target: SaveTarget,
    draft: &ArticleDraft,
    rights: SaveRights,
) -> Result<()> {
    names::check(conn, draft, rights).await?;
    redirects::check(conn, target.id(), draft.slug.as_str()).await
}

/// The article as it is, when `draft` is its latest revision (and the
/// caller's expected revision, if any, is still current).
async fn unchanged(
    conn: &mut AnyConnection,
    id: ArticleId,
    expected_revision: Option<i64>,
    snapshot: &str,
    draft: &ArticleDraft,
) -> Result<Option<Saved>> {
    let latest = sqlx::query("SELECT a.slug, a.revision, r.draft FROM articles a LEFT JOIN article_revisions r ON r.article_id = a.id AND r.revision = a.revision WHERE a.id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DbError::NotFound)?;
    let revision: i64 = latest.try_get("revision")?;
    let same = latest.try_get::<Option<String>, _>("draft")?.as_deref() == Some(snapshot);
    Ok(
        (same && expected_revision.is_none_or(|e| e == revision)).then_some(Saved {
            id,
            slug: latest.try_get("slug")?,
            revision,
            created: false,
            changed: false,
            status: draft.status,
        }),
    )
}

/// Writes the save in its transaction. `None` when the passages the body
/// was anchored against changed meanwhile: nothing is written then.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write(
    conn: &mut AnyConnection,
    target: SaveTarget,
    draft: &ArticleDraft,
    snapshot: &str,
    known: &[KnownRow],
    (rendered, body, fields): (&Rendered, &Anchored, &DraftFields),
    now: DateTime<Utc>,
    by: &SavedBy,
) -> Result<Option<Saved>> {
    let current = match target {
        SaveTarget::New => None,
        SaveTarget::Existing {
            id,
            expected_revision,
        } => {
            lock_in(conn, id).await?;
            if let Some(unchanged) = unchanged(conn, id, expected_revision, snapshot, draft).await?
            {
                return Ok(Some(unchanged));
            }
            let row =
                sqlx::query("SELECT slug, revision, translation_group FROM articles WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(DbError::NotFound)?;
            let revision: i64 = row.try_get("revision")?;
            if let Some(expected) = expected_revision
                && expected != revision
            {
                return Err(DbError::StaleRevision {
                    expected,
                    actual: revision,
                });
            }
            if passages::known_in(conn, id).await? != known {
                return Ok(None);
            }
            Some(Current {
                id,
                slug: row.try_get("slug")?,
                revision,
                group: row.try_get("translation_group")?,
            })
        }
    };
    check(conn, target, draft, by.rights).await?;
    let section_id = names::section_in(conn, draft, by.rights, now).await?;
    let group = match &draft.translation_of {
        Some(other) => Some(translation_group_of(conn, other.as_str(), target).await?),
        None => None,
    };
    let columns = Columns::new(draft, fields.excerpt.clone(), section_id);
    let (id, old_slug) = match &current {
        None => (insert(conn, &columns, group, draft, now, by).await?, None),
        Some(c) => {
            update(conn, &columns, group.or(c.group), c, now).await?;
            (c.id, Some(c.slug.as_str()))
        }
    };

    // A translation group forms around the first article: the other one joins.
    if let Some(group) = group {
        sqlx::query("UPDATE articles SET translation_group = $1 WHERE id = $1 AND translation_group IS NULL")
            .bind(group)
            .execute(&mut *conn)
            .await?;
    }
    passages::store_in(conn, id, &body.anchoring, rendered.passages(), known, now).await?;
    sqlx::query("UPDATE articles SET anchored = 1 WHERE id = $1 AND anchored = 0")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO article_bodies (article_id, body_markdown, body_html) VALUES ($1, $2, $3) ON CONFLICT (article_id) DO UPDATE SET body_markdown = excluded.body_markdown, body_html = excluded.body_html")
        .bind(id.0)
        .bind(draft.body_markdown.clone())
        .bind(body.html.clone())
        .execute(&mut *conn)
        .await?;
    names::link_in(conn, id, draft, by.rights, now).await?;
    redirects::update_in(conn, id, old_slug, draft.slug.as_str()).await?;

    let revision: i64 = sqlx::query_scalar("SELECT revision FROM articles WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO article_revisions (article_id, revision, created_at, draft, user_id) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.0)
        .bind(revision)
        .bind(ts(now))
        .bind(snapshot.to_owned())
        .bind(by.user().map(|u| u.0))
        .execute(&mut *conn)
        .await?;
    if matches!(
        draft.status,
        ArticleStatus::Published | ArticleStatus::Archived
    ) {
        sqlx::query("UPDATE articles SET first_published_at = COALESCE(first_published_at, published_at) WHERE id = $1")
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    search::index_article(conn, id, draft, &fields.terms).await?;

    Ok(Some(Saved {
        id,
        slug: draft.slug.to_string(),
        revision,
        created: current.is_none(),
        changed: true,
        status: draft.status,
    }))
}

/// Makes concurrent saves of this article wait until this transaction ends
/// (on SQLite the transaction already holds the write lock).
async fn lock_in(conn: &mut AnyConnection, id: ArticleId) -> Result<()> {
    sqlx::query("UPDATE articles SET revision = revision WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The article a save changes, as the transaction found it.
struct Current {
    id: ArticleId,
    slug: String,
    revision: i64,
    group: Option<i64>,
}

async fn insert(
    conn: &mut AnyConnection,
    columns: &Columns<'_>,
    group: Option<i64>,
    draft: &ArticleDraft,
    now: DateTime<Utc>,
    by: &SavedBy,
) -> Result<ArticleId> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO articles ({COLUMN_LIST}, owner_id, created_at, updated_at, revision) VALUES ("
    ));
    columns.bind_into(&mut sql, group);
    sql.push(", ").bind(by.user().map(|u| u.0));
    // A report imported after the fact has not been updated since
    // it was published: its content dates from publication.
    let updated_at = draft.published_at.map_or(now, |p| p.min(now));
    sql.push(", ")
        .bind(ts(now))
        .push(", ")
        .bind(ts(updated_at))
        .push(", 1) RETURNING id");
    let id: i64 = sql
        .query_scalar()
        .fetch_one(&mut *conn)
        .await
        .map_err(slug_conflict)?;
    Ok(ArticleId(id))
}

async fn update(
    conn: &mut AnyConnection,
    columns: &Columns<'_>,
    group: Option<i64>,
    current: &Current,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut sql = Sql::new(&format!("UPDATE articles SET ({COLUMN_LIST}) = ("));
    columns.bind_into(&mut sql, group);
    sql.push("), updated_at = ").bind(ts(now));
    sql.push(", revision = revision + 1 WHERE id = ")
        .bind(current.id.0);
    sql.push(" AND revision = ").bind(current.revision);
    let done = sql
        .query()
        .execute(&mut *conn)
        .await
        .map_err(slug_conflict)?;
    if done.rows_affected() == 0 {
        return Err(DbError::StaleRevision {
            expected: current.revision,
            actual: current.revision + 1,
        });
    }
    Ok(())
}

/// The `articles` columns a save writes, in the order the INSERT and UPDATE
/// statements name them.
pub(super) struct Columns<'a> {
    draft: &'a ArticleDraft,
    excerpt: String,
    section_id: Option<i64>,
    image: dateline_core::FeaturedImage,
    outlet: String,
    original_url: String,
    original_language: String,
}

pub(super) const COLUMN_LIST: &str = "slug, headline, deck, excerpt, dateline, language, direction, section_id, status, published_at, image_url, image_alt, image_caption, image_credit, original_outlet, original_url, original_language, translation_group, kind, in_navigation";

impl<'a> Columns<'a> {
    pub(super) fn new(draft: &'a ArticleDraft, excerpt: String, section_id: Option<i64>) -> Self {
        let (outlet, original_url, original_language) = match &draft.provenance {
            Some(p) => (
                p.outlet.clone(),
                p.url.clone().unwrap_or_default(),
                p.language
                    .as_ref()
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
            ),
            None => Default::default(),
        };
        Self {
            draft,
            excerpt,
            section_id,
            image: draft
                .featured_image
                .clone()
                .unwrap_or(dateline_core::FeaturedImage {
                    url: String::new(),
                    alt: String::new(),
                    caption: String::new(),
                    credit: String::new(),
                }),
            outlet,
            original_url,
            original_language,
        }
    }

    pub(super) fn bind_into(&self, sql: &mut Sql, group: Option<i64>) {
        let d = self.draft;
        sql.bind(d.slug.to_string()).push(", ");
        sql.bind(d.headline.clone()).push(", ");
        sql.bind(d.deck.clone()).push(", ");
        sql.bind(self.excerpt.clone()).push(", ");
        sql.bind(d.dateline.clone()).push(", ");
        sql.bind(d.language.to_string()).push(", ");
        sql.bind(d.direction.as_str().to_owned()).push(", ");
        sql.bind(self.section_id).push(", ");
        sql.bind(d.status.as_str().to_owned()).push(", ");
        sql.bind(d.published_at.map(ts)).push(", ");
        sql.bind(self.image.url.clone()).push(", ");
        sql.bind(self.image.alt.clone()).push(", ");
        sql.bind(self.image.caption.clone()).push(", ");
        sql.bind(self.image.credit.clone()).push(", ");
        sql.bind(self.outlet.clone()).push(", ");
        sql.bind(self.original_url.clone()).push(", ");
        sql.bind(self.original_language.clone()).push(", ");
        sql.bind(group).push(", ");
        sql.bind(d.kind.as_str().to_owned()).push(", ");
        sql.bind(i64::from(d.in_navigation));
    }
}

pub(super) fn slug_conflict(e: sqlx::Error) -> DbError {
    if DbError::is_unique_violation(&e) {
        DbError::Conflict {
            field: "slug".into(),
            message: "Another article already has this slug; choose another.".into(),
        }
    } else {
        e.into()
    }
}

/// The translation group `other_slug` belongs to (created around it if it has
/// none yet).
async fn translation_group_of(
    conn: &mut AnyConnection,
    other_slug: &str,
    target: SaveTarget,
) -> Result<i64> {
    let row = sqlx::query("SELECT id, translation_group FROM articles WHERE slug = $1")
        .bind(other_slug.to_owned())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            DbError::invalid(
                "translation_of",
                format!("No article has the slug \"{other_slug}\"; save the other language version first."),
            )
        })?;
    let other_id: i64 = row.try_get("id")?;
    if let SaveTarget::Existing { id, .. } = target
        && id.0 == other_id
    {
        return Err(DbError::invalid(
            "translation_of",
            "An article cannot be a translation of itself.",
        ));
    }
    let group: Option<i64> = row.try_get("translation_group")?;
    Ok(group.unwrap_or(other_id))
}
