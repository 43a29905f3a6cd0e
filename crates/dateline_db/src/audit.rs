//! The newsroom's audit log: who changed who can do what, or what the public
//! sees, when, from where, and to what.
//!
//! Entries are written by the storage functions that make the changes, in
//! the same transaction (`record_in`), so a change cannot happen without its
//! entry, nor an entry without its change. Nothing here updates or deletes
//! an entry; no summary may hold a secret or a password.

use crate::sql::Sql;
use crate::{Db, Result, from_ts, ts};
use chrono::{DateTime, Utc};
use dateline_core::UserId;
use dateline_core::audit::Who;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

/// What happened, to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `group.what`, e.g. `user.role_changed`.
    pub action: &'static str,
    /// e.g. `user`, `article`, `token`, `settings`.
    pub object_type: &'static str,
    pub object_id: Option<i64>,
    /// A line a person reads; never a secret.
    pub summary: String,
}

impl Event {
    pub fn new(
        action: &'static str,
        object_type: &'static str,
        object_id: Option<i64>,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            action,
            object_type,
            object_id,
            summary: summary.into(),
        }
    }
}

/// Adds an entry inside the caller's transaction.
pub(crate) async fn record_in(
    conn: &mut AnyConnection,
    who: &Who,
    at: DateTime<Utc>,
    event: &Event,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, token_id, client, action, object_type, object_id, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(ts(at))
        .bind(who.via.kind().to_owned())
        .bind(who.user.map(|u| u.0))
        .bind(who.name.chars().take(200).collect::<String>())
        .bind(who.token())
        .bind(who.client.clone())
        .bind(event.action.to_owned())
        .bind(event.object_type.to_owned())
        .bind(event.object_id)
        .bind(event.summary.chars().take(1000).collect::<String>())
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds entries by one actor, each at its own time, in as few statements
/// as the databases allow (a batch of imported articles).
pub(crate) async fn record_many_in(
    conn: &mut AnyConnection,
    who: &Who,
    events: &[(DateTime<Utc>, Event)],
) -> Result<()> {
    let name: String = who.name.chars().take(200).collect();
    crate::sql::insert_rows(
        conn,
        "INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, token_id, client, action, object_type, object_id, summary) VALUES ",
        "",
        10,
        events,
        |q, (at, event)| {
            q.bind(ts(*at)).push(", ").bind(who.via.kind().to_owned()).push(", ");
            q.bind(who.user.map(|u| u.0)).push(", ").bind(name.clone()).push(", ");
            q.bind(who.token()).push(", ").bind(who.client.clone()).push(", ");
            q.bind(event.action.to_owned()).push(", ").bind(event.object_type.to_owned()).push(", ");
            q.bind(event.object_id).push(", ");
            q.bind(event.summary.chars().take(1000).collect::<String>());
        },
    )
    .await?;
    Ok(())
}

/// Adds an entry for something that writes nothing else (a failed sign-in,
/// an export).
pub async fn record(db: &Db, who: &Who, at: DateTime<Utc>, event: &Event) -> Result<()> {
    let mut tx = db.write_tx().await?;
    record_in(&mut tx, who, at, event).await?;
    tx.commit().await
}

/// One entry, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// user, token, cli, system or visitor.
    pub actor_kind: String,
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    pub token_id: Option<i64>,
    pub client: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub summary: String,
}

#[derive(FromRow)]
struct EntryRow {
    id: i64,
    at: i64,
    actor_kind: String,
    actor_id: Option<i64>,
    actor_name: String,
    token_id: Option<i64>,
    client: String,
    action: String,
    object_type: String,
    object_id: Option<i64>,
    summary: String,
}

impl From<EntryRow> for Entry {
    fn from(r: EntryRow) -> Self {
        Self {
            id: r.id,
            at: from_ts(r.at),
            actor_kind: r.actor_kind,
            actor_id: r.actor_id.map(UserId),
            actor_name: r.actor_name,
            token_id: r.token_id,
            client: r.client,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            summary: r.summary,
        }
    }
}

/// Which entries to read: newest first, older than `before` (an entry id,
/// for the next page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub actor: Option<UserId>,
    /// A whole action (`user.role_changed`) or its group (`user`).
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub before: Option<i64>,
}

/// Up to `limit` entries matching `filter`, newest first.
pub async fn entries(db: &Db, filter: &Filter, limit: u32) -> Result<Vec<Entry>> {
    let mut sql = Sql::new(
        "SELECT id, at, actor_kind, actor_id, actor_name, token_id, client, action, object_type, object_id, summary FROM audit_log WHERE 1 = 1",
    );
    if let Some(actor) = filter.actor {
        sql.push(" AND actor_id = ").bind(actor.0);
    }
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        if action.contains('.') {
            sql.push(" AND action = ").bind(action.to_owned());
        } else {
            // A group: every action from `group.` up to (not including)
            // `group/`, the next character after the dot.
            sql.push(" AND action > ").bind(format!("{action}."));
            sql.push(" AND action < ").bind(format!("{action}/"));
        }
    }
    if let Some(t) = filter.object_type.as_deref().filter(|t| !t.is_empty()) {
        sql.push(" AND object_type = ").bind(t.to_owned());
    }
    if let Some(id) = filter.object_id {
        sql.push(" AND object_id = ").bind(id);
    }
    if let Some(before) = filter.before {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(i64::from(limit.clamp(1, 500)));
    let rows: Vec<EntryRow> = sql.query_as().fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

/// An article's status before a save, to tell what the save changed.
pub(crate) async fn article_status(
    conn: &mut AnyConnection,
    id: dateline_core::ArticleId,
) -> Result<Option<dateline_core::ArticleStatus>> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM articles WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    Ok(status.and_then(|s| dateline_core::ArticleStatus::parse(&s)))
}

/// Records what a save changed of what the public sees: a new status
/// (published, scheduled, unpublished, archived), or an earlier revision
/// restored. A draft saved as a draft is not recorded (its revisions are).
pub(crate) async fn status_changed(
    conn: &mut AnyConnection,
    saved: &crate::articles::Saved,
    before: Option<dateline_core::ArticleStatus>,
    headline: &str,
    restored: Option<i64>,
    at: DateTime<Utc>,
    who: &Who,
) -> Result<()> {
    match status_event(saved, before, headline, restored) {
        Some(event) => record_in(conn, who, at, &event).await,
        None => Ok(()),
    }
}

/// The entry a save makes when it changes what the public sees (`None`
/// when it does not).
pub(crate) fn status_event(
    saved: &crate::articles::Saved,
    before: Option<dateline_core::ArticleStatus>,
    headline: &str,
    restored: Option<i64>,
) -> Option<Event> {
    use dateline_core::ArticleStatus::*;
    let title = format!("\u{201c}{headline}\u{201d}");
    let id = Some(saved.id.0);
    if let Some(revision) = restored {
        let summary = format!(
            "{title}: revision {revision} restored as revision {}",
            saved.revision
        );
        return Some(Event::new("article.restored", "article", id, summary));
    }
    let action = match (before, saved.status) {
        (Some(b), a) if b == a => return None,
        (None, Draft) => return None,
        (_, Published) => "article.published",
        (_, Scheduled) => "article.scheduled",
        (_, Archived) => "article.archived",
        (Some(_), Draft) => "article.unpublished",
    };
    let summary = match before {
        Some(b) => format!("{title}: {b} → {}", saved.status),
        None => format!("{title}: new, {}", saved.status),
    };
    Some(Event::new(action, "article", id, summary))
}

/// Records a moderation of comments: what was done, to how many.
pub(crate) async fn moderated(
    conn: &mut AnyConnection,
    action: &str,
    asked: usize,
    changed: u64,
    who: &Who,
    at: DateTime<Utc>,
) -> Result<()> {
    if changed == 0 {
        return Ok(());
    }
    let summary = format!("{action}: {changed} of {asked} comment(s) changed");
    record_in(
        conn,
        who,
        at,
        &Event::new("comment.moderated", "comment", None, summary),
    )
    .await
}

/// Records a ban made or lifted.
pub(crate) async fn banned(
    conn: &mut AnyConnection,
    id: i64,
    label: &str,
    reason: &str,
    made: bool,
    who: &Who,
    at: DateTime<Utc>,
) -> Result<()> {
    let (action, summary) = if made {
        let why = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        ("comment.banned", format!("{label}{why}"))
    } else {
        ("comment.unbanned", label.to_owned())
    };
    record_in(conn, who, at, &Event::new(action, "ban", Some(id), summary)).await
}

/// Records which settings changed (by name, never their values' secrets:
/// settings hold none), if any did.
pub(crate) async fn settings_changed(
    conn: &mut AnyConnection,
    group: &str,
    old: &serde_json::Value,
    new: &serde_json::Value,
    who: &Who,
    at: DateTime<Utc>,
) -> Result<()> {
    let changed = crate::site::changed_keys(old, new);
    if changed.is_empty() {
        return Ok(());
    }
    let summary = match group {
        "site" => changed.join(", "),
        _ => format!("{group}: {}", changed.join(", ")),
    };
    record_in(
        conn,
        who,
        at,
        &Event::new("settings.changed", "settings", None, summary),
    )
    .await
}
