use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
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

impl Mail {
    /// The message as a row for the outbox, rendered and ready to queue.
    pub fn into_queued(self, kind: &str, subscriber_id: Option<i64>) -> dateline_db::mail::NewMail {
        dateline_db::mail::NewMail {
            kind: kind.to_owned(),
            to: self.to,
            to_name: self.to_name.unwrap_or_default(),
            subject: self.subject,
            text: self.text,
            html: self.html,
            subscriber_id,
        }
    }
}

/// Where a reader unsubscribes with one click (RFC 8058) or by mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// https link; also the target of the mail client's one-click POST.
    pub url: String,
    /// mailto: address with a subject that names the subscription; empty
    /// when only the link unsubscribes.
    pub mailto: String,
}

/// The headers that make a message what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    /// Without angle brackets: `newsletter.12.345@news.example`. Fixed for a
    /// message, so a message sent twice is recognisably one message.
    pub message_id: String,
    /// For bulk and notification mail.
    pub unsubscribe: Option<Unsubscribe>,
    /// `List-Id`, for bulk mail.
    pub list_id: Option<String>,
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

/// Only printable ASCII and no line breaks: safe to put in a header as is.
fn header_safe(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_graphic() || c == ' ')
}

/// Text for a header: control characters (line breaks above all) become
/// spaces, so what a reader typed as a name cannot add a header.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// Puts a message together: multipart/alternative, text first (clients show
/// the last part they understand), with Message-ID, Date, and for bulk mail
/// List-Unsubscribe, List-Unsubscribe-Post and List-Id.
pub fn build(mail: &Mail, from: &str, headers: &Headers) -> Result<Message, MailError> {
    let from: Mailbox = from
        .parse()
        .map_err(|_| MailError::Address(from.to_owned()))?;
    let to = Mailbox::new(
        mail.to_name
            .as_deref()
            .map(one_line)
            .filter(|n| !n.is_empty()),
        mail.to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?,
    );
    if !header_safe(&headers.message_id) || headers.message_id.contains(['<', '>']) {
        return Err(MailError::Build(format!(
            "bad Message-ID {}",
            headers.message_id
        )));
    }
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&mail.subject))
        .message_id(Some(format!("<{}>", headers.message_id)))
        .date_now();
    if let Some(u) = &headers.unsubscribe {
        if !header_safe(&u.url) || !header_safe(&u.mailto) {
            return Err(MailError::Build(
                "unsubscribe links must be plain ASCII".into(),
            ));
        }
        builder = builder
            .raw_header(raw(
                "List-Unsubscribe",
                if u.mailto.is_empty() {
                    format!("<{}>", u.url)
                } else {
                    format!("<{}>, <{}>", u.url, u.mailto)
                },
            ))
            .raw_header(raw(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    if let Some(list) = &headers.list_id {
        builder = builder.raw_header(raw("List-Id", list.clone()));
    }
    builder
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

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str) -> Mail {
        Mail {
            to: to.into(),
            to_name: Some("Layla Hassan".into()),
            subject: "Water talks resume — التفاصيل".into(),
            text: "Open this link.".into(),
            html: "<p>Open this link.</p>".into(),
        }
    }

    #[test]
    fn builds_a_multipart_message_with_list_headers() {
        let headers = Headers {
            message_id: "newsletter.3.41@news.example".into(),
            unsubscribe: Some(Unsubscribe {
                url: "https://news.example/newsletter/41.0.abc/unsubscribe".into(),
                mailto: "mailto:unsubscribe@news.example?subject=unsubscribe%2041.0.abc".into(),
            }),
            list_id: Some("The Desk <newsletter.news.example>".into()),
        };
        let m = build(
            &mail("reader@example.org"),
            "The Desk <newsroom@news.example>",
            &headers,
        )
        .unwrap();
        // Long headers are folded; unfold them to read.
        let raw = String::from_utf8(m.formatted())
            .unwrap()
            .replace("\r\n ", " ");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("Message-ID: <newsletter.3.41@news.example>"));
        assert!(raw.contains(
            "List-Unsubscribe: <https://news.example/newsletter/41.0.abc/unsubscribe>, <mailto:"
        ));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("List-Id: The Desk <newsletter.news.example>"));
        assert!(raw.contains("Date: "));
    }

    #[test]
    fn refuses_bad_addresses_and_header_injection() {
        let h = Headers {
            message_id: "x@y".into(),
            unsubscribe: None,
            list_id: None,
        };
        assert!(matches!(
            build(&mail("not an address"), "a@b.example", &h),
            Err(MailError::Address(_))
        ));
        let evil = Headers {
            message_id: "x@y>\r\nBcc: victim@example.org".into(),
            unsubscribe: None,
            list_id: None,
        };
        assert!(build(&mail("a@example.org"), "a@b.example", &evil).is_err());
        // A name with a line break cannot add a header either.
        let mut m = mail("a@example.org");
        m.to_name = Some("Eve\r\nBcc: victim@example.org".into());
        let msg = build(&m, "a@b.example", &h).unwrap();
        assert!(
            !String::from_utf8(msg.formatted())
                .unwrap()
                .contains("\r\nBcc:")
        );
    }
}
