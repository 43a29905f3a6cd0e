//! The command line, one struct per command (clap conventions: every command
//! has `--help`, every setting a flag and an environment variable).

use crate::logging::LogFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dateline",
    version,
    about = "A self-hosted newsroom in one binary: articles, feeds, search and a Content API, on SQLite or PostgreSQL.",
    after_help = "Start with `dateline demo` then `dateline serve`, and open http://127.0.0.1:8080."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// How logs are written to standard error.
    #[arg(
        long,
        global = true,
        env = "DATELINE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site. The database is created and migrated on first start.
    Serve(ServeArgs),
    /// Load the demo newsroom: a dozen reports in English and Arabic (run it again to refresh them).
    Demo(StorageArgs),
    /// Add, update and list articles from the command line.
    #[command(subcommand)]
    Article(ArticleCommand),
    /// Maintain the full-text search index.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Create and manage newsroom accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Deliver mail, and see the outbox.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Send articles to subscribers; follow, pause, resume or cancel sends.
    #[command(subcommand)]
    Newsletter(NewsletterCommand),
    /// Import, export and erase newsletter subscribers.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Move a site in: from a WordPress export, or from a Dateline archive.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write the whole site to one archive file (a .tar.gz of JSON Lines and
    /// media), to move it to another database or another system. Password
    /// hashes, API tokens, sessions and the site's signing key stay out
    /// unless --include-secrets.
    Export {
        /// The archive to write, e.g. site.tar.gz.
        file: PathBuf,
        /// Include password hashes, API tokens, sessions, two-factor secrets
        /// and the key mail links are signed with: needed for the same people
        /// to sign in, and old links to work, on the new database. Keep such
        /// an archive as safe as the database.
        #[arg(long)]
        include_secrets: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Copy the whole site, secrets included, to one archive file while it
    /// serves (a consistent snapshot). Put it back with `dateline restore`.
    Backup {
        /// The archive to write, e.g. backup-2026-12-01.tar.gz.
        file: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Put a backup (or an export) back: the database then holds exactly
    /// what the archive holds. Stop `dateline serve` first.
    Restore {
        /// The archive written by `dateline backup` or `dateline export`.
        file: PathBuf,
        /// Replace the site the database holds now (without it, restore goes
        /// only into an empty database).
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Create or update the database schema, then exit.
    Migrate(StorageArgs),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a WordPress export (the .xml file Tools → Export writes): posts
    /// with their authors, categories, tags and comments, and redirects from
    /// the old site's addresses. Run it again with the same or a newer export:
    /// what is already here is not duplicated, and articles edited in
    /// Dateline since are kept unless --overwrite.
    Wordpress {
        /// The WXR file.
        file: PathBuf,
        /// Fill a Dateline field from a post meta key, e.g.
        /// --map-meta source_outlet=outlet --map-meta translator=translators.
        /// Fields: outlet, url, language, translators, dateline, deck.
        #[arg(long = "map-meta", value_name = "KEY=FIELD", value_parser = parse_meta)]
        map_meta: Vec<(String, dateline_wordpress::article::MetaField)>,
        /// Leave pingbacks and trackbacks out (they are kept as mentions
        /// under their report by default).
        #[arg(long)]
        skip_pingbacks: bool,
        /// Replace articles edited in Dateline since they were imported.
        #[arg(long)]
        overwrite: bool,
        /// Language of posts not written in Arabic script (BCP 47, e.g. en or
        /// fr). Default: the export's language.
        #[arg(long, value_name = "CODE")]
        language: Option<String>,
        /// A copy of the site's wp-content/uploads folder: the images posts
        /// show are imported into Dateline's media (checked and resized like
        /// uploads) and their old addresses redirect to them. Without it,
        /// images keep their address on the old site.
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// The WordPress site's database (mysql://USER:PASSWORD@HOST/DB),
        /// read only, for what an export leaves out: wpDiscuz's confirmed
        /// "Notify of" subscriptions (they stay confirmed) and votes, spam
        /// comments (kept as spam) and authors' bios.
        #[arg(long, value_name = "URL", env = "DATELINE_WORDPRESS_DB")]
        wordpress_db: Option<String>,
        /// The prefix of the WordPress database's tables.
        #[arg(long, value_name = "PREFIX", default_value = "wp_")]
        table_prefix: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Load a Dateline archive (from `dateline export` or `backup`) into an
    /// empty database of either kind: this is how a site moves from SQLite to
    /// PostgreSQL. Ids, slugs and addresses stay the same.
    Dateline {
        /// The archive, e.g. site.tar.gz.
        file: PathBuf,
        /// Replace the site the database holds now.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn parse_meta(s: &str) -> Result<(String, dateline_wordpress::article::MetaField), String> {
    dateline_wordpress::article::parse_meta_mapping(s)
}

/// Where Dateline keeps its data.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Directory for the SQLite database, uploaded media and template overrides.
    /// Default: ./dateline-data
    #[arg(long, env = "DATELINE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Database URL: sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    /// Default: SQLite in the data directory.
    #[arg(long, env = "DATELINE_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,

    /// TOML configuration file; flags and environment variables override it.
    #[arg(long, env = "DATELINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Address to listen on. Default: 127.0.0.1:8080
    #[arg(long, env = "DATELINE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,

    /// Public address of the site, used in links, feeds and sitemaps.
    /// Default: http:// and the listen address.
    #[arg(long, env = "DATELINE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Address of a second listener that serves only Prometheus metrics at
    /// /metrics, for the scraper (keep it off the public network). Default:
    /// none, no metrics served.
    #[arg(long, env = "DATELINE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,

    /// Memory for the page cache, in MiB. Default: 32
    #[arg(long, env = "DATELINE_PAGE_CACHE_MB", value_name = "MIB")]
    pub page_cache_mb: Option<u64>,

    /// Proxies whose X-Forwarded-For is believed, comma-separated addresses or
    /// networks (e.g. 127.0.0.1,10.0.0.0/8). Default: none.
    #[arg(long, env = "DATELINE_TRUSTED_PROXIES", value_name = "LIST")]
    pub trusted_proxies: Option<String>,

    /// Largest image upload, in MiB. Default: 10
    #[arg(long, env = "DATELINE_MAX_UPLOAD_MB", value_name = "MIB")]
    pub max_upload_mb: Option<u64>,

    #[command(flatten)]
    pub mail: MailArgs,
}

/// How Dateline sends mail.
#[derive(Debug, Clone, Default, Args)]
pub struct MailArgs {
    /// The From of Dateline's mail. Default: Dateline <newsroom@HOST of the base URL>
    #[arg(long, env = "DATELINE_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,

    /// SMTP server: smtp://HOST:PORT, smtp://USER:PASS@HOST:587?tls=required
    /// (STARTTLS) or smtps://USER:PASS@HOST:465. Default: none, and each
    /// message is written as an .eml file to DATA_DIR/outbox/.
    #[arg(long = "smtp", env = "DATELINE_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,

    /// Messages sent at once, and SMTP connections kept open. Default: 8
    #[arg(long, env = "DATELINE_SMTP_CONCURRENCY", value_name = "N")]
    pub smtp_concurrency: Option<usize>,

    /// Most messages a second (e.g. what your provider allows). Default: no limit
    #[arg(long, env = "DATELINE_SMTP_RATE", value_name = "PER_SECOND")]
    pub smtp_rate: Option<f64>,

    /// Seconds a worker holds the messages it took before another worker may
    /// take them (after a crash, they wait this long). Default: 120
    #[arg(long, env = "DATELINE_MAIL_LEASE_SECS", value_name = "SECONDS")]
    pub mail_lease_secs: Option<u64>,

    /// Seconds before the first retry of a message the server deferred or a
    /// connection that broke; each later retry waits twice as long. Default: 30
    #[arg(long, env = "DATELINE_MAIL_RETRY_SECS", value_name = "SECONDS")]
    pub mail_retry_secs: Option<u64>,

    /// Do not deliver mail from this process (run `dateline mail work` elsewhere).
    #[arg(long, env = "DATELINE_NO_MAIL_WORKERS")]
    pub no_mail_workers: bool,
}

/// What a command that sends mail needs.
#[derive(Debug, Clone, Args)]
pub struct SenderArgs {
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Public address of the site, for the links in mail. Default: http://127.0.0.1:8080
    #[arg(long, env = "DATELINE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    #[command(flatten)]
    pub mail: MailArgs,
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Deliver queued mail (what `serve` does too), until stopped or, with
    /// --until-empty, until nothing is left to send.
    Work {
        #[arg(long)]
        until_empty: bool,
        #[command(flatten)]
        sender: SenderArgs,
    },
    /// How many messages are queued, sent, failed, bounced.
    Status {
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum NewsletterCommand {
    /// Mail a published article to its subscribers, showing progress, and
    /// wait until every message is settled.
    Send {
        /// The article's slug or id.
        article: String,
        /// Send again, to subscribers who have not had this article yet
        /// (e.g. those who subscribed since).
        #[arg(long)]
        force: bool,
        /// Subject line. Default: the headline.
        #[arg(long)]
        subject: Option<String>,
        /// Queue the send and return; the server's workers deliver it.
        #[arg(long)]
        no_wait: bool,
        #[command(flatten)]
        sender: SenderArgs,
    },
    /// Recent sends and how far each has got; with an id, that send.
    Status {
        id: Option<i64>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Pause a send: what is not yet sent waits.
    Pause {
        id: i64,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Resume a paused send where it stopped.
    Resume {
        id: i64,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Cancel a send: what is not yet sent never will be.
    Cancel {
        id: i64,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Import confirmed subscribers from a CSV file with a header row:
    /// email (required), name, frequency (each, daily, weekly), sections
    /// (slugs separated by spaces or semicolons). Rows with problems are
    /// listed and skipped; addresses already here are left as they are.
    Import {
        file: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Write every subscriber as CSV (the import's columns, with status and dates).
    Export {
        /// File to write. Default: standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Erase an address and everything tied to it: subscription, messages,
    /// delivery events.
    Erase {
        email: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ArticleCommand {
    /// Add or update articles from Markdown files with TOML front matter
    /// (see docs/article-files.md). Directories are searched for *.md files.
    Add {
        /// Files or directories.
        #[arg(required = true, value_name = "FILE")]
        paths: Vec<PathBuf>,

        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List articles, newest first.
    List {
        /// Only articles in this status: draft, scheduled, published or archived.
        #[arg(long)]
        status: Option<String>,

        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: u32,

        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Rebuild the search index of every article, with progress.
    Reindex {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Search as readers do and print the first page of results, with how
    /// long the search took (--runs repeats it and prints p50 and p99).
    Query {
        /// What a reader would type, e.g. "water prices".
        text: String,
        /// How many times to run the search, for timing.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        runs: u32,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a newsroom account. The password is read from standard input
    /// with --password-stdin, asked for on a terminal, or else generated and
    /// printed.
    Add {
        /// The sign-in address.
        #[arg(long)]
        email: String,
        /// The name bylines show.
        #[arg(long)]
        name: String,
        /// contributor, author, editor or admin.
        #[arg(long, default_value = "author")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Create an API token for the admin API that acts as an account, with its
    /// role. The token is printed once.
    Token {
        /// The address of the account the token acts as.
        email: String,
        /// What will use the token, such as "Mobile app".
        #[arg(long, default_value = "Command line")]
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Set an account's password (also clears a lockout and signs it out everywhere).
    Passwd {
        /// The account's address.
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Turn an account's two-factor sign-in off (its owner lost their phone
    /// and their recovery codes); they sign in with their password and set
    /// it up again. Recorded in the audit log.
    TwoFactorReset {
        /// The account's address.
        email: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}
