use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

/// A message to one person, in plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("\"{0}\" is not an address mail can be sent to")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("cannot write the message to {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Puts a message together: multipart/alternative (text first, as mail
/// clients prefer the last part they understand), with Message-ID and Date.
pub fn build(mail: &Mail, from: &str) -> Result<Message, MailError> {
    let from: Mailbox = from
        .parse()
        .map_err(|_| MailError::Address(from.to_owned()))?;
    let to = match &mail.to_name {
        Some(name) => format!("{name} <{}>", mail.to),
        None => mail.to.clone(),
    };
    let to: Mailbox = to
        .parse()
        .map_err(|_| MailError::Address(mail.to.clone()))?;
    let domain = from.email.domain().to_owned();
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", unique_id())))
        .date_now()
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html.clone()),
                ),
        )
        .map_err(|e| MailError::Build(e.to_string()))
}

/// A Message-ID local part: time and a process-wide counter.
fn unique_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let now = chrono::Utc::now();
    format!(
        "{}.{}.{}",
        now.timestamp_micros(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_multipart_message() {
        let m = build(
            &Mail {
                to: "reader@example.org".into(),
                to_name: Some("Layla Hassan".into()),
                subject: "Reset your password — Dateline".into(),
                text: "Open this link.".into(),
                html: "<p>Open this link.</p>".into(),
            },
            "Dateline <newsroom@news.example>",
        )
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("Message-ID: <") && raw.contains("@news.example>"));
        assert!(raw.contains("Date: "));
        assert!(
            raw.contains("To: \"Layla Hassan\" <reader@example.org>")
                || raw.contains("To: Layla Hassan <reader@example.org>"),
            "{raw}"
        );
    }

    #[test]
    fn refuses_bad_addresses() {
        let mail = Mail {
            to: "not an address".into(),
            to_name: None,
            subject: "x".into(),
            text: "x".into(),
            html: "x".into(),
        };
        assert!(matches!(
            build(&mail, "a@b.example"),
            Err(MailError::Address(_))
        ));
    }
}
