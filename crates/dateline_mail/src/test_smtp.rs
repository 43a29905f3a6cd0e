//! A small SMTP server on loopback for tests: it speaks enough of RFC 5321
//! for real clients (EHLO, MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP,
//! QUIT), keeps every message it accepts, refuses the recipients it is told
//! to, and can drop connections in the middle of a session.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, with CRLF line ends and dots unstuffed.
    pub data: Vec<u8>,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// A header's value (unfolded), the first of that name.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.text();
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push(' ');
                    v.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_owned());
            }
        }
        value
    }
}

#[derive(Default)]
struct Behaviour {
    /// Recipients answered with `550 5.1.1`.
    refuse: Vec<String>,
    /// Recipients answered with `451 4.3.0` (try again later).
    defer: Vec<String>,
    /// Drop the connection, without an answer, when DATA ends for this many
    /// more messages in total.
    drop_after_data: Vec<usize>,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    behaviour: Behaviour,
    data_count: usize,
    sessions: usize,
    dropped: usize,
}

/// The running server; it stops when dropped.
pub struct TestSmtp {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    stop: CancellationToken,
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

impl TestSmtp {
    /// Starts a server on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = CancellationToken::new();
        let (s, st) = (shared.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = st.cancelled() => break,
                    accepted = listener.accept() => {
                        let Ok((socket, _)) = accepted else { continue };
                        lock(&s).sessions += 1;
                        let (s, st) = (s.clone(), st.clone());
                        tokio::spawn(async move {
                            tokio::select! {
                                _ = st.cancelled() => {}
                                _ = session(socket, s) => {}
                            }
                        });
                    }
                }
            }
        });
        Ok(Self { port, shared, stop })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Refuses these recipients for good (a hard bounce).
    pub fn refuse(&self, addresses: &[&str]) {
        lock(&self.shared)
            .behaviour
            .refuse
            .extend(addresses.iter().map(|a| a.to_lowercase()));
    }

    /// Answers "try again later" for these recipients.
    pub fn defer(&self, addresses: &[&str]) {
        lock(&self.shared)
            .behaviour
            .defer
            .extend(addresses.iter().map(|a| a.to_lowercase()));
    }

    /// Stops deferring anyone.
    pub fn stop_deferring(&self) {
        lock(&self.shared).behaviour.defer.clear();
    }

    /// Drops the connection, mid-transaction, when the `n`th message from now
    /// has been transmitted (before answering it, so it is not accepted).
    pub fn drop_at(&self, n: usize) {
        let mut s = lock(&self.shared);
        let at = s.data_count + n;
        s.behaviour.drop_after_data.push(at);
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared).received.clone()
    }

    pub fn count(&self) -> usize {
        lock(&self.shared).received.len()
    }

    /// Connections opened so far.
    pub fn sessions(&self) -> usize {
        lock(&self.shared).sessions
    }

    /// Connections dropped on purpose so far.
    pub fn dropped(&self) -> usize {
        lock(&self.shared).dropped
    }

    /// Waits until `n` messages have arrived, or `timeout` passes.
    pub async fn wait_for(&self, n: usize, timeout: std::time::Duration) -> Vec<Received> {
        let end = tokio::time::Instant::now() + timeout;
        while self.count() < n && tokio::time::Instant::now() < end {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        self.received()
    }
}

async fn session(socket: TcpStream, shared: Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-smtp ready\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let upper = text.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-test-smtp\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 test-smtp\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = Some(address(&text[10..]));
            to.clear();
            "250 2.1.0 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&text[8..]);
            let (refused, deferred) = {
                let s = lock(&shared);
                (
                    s.behaviour.refuse.contains(&rcpt),
                    s.behaviour.defer.contains(&rcpt),
                )
            };
            if from.is_none() {
                "503 5.5.1 MAIL first\r\n".into()
            } else if refused {
                format!("550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\r\n")
            } else if deferred {
                format!("451 4.3.0 <{rcpt}>: try again later\r\n")
            } else {
                to.push(rcpt);
                "250 2.1.5 ok\r\n".into()
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                "554 5.5.1 no valid recipients\r\n".into()
            } else {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    let body = if line.starts_with(b"..") {
                        &line[1..]
                    } else {
                        &line[..]
                    };
                    data.extend_from_slice(body);
                }
                let drop_now = {
                    let mut s = lock(&shared);
                    s.data_count += 1;
                    let count = s.data_count;
                    let hit = s.behaviour.drop_after_data.iter().position(|n| *n == count);
                    if let Some(i) = hit {
                        s.behaviour.drop_after_data.remove(i);
                        s.dropped += 1;
                        true
                    } else {
                        s.received.push(Received {
                            from: from.clone().unwrap_or_default(),
                            to: std::mem::take(&mut to),
                            data,
                        });
                        false
                    }
                };
                if drop_now {
                    return Ok(());
                }
                from = None;
                "250 2.0.0 queued\r\n".into()
            }
        } else if upper == "RSET" {
            from = None;
            to.clear();
            "250 2.0.0 ok\r\n".into()
        } else if upper == "NOOP" {
            "250 2.0.0 ok\r\n".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 command not recognised\r\n".into()
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// The address inside `<…>`, lower-cased, without parameters.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if b > a => &arg[a + 1..b],
        _ => arg.split_whitespace().next().unwrap_or_default(),
    };
    inner.to_lowercase()
}
