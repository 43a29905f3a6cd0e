//! `dateline subscribers …`: import, export and erase.

use crate::commands::{open, operator};
use crate::config::Storage;
use chrono::Utc;
use dateline_core::newsletter::normalize_email;
use dateline_db::subscribers;
use dateline_mail::subscriber_csv;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

/// `dateline subscribers import FILE.csv`
pub async fn import(storage: &Storage, file: &Path) -> anyhow::Result<ExitCode> {
    let size = std::fs::metadata(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
        .len();
    let input = std::fs::File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let db = open(storage).await?;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {bytes}/{total_bytes} {msg}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = subscriber_csv::import(
        &db,
        std::io::BufReader::new(input),
        &operator(),
        |bytes, r| {
            bar.set_position(bytes);
            bar.set_message(format!("{} added, {} rejected", r.added, r.rejected.len()));
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
    bar.finish_and_clear();
    db.close().await;
    println!(
        "Read {} rows from {}: {} subscribers added, {} already here, {} rejected.",
        report.read,
        file.display(),
        report.added,
        report.already_here(),
        report.rejected.len()
    );
    for (line, why) in report.rejected.iter().take(100) {
        println!("  line {line}: {why}");
    }
    if report.rejected.len() > 100 {
        println!("  … and {} more", report.rejected.len() - 100);
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `dateline subscribers export`
pub async fn export(storage: &Storage, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let count = match output {
        Some(p) => {
            let file = std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
            let n =
                subscriber_csv::subscribers_csv(&db, std::io::BufWriter::new(file), &operator())
                    .await?;
            eprintln!("Wrote {n} subscribers to {}.", p.display());
            n
        }
        None => subscriber_csv::subscribers_csv(&db, std::io::stdout().lock(), &operator()).await?,
    };
    tracing::debug!(count, "exported subscribers");
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `dateline subscribers erase EMAIL`
pub async fn erase(storage: &Storage, email: &str) -> anyhow::Result<ExitCode> {
    let email = normalize_email(email).map_err(|e| anyhow::anyhow!(e))?;
    let db = open(storage).await?;
    let found = subscribers::erase(&db, &email, Utc::now(), &operator()).await?;
    db.close().await;
    if found {
        println!("Erased {email}: subscription, messages and delivery events.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("Nothing is stored for {email}.");
        Ok(ExitCode::SUCCESS)
    }
}
