//! `dateline import …`: runs an import with a progress bar on a terminal
//! and prints what it did.

use crate::commands::{after_bulk_load, open_for_bulk};
use crate::config::Storage;
use crate::import::summary::Summary;
use crate::import::wordpress::{self, Options, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;

struct Bar(ProgressBar);

impl Progress for Bar {
    fn total(&self, bytes: u64) {
        self.0.set_length(bytes);
    }
    fn at(&self, bytes: u64, summary: &Summary) {
        self.0.set_position(bytes);
        self.0.set_message(summary.progress_line());
    }
}

/// `dateline import wordpress FILE`
pub async fn wordpress(storage: &Storage, options: &Options) -> anyhow::Result<ExitCode> {
    let db = open_for_bulk(storage).await?;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {bytes}/{total_bytes} {msg}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let bar = Bar(bar);
    let summary = wordpress::run(&db, options, &bar).await;
    let refreshed = after_bulk_load(&db, &bar.0).await;
    bar.0.finish_and_clear();
    db.close().await;
    refreshed?;
    let summary = summary.map_err(|e| anyhow::anyhow!("{}: {e:#}", options.file.display()))?;
    print!("{}", summary.report());
    if !summary.fatal.is_empty() {
        anyhow::bail!(
            "{} could not be read to its end (see above). Run the command again with the whole file: nothing already imported is imported twice",
            options.file.display()
        );
    }
    Ok(if summary.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
