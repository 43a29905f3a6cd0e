//! A small builder for queries whose shape depends on input (optional filters,
//! `IN` lists). Placeholders are numbered `$1, $2, ...`, which PostgreSQL and
//! SQLite both read; sqlx's own `QueryBuilder` writes `?` for `Any`, which
//! PostgreSQL does not.

use crate::Result;
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Arguments, AssertSqlSafe, Encode, Type};

pub(crate) struct Sql {
    text: String,
    args: AnyArguments,
    count: usize,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: AnyArguments::default(),
            count: 0,
        }
    }

    /// Appends SQL text. Never pass input here: bind it.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + 'static,
    {
        self.count += 1;
        self.text.push('$');
        self.text.push_str(&self.count.to_string());
        // Encoding into Any's buffer cannot fail for the types we bind.
        let _ = self.args.add(value);
        self
    }

    /// Appends `$n, $n+1, ...`, one placeholder per item.
    pub fn bind_list<T, I>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: for<'q> Encode<'q, Any> + Type<Any> + 'static,
    {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(item);
        }
        self
    }

    pub fn query(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        sqlx::query_with(AssertSqlSafe(self.text), self.args)
    }

    pub fn query_as<O>(self) -> sqlx::query::QueryAs<'static, Any, O, AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(AssertSqlSafe(self.text), self.args)
    }

    pub fn query_scalar<O>(self) -> sqlx::query::QueryScalar<'static, Any, O, AnyArguments>
    where
        O: Send + Unpin + for<'r> sqlx::Decode<'r, Any> + Type<Any>,
    {
        sqlx::query_scalar_with(AssertSqlSafe(self.text), self.args)
    }
}

/// A savepoint in the transaction `conn` is in: what is written under it
/// can be undone alone, the rest of the transaction kept. `name` is a fixed
/// identifier of the caller's, never input.
pub(crate) struct Savepoint(&'static str);

impl Savepoint {
    pub(crate) async fn begin(conn: &mut AnyConnection, name: &'static str) -> Result<Self> {
        Self::run(conn, format!("SAVEPOINT {name}")).await?;
        Ok(Self(name))
    }

    /// Keeps what was written under it.
    pub(crate) async fn release(self, conn: &mut AnyConnection) -> Result<()> {
        Self::run(conn, format!("RELEASE SAVEPOINT {}", self.0)).await
    }

    /// Undoes what was written under it (and ends it). On PostgreSQL this
    /// is also what makes the transaction usable again after an error.
    pub(crate) async fn roll_back(self, conn: &mut AnyConnection) -> Result<()> {
        Self::run(conn, format!("ROLLBACK TO SAVEPOINT {}", self.0)).await?;
        self.release(conn).await
    }

    async fn run(conn: &mut AnyConnection, sql: String) -> Result<()> {
        sqlx::query(AssertSqlSafe(sql)).execute(conn).await?;
        Ok(())
    }
}
