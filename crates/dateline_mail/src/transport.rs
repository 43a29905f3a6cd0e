//! Where messages go: an SMTP server (each sender keeping its connection
//! open between messages), or the outbox folder.

use crate::outbox::Outbox;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
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

/// How a plain `smtp://` connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartTls {
    Never,
    /// When the server offers it.
    Opportunistic,
    /// `?tls=required`: refuse to send in the clear.
    Required,
}

/// An `smtp://` server, to which each sender keeps its own connection.
///
/// Dateline opens these connections itself, rather than through lettre's
/// pool, to set `TCP_NODELAY`: lettre writes a message's body and its final
/// `.` separately, and with Nagle's algorithm on, that last small write waits
/// for the server's delayed acknowledgement (40 ms on Linux) on every message.
pub struct SmtpServer {
    host: String,
    port: u16,
    starttls: StartTls,
    credentials: Option<Credentials>,
    hello: ClientId,
}

/// A sender's connection, kept between messages.
#[derive(Default)]
pub struct Connection(Option<AsyncSmtpConnection>);

pub enum Transport {
    /// `smtp://`: plain or STARTTLS, a connection per sender.
    Smtp(SmtpServer),
    /// `smtps://` (TLS from the first byte): lettre's pool.
    Smtps(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(Outbox),
}

const TIMEOUT: Duration = Duration::from_secs(30);

fn explain(url: &str, e: impl std::fmt::Display) -> String {
    format!(
        "\"{}\" cannot be used ({e}); write it as smtp://host:port, smtp://user:password@host:587?tls=required or smtps://user:password@host:465",
        redact(url)
    )
}

impl SmtpServer {
    fn parse(url: &str) -> Result<Self, String> {
        let u = url::Url::parse(url).map_err(|e| explain(url, e))?;
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| explain(url, "no host"))?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = (!u.username().is_empty()).then(|| {
            Credentials::new(
                decode(u.username()),
                decode(u.password().unwrap_or_default()),
            )
        });
        // As lettre reads these URLs: no `tls` is plain SMTP (port 25);
        // `tls=required` or `tls=opportunistic` is STARTTLS (port 587).
        let tls = u
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (starttls, default_port) = match tls.as_deref() {
            None => (StartTls::Never, 25),
            Some("required") => (StartTls::Required, 587),
            Some("opportunistic") => (StartTls::Opportunistic, 587),
            Some(other) => {
                return Err(explain(
                    url,
                    format!("tls={other} is not one of required, opportunistic"),
                ));
            }
        };
        let hello = u
            .query_pairs()
            .find(|(k, _)| k == "helo_name")
            .map(|(_, v)| ClientId::Domain(v.into_owned()))
            .unwrap_or_default();
        Ok(Self {
            host: host.trim_matches(['[', ']']).to_owned(),
            port: u.port().unwrap_or(default_port),
            starttls,
            credentials,
            hello,
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, DeliveryError> {
        let transient = DeliveryError::Transient;
        let tcp = tokio::time::timeout(
            TIMEOUT,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| {
            transient(format!(
                "connecting to {}:{} timed out",
                self.host, self.port
            ))
        })?
        .map_err(|e| {
            transient(format!(
                "cannot connect to {}:{}: {e}",
                self.host, self.port
            ))
        })?;
        tcp.set_nodelay(true)
            .map_err(|e| transient(e.to_string()))?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
            .await
            .map_err(classify)?;
        let offered = conn.can_starttls();
        match self.starttls {
            StartTls::Required if !offered => {
                conn.abort().await;
                return Err(DeliveryError::Transient(
                    "the server does not offer STARTTLS, and the URL says tls=required".into(),
                ));
            }
            StartTls::Required | StartTls::Opportunistic if offered => {
                let params = TlsParameters::new(self.host.clone()).map_err(classify)?;
                conn.starttls(params, &self.hello).await.map_err(classify)?;
            }
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }

    async fn send(
        &self,
        conn: &mut Connection,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> Result<(), DeliveryError> {
        if conn.0.as_ref().is_none_or(AsyncSmtpConnection::has_broken) {
            conn.0 = Some(self.connect().await?);
        }
        let Some(c) = conn.0.as_mut() else {
            return Err(DeliveryError::Transient("no connection".into()));
        };
        let result = match tokio::time::timeout(TIMEOUT, c.send(envelope, bytes)).await {
            Ok(r) => r.map(|_| ()).map_err(classify),
            Err(_) => {
                c.abort().await;
                Err(DeliveryError::Transient(
                    "the server did not answer within 30 s".into(),
                ))
            }
        };
        if result.is_err() {
            // lettre ends the session on any error; the next message starts afresh.
            conn.0 = None;
        }
        result
    }
}

impl Transport {
    /// SMTP from a URL (`smtp://host:port`, `smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://user:pass@host:465`), keeping up to
    /// `connections` open; or the outbox folder when there is no URL.
    pub fn new(url: Option<&str>, outbox: Outbox, connections: u32) -> Result<Self, String> {
        let Some(url) = url else {
            return Ok(Transport::Outbox(outbox));
        };
        Self::check_url(url)?;
        if url.starts_with("smtps:") {
            let builder =
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| explain(url, e))?;
            let pool = lettre::transport::smtp::PoolConfig::new()
                .max_size(connections.max(1))
                .idle_timeout(Duration::from_secs(60));
            return Ok(Transport::Smtps(
                builder.pool_config(pool).timeout(Some(TIMEOUT)).build(),
            ));
        }
        Ok(Transport::Smtp(SmtpServer::parse(url)?))
    }

    /// Whether an SMTP URL can be used, with the reason when not.
    pub fn check_url(url: &str) -> Result<(), String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| explain(url, e))?;
        if !url.starts_with("smtps:") {
            SmtpServer::parse(url)?;
        }
        Ok(())
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(s) => format!("SMTP at {}:{}", s.host, s.port),
            Transport::Smtps(_) => "SMTP over TLS".into(),
            Transport::Outbox(o) => format!("the outbox folder {}", o.dir().display()),
        }
    }

    /// Delivers one formatted message, on the sender's own connection
    /// (opened, or opened again after a failure, as needed).
    pub async fn deliver(
        &self,
        conn: &mut Connection,
        message_id: &str,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> Result<(), DeliveryError> {
        match self {
            Transport::Outbox(o) => o
                .deliver(message_id, bytes)
                .map(|_| ())
                .map_err(|e| DeliveryError::Transient(e.to_string())),
            Transport::Smtps(t) => t
                .send_raw(envelope, bytes)
                .await
                .map(|_| ())
                .map_err(classify),
            Transport::Smtp(server) => {
                let reused = conn.0.as_ref().is_some_and(|c| !c.has_broken());
                let result = server.send(conn, envelope, bytes).await;
                match result {
                    // A kept connection the server closed while it was idle:
                    // once more on a new one, at once.
                    Err(DeliveryError::Transient(_)) if reused => {
                        server.send(conn, envelope, bytes).await
                    }
                    other => other,
                }
            }
        }
    }

    /// Ends a sender's connection politely.
    pub async fn close(&self, conn: &mut Connection) {
        if let Some(mut c) = conn.0.take()
            && !c.has_broken()
        {
            let _ = c.quit().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_smtp_urls_as_lettre_does() {
        let plain = SmtpServer::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.starttls),
            ("127.0.0.1", 2525, StartTls::Never)
        );
        assert!(plain.credentials.is_none());
        let submission =
            SmtpServer::parse("smtp://news%40example.org:p%40ss@mail.example.org?tls=required")
                .unwrap();
        assert_eq!(
            (submission.port, submission.starttls),
            (587, StartTls::Required)
        );
        assert_eq!(
            submission.credentials,
            Some(Credentials::new("news@example.org".into(), "p@ss".into()))
        );
        assert_eq!(
            SmtpServer::parse("smtp://mail.example.org?tls=opportunistic")
                .unwrap()
                .starttls,
            StartTls::Opportunistic
        );
        assert_eq!(
            SmtpServer::parse("smtp://mail.example.org").unwrap().port,
            25
        );
        assert!(
            Transport::check_url("smtp://mail.example.org?tls=sometimes")
                .unwrap_err()
                .contains("cannot be used")
        );
        assert!(Transport::check_url("ftp://mail.example.org").is_err());
        assert!(Transport::check_url("smtps://u:secret@mail.example.org").is_ok());
        assert_eq!(
            redact("smtps://u:secret@mail.example.org:465"),
            "smtps://u:***@mail.example.org:465"
        );
    }
}
