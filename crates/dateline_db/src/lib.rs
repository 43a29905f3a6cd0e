//! Dateline's storage. This is the only crate that holds SQL.
//!
//! One code path serves SQLite and PostgreSQL: queries go through sqlx's `Any`
//! driver and are written in the SQL both databases share (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`, BIGINT Unix-second times). The two places where
//! the dialects differ, column types in migrations and how a write transaction
//! begins, are handled here and nowhere else.
//!
//! This crate knows nothing of HTTP or templates.

pub mod accounts;
pub mod archive;
pub mod articles;
pub mod audit;
pub mod comments;
mod error;
pub mod follows;
pub mod imports;
pub mod limits;
pub mod mail;
pub mod media;
mod migrate;
pub mod passages;
pub mod people;
pub mod revisions;
pub mod rows;
pub mod search;
pub mod sends;
pub mod sessions;
pub mod site;
mod sql;
pub mod subscribers;
pub mod tokens;
pub mod two_factor;
pub mod views;
pub mod wordpress;

pub use error::DbError;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Transaction};
use std::time::Duration;

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Which database is behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Tells the backend from a connection URL, or says what URLs work.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::Config(format!(
                "unsupported database URL \"{}\": use sqlite://PATH or postgres://USER@HOST/DB",
                redact_url(url)
            )))
        }
    }
}

/// Options for opening a database.
#[derive(Debug, Clone, Default)]
pub struct DbOptions {
    /// Connections in the pool; `None` picks per backend: SQLite has one
    /// writer and reads from the page cache, so a few connections serve as well
    /// as many and hold less memory (each has its own page cache and thread).
    pub max_connections: Option<u32>,
    /// Statements run on every new connection (PostgreSQL), e.g. a
    /// `SET search_path` for a test schema.
    pub pg_after_connect: Option<String>,
    /// For a command that writes much at once (an import, a restore): on
    /// SQLite, each connection keeps 16 MiB of pages instead of 2, and the
    /// write-ahead log grows to ~40 MB before it is copied into the
    /// database (instead of ~4 MB, which a batch of imported posts passes
    /// at every commit).
    pub bulk: bool,
}

/// A connection pool to SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer: writers of this process queue here, without a
    /// connection, instead of each holding one of the pool's few connections
    /// while SQLite makes it wait (readers would then wait for a connection).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// What searches keep between them for one content version: the
    /// index's stats and the counts asked for (`search::Cache`).
    search_cache: std::sync::Arc<std::sync::Mutex<search::Cache>>,
}

/// A write transaction; on SQLite it also holds this process's writer turn.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Db {
    /// Opens (and for SQLite, creates) the database at `url`. Does not migrate.
    pub async fn connect(url: &str, options: DbOptions) -> Result<Self> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let after = options.pg_after_connect.clone();
        // A bulk load keeps 64 MB of pages per connection and copies the
        // write-ahead log into the database every 100,000 pages (400 MB)
        // instead of every 10,000: a page written by many transactions is
        // copied once per checkpoint, so fewer checkpoints write less (the
        // 50,000-post import: 6% faster over two pairs of runs, and no more
        // memory at its peak).
        let bulk = if options.bulk {
            " PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 100000;"
        } else {
            ""
        };
        let max_connections = options.max_connections.unwrap_or(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 10,
        });
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                let after = after.clone();
                Box::pin(async move {
                    let setup = match backend {
                        // WAL lets readers go on while one writer writes;
                        // NORMAL sync is durable across crashes of the process.
                        // Savepoints' and sorts' scratch stays in memory
                        // (a batch of saves writes each page it changes to a
                        // statement journal otherwise).
                        Backend::Sqlite => "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY;".to_owned()
                            + bulk,
                        Backend::Postgres => after.unwrap_or_default(),
                    };
                    if !setup.is_empty() {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(setup)).execute(conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| DbError::Connect {
                url: redact_url(url),
                source: e,
            })?;
        Ok(Self {
            pool,
            backend,
            writer: Default::default(),
            search_cache: Default::default(),
        })
    }

    /// Brings the schema up to date. Safe to run from several processes at
    /// once on PostgreSQL (an advisory lock serialises them).
    pub async fn migrate(&self) -> Result<()> {
        migrate::run(self).await?;
        articles::render_older_bodies(self, |_, _| {}).await
    }

    /// Brings the planner's view up to date after a bulk load (an import,
    /// a restore). On PostgreSQL, `VACUUM (ANALYZE)` of every table: fresh
    /// statistics, and the visibility map that lets search read its index
    /// alone instead of visiting each row (autovacuum does it in time, when
    /// it runs at all). SQLite plans from its indexes as they are.
    pub async fn after_bulk_load(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            let names: Vec<&str> = archive::TABLES.iter().map(|t| t.name).collect();
            // Names from the schema's own list, never input.
            let sql = format!("VACUUM (ANALYZE) {}", names.join(", "));
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock at
    /// once, so two writers wait for each other instead of failing midway.
    pub(crate) async fn write_tx(&self) -> Result<WriteTx> {
        let (begin, turn) = match self.backend {
            Backend::Sqlite => (
                "BEGIN IMMEDIATE",
                Some(self.writer.clone().lock_owned().await),
            ),
            Backend::Postgres => ("BEGIN", None),
        };
        Ok(WriteTx {
            tx: self.pool.begin_with(begin).await?,
            _turn: turn,
        })
    }

    /// Answers when the database can run a query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Unix seconds, the way times are stored.
pub(crate) fn ts(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@host/db"),
            "postgres://u:***@host/db"
        );
        assert_eq!(redact_url("postgres://u@host/db"), "postgres://u@host/db");
        assert_eq!(redact_url("sqlite://a.db"), "sqlite://a.db");
    }

    #[test]
    fn tells_backends_apart() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("postgresql://h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://h/db").is_err());
    }
}

#[cfg(feature = "test-support")]
pub mod testing;
