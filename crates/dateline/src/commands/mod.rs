//! One module per command.

mod archive;
mod article;
mod demo;
mod import;
mod mail;
mod search;
pub(crate) mod serve;
mod subscribers;
mod user;

use crate::cli::{
    ArticleCommand, Command, ImportCommand, MailCommand, NewsletterCommand, SearchCommand,
    SubscribersCommand, UserCommand,
};
use crate::config::{Sender, Storage};
use dateline_db::{Db, DbOptions, redact_url};
use std::process::ExitCode;

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(&args).await,
        Command::Import(ImportCommand::Wordpress {
            file,
            map_meta,
            skip_pingbacks,
            overwrite,
            language,
            uploads,
            wordpress_db,
            table_prefix,
            storage,
        }) => {
            let storage = Storage::resolve(&storage)?;
            let options = crate::import::wordpress::Options {
                file,
                meta: map_meta,
                skip_pingbacks,
                overwrite,
                language,
                uploads,
                data_dir: storage.data_dir.clone(),
                max_upload_bytes: crate::config::DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
                wordpress_db: wordpress_db.map(|url| {
                    crate::import::wordpress_db::WordpressDbOptions { url, table_prefix }
                }),
            };
            import::wordpress(&storage, &options).await
        }
        Command::Import(ImportCommand::Dateline {
            file,
            replace,
            storage,
        }) => archive::load(&Storage::resolve(&storage)?, &file, replace).await,
        Command::Restore {
            file,
            replace,
            storage,
        } => archive::load(&Storage::resolve(&storage)?, &file, replace).await,
        Command::Export {
            file,
            include_secrets,
            storage,
        } => archive::write(&Storage::resolve(&storage)?, &file, include_secrets).await,
        Command::Backup { file, storage } => {
            archive::write(&Storage::resolve(&storage)?, &file, true).await
        }
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
        Command::Search(SearchCommand::Query {
            text,
            runs,
            storage,
        }) => search::query(&Storage::resolve(&storage)?, &text, runs).await,
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
        Command::User(UserCommand::Token {
            email,
            name,
            storage,
        }) => user::token(&Storage::resolve(&storage)?, &email, &name).await,
        Command::User(UserCommand::Passwd {
            email,
            password_stdin,
            storage,
        }) => user::passwd(&Storage::resolve(&storage)?, &email, password_stdin).await,
        Command::User(UserCommand::TwoFactorReset { email, storage }) => {
            user::two_factor_reset(&Storage::resolve(&storage)?, &email).await
        }
        Command::Mail(MailCommand::Work {
            until_empty,
            sender,
        }) => mail::work(&Sender::resolve(&sender)?, until_empty).await,
        Command::Mail(MailCommand::Status { storage }) => {
            mail::status(&Storage::resolve(&storage)?).await
        }
        Command::Newsletter(NewsletterCommand::Send {
            article,
            force,
            subject,
            no_wait,
            sender,
        }) => {
            mail::send(
                &Sender::resolve(&sender)?,
                &article,
                force,
                subject,
                !no_wait,
            )
            .await
        }
        Command::Newsletter(NewsletterCommand::Status { id, storage }) => {
            mail::send_status(&Storage::resolve(&storage)?, id).await
        }
        Command::Newsletter(NewsletterCommand::Pause { id, storage }) => {
            mail::control(&Storage::resolve(&storage)?, id, mail::Control::Pause).await
        }
        Command::Newsletter(NewsletterCommand::Resume { id, storage }) => {
            mail::control(&Storage::resolve(&storage)?, id, mail::Control::Resume).await
        }
        Command::Newsletter(NewsletterCommand::Cancel { id, storage }) => {
            mail::control(&Storage::resolve(&storage)?, id, mail::Control::Cancel).await
        }
        Command::Subscribers(SubscribersCommand::Import { file, storage }) => {
            subscribers::import(&Storage::resolve(&storage)?, &file).await
        }
        Command::Subscribers(SubscribersCommand::Export { output, storage }) => {
            subscribers::export(&Storage::resolve(&storage)?, output.as_deref()).await
        }
        Command::Subscribers(SubscribersCommand::Erase { email, storage }) => {
            subscribers::erase(&Storage::resolve(&storage)?, &email).await
        }
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
/// The operator at this terminal, as the audit log names them.
pub fn operator() -> dateline_core::audit::Who {
    let name = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_default();
    dateline_core::audit::Who::cli(&name)
}

pub async fn open(storage: &Storage) -> anyhow::Result<Db> {
    open_with(storage, DbOptions::default()).await
}

/// `open` for a command that writes much at once (an import, a restore).
pub async fn open_for_bulk(storage: &Storage) -> anyhow::Result<Db> {
    open_with(
        storage,
        DbOptions {
            bulk: true,
            ..DbOptions::default()
        },
    )
    .await
}

/// Ends a bulk load (`Db::after_bulk_load`), saying so on the progress bar
/// while PostgreSQL vacuums, which takes a while on a large site.
pub async fn after_bulk_load(db: &Db, bar: &indicatif::ProgressBar) -> anyhow::Result<()> {
    if db.backend() == dateline_db::Backend::Postgres {
        bar.set_message("vacuuming and analysing the database's tables");
    }
    db.after_bulk_load().await?;
    Ok(())
}

async fn open_with(storage: &Storage, options: DbOptions) -> anyhow::Result<Db> {
    storage.prepare()?;
    let db = Db::connect(&storage.database_url, options).await?;
    db.migrate().await?;
    tracing::debug!(database = %redact_url(&storage.database_url), "database ready");
    Ok(db)
}
