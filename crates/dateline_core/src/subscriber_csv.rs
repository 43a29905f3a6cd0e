//! Reading a CSV file of newsletter subscribers: a header row naming the
//! columns (email required, then name, frequency, sections, in any order),
//! then one subscriber a row. Every row comes out as a subscriber or as the
//! reason it cannot be one, with its line, so an import can report each.
//!
//! Only reads: storing the rows is the caller's (the mail crate's import).
//! The file is untrusted (the newsroom uploads it): nothing here may panic
//! on any input, and a row that comes out has a normalised address.

use crate::newsletter::{Frequency, normalize_email};
use std::collections::HashSet;
use std::io::Read;

/// The longest name an import keeps, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A subscriber read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Normalised with `normalize_email`.
    pub email: String,
    /// Runs of whitespace folded into one space.
    pub name: String,
    pub frequency: Frequency,
    /// Lower-cased section slugs, sorted, without repeats.
    pub sections: Vec<String>,
}

/// One record of the file, read.
#[derive(Debug)]
pub struct ReadRow {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// Bytes of the file read so far, for progress.
    pub bytes: u64,
    pub row: Result<ImportRow, String>,
}

struct Columns {
    email: usize,
    name: Option<usize>,
    frequency: Option<usize>,
    sections: Option<usize>,
}

/// The rows of a subscribers file, in order.
pub struct Rows<R: Read> {
    records: csv::StringRecordsIntoIter<R>,
    columns: Columns,
    seen: HashSet<String>,
    /// The line of the last record read.
    line: u64,
    bytes: u64,
}

/// Reads the header row; fails, saying what to do, when the file as a whole
/// cannot be read (no header row, or no email column).
pub fn read<R: Read>(input: R) -> Result<Rows<R>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let Some(email) = find("email") else {
        return Err("there is no \"email\" column; the first row must name the columns, e.g. email,name,frequency,sections".into());
    };
    let columns = Columns {
        email,
        name: find("name"),
        frequency: find("frequency"),
        sections: find("sections"),
    };
    Ok(Rows {
        records: reader.into_records(),
        columns,
        seen: HashSet::new(),
        line: 1,
        bytes: 0,
    })
}

impl<R: Read> Iterator for Rows<R> {
    type Item = ReadRow;

    fn next(&mut self) -> Option<ReadRow> {
        let record = self.records.next()?;
        // A record that cannot be read says where it is in its error.
        let position = match &record {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let line = position.map_or(self.line + 1, csv::Position::line);
        self.line = line;
        self.bytes = position.map_or(self.bytes, csv::Position::byte);
        let row = match record {
            Ok(r) => parse_row(&r, &self.columns, &mut self.seen),
            Err(e) => Err(format!("cannot be read: {e}")),
        };
        Some(ReadRow {
            line,
            bytes: self.bytes,
            row,
        })
    }
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
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "the name is longer than {MAX_NAME_CHARS} characters"
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<ReadRow> {
        read(csv.as_bytes()).unwrap().collect()
    }

    #[test]
    fn reads_rows_in_any_column_order() {
        let r =
            rows("Name,EMAIL,sections\n  Layla  Nasser ,Layla@Example.org,World;economy world\n");
        let row = r[0].row.as_ref().unwrap();
        assert_eq!(row.email, "layla@example.org");
        assert_eq!(row.name, "Layla Nasser");
        assert_eq!(row.sections, ["economy", "world"]);
        assert_eq!(row.frequency, Frequency::Each);
        assert_eq!(r[0].line, 2);
    }

    #[test]
    fn says_why_a_row_is_refused() {
        let r = rows(
            "email,frequency\nnot-an-address\na@example.org,hourly\nb@example.org\nB@example.org\n",
        );
        assert!(
            r[0].row
                .as_ref()
                .unwrap_err()
                .contains("not an email address")
        );
        assert!(r[1].row.as_ref().unwrap_err().contains("hourly"));
        assert!(r[2].row.is_ok());
        assert!(r[3].row.as_ref().unwrap_err().contains("appears earlier"));
        assert_eq!(r[3].line, 5);
    }

    /// Found by the `subscriber_csv` fuzz target: a row that was not UTF-8
    /// was reported on the line its row number gave, not its own.
    #[test]
    fn an_unreadable_row_is_reported_on_its_own_line() {
        let r: Vec<ReadRow> =
            read(&b"email,name\na@b.example,\"two\nlines\"\n\xff@c.example,x\n"[..])
                .unwrap()
                .collect();
        assert_eq!(r[0].line, 2);
        assert!(r[1].row.as_ref().unwrap_err().contains("cannot be read"));
        assert_eq!(r[1].line, 4);
    }

    #[test]
    fn a_file_without_an_email_column_is_refused() {
        assert!(
            read("name\nx\n".as_bytes())
                .err()
                .unwrap()
                .contains("email")
        );
    }
}
