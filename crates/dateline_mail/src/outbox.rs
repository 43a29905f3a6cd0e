use crate::message::MailError;
use std::path::{Path, PathBuf};

/// Delivery into a folder: each message becomes one `.eml` file that any mail
/// client opens. What a fresh install uses until an SMTP server is set up.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the message under its Message-ID; returns the file's path. The
    /// file appears whole or not at all (written aside, then renamed), and a
    /// message written twice replaces itself.
    pub fn deliver(&self, message_id: &str, bytes: &[u8]) -> Result<PathBuf, MailError> {
        let write_err = |path: &Path| {
            let path = path.display().to_string();
            move |source| MailError::Write { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(write_err(&self.dir))?;
        let name: String = message_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.dir.join(format!("{name}.eml"));
        let temp = self.dir.join(format!(".{name}.eml.tmp"));
        std::fs::write(&temp, bytes).map_err(write_err(&temp))?;
        std::fs::rename(&temp, &path).map_err(write_err(&path))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_eml_files_named_after_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        let path = outbox
            .deliver("mail.7@news.example", b"Subject: Hello\r\n\r\nHi\r\n")
            .unwrap();
        assert_eq!(path.file_name().unwrap(), "mail.7@news.example.eml");
        outbox
            .deliver("mail.7@news.example", b"Subject: Hello\r\n\r\nHi\r\n")
            .unwrap();
        assert_eq!(
            std::fs::read_dir(outbox.dir()).unwrap().count(),
            1,
            "once, and no temporary file left"
        );
    }
}
