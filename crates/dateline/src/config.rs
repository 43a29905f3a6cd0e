//! Configuration: flags and environment variables (through clap), over an
//! optional TOML file, over defaults. Validated before anything starts: a
//! wrong value stops the process with a message that names the setting.

use crate::cli::{MailArgs, SenderArgs, ServeArgs, StorageArgs};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The TOML file. Relative paths in it are relative to the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<String>,
    metrics_listen: Option<String>,
    base_url: Option<String>,
    page_cache_mb: Option<u64>,
    trusted_proxies: Option<String>,
    max_upload_mb: Option<u64>,
    mail_from: Option<String>,
    smtp_url: Option<String>,
    smtp_concurrency: Option<usize>,
    smtp_rate: Option<f64>,
    mail_lease_secs: Option<u64>,
    mail_retry_secs: Option<u64>,
}

fn read_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let mut config: FileConfig = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "the configuration file {} is invalid: {}",
            path.display(),
            e.to_string().trim()
        )
    })?;
    if let Some(dir) = &config.data_dir
        && dir.is_relative()
    {
        let base = path.parent().unwrap_or(Path::new("."));
        config.data_dir = Some(base.join(dir));
    }
    Ok(config)
}

/// The largest image upload when nothing else is set, in MiB.
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 10;

/// Where data lives.
#[derive(Debug, Clone)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub database_url: String,
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Serve {
    pub storage: Storage,
    pub listen: SocketAddr,
    /// Where Prometheus scrapes `/metrics`, if anywhere (never the public
    /// listener).
    pub metrics_listen: Option<SocketAddr>,
    pub base_url: url::Url,
    pub page_cache_bytes: u64,
    pub trusted_proxies: dateline_web::auth::TrustedProxies,
    pub max_upload_bytes: u64,
    pub mail_from: String,
    pub mail: dateline_mail::MailConfig,
    /// Whether this process delivers mail and makes scheduled sends.
    pub mail_workers: bool,
}

/// How mail goes out, from flags, environment and file.
fn mail_config(
    args: &MailArgs,
    file: &FileConfig,
    storage: &Storage,
    base_url: &url::Url,
) -> anyhow::Result<dateline_mail::MailConfig> {
    let from = mail_from(
        args.mail_from.clone().or_else(|| file.mail_from.clone()),
        base_url,
    )?;
    let smtp_url = args
        .smtp_url
        .clone()
        .or_else(|| file.smtp_url.clone())
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = &smtp_url {
        dateline_mail::Transport::check_url(url).map_err(|e| {
            anyhow::anyhow!("SMTP server (--smtp, DATELINE_SMTP_URL or smtp_url): {e}")
        })?;
    }
    let concurrency = args.smtp_concurrency.or(file.smtp_concurrency).unwrap_or(8);
    if !(1..=256).contains(&concurrency) {
        bail!(
            "SMTP concurrency (--smtp-concurrency, DATELINE_SMTP_CONCURRENCY or smtp_concurrency): give a number from 1 to 256, not {concurrency}"
        );
    }
    let rate = args.smtp_rate.or(file.smtp_rate);
    if let Some(r) = rate
        && !(r > 0.0 && r.is_finite())
    {
        bail!(
            "SMTP rate (--smtp-rate, DATELINE_SMTP_RATE or smtp_rate): give messages a second above 0, such as 14, not {r}"
        );
    }
    let retry = args.mail_retry_secs.or(file.mail_retry_secs).unwrap_or(30);
    if !(1..=3600).contains(&retry) {
        bail!(
            "mail retry (--mail-retry-secs, DATELINE_MAIL_RETRY_SECS or mail_retry_secs): give seconds from 1 to 3600, not {retry}"
        );
    }
    let lease = args.mail_lease_secs.or(file.mail_lease_secs).unwrap_or(120);
    if !(2..=86_400).contains(&lease) {
        bail!(
            "mail lease (--mail-lease-secs, DATELINE_MAIL_LEASE_SECS or mail_lease_secs): give seconds from 2 to 86400, not {lease}"
        );
    }
    Ok(dateline_mail::MailConfig {
        smtp_url,
        outbox_dir: storage.data_dir.join("outbox"),
        from,
        base_url: base_url.clone(),
        concurrency,
        rate,
        lease: chrono::Duration::seconds(lease as i64),
        retry_after: chrono::Duration::seconds(retry as i64),
    })
}

/// Everything a command that sends mail needs.
#[derive(Debug, Clone)]
pub struct Sender {
    pub storage: Storage,
    pub mail: dateline_mail::MailConfig,
}

impl Sender {
    pub fn resolve(args: &SenderArgs) -> anyhow::Result<Self> {
        let file = read_file(args.storage.config.as_deref())?;
        let storage = storage_from(&args.storage, &file)?;
        let base = args
            .base_url
            .clone()
            .or_else(|| file.base_url.clone())
            .unwrap_or_else(|| "http://127.0.0.1:8080".into());
        let base_url = parse_base_url(&base)?;
        let mail = mail_config(&args.mail, &file, &storage, &base_url)?;
        Ok(Self { storage, mail })
    }
}

fn storage_from(args: &StorageArgs, file: &FileConfig) -> anyhow::Result<Storage> {
    let data_dir = args
        .data_dir
        .clone()
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("dateline-data"));
    let database_url = match args.database.clone().or_else(|| file.database_url.clone()) {
        Some(url) => {
            dateline_db::Backend::from_url(&url).map_err(|e| {
                anyhow::anyhow!("database (--database, DATELINE_DATABASE_URL or database_url): {e}")
            })?;
            url
        }
        None => {
            let path = std::path::absolute(data_dir.join("dateline.db")).with_context(|| {
                format!("cannot resolve the data directory {}", data_dir.display())
            })?;
            format!("sqlite://{}?mode=rwc", path.display())
        }
    };
    Ok(Storage {
        data_dir,
        database_url,
    })
}

impl Storage {
    pub fn resolve(args: &StorageArgs) -> anyhow::Result<Self> {
        let file = read_file(args.config.as_deref())?;
        storage_from(args, &file)
    }

    /// Creates the data directory and its media folder when missing.
    pub fn prepare(&self) -> anyhow::Result<()> {
        let media = self.data_dir.join("media");
        std::fs::create_dir_all(&media).with_context(|| {
            format!(
                "cannot create the data directory {}; pass --data-dir (or DATELINE_DATA_DIR) with a directory you can write to",
                media.display()
            )
        })
    }
}

impl Serve {
    pub fn resolve(args: &ServeArgs) -> anyhow::Result<Self> {
        let file = read_file(args.storage.config.as_deref())?;
        let storage = storage_from(&args.storage, &file)?;
        let listen_text = args
            .listen
            .clone()
            .or_else(|| file.listen.clone())
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            anyhow::anyhow!(
                "listen (--listen, DATELINE_LISTEN or listen): \"{listen_text}\" is not an address; use IP:PORT such as 127.0.0.1:8080 or 0.0.0.0:80"
            )
        })?;
        let metrics_listen = match args
            .metrics_listen
            .clone()
            .or_else(|| file.metrics_listen.clone())
            .filter(|m| !m.trim().is_empty())
        {
            None => None,
            Some(text) => {
                let addr: SocketAddr = text.trim().parse().map_err(|_| {
                    anyhow::anyhow!(
                        "metrics listen (--metrics-listen, DATELINE_METRICS_LISTEN or metrics_listen): \"{text}\" is not an address; use IP:PORT such as 127.0.0.1:9090"
                    )
                })?;
                if addr == listen {
                    bail!(
                        "metrics listen (--metrics-listen, DATELINE_METRICS_LISTEN or metrics_listen): {addr} is the public listen address; give metrics their own, such as 127.0.0.1:9090"
                    );
                }
                Some(addr)
            }
        };
        let base_text = args
            .base_url
            .clone()
            .or_else(|| file.base_url.clone())
            .unwrap_or_else(|| {
                let host = if listen.ip().is_unspecified() {
                    "localhost".to_owned()
                } else {
                    listen.ip().to_string()
                };
                format!("http://{host}:{}", listen.port())
            });
        let base_url = parse_base_url(&base_text)?;
        let page_cache_mb = args.page_cache_mb.or(file.page_cache_mb).unwrap_or(32);
        if page_cache_mb > 64 * 1024 {
            bail!(
                "page_cache_mb (--page-cache-mb, DATELINE_PAGE_CACHE_MB): {page_cache_mb} MiB is more than 64 GiB; give a size in MiB such as 64"
            );
        }
        let proxies = args
            .trusted_proxies
            .clone()
            .or_else(|| file.trusted_proxies.clone())
            .unwrap_or_default();
        let trusted_proxies = dateline_web::auth::TrustedProxies::parse(&proxies)
            .map_err(|e| anyhow::anyhow!("trusted proxies (--trusted-proxies, DATELINE_TRUSTED_PROXIES or trusted_proxies): {e}"))?;
        let max_upload_mb = args
            .max_upload_mb
            .or(file.max_upload_mb)
            .unwrap_or(DEFAULT_MAX_UPLOAD_MB);
        if !(1..=200).contains(&max_upload_mb) {
            bail!(
                "max upload (--max-upload-mb, DATELINE_MAX_UPLOAD_MB or max_upload_mb): give a size between 1 and 200 MiB, not {max_upload_mb}"
            );
        }
        let mail_from = mail_from(
            args.mail
                .mail_from
                .clone()
                .or_else(|| file.mail_from.clone()),
            &base_url,
        )?;
        let mail = mail_config(&args.mail, &file, &storage, &base_url)?;
        Ok(Self {
            mail,
            mail_workers: !args.mail.no_mail_workers,
            storage,
            listen,
            metrics_listen,
            base_url,
            page_cache_bytes: page_cache_mb * 1024 * 1024,
            trusted_proxies,
            max_upload_bytes: max_upload_mb * 1024 * 1024,
            mail_from,
        })
    }
}

/// The From address: as given (checked), or newsroom@ the site's host.
fn mail_from(given: Option<String>, base_url: &url::Url) -> anyhow::Result<String> {
    let from = given.unwrap_or_else(|| {
        let host = base_url.host_str().unwrap_or("localhost");
        let host = if host.contains('.') {
            host.to_owned()
        } else {
            format!("{host}.localdomain")
        };
        format!("Dateline <newsroom@{host}>")
    });
    let address = from
        .rsplit_once('<')
        .map_or(from.as_str(), |(_, a)| a.trim_end_matches('>'))
        .trim();
    let valid = address.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && !d.is_empty() && !address.contains(char::is_whitespace)
    });
    if !valid {
        bail!(
            "mail from (--mail-from, DATELINE_MAIL_FROM or mail_from): \"{from}\" is not an address; write one such as \"The Desk <newsroom@news.example>\""
        );
    }
    Ok(from)
}

fn parse_base_url(text: &str) -> anyhow::Result<url::Url> {
    let explain = || {
        anyhow::anyhow!(
            "base URL (--base-url, DATELINE_BASE_URL or base_url): \"{text}\" is not an absolute http(s) address such as https://news.example"
        )
    };
    let url = url::Url::parse(text).map_err(|_| explain())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(explain());
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!(
            "base URL (--base-url, DATELINE_BASE_URL or base_url): \"{text}\" must not have a query or fragment"
        );
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(listen: Option<&str>, base: Option<&str>, config: Option<PathBuf>) -> ServeArgs {
        ServeArgs {
            storage: StorageArgs {
                data_dir: Some(PathBuf::from("/tmp/dl-test")),
                database: None,
                config,
            },
            listen: listen.map(str::to_owned),
            metrics_listen: None,
            base_url: base.map(str::to_owned),
            page_cache_mb: None,
            trusted_proxies: None,
            max_upload_mb: None,
            mail: crate::cli::MailArgs::default(),
        }
    }

    #[test]
    fn defaults_are_local_sqlite() {
        let s = Serve::resolve(&serve_args(None, None, None)).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(
            s.storage.database_url,
            "sqlite:///tmp/dl-test/dateline.db?mode=rwc"
        );
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = Serve::resolve(&serve_args(Some("localhost"), None, None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--listen") && e.contains("localhost"), "{e}");
        let e = Serve::resolve(&serve_args(None, Some("news.example"), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--base-url"), "{e}");
        let mut args = serve_args(None, None, None);
        args.storage.database = Some("mysql://x".into());
        let e = Serve::resolve(&args).unwrap_err().to_string();
        assert!(e.contains("--database") && e.contains("sqlite://"), "{e}");
    }

    #[test]
    fn reads_the_file_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dateline.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nbase_url = \"https://news.example\"\ndata_dir = \"data\"\n").unwrap();
        let mut args = serve_args(None, None, Some(path.clone()));
        args.storage.data_dir = None;
        let s = Serve::resolve(&args).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.base_url.host_str(), Some("news.example"));
        assert_eq!(s.storage.data_dir, dir.path().join("data"));
        let s = Serve::resolve(&serve_args(
            Some("127.0.0.1:9001"),
            None,
            Some(path.clone()),
        ))
        .unwrap();
        assert_eq!(s.listen.port(), 9001);

        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let e = Serve::resolve(&serve_args(None, None, Some(path)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("lisen"), "{e}");
    }
}
