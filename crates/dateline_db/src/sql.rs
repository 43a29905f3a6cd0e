//! A small builder for queries whose shape depends on input (optional filters,
//! `IN` lists). Placeholders are numbered `$1, $2, ...`, which PostgreSQL and
//! SQLite both read; sqlx's own `QueryBuilder` writes `?` for `Any`, which
//! PostgreSQL does not.
//!
//! SQLite keeps numbered placeholders in a list it searches from the start
//! for each one, as parsing and sqlx's binding look them up: a statement
//! with thousands (a multi-row INSERT) costs the square of that. Built for
//! a connection (`Sql::for_conn`), a statement on SQLite uses plain `?`
//! placeholders, bound in order, which cost nothing of the kind.

use crate::{Backend, Result};
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Arguments, AssertSqlSafe, Encode, Type};

/// Statements with more bound values than this are not kept prepared.
const PERSISTENT_BINDS: usize = 64;

pub(crate) struct Sql {
    text: String,
    args: AnyArguments,
    count: usize,
    /// Plain `?` placeholders (SQLite only).
    positional: bool,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: AnyArguments::default(),
            count: 0,
            positional: false,
        }
    }

    /// A statement for `conn`'s database, for statements with many
    /// placeholders (see the module's note).
    pub fn for_conn(conn: &AnyConnection, text: &str) -> Self {
        let backend = if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        Self::for_backend(backend, text)
    }

    /// `for_conn`, when the database is known but no connection is at hand.
    pub fn for_backend(backend: Backend, text: &str) -> Self {
        Self {
            positional: backend == Backend::Sqlite,
            ..Self::new(text)
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
        if self.positional {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.count.to_string());
        }
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

    /// Whether the connection keeps the statement prepared for next time:
    /// not one with many values (a multi-row INSERT, a long `IN` list),
    /// whose text is rarely the same twice and whose prepared form is
    /// large; a long import would otherwise fill every connection's cache
    /// with them.
    fn persistent(&self) -> bool {
        self.count <= PERSISTENT_BINDS
    }

    pub fn query(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        let persistent = self.persistent();
        sqlx::query_with(AssertSqlSafe(self.text), self.args).persistent(persistent)
    }

    pub fn query_as<O>(self) -> sqlx::query::QueryAs<'static, Any, O, AnyArguments>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let persistent = self.persistent();
        sqlx::query_as_with(AssertSqlSafe(self.text), self.args).persistent(persistent)
    }

    pub fn query_scalar<O>(self) -> sqlx::query::QueryScalar<'static, Any, O, AnyArguments>
    where
        O: Send + Unpin + for<'r> sqlx::Decode<'r, Any> + Type<Any>,
    {
        let persistent = self.persistent();
        sqlx::query_scalar_with(AssertSqlSafe(self.text), self.args).persistent(persistent)
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

/// Bound values per statement in `insert_rows`: well under SQLite's limit
/// (32,766) and PostgreSQL's (65,535).
pub(crate) const MAX_BINDS: usize = 2_000;

/// Writes `rows` with as few multi-row statements as the databases' limits
/// on bound values allow: `head` is `INSERT INTO t (a, b) VALUES `, `tail`
/// what follows the values (an `ON CONFLICT` clause, or nothing);
/// `values` writes one row's values between its parentheses and binds
/// `per_row` of them at most. Returns the rows written.
pub(crate) async fn insert_rows<R>(
    conn: &mut AnyConnection,
    head: &str,
    tail: &str,
    per_row: usize,
    rows: impl IntoIterator<Item = R>,
    mut values: impl FnMut(&mut Sql, R),
) -> Result<u64> {
    let per_statement = (MAX_BINDS / per_row.max(1)).max(1);
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut q = Sql::for_conn(conn, head);
        for (i, row) in rows.by_ref().take(per_statement).enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            values(&mut q, row);
            q.push(")");
        }
        q.push(tail);
        written += q.query().execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}
