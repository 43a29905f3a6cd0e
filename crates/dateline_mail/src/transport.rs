//! Where messages go: an SMTP server (connections pooled and reused), or the
//! outbox folder.

use crate::outbox::Outbox;
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// A delivery that did not happen, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The server is away or said "not now" (4xx): try again later.
    #[error("{0}")]
    Transient(String),
    /// The server refused this message for good (5xx).
    #[error("{0}")]
    Permanent(String),
    /// The server refused the recipient's address for good: a hard bounce.
    #[error("{0}")]
    BadAddress(String),
}

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(Outbox),
}

impl Transport {
    /// SMTP from a URL (`smtp://host:port`, `smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://user:pass@host:465`), keeping up to
    /// `connections` open; or the outbox folder when there is no URL.
    pub fn new(url: Option<&str>, outbox: Outbox, connections: u32) -> Result<Self, String> {
        let Some(url) = url else {
            return Ok(Transport::Outbox(outbox));
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            format!("cannot use the SMTP server \"{}\": {e}; write it as smtp://host:port, smtp://user:password@host:587?tls=required or smtps://user:password@host:465", redact(url))
        })?;
        let pool = lettre::transport::smtp::PoolConfig::new()
            .max_size(connections.max(1))
            .idle_timeout(Duration::from_secs(60));
        Ok(Transport::Smtp(
            builder
                .pool_config(pool)
                .timeout(Some(Duration::from_secs(30)))
                .build(),
        ))
    }

    /// Whether an SMTP URL can be used, with the reason when not.
    pub fn check_url(url: &str) -> Result<(), String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map(|_| ()).map_err(|e| {
            format!("\"{}\" cannot be used ({e}); write it as smtp://host:port, smtp://user:password@host:587?tls=required or smtps://user:password@host:465", redact(url))
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Outbox(o) => format!("the outbox folder {}", o.dir().display()),
        }
    }

    /// Delivers one formatted message.
    pub async fn deliver(
        &self,
        message_id: &str,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> Result<(), DeliveryError> {
        match self {
            Transport::Outbox(o) => o
                .deliver(message_id, bytes)
                .map(|_| ())
                .map_err(|e| DeliveryError::Transient(e.to_string())),
            Transport::Smtp(t) => t
                .send_raw(envelope, bytes)
                .await
                .map(|_| ())
                .map_err(classify),
        }
    }
}

fn classify(e: lettre::transport::smtp::Error) -> DeliveryError {
    let text = e.to_string();
    if e.is_permanent() {
        // 5.1.x: the address itself is bad (unknown user, bad domain).
        let bad_address = e.status().is_some_and(|c| c.to_string().starts_with("55"))
            && (text.contains("5.1.")
                || text.to_lowercase().contains("user unknown")
                || text.to_lowercase().contains("no such"));
        if bad_address {
            DeliveryError::BadAddress(text)
        } else {
            DeliveryError::Permanent(text)
        }
    } else {
        DeliveryError::Transient(text)
    }
}

/// The URL without its password.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
