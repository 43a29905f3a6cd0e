//! `dateline export`, `backup`, `import dateline` and `restore`: an archive
//! written or loaded with a progress bar on a terminal, and what it held told.

use crate::archive::export::{self, ExportOptions};
use crate::archive::import::{self, ImportOptions};
use crate::archive::{Progress, Summary};
use crate::commands::{after_bulk_load, open, open_for_bulk};
use crate::config::Storage;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

struct Bar(ProgressBar);

impl Progress for Bar {
    fn total(&self, units: u64) {
        self.0.set_length(units);
    }
    fn at(&self, units: u64, what: &str) {
        self.0.set_position(units);
        self.0.set_message(what.to_owned());
    }
}

fn bar(template: &str) -> Bar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Bar(bar)
}

/// `dateline export FILE` and `dateline backup FILE`.
pub async fn write(storage: &Storage, file: &Path, secrets: bool) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let bar = bar("{spinner} {bar:40} {pos}/{len} rows  {msg}  eta {eta}");
    let options = ExportOptions {
        file,
        data_dir: &storage.data_dir,
        secrets,
    };
    let summary = export::run(&db, &options, &bar).await;
    bar.0.finish_and_clear();
    db.close().await;
    let summary = summary.map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
    println!(
        "Wrote {}{}:",
        file.display(),
        if secrets { " (secrets included)" } else { "" }
    );
    print!("{}", report(&summary));
    if !secrets {
        println!(
            "Left out: password hashes, API tokens, sessions, two-factor secrets and the key mail links are signed with (--include-secrets puts them in)."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `dateline import dateline FILE` and `dateline restore FILE`.
pub async fn load(storage: &Storage, file: &Path, replace: bool) -> anyhow::Result<ExitCode> {
    let db = open_for_bulk(storage).await?;
    let bar = bar("{spinner} {bar:40} {bytes}/{total_bytes}  {msg}  eta {eta}");
    let options = ImportOptions {
        file,
        data_dir: &storage.data_dir,
        replace,
    };
    let loaded = import::run(&db, &options, &bar).await;
    let refreshed = after_bulk_load(&db, &bar.0).await;
    bar.0.finish_and_clear();
    db.close().await;
    refreshed?;
    let loaded = loaded.map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
    if !loaded.replaced.is_empty() {
        println!("Replaced {}.", loaded.replaced);
    }
    println!(
        "Loaded {} (written {} by Dateline {} from {}):",
        file.display(),
        loaded.manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
        loaded.manifest.dateline,
        loaded.manifest.database
    );
    print!("{}", report(&loaded.summary));
    if !loaded.manifest.secrets {
        println!(
            "The archive held no secrets: every account sets a new password (\"Forgot your password?\" on the sign-in page), API tokens are made again, and two-factor sign-in is set up again."
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn report(summary: &Summary) -> String {
    let mut out = String::new();
    for (table, rows) in summary.rows.iter().filter(|(_, n)| **n > 0) {
        out.push_str(&format!("  {table:<22} {rows:>9} rows\n"));
    }
    out.push_str(&format!(
        "  {:<22} {:>9} files, {:.1} MB\n",
        "media",
        summary.media_files,
        summary.media_bytes as f64 / 1e6
    ));
    for missing in &summary.media_missing {
        out.push_str(&format!(
            "  missing media file (not on disk when exported): {missing}\n"
        ));
    }
    out
}
