//! Subscribers as CSV: what `dateline subscribers export` writes and the
//! newsroom's download offers, with the columns `subscribers import` reads.

use dateline_db::{Db, subscribers};
use std::io::Write;

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
pub async fn subscribers_csv<W: Write>(db: &Db, out: W) -> anyhow::Result<u64> {
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
