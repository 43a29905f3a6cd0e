//! One module per command.

mod article;
mod demo;
mod search;
mod serve;
mod user;

use crate::cli::{ArticleCommand, Command, SearchCommand, UserCommand};
use crate::config::Storage;
use dateline_db::{Db, DbOptions, redact_url};
use std::process::ExitCode;

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(&args).await,
        Command::Demo(args) => demo::run(&Storage::resolve(&args)?).await,
        Command::Article(ArticleCommand::Add { paths, storage }) => {
            article::add(&Storage::resolve(&storage)?, &paths).await
        }
        Command::Article(ArticleCommand::List {
            status,
            limit,
            storage,
        }) => article::list(&Storage::resolve(&storage)?, status.as_deref(), limit).await,
        Command::Search(SearchCommand::Reindex { storage }) => {
            search::reindex(&Storage::resolve(&storage)?).await
        }
        Command::User(UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
            storage,
        }) => {
            user::add(
                &Storage::resolve(&storage)?,
                &email,
                &name,
                &role,
                password_stdin,
            )
            .await
        }
        Command::User(UserCommand::List { storage }) => {
            user::list(&Storage::resolve(&storage)?).await
        }
        Command::User(UserCommand::Passwd {
            email,
            password_stdin,
            storage,
        }) => user::passwd(&Storage::resolve(&storage)?, &email, password_stdin).await,
        Command::Migrate(args) => {
            let storage = Storage::resolve(&args)?;
            open(&storage).await?;
            println!(
                "The database at {} is up to date.",
                redact_url(&storage.database_url)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Creates the data directory if needed, connects, and migrates.
pub async fn open(storage: &Storage) -> anyhow::Result<Db> {
    storage.prepare()?;
    let db = Db::connect(&storage.database_url, DbOptions::default()).await?;
    db.migrate().await?;
    tracing::debug!(database = %redact_url(&storage.database_url), "database ready");
    Ok(db)
}
