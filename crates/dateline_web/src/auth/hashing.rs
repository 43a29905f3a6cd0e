//! Turns at argon2id for the server. Each run takes 19 MiB and tens of
//! milliseconds of a core, so runs go on a fixed set of threads, one per
//! core: at most that many at once, and only those threads ever hold the
//! 19 MiB buffers (the allocator keeps a freed buffer for its thread, so
//! runs spread over many threads would each leave one behind). A bounded
//! queue waits for a turn, a few seconds at most; beyond it the answer is
//! "busy" (503 with Retry-After), at once.
//!
//! Every password a request hashes or checks goes through here.

use crate::auth::passwords::{hash_now, verify_now};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// All turns are taken and the queue for them is full (or waited too long).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many passwords are being checked at once; try again in a few seconds")]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

/// At most `concurrent` runs at once, at most `queue` more waiting (each at
/// most `wait`). The threads end when this is dropped.
pub struct Hashing {
    jobs: SyncSender<(Instant, Job)>,
    concurrent: usize,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    wait: Duration,
}

fn work(jobs: Arc<Mutex<Receiver<(Instant, Job)>>>, wait: Duration) {
    loop {
        let next = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok((queued_at, job)) = next else { return };
        // Whoever asked has been told it is busy by now: drop the job (its
        // answer channel with it).
        if queued_at.elapsed() <= wait {
            job();
        }
    }
}

impl Hashing {
    pub fn new(concurrent: usize, queue: usize, wait: Duration) -> Self {
        let concurrent = concurrent.max(1);
        let (jobs, receiver) = sync_channel(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..concurrent {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(receiver, wait));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self {
            jobs,
            concurrent,
            running: Arc::default(),
            peak: Arc::default(),
            wait,
        }
    }

    /// One thread per core, thirty-two waiting per core, five seconds' wait.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, cores * 32, Duration::from_secs(5))
    }

    /// How many runs may go at once.
    pub fn concurrent(&self) -> usize {
        self.concurrent
    }

    /// The most runs that went at once since this was made.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Runs `work` in its turn on a hashing thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let (running, peak) = (self.running.clone(), self.peak.clone());
        let job: Job = Box::new(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            running.fetch_sub(1, Ordering::SeqCst);
            let _ = answer.send(out);
        });
        self.jobs
            .try_send((Instant::now(), job))
            .map_err(|_| Busy)?;
        tokio::time::timeout(self.wait + Duration::from_secs(60), answered)
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)
    }

    /// Hashes a password in its turn.
    pub async fn hash(&self, password: String) -> Result<anyhow::Result<String>, Busy> {
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches `stored` (with none, spends the same time
    /// and says no), in its turn.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, Busy> {
        self.run(move || verify_now(&password, stored)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_verifies_in_turn() {
        let hashing = Hashing::new(2, 4, Duration::from_secs(5));
        let h = hashing
            .hash("correct horse battery".into())
            .await
            .unwrap()
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        let verify = |p: &str, s: Option<String>| hashing.verify(p.to_owned(), s);
        assert_eq!(
            verify("correct horse battery", Some(h.clone())).await,
            Ok(true)
        );
        assert_eq!(verify("wrong horse battery", Some(h)).await, Ok(false));
        assert_eq!(verify("anything at all", None).await, Ok(false));
    }

    /// Twelve at once against two threads and a queue of three: never more
    /// than two run at once, at most five are taken, the rest are told the
    /// server is busy without waiting.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn runs_at_most_its_turns_and_queues_a_bounded_few() {
        let hashing = Arc::new(Hashing::new(2, 3, Duration::from_secs(60)));
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let h = hashing.clone();
                tokio::spawn(async move { h.hash(format!("password number {i}")).await })
            })
            .collect();
        let (mut done, mut busy) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(hash) => {
                    assert!(hash.unwrap().starts_with("$argon2id$"));
                    done += 1;
                }
                Err(Busy) => busy += 1,
            }
        }
        assert!((3..=5).contains(&done), "{done} taken");
        assert_eq!(done + busy, 12);
        assert!(hashing.peak() <= 2 && hashing.peak() >= 1);
        // Once the queue is empty, turns are free again.
        assert!(hashing.hash("later on".into()).await.is_ok());
    }

    #[tokio::test]
    async fn a_long_wait_is_busy_too() {
        let hashing = Arc::new(Hashing::new(1, 5, Duration::from_millis(100)));
        // The hashing thread is up: a job of ours ran (one queued before the
        // thread was scheduled may have waited past the limit itself).
        let deadline = Instant::now() + Duration::from_secs(20);
        while hashing.run(|| ()).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "the hashing thread never ran a job"
            );
        }
        // Hold the only turn until told.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let first = {
            let h = hashing.clone();
            tokio::spawn(async move { h.run(move || held.recv().is_ok()).await })
        };
        while hashing.running.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the first job never started");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // A second one waits past its 100 ms for the turn: busy.
        let second = {
            let h = hashing.clone();
            tokio::spawn(async move { h.hash("the second one".into()).await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        release.send(()).unwrap();
        assert!(matches!(second.await.unwrap(), Err(Busy)));
        assert_eq!(first.await.unwrap(), Ok(true));
    }
}
