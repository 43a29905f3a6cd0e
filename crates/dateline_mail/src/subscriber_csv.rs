//! Subscribers as CSV, for the command line and the newsroom alike: import
//! (the file read by `dateline_core::subscriber_csv`; every rejected row
//! reported with its line and why) and export (the same columns, with status
//! and dates).

use chrono::Utc;
use dateline_db::{Db, subscribers};
use std::io::{Read, Write};

/// Rows written to the database at a time.
const BATCH: usize = 2_000;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub read: u64,
    pub added: u64,
    /// Line number (the header is line 1) and why.
    pub rejected: Vec<(u64, String)>,
}

impl ImportReport {
    /// Rows that were fine but whose address was here already.
    pub fn already_here(&self) -> u64 {
        self.read - self.rejected.len() as u64 - self.added
    }
}

/// Imports confirmed subscribers (they consented elsewhere) from CSV,
/// calling `progress(bytes read, report so far)` after each batch. Fails,
/// with what to do, only when the file as a whole cannot be read.
pub async fn import<R: Read>(
    db: &Db,
    input: R,
    by: &dateline_core::audit::Who,
    mut progress: impl FnMut(u64, &ImportReport),
) -> anyhow::Result<ImportReport> {
    let rows = dateline_core::subscriber_csv::read(input).map_err(|e| anyhow::anyhow!(e))?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut report = ImportReport::default();
    let mut bytes = 0;
    let now = Utc::now();
    for read in rows {
        report.read += 1;
        bytes = read.bytes;
        match read.row {
            Ok(row) => batch.push(row),
            Err(why) => report.rejected.push((read.line, why)),
        }
        if batch.len() >= BATCH {
            report.added += subscribers::import(db, &batch, now, by).await?;
            batch.clear();
            progress(bytes, &report);
        }
    }
    report.added += subscribers::import(db, &batch, now, by).await?;
    progress(bytes, &report);
    Ok(report)
}

pub const COLUMNS: [&str; 8] = [
    "email",
    "name",
    "frequency",
    "sections",
    "status",
    "source",
    "created_at",
    "confirmed_at",
];

/// A field a spreadsheet would run as a formula (=, +, -, @ first) gets a
/// leading apostrophe.
fn defused(f: &str) -> String {
    if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_owned()
    }
}

/// Writes every subscriber, in id order, a batch at a time. Returns how many.
pub async fn subscribers_csv<W: Write>(
    db: &Db,
    out: W,
    by: &dateline_core::audit::Who,
) -> anyhow::Result<u64> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    let (mut after, mut count) = (0, 0u64);
    loop {
        let batch = subscribers::batch_after(db, after, 5_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for s in &batch {
            w.write_record([
                defused(&s.email),
                defused(&s.name),
                s.frequency.as_str().to_owned(),
                s.sections.join(" "),
                s.status.as_str().to_owned(),
                s.source.clone(),
                s.created_at.to_rfc3339(),
                s.confirmed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ])?;
            count += 1;
        }
    }
    w.flush()?;
    subscribers::record_export(db, count, Utc::now(), by).await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::defused;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(defused("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(defused("Layla"), "Layla");
    }
}
