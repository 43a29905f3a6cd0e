//! The delivery workers: claim due messages from the outbox, compose them,
//! send them over a pool of SMTP connections (or to the outbox folder), and
//! record each outcome.
//!
//! Nothing is lost and little is repeated: a message is claimed with a
//! lease, and each sender records what the server accepted (grouped with the
//! other senders' records into one commit) before it starts on its next
//! message. A process killed at any moment leaves at most one accepted but
//! unrecorded message per sender, so at most `concurrency` messages go out
//! twice after a restart, each with its fixed Message-ID. Everything it had
//! claimed but not sent is claimed again when the lease runs out.

use crate::compose::{Composed, Composer, NotSent};
use crate::links::Links;
use crate::outbox::Outbox;
use crate::transport::{Connection, DeliveryError, Transport, redact};
use chrono::{Duration, Utc};
use dateline_db::Db;
use dateline_db::mail::{self, Claimed, Outcome};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Attempts before a message counts as failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// How the workers deliver.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://…` or `smtps://…`; `None` writes `.eml` files to `outbox_dir`.
    pub smtp_url: Option<String>,
    pub outbox_dir: PathBuf,
    /// The From of every message.
    pub from: String,
    /// The site's public address, for links.
    pub base_url: url::Url,
    /// Messages in flight at once (and SMTP connections kept open).
    pub concurrency: usize,
    /// Most messages a second; `None` for as fast as the server takes them.
    pub rate: Option<f64>,
    /// How long a claimed message is held before another worker may take it.
    pub lease: Duration,
    /// The wait before the first retry of a transient failure; each later
    /// retry waits twice as long, up to two hours.
    pub retry_after: Duration,
}

/// Spacing of sends to keep under a rate.
struct Pace {
    every: std::time::Duration,
    next: Mutex<Instant>,
}

impl Pace {
    fn new(rate: Option<f64>) -> Option<Self> {
        let rate = rate.filter(|r| *r > 0.0)?;
        Some(Self {
            every: std::time::Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(Instant::now()),
        })
    }

    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + self.every;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

type Record = (Claimed, Outcome, oneshot::Sender<()>);
/// A claimed message and what it became.
type Job = (Claimed, Result<Composed, NotSent>);

pub struct Worker {
    db: Db,
    config: MailConfig,
    transport: Arc<Transport>,
    composer: Arc<Composer>,
    pace: Option<Arc<Pace>>,
}

/// The delay before attempt `n + 1` after `n` attempts: `first`, twice
/// that, four times, … capped at two hours.
pub fn backoff(first: Duration, attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 12) - 1;
    (first * (1i32 << exp)).min(Duration::hours(2))
}

impl Worker {
    /// Prepares a worker: the transport, and the links signed with the site's
    /// key (made on first use).
    pub async fn new(db: Db, config: MailConfig) -> anyhow::Result<Self> {
        let transport = Transport::new(
            config.smtp_url.as_deref(),
            Outbox::new(&config.outbox_dir),
            config.concurrency as u32,
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        let site = dateline_db::site::settings(&db).await?;
        let links = Links::for_site(&db, &config.base_url).await?;
        let composer = Composer::new(db.clone(), links, config.from.clone(), &site.title);
        Ok(Self {
            pace: Pace::new(config.rate).map(Arc::new),
            transport: Arc::new(transport),
            composer: Arc::new(composer),
            db,
            config,
        })
    }

    pub fn describe(&self) -> String {
        match &self.config.smtp_url {
            Some(url) => format!(
                "SMTP at {} ({} connections)",
                redact(url),
                self.config.concurrency
            ),
            None => self.transport.describe(),
        }
    }

    /// Delivers until `shutdown`; then finishes the messages in hand.
    pub async fn run(&self, shutdown: CancellationToken) {
        self.work(shutdown, false).await;
    }

    /// Delivers until nothing is left to deliver (waiting out the leases of
    /// any worker that died), or until `shutdown`.
    pub async fn run_until_empty(&self, shutdown: CancellationToken) {
        self.work(shutdown, true).await;
    }

    async fn work(&self, shutdown: CancellationToken, until_empty: bool) {
        let senders = self.config.concurrency.max(1);
        let (record_tx, record_rx) = mpsc::channel::<Record>(senders * 4);
        let recorder = tokio::spawn(record_loop(self.db.clone(), record_rx));
        let (job_tx, job_rx) = mpsc::channel::<Job>(senders * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let mut tasks = Vec::new();
        for _ in 0..senders {
            tasks.push(tokio::spawn(send_loop(
                job_rx.clone(),
                record_tx.clone(),
                self.transport.clone(),
                self.pace.clone(),
                self.config.retry_after,
            )));
        }
        drop(record_tx);

        // Under a rate limit, take no more than a quarter of a lease's worth
        // of sending at a time, so nothing waits in hand until its lease
        // runs out and another worker takes it too.
        let batch = match self.config.rate {
            Some(rate) => ((rate * self.config.lease.num_seconds() as f64 / 4.0) as usize)
                .clamp(1, senders * 8),
            None => senders * 8,
        } as u32;
        let mut last_reclaim = Instant::now() - std::time::Duration::from_secs(3600);
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let now = Utc::now();
            if last_reclaim.elapsed() >= std::time::Duration::from_secs(5) {
                last_reclaim = Instant::now();
                match mail::reclaim_expired(&self.db, now).await {
                    Ok(n) if n > 0 => {
                        tracing::warn!(count = n, "took back messages whose worker stopped")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot take back expired messages"),
                }
            }
            // Comments approved since the last turn: their notifications
            // become messages here, in any process that delivers mail.
            match dateline_db::follows::fan_out_due(&self.db, now, 50).await {
                Ok(n) if n > 0 => tracing::info!(count = n, "comment notifications queued"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot queue comment notifications"),
            }
            let claimed = match mail::claim(&self.db, batch, now, self.config.lease).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim messages; retrying");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                if until_empty
                    && mail::outstanding(&self.db).await.is_ok_and(|n| n == 0)
                    && dateline_db::follows::fan_out_pending(&self.db)
                        .await
                        .is_ok_and(|p| !p)
                {
                    break;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => continue,
                }
            }
            let mut claimed = claimed.into_iter();
            let mut unsent = Vec::new();
            for m in claimed.by_ref() {
                let id = m.id;
                let composed = self.composer.compose(&m).await;
                tokio::select! {
                    sent = job_tx.send((m, composed)) => if sent.is_err() { unsent.push(id); break },
                    _ = shutdown.cancelled() => { unsent.push(id); break },
                }
            }
            // Stopping: what was taken but not handed to a sender goes back
            // to the queue now, rather than when its lease runs out.
            unsent.extend(claimed.map(|m| m.id));
            if !unsent.is_empty()
                && let Err(e) = mail::release(&self.db, &unsent).await
            {
                tracing::warn!(error = %e, count = unsent.len(), "cannot put messages back; they return when their lease runs out");
            }
        }
        drop(job_tx);
        for t in tasks {
            let _ = t.await;
        }
        let _ = recorder.await;
    }
}

async fn send_loop(
    jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    records: mpsc::Sender<Record>,
    transport: Arc<Transport>,
    pace: Option<Arc<Pace>>,
    retry_after: Duration,
) {
    let mut conn = Connection::default();
    loop {
        let job = { jobs.lock().await.recv().await };
        let Some((m, composed)) = job else { break };
        let outcome = match composed {
            Err(NotSent::Skip(reason)) => Outcome::Skipped { reason },
            Err(NotSent::Broken(error)) => Outcome::Failed { error },
            Err(NotSent::Later(error)) if m.attempts >= MAX_ATTEMPTS => Outcome::Failed { error },
            Err(NotSent::Later(error)) => Outcome::Retry {
                at: Utc::now() + backoff(retry_after, m.attempts),
                error,
            },
            Ok(c) => {
                if let Some(p) = &pace {
                    p.wait().await;
                }
                let started = Instant::now();
                let result = transport
                    .deliver(&mut conn, &c.message_id, &c.envelope, &c.bytes)
                    .await;
                metrics::histogram!("dateline_mail_send_seconds")
                    .record(started.elapsed().as_secs_f64());
                match result {
                    Ok(()) => Outcome::Sent,
                    Err(DeliveryError::BadAddress(error)) => Outcome::Bounced { error },
                    Err(DeliveryError::Permanent(error)) => Outcome::Failed { error },
                    Err(DeliveryError::Transient(error)) if m.attempts >= MAX_ATTEMPTS => {
                        Outcome::Failed {
                            error: format!("gave up after {} attempts: {error}", m.attempts),
                        }
                    }
                    Err(DeliveryError::Transient(error)) => Outcome::Retry {
                        at: Utc::now() + backoff(retry_after, m.attempts),
                        error,
                    },
                }
            }
        };
        let kind = match &outcome {
            Outcome::Sent => "sent",
            Outcome::Retry { .. } => "retry",
            Outcome::Failed { .. } => "failed",
            Outcome::Bounced { .. } => "bounced",
            Outcome::Skipped { .. } => "skipped",
        };
        metrics::counter!("dateline_mail_messages_total", "outcome" => kind).increment(1);
        if let Outcome::Failed { error }
        | Outcome::Retry { error, .. }
        | Outcome::Bounced { error } = &outcome
        {
            tracing::warn!(message = m.id, to = %m.to_address, outcome = kind, %error, "delivery did not succeed");
        }
        // Wait until the outcome is committed before taking the next message.
        let (ack, done) = oneshot::channel();
        if records.send((m, outcome, ack)).await.is_err() {
            break;
        }
        let _ = done.await;
    }
    transport.close(&mut conn).await;
}

/// Commits outcomes as they come, all waiting ones in one transaction.
async fn record_loop(db: Db, mut rx: mpsc::Receiver<Record>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let outcomes: Vec<(Claimed, Outcome)> = batch
            .iter()
            .map(|(m, o, _)| (m.clone(), o.clone()))
            .collect();
        let mut delay = std::time::Duration::from_millis(100);
        // The database may be briefly away; an outcome is never dropped.
        while let Err(e) = mail::record(&db, &outcomes, Utc::now()).await {
            tracing::error!(error = %e, "cannot record delivery outcomes; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(10));
        }
        for (_, _, ack) in batch {
            let _ = ack.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use chrono::Duration;

    #[test]
    fn backs_off_exponentially_with_a_cap() {
        let first = Duration::seconds(30);
        assert_eq!(backoff(first, 1).num_seconds(), 30);
        assert_eq!(backoff(first, 2).num_seconds(), 60);
        assert_eq!(backoff(first, 5).num_seconds(), 480);
        assert_eq!(backoff(first, 12).num_seconds(), 7200);
    }
}
