use crate::message::MailError;
use lettre::Message;
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

    /// Writes the message; returns the file's path. The file appears whole or
    /// not at all (written aside, then renamed).
    pub fn deliver(&self, message: &Message) -> Result<PathBuf, MailError> {
        let write_err = |path: &Path| {
            let path = path.display().to_string();
            move |source| MailError::Write { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(write_err(&self.dir))?;
        let id = message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or("<message>")
            .trim_matches(|c| c == '<' || c == '>')
            .replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '@' && c != '-',
                "_",
            );
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let path = self.dir.join(format!("{stamp}-{id}.eml"));
        let temp = self.dir.join(format!(".{stamp}-{id}.eml.tmp"));
        std::fs::write(&temp, message.formatted()).map_err(write_err(&temp))?;
        std::fs::rename(&temp, &path).map_err(write_err(&path))?;
        tracing::info!(path = %path.display(), "mail written to the outbox");
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mail, build};

    #[test]
    fn writes_eml_files() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        let m = build(
            &Mail {
                to: "a@example.org".into(),
                to_name: None,
                subject: "Hello".into(),
                text: "Hi".into(),
                html: "<p>Hi</p>".into(),
            },
            "n@news.example",
        )
        .unwrap();
        let path = outbox.deliver(&m).unwrap();
        assert_eq!(path.extension().unwrap(), "eml");
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(raw.contains("Subject: Hello"));
        assert_eq!(
            std::fs::read_dir(outbox.dir()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
    }
}
