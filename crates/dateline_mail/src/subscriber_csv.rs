//! Subscribers as CSV, for the command line and the newsroom alike: import
//! (a header row naming the columns; email required, then name, frequency,
//! sections; every rejected row reported with its line and why) and export
//! (the same columns, with status and dates).

use chrono::Utc;
use dateline_core::newsletter::{Frequency, normalize_email};
use dateline_db::subscribers::ImportRow;
use dateline_db::{Db, subscribers};
use std::collections::HashSet;
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

struct Columns {
    email: usize,
    name: Option<usize>,
    frequency: Option<usize>,
    sections: Option<usize>,
}

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
        .map(str::to_lowercase)
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

/// Imports confirmed subscribers (they consented elsewhere) from CSV,
/// calling `progress(bytes read, report so far)` after each batch. Fails,
/// with what to do, only when the file as a whole cannot be read.
pub async fn import<R: Read>(
    db: &Db,
    input: R,
    by: &dateline_core::audit::Who,
    mut progress: impl FnMut(u64, &ImportReport),
) -> anyhow::Result<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("cannot read the header row: {e}"))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(email) = find("email") else {
        anyhow::bail!(
            "there is no \"email\" column; the first row must name the columns, e.g. email,name,frequency,sections"
        );
    };
    let columns = Columns {
        email,
        name: find("name"),
        frequency: find("frequency"),
        sections: find("sections"),
    };
    let mut seen = HashSet::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut report = ImportReport::default();
    let mut bytes = 0;
    let now = Utc::now();
    for record in reader.records() {
        report.read += 1;
        let position = record.as_ref().ok().and_then(|r| r.position()).cloned();
        let line = position
            .as_ref()
            .map_or(report.read + 1, csv::Position::line);
        bytes = position.map_or(bytes, |p| p.byte());
        match record {
            Ok(r) => match parse_row(&r, &columns, &mut seen) {
                Ok(row) => batch.push(row),
                Err(why) => report.rejected.push((line, why)),
            },
            Err(e) => report.rejected.push((line, format!("cannot be read: {e}"))),
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
