//! Loading an archive's rows: everything in one transaction, so a load that
//! fails midway (a truncated file, a row that breaks a rule) leaves the
//! database as it was.

use super::tables::{self, Class};
use super::{Column, Kind, columns_in};
use crate::sql::Sql;
use crate::{Backend, Db, DbError, Result, WriteTx, migrate, site};
use serde_json::Value;
use std::collections::HashMap;

/// How much of a site a database already holds; a load goes only into an
/// empty one unless the operator asked to replace it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SiteHolds {
    pub articles: i64,
    pub comments: i64,
    pub users: i64,
    pub subscribers: i64,
}

impl SiteHolds {
    pub async fn of(db: &Db) -> Result<Self> {
        let count = |table: &'static str| async move {
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(db.pool())
                    .await?;
            Ok::<_, DbError>(n)
        };
        Ok(Self {
            articles: count("articles").await?,
            comments: count("comments").await?,
            users: count("users").await?,
            subscribers: count("subscribers").await?,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl std::fmt::Display for SiteHolds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} articles, {} comments, {} accounts, {} subscribers",
            self.articles, self.comments, self.users, self.subscribers
        )
    }
}

/// Rows going into the database, table after table, in one transaction.
pub struct Loader {
    tx: WriteTx,
    backend: Backend,
    targets: HashMap<&'static str, Vec<Column>>,
    loaded: HashMap<&'static str, u64>,
}

/// Bound parameters per statement, under both databases' limits.
const PARAMETERS: usize = 8_000;

impl Loader {
    /// Starts a load of an archive written at `schema`. Every table is
    /// emptied first (inside the transaction): the caller has checked that
    /// there is nothing to keep, or was told to replace it.
    pub async fn begin(db: &Db, schema: i64) -> Result<Self> {
        let newest = migrate::newest();
        if schema > newest {
            return Err(DbError::Config(format!(
                "the archive was written by a newer Dateline (schema {schema}; this one knows up to {newest}): load it with that version or a later one"
            )));
        }
        let mut tx = db.write_tx().await?;
        let applied = migrate::applied(&mut tx).await?;
        if applied != newest {
            return Err(DbError::Config(format!(
                "the database is at schema {applied}, not {newest}: run `dateline migrate` first"
            )));
        }
        for table in tables::TABLES.iter().rev() {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {}", table.name)))
                .execute(&mut *tx)
                .await?;
        }
        Ok(Self {
            tx,
            backend: db.backend(),
            targets: HashMap::new(),
            loaded: HashMap::new(),
        })
    }

    /// Adds `rows` of `table`, whose values are in the order of `columns`.
    pub async fn insert(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: Vec<Vec<Value>>,
    ) -> Result<()> {
        let Some(spec) = tables::find(table) else {
            return Err(DbError::Config(format!(
                "the archive holds a table \"{table}\" this Dateline does not know"
            )));
        };
        if matches!(spec.class, Class::Derived | Class::Ephemeral) {
            return Err(DbError::Config(format!(
                "the archive holds the table \"{table}\", which archives never carry (it is rebuilt or starts empty)"
            )));
        }
        if !self.targets.contains_key(spec.name) {
            let found = columns_in(&mut self.tx, self.backend, spec.name).await?;
            self.targets.insert(spec.name, found);
        }
        let target = &self.targets[spec.name];
        let kinds = columns
            .iter()
            .map(|c| {
                target
                    .iter()
                    .find(|t| t.name == c.name)
                    .map(|t| t.kind)
                    .ok_or_else(|| {
                        DbError::Config(format!(
                            "the archive's table \"{table}\" has a column \"{}\" this Dateline does not know",
                            c.name
                        ))
                    })
            })
            .collect::<Result<Vec<Kind>>>()?;
        let rows = trust_nothing_rendered(spec.name, columns, rows).await?;
        let first = self.loaded.get(spec.name).copied().unwrap_or(0);
        let per_statement = (PARAMETERS / columns.len().max(1)).max(1);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for (chunk_at, chunk) in rows.chunks(per_statement).enumerate() {
            let mut sql = Sql::new(&format!(
                "INSERT INTO {} ({}) VALUES ",
                spec.name,
                names.join(", ")
            ));
            for (i, row) in chunk.iter().enumerate() {
                let number = first + (chunk_at * per_statement + i) as u64 + 1;
                if row.len() != columns.len() {
                    return Err(row_error(
                        spec.name,
                        number,
                        format!("{} values for {} columns", row.len(), columns.len()),
                    ));
                }
                sql.push(if i == 0 { "(" } else { ", (" });
                for (j, (value, kind)) in row.iter().zip(&kinds).enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    bind(&mut sql, value, *kind).map_err(|why| {
                        row_error(spec.name, number, format!("{}: {why}", names[j]))
                    })?;
                }
                sql.push(")");
            }
            sql.query()
                .execute(&mut *self.tx)
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(d) => DbError::Config(format!(
                        "table {}, rows {} to {}: {}",
                        spec.name,
                        first + (chunk_at * per_statement) as u64 + 1,
                        first + (chunk_at * per_statement + chunk.len()) as u64,
                        d.message()
                    )),
                    other => other.into(),
                })?;
        }
        *self.loaded.entry(spec.name).or_default() += rows.len() as u64;
        Ok(())
    }

    /// Rows loaded so far, by table.
    pub fn loaded(&self) -> &HashMap<&'static str, u64> {
        &self.loaded
    }

    /// Ends the load: PostgreSQL's id sequences move past the ids loaded,
    /// every article is marked to be rendered again ([`super::settle`]),
    /// page caches everywhere start over, and it all commits at once.
    pub async fn finish(mut self) -> Result<()> {
        if self.backend == Backend::Postgres {
            for table in tables::TABLES {
                let has_id = columns_in(&mut self.tx, self.backend, table.name)
                    .await?
                    .iter()
                    .any(|c| c.name == "id");
                if has_id {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {0}",
                        table.name
                    )))
                    .execute(&mut *self.tx)
                    .await?;
                }
            }
        }
        sqlx::query("UPDATE articles SET anchored = 0")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO site_state (key, value) VALUES ('content_version', 1) ON CONFLICT (key) DO NOTHING",
        )
        .execute(&mut *self.tx)
        .await?;
        site::bump_content_version(&mut self.tx).await?;
        self.tx.commit().await
    }
}

fn row_error(table: &str, number: u64, why: String) -> DbError {
    DbError::Config(format!("table {table}, row {number}: {why}"))
}

fn bind(sql: &mut Sql, value: &Value, kind: Kind) -> std::result::Result<(), String> {
    match (kind, value) {
        (Kind::Integer, Value::Null) => sql.bind(None::<i64>),
        (Kind::Real, Value::Null) => sql.bind(None::<f64>),
        (Kind::Text, Value::Null) => sql.bind(None::<String>),
        (Kind::Integer, Value::Number(n)) => match n.as_i64() {
            Some(i) => sql.bind(i),
            None => return Err(format!("{n} is not a whole number")),
        },
        (Kind::Real, Value::Number(n)) => match n.as_f64() {
            Some(f) => sql.bind(f),
            None => return Err(format!("{n} is not a number")),
        },
        (Kind::Text, Value::String(s)) => sql.bind(s.clone()),
        (kind, other) => {
            return Err(format!(
                "expected {} and found {other}",
                match kind {
                    Kind::Integer => "a whole number",
                    Kind::Real => "a number",
                    Kind::Text => "text",
                }
            ));
        }
    };
    Ok(())
}

/// HTML stored in an archive is not trusted: a comment's HTML is made again
/// from its Markdown here (articles are rendered again after the load, see
/// [`super::settle`]), so a crafted archive cannot put markup on a page.
async fn trust_nothing_rendered(
    table: &str,
    columns: &[Column],
    mut rows: Vec<Vec<Value>>,
) -> Result<Vec<Vec<Value>>> {
    if table != "comments" {
        return Ok(rows);
    }
    let at = |name: &str| columns.iter().position(|c| c.name == name);
    let (Some(source), Some(html)) = (at("body_markdown"), at("body_html")) else {
        return Err(DbError::Config(
            "the archive's comments lack body_markdown or body_html".into(),
        ));
    };
    tokio::task::spawn_blocking(move || {
        for row in &mut rows {
            let rendered = row
                .get(source)
                .and_then(Value::as_str)
                .map(dateline_render::render_comment);
            if let (Some(rendered), Some(slot)) = (rendered, row.get_mut(html)) {
                *slot = Value::from(rendered);
            }
        }
        rows
    })
    .await
    .map_err(|e| DbError::Config(format!("rendering comments failed: {e}")))
}
