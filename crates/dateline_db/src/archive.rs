//! A site as rows: reading every table out of one consistent snapshot, and
//! loading them into an empty database of either kind. The archive file
//! around the rows (its layout, media, versions) is the binary's business;
//! this module knows tables, columns and values.
//!
//! Values travel as JSON: integers, doubles, text or null, the only types the
//! schema uses on either database. Columns are named, so a table whose
//! columns sit in another order on the other database loads all the same.

mod load;
mod tables;

pub use load::{Loader, SiteHolds};
pub use tables::{Class, NO_PASSWORD, TABLES, Table, archived, find};

use crate::{Backend, Db, DbError, Result};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Row};

/// The schema version an archive is written from: the newest migration.
pub fn schema_version() -> i64 {
    crate::migrate::newest()
}

/// What a column holds, on both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Integer,
    Real,
    Text,
}

impl Kind {
    fn of_declared(declared: &str) -> Self {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") {
            Kind::Integer
        } else if t.contains("real") || t.contains("double") || t.contains("float") {
            Kind::Real
        } else {
            Kind::Text
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// The columns of `table` in this database, in their order.
pub(crate) async fn columns_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<Column>> {
    let rows: Vec<(String, String)> = match backend {
        Backend::Sqlite => {
            sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut *conn)
                .await?
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    if rows.is_empty() {
        return Err(DbError::Config(format!(
            "the database has no table \"{table}\": run `dateline migrate` first"
        )));
    }
    Ok(rows
        .into_iter()
        .map(|(name, declared)| Column {
            kind: Kind::of_declared(&declared),
            name,
        })
        .collect())
}

/// Every table this database holds, for the test that keeps [`TABLES`]
/// complete.
pub async fn schema_tables(db: &Db) -> Result<Vec<String>> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name NOT LIKE '_sqlx_%' ORDER BY table_name"
        }
    };
    Ok(sqlx::query_scalar(sql).fetch_all(db.pool()).await?)
}

/// One consistent view of the whole database, taken while the site may go
/// on serving: a read transaction (a WAL snapshot on SQLite, REPEATABLE READ
/// on PostgreSQL), so an archive never holds a comment whose article it
/// missed.
pub struct Snapshot {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
}

impl Snapshot {
    pub async fn begin(db: &Db) -> Result<Self> {
        let begin = match db.backend() {
            // A deferred transaction on SQLite reads one snapshot from its
            // first read to its end.
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        Ok(Self {
            tx: db.pool().begin_with(begin).await?,
            backend: db.backend(),
        })
    }

    pub async fn columns(&mut self, table: &Table) -> Result<Vec<Column>> {
        columns_in(&mut self.tx, self.backend, table.name).await
    }

    pub async fn count(&mut self, table: &Table) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {}",
            table.name
        )))
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(n as u64)
    }

    /// The rows of `table` in the table's order, as values in the order of
    /// `columns`. Without `secrets`, rows are redacted (see [`tables`]).
    pub fn rows<'a>(
        &'a mut self,
        table: &'static Table,
        columns: &'a [Column],
        secrets: bool,
    ) -> impl futures_util::Stream<Item = Result<Vec<serde_json::Value>>> + Send + 'a {
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            names.join(", "),
            table.name,
            table.order
        );
        sqlx::query(AssertSqlSafe(sql))
            .fetch(&mut *self.tx)
            .map_err(DbError::from)
            .and_then(move |row| std::future::ready(decode(&row, columns)))
            .try_filter_map(move |mut values| {
                let keep = secrets || tables::redact(table.name, &names, &mut values);
                std::future::ready(Ok(keep.then_some(values)))
            })
    }

    pub async fn finish(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

fn decode(row: &sqlx::any::AnyRow, columns: &[Column]) -> Result<Vec<serde_json::Value>> {
    let mut values = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        values.push(match column.kind {
            Kind::Integer => row
                .try_get::<Option<i64>, _>(i)?
                .map_or(serde_json::Value::Null, Into::into),
            Kind::Real => row
                .try_get::<Option<f64>, _>(i)?
                .map_or(serde_json::Value::Null, Into::into),
            Kind::Text => row
                .try_get::<Option<String>, _>(i)?
                .map_or(serde_json::Value::Null, Into::into),
        });
    }
    Ok(values)
}

/// After a load: every body is rendered again from its Markdown (stored HTML
/// from an archive is never trusted), which also makes each article's search
/// terms again (the load left the index empty).
pub async fn settle(db: &Db, progress: impl FnMut(u64, u64)) -> Result<()> {
    crate::articles::render_older_bodies(db, progress).await
}
