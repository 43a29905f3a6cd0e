//! Throwaway databases for tests: a fresh SQLite file, or a fresh PostgreSQL
//! schema, migrated and dropped afterwards. Each test gets its own, so tests
//! run in parallel.

use crate::{Backend, Db, DbOptions};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the test PostgreSQL is; `DATELINE_TEST_POSTGRES` overrides.
pub fn postgres_url() -> String {
    std::env::var("DATELINE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A migrated database that disappears when dropped.
pub struct TestDb {
    pub db: Db,
    /// The URL another process (a spawned `dateline`) can open.
    pub url: String,
    /// For PostgreSQL, the statement that selects this test's schema.
    pub pg_after_connect: Option<String>,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await,
        }
    }

    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = Db::connect(&url, DbOptions::default())
            .await
            .expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        Self {
            db,
            url,
            pg_after_connect: None,
            schema: None,
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let schema = format!(
            "dl_test_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let url = postgres_url();
        let admin = Db::connect(
            &url,
            DbOptions {
                max_connections: Some(1),
                pg_after_connect: None,
                bulk: false,
            },
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is needed for this test ({e}); start it, or set DATELINE_TEST_POSTGRES"
            )
        });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(admin.pool())
            .await
            .expect("create schema");
        admin.close().await;
        let after = format!("SET search_path TO {schema}");
        let db = Db::connect(
            &url,
            DbOptions {
                max_connections: Some(8),
                pg_after_connect: Some(after.clone()),
                bulk: false,
            },
        )
        .await
        .expect("open postgres");
        db.migrate().await.expect("migrate postgres");
        Self {
            db,
            url,
            pg_after_connect: Some(after),
            schema: Some(schema),
            _dir: None,
        }
    }
}

impl TestDb {
    /// A URL another process can open to reach this very database (for
    /// PostgreSQL, with this test's schema as its search path).
    pub fn child_url(&self) -> String {
        match &self.schema {
            Some(schema) => {
                let sep = if self.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}options[search_path]={schema}", self.url)
            }
            None => self.url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on;
        // a short-lived thread with its own runtime does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = Db::connect(
                    &url,
                    DbOptions {
                        max_connections: Some(1),
                        pg_after_connect: None,
                        bulk: false,
                    },
                )
                .await
                {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(admin.pool())
                    .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Runs each listed `async fn name(db: TestDb)` once on SQLite and once on
/// PostgreSQL, as `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestDb::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestDb::postgres().await).await
                }
            )*
        }
    };
}
