//! What an import did, and why it did not do the rest: the report printed
//! at the end of `dateline import …`.

use dateline_wordpress::article::tally;
use std::fmt::Write as _;

/// Counts, and the items that need a person's attention, by name.
#[derive(Debug, Default)]
pub struct Summary {
    pub articles: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub comments: u64,
    pub comments_unchanged: u64,
    pub mentions: u64,
    pub pingbacks_skipped: u64,
    pub renumbered: u64,
    pub addresses: u64,
    pub controls_removed: usize,
    /// Articles edited in Dateline since they were imported, left alone.
    pub kept_edited: Vec<String>,
    pub skipped: Vec<(String, String)>,
    pub skipped_types: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub notes: Vec<(String, String)>,
    pub unknown_shortcodes: Vec<String>,
    pub unmapped_meta: Vec<String>,
    pub missing_images: Vec<String>,
    /// Why the file could not be read to its end.
    pub fatal: Vec<String>,
    /// What `--wordpress-db` added.
    pub from_db: super::wordpress_db::FromDatabase,
}

/// Lines of one kind shown before "… and N more".
const SHOWN: usize = 50;

impl Summary {
    pub fn note(&mut self, item: &str, text: String) {
        self.notes.push((item.to_string(), text));
    }

    pub fn skip(&mut self, item: String, why: impl Into<String>) {
        self.skipped.push((item, why.into()));
    }

    pub fn fail(&mut self, item: String, why: String) {
        self.failed.push((item, why));
    }

    /// Whether everything the file held was read and stored or skipped
    /// on purpose.
    pub fn complete(&self) -> bool {
        self.fatal.is_empty() && self.failed.is_empty()
    }

    /// One short line for a progress bar.
    pub fn progress_line(&self) -> String {
        format!(
            "{} articles, {} comments{}",
            self.articles + self.updated + self.unchanged,
            self.comments + self.comments_unchanged,
            if self.failed.is_empty() {
                String::new()
            } else {
                format!(", {} refused", self.failed.len())
            }
        )
    }

    /// The report, as text for a terminal or a log.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Imported {} articles ({} updated, {} unchanged), {} comments ({} already here), {} mentions (pingbacks and trackbacks); {} old addresses now redirect.",
            self.articles,
            self.updated,
            self.unchanged,
            self.comments,
            self.comments_unchanged,
            self.mentions,
            self.addresses
        );
        let db = &self.from_db;
        if db.spam
            + db.bios
            + db.follows
            + db.follows_already
            + db.unconfirmed
            + db.votes
            + db.orphaned
            > 0
        {
            let _ = writeln!(
                out,
                "From the WordPress database: {} spam comments (kept as spam), {} author bios, {} confirmed \"Notify of\" subscriptions ({} already here), {} votes.",
                db.spam, db.bios, db.follows, db.follows_already, db.votes
            );
        }
        if db.unconfirmed > 0 {
            let _ = writeln!(
                out,
                "Left out {} subscriptions never confirmed on WordPress: no one is followed without having confirmed it.",
                db.unconfirmed
            );
        }
        if db.stopped > 0 {
            let _ = writeln!(
                out,
                "Left out the subscriptions of {} addresses that stopped all notifications here.",
                db.stopped
            );
        }
        if db.orphaned > 0 {
            let _ = writeln!(
                out,
                "Left out {} subscriptions, votes and spam comments on posts or comments the export did not bring.",
                db.orphaned
            );
        }
        if self.pingbacks_skipped > 0 {
            let _ = writeln!(
                out,
                "Left out {} pingbacks and trackbacks (--skip-pingbacks).",
                self.pingbacks_skipped
            );
        }
        if self.renumbered > 0 {
            let _ = writeln!(
                out,
                "{} comments got new numbers (theirs were taken here): old links to them open the article, not the comment.",
                self.renumbered
            );
        }
        if self.controls_removed > 0 {
            let _ = writeln!(
                out,
                "Removed {} invisible control characters from bodies.",
                self.controls_removed
            );
        }
        list(&mut out, "Not imported", &self.skipped);
        let types = tally(self.skipped_types.iter().cloned());
        if !types.is_empty() {
            let _ = writeln!(out, "Other kinds of items, not imported:");
            for (t, n) in types {
                let _ = writeln!(out, "  {t}: {n}");
            }
        }
        list(&mut out, "Refused (fix and import again)", &self.failed);
        if !self.kept_edited.is_empty() {
            let _ = writeln!(
                out,
                "Edited in Dateline since the last import, so kept as they are (--overwrite replaces them):"
            );
            for name in self.kept_edited.iter().take(SHOWN) {
                let _ = writeln!(out, "  {name}");
            }
        }
        list(&mut out, "Notes", &self.notes);
        counted(
            &mut out,
            "Shortcodes Dateline does not know (their tags were removed, their text kept)",
            &self.unknown_shortcodes,
        );
        counted(
            &mut out,
            "Post meta not mapped to a field (map one with --map-meta KEY=FIELD)",
            &self.unmapped_meta,
        );
        counted(
            &mut out,
            "Images not imported (no --uploads, or no such file there): they keep their address on the old site",
            &self.missing_images,
        );
        for f in &self.fatal {
            let _ = writeln!(out, "Stopped: {f}");
        }
        out
    }
}

fn list(out: &mut String, heading: &str, items: &[(String, String)]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "{heading}:");
    for (item, why) in items.iter().take(SHOWN) {
        let _ = writeln!(out, "  {item}: {why}");
    }
    if items.len() > SHOWN {
        let _ = writeln!(out, "  … and {} more", items.len() - SHOWN);
    }
}

fn counted(out: &mut String, heading: &str, items: &[String]) {
    let counts = tally(items.iter().cloned());
    if counts.is_empty() {
        return;
    }
    let _ = writeln!(out, "{heading}:");
    for (item, n) in counts.iter().take(SHOWN) {
        let _ = writeln!(out, "  {item} ({n}×)");
    }
    if counts.len() > SHOWN {
        let _ = writeln!(out, "  … and {} more", counts.len() - SHOWN);
    }
}
