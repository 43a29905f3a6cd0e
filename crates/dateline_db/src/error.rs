use dateline_core::ValidationErrors;

/// What can go wrong in storage, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    /// A unique value is taken; `field` names the input field to blame.
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// The input refers to something that does not exist, or breaks a rule
    /// only storage can check.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// Someone else saved first.
    #[error("the article was changed by someone else since revision {expected} (now {actual})")]
    StaleRevision { expected: i64, actual: i64 },
    #[error("{0}")]
    Config(String),
    #[error("cannot connect to the database at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            other => DbError::Sqlx(other),
        }
    }
}

impl DbError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = ValidationErrors::new();
        errors.add(field, message);
        DbError::Invalid(errors)
    }

    /// True when `e` is a unique-constraint violation.
    pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
    }
}
