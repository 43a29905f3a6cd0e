//! `dateline subscribers …`: import, export and erase.

use crate::commands::open;
use crate::config::Storage;
use chrono::Utc;
use dateline_core::newsletter::{Frequency, normalize_email};
use dateline_db::subscribers::{self, ImportRow};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

/// Rows written to the database at a time.
const BATCH: usize = 2_000;

/// One CSV record made into a subscriber, or the reason it cannot be.
fn parse_row(
    record: &csv::StringRecord,
    columns: &Columns,
    seen: &mut HashSet<String>,
) -> Result<ImportRow, String> {
    let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default().trim();
    let email = normalize_email(get(Some(columns.email)))?;
    if !seen.insert(email.clone()) {
        return Err(format!("{email} appears earlier in the file"));
    }
    let name: String = get(columns.name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.chars().count() > 100 {
        return Err("the name is longer than 100 characters".into());
    }
    let frequency = match get(columns.frequency) {
        "" => Frequency::Each,
        f => Frequency::parse(f)
            .ok_or_else(|| format!("frequency \"{f}\" is not one of each, daily, weekly"))?,
    };
    let mut sections: Vec<String> = get(columns.sections)
        .split([' ', ';', ','])
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase())
        .collect();
    sections.sort();
    sections.dedup();
    Ok(ImportRow {
        email,
        name,
        frequency,
        sections,
    })
}

struct Columns {
    email: usize,
    name: Option<usize>,
    frequency: Option<usize>,
    sections: Option<usize>,
}

/// `dateline subscribers import FILE.csv`
pub async fn import(storage: &Storage, file: &Path) -> anyhow::Result<ExitCode> {
    let size = std::fs::metadata(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
        .len();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let headers = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("cannot read the header row of {}: {e}", file.display()))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(email) = find("email") else {
        anyhow::bail!(
            "{} has no \"email\" column; its first row must name the columns, e.g. email,name,frequency,sections",
            file.display()
        );
    };
    let columns = Columns {
        email,
        name: find("name"),
        frequency: find("frequency"),
        sections: find("sections"),
    };
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
    let mut seen = HashSet::new();
    let mut batch = Vec::with_capacity(BATCH);
    let (mut read, mut added) = (0u64, 0u64);
    let mut rejected: Vec<(u64, String)> = Vec::new();
    let now = Utc::now();
    for record in reader.records() {
        read += 1;
        // The header is line 1.
        let position = record.as_ref().ok().and_then(|r| r.position()).cloned();
        let line = position.as_ref().map_or(read + 1, |p| p.line());
        bar.set_position(position.map_or(0, |p| p.byte()));
        match record {
            Ok(r) => match parse_row(&r, &columns, &mut seen) {
                Ok(row) => batch.push(row),
                Err(why) => rejected.push((line, why)),
            },
            Err(e) => rejected.push((line, format!("cannot be read: {e}"))),
        }
        if batch.len() >= BATCH {
            added += subscribers::import(&db, &batch, now).await?;
            batch.clear();
            bar.set_message(format!("{added} added, {} rejected", rejected.len()));
        }
    }
    added += subscribers::import(&db, &batch, now).await?;
    bar.finish_and_clear();
    db.close().await;
    let ok = read - rejected.len() as u64;
    println!(
        "Read {read} rows from {}: {added} subscribers added, {} already here, {} rejected.",
        file.display(),
        ok - added,
        rejected.len()
    );
    for (line, why) in rejected.iter().take(100) {
        println!("  line {line}: {why}");
    }
    if rejected.len() > 100 {
        println!("  … and {} more", rejected.len() - 100);
    }
    Ok(if rejected.is_empty() {
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
                dateline_mail::export::subscribers_csv(&db, std::io::BufWriter::new(file)).await?;
            eprintln!("Wrote {n} subscribers to {}.", p.display());
            n
        }
        None => dateline_mail::export::subscribers_csv(&db, std::io::stdout().lock()).await?,
    };
    tracing::debug!(count, "exported subscribers");
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `dateline subscribers erase EMAIL`
pub async fn erase(storage: &Storage, email: &str) -> anyhow::Result<ExitCode> {
    let email = normalize_email(email).map_err(|e| anyhow::anyhow!(e))?;
    let db = open(storage).await?;
    let found = subscribers::erase(&db, &email).await?;
    db.close().await;
    if found {
        println!("Erased {email}: subscription, messages and delivery events.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("Nothing is stored for {email}.");
        Ok(ExitCode::SUCCESS)
    }
}
