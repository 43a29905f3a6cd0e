//! `dateline mail …` and `dateline newsletter …`: delivering the outbox,
//! and sends with their progress.

use crate::commands::open;
use crate::commands::operator;
use crate::config::{Sender, Storage};
use chrono::Utc;
use dateline_core::ArticleId;
use dateline_db::sends::{self, Refusal, Send, SendMode};
use dateline_db::views::ArticleView;
use dateline_db::{Db, articles, mail};
use dateline_mail::Worker;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Stops `token` on Ctrl-C or SIGTERM.
fn stop_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        crate::commands::serve::wait_for_signal().await;
        eprintln!("Stopping: finishing the messages in hand…");
        token.cancel();
    });
}

/// `dateline mail work`
pub async fn work(sender: &Sender, until_empty: bool) -> anyhow::Result<ExitCode> {
    let db = open(&sender.storage).await?;
    let worker = Worker::new(db.clone(), sender.mail.clone()).await?;
    eprintln!("Delivering mail through {}.", worker.describe());
    let stop = CancellationToken::new();
    stop_on_signal(stop.clone());
    let started = Instant::now();
    let before = mail::counts(&db).await?;
    let watching = CancellationToken::new();
    let watcher = tokio::spawn(show_outstanding(db.clone(), watching.clone()));
    if until_empty {
        worker.run_until_empty(stop).await;
    } else {
        worker.run(stop).await;
    }
    watching.cancel();
    let _ = watcher.await;
    let after = mail::counts(&db).await?;
    eprintln!(
        "Sent {} messages in {:.1} s; {} failed, {} bounced; {} still queued.",
        after.sent - before.sent,
        started.elapsed().as_secs_f64(),
        after.failed - before.failed,
        after.bounced - before.bounced,
        after.queued + after.sending,
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// While a worker runs, how much is left to deliver and how fast it goes:
/// a spinner on a terminal, a line every 10 s otherwise.
async fn show_outstanding(db: Db, done: CancellationToken) {
    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    let every = if terminal {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(10)
    };
    let mut last: Option<(Instant, i64)> = None;
    loop {
        tokio::select! {
            _ = done.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
        let Ok(left) = mail::outstanding(&db).await else {
            continue;
        };
        let rate =
            last.map(|(at, before)| (before - left).max(0) as f64 / at.elapsed().as_secs_f64());
        last = Some((Instant::now(), left));
        let line = match rate {
            Some(r) => format!("{left} messages left to deliver, {r:.0}/s"),
            None => format!("{left} messages left to deliver"),
        };
        if terminal {
            bar.set_message(line);
            bar.tick();
        } else {
            eprintln!("{line}");
        }
    }
    bar.finish_and_clear();
}

/// `dateline mail status`
pub async fn status(storage: &Storage) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let c = mail::counts(&db).await?;
    println!(
        "queued {}  in flight {}  paused {}  sent {}  failed {}  bounced {}  skipped {}  cancelled {}",
        c.queued, c.sending, c.held, c.sent, c.failed, c.bounced, c.skipped, c.cancelled
    );
    if let Some(at) = mail::next_due(&db).await? {
        println!("next message due {}", at.format("%Y-%m-%d %H:%M:%S UTC"));
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The article a slug or id names.
async fn find_article(db: &Db, key: &str) -> anyhow::Result<ArticleView> {
    if let Ok(id) = key.parse::<i64>()
        && let Some(v) = articles::find(db, ArticleId(id)).await?
    {
        return Ok(v);
    }
    if let Some(id) = articles::id_for_slug(db, key, None).await?
        && let Some(v) = articles::find(db, id).await?
    {
        return Ok(v);
    }
    anyhow::bail!(
        "there is no article \"{key}\"; give its slug or id (see `dateline article list`)"
    )
}

/// `dateline newsletter send ARTICLE`
pub async fn send(
    sender: &Sender,
    article: &str,
    force: bool,
    subject: Option<String>,
    wait: bool,
) -> anyhow::Result<ExitCode> {
    let db = open(&sender.storage).await?;
    let view = find_article(&db, article).await?;
    let id = view.summary.id;
    let subject = subject.unwrap_or_else(|| view.summary.headline.clone());
    let mode = if force {
        SendMode::Again
    } else {
        SendMode::First
    };
    let send = match sends::send_article(&db, id, &subject, mode, &operator(), Utc::now()).await? {
        Ok(send) => send,
        Err(Refusal::AlreadySent { send, at, sent }) => anyhow::bail!(
            "\"{}\" already went to {sent} subscribers (send {send}, {}); add --force to send it to those who have not had it yet",
            view.summary.headline,
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        Err(Refusal::NotPublished) => anyhow::bail!(
            "\"{}\" is not published; publish it first",
            view.summary.headline
        ),
        Err(Refusal::APage) => anyhow::bail!(
            "\"{}\" is a page, not a report: pages are not mailed to subscribers",
            view.summary.headline
        ),
        Err(Refusal::NotMarked) => anyhow::bail!("the send was made by another process meanwhile"),
    };
    eprintln!(
        "Send {}: \"{}\" to {} subscribers.",
        send.id, send.subject, send.queued
    );
    if !wait || send.queued == 0 {
        db.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let worker = Worker::new(db.clone(), sender.mail.clone()).await?;
    eprintln!("Delivering through {}.", worker.describe());
    let stop = CancellationToken::new();
    stop_on_signal(stop.clone());
    let delivering = {
        let stop = stop.clone();
        tokio::spawn(async move { worker.run(stop).await })
    };
    let finished = follow(&db, send.id, &stop).await?;
    stop.cancel();
    let _ = delivering.await;
    db.close().await;
    println!("{}", describe(&finished));
    Ok(if finished.status == "done" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Shows a send's progress until it is settled (or stopped), as a bar on a
/// terminal and a line every few seconds otherwise.
async fn follow(db: &Db, id: i64, stop: &CancellationToken) -> anyhow::Result<Send> {
    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} {msg}  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut last_line = Instant::now();
    loop {
        let s = sends::get(db, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("send {id} was removed"))?;
        let settled = (s.queued - s.remaining()).max(0) as u64;
        bar.set_length(s.queued as u64);
        bar.set_position(settled);
        bar.set_message(format!(
            "sent {} failed {} bounced {} skipped {}",
            s.sent, s.failed, s.bounced, s.skipped
        ));
        if !terminal && last_line.elapsed() >= Duration::from_secs(5) {
            eprintln!("{}", describe(&s));
            last_line = Instant::now();
        }
        if !s.is_active() || stop.is_cancelled() || (s.status == "paused") {
            bar.finish_and_clear();
            return Ok(s);
        }
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

fn describe(s: &Send) -> String {
    let (rate, seconds_left) = s.progress(Utc::now());
    let left = seconds_left
        .map(|n| format!(", about {n} s left"))
        .unwrap_or_default();
    format!(
        "send {} [{}] \"{}\": queued {}, sent {}, failed {}, bounced {}, skipped {}; {rate:.0} messages/s{left}",
        s.id, s.status, s.subject, s.queued, s.sent, s.failed, s.bounced, s.skipped
    )
}

/// `dateline newsletter status [ID]`
pub async fn send_status(storage: &Storage, id: Option<i64>) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let list = match id {
        Some(id) => vec![sends::get(&db, id).await?.ok_or_else(|| {
            anyhow::anyhow!("there is no send {id}; see `dateline newsletter status`")
        })?],
        None => sends::recent(&db, 20).await?,
    };
    if list.is_empty() {
        println!("No newsletter has been sent yet.");
    }
    for s in list {
        println!("{}", describe(&s));
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Which change `newsletter pause|resume|cancel` makes.
#[derive(Debug, Clone, Copy)]
pub enum Control {
    Pause,
    Resume,
    Cancel,
}

/// `dateline newsletter pause|resume|cancel ID`
pub async fn control(storage: &Storage, id: i64, what: Control) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let s = sends::get(&db, id).await?.ok_or_else(|| {
        anyhow::anyhow!("there is no send {id}; see `dateline newsletter status`")
    })?;
    let done = match what {
        Control::Pause => sends::pause(&db, id, Utc::now(), &operator()).await?,
        Control::Resume => sends::resume(&db, id, Utc::now(), &operator()).await?,
        Control::Cancel => sends::cancel(&db, id, Utc::now(), &operator()).await?,
    };
    let after = sends::get(&db, id).await?.unwrap_or(s.clone());
    db.close().await;
    if !done {
        anyhow::bail!(
            "send {id} is {}, so it cannot be {}",
            s.status,
            match what {
                Control::Pause => "paused",
                Control::Resume => "resumed",
                Control::Cancel => "cancelled",
            }
        );
    }
    println!("{}", describe(&after));
    Ok(ExitCode::SUCCESS)
}
