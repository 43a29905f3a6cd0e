//! Passwords: argon2id hashes (computed off the async threads), a policy
//! people can follow, and generated passwords for accounts made without one.
//!
//! Each argon2id run takes 19 MiB and tens of milliseconds of a core, so the
//! server never runs more at once than it has cores: [`Hashing`] hands out
//! that many turns, lets a bounded queue wait for one, and answers "busy"
//! beyond it. Every hash and check a request causes goes through it; only
//! the command line (one at a time by nature) calls [`hash`] directly.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 1000;

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes),
/// without waiting for a turn: for the command line. The server uses
/// [`Hashing::hash`].
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// All turns are taken and the queue for them is full (or waited too long).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many passwords are being checked at once; try again in a few seconds")]
pub struct Busy;

/// Turns at argon2id for the server: at most `concurrent` runs at once, at
/// most `queue` more waiting (each at most a few seconds).
pub struct Hashing {
    turns: Semaphore,
    concurrent: usize,
    queue: usize,
    waiting: AtomicUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
    wait: Duration,
}

/// Gives a waiting place back however the wait ends.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hashing {
    pub fn new(concurrent: usize, queue: usize, wait: Duration) -> Self {
        let concurrent = concurrent.max(1);
        Self {
            turns: Semaphore::new(concurrent),
            concurrent,
            queue,
            waiting: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            wait,
        }
    }

    /// One turn per core, eight waiting per core, five seconds' wait.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, cores * 8, Duration::from_secs(5))
    }

    /// How many runs may go at once.
    pub fn concurrent(&self) -> usize {
        self.concurrent
    }

    /// The most runs that went at once since the process started.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Runs `work` in its turn, off the async threads.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let permit = match self.turns.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(Busy);
                }
                let _place = InQueue(&self.waiting);
                tokio::time::timeout(self.wait, self.turns.acquire())
                    .await
                    .map_err(|_| Busy)?
                    .map_err(|_| Busy)?
            }
        };
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let done = tokio::task::spawn_blocking(work).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        drop(permit);
        done.map_err(|_| Busy)
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

/// A real hash to check against when the account does not exist, so that
/// answering "no such user" takes as long as "wrong password".
static DECOY: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"decoy password for timing")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

fn verify_now(password: &str, stored: Option<String>) -> bool {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DECOY.clone());
    let Ok(parsed) = PasswordHash::new(&stored) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && known
}

/// Why a password cannot be used, if it cannot.
pub fn check_policy(password: &str, email: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "Use at least {MIN_PASSWORD_CHARS} characters; a few words together make a good password."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("Use at most {MAX_PASSWORD_CHARS} characters."));
    }
    let lowered = password.to_lowercase();
    if !email.is_empty() && lowered.contains(&email.to_lowercase()) {
        return Err("Do not use your email address in your password.".into());
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err("Use more than one character, repeated.".into());
    }
    if ["password", "1234567890", "qwertyuiop", "dateline"]
        .iter()
        .any(|w| lowered.starts_with(w) && chars < w.len() + 4)
    {
        return Err("That password is among the first ones guessed; choose another.".into());
    }
    Ok(())
}

/// A strong password for an account created without one: 20 characters from
/// an alphabet without look-alikes (about 115 bits).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut byte = [0u8; 1];
        if getrandom::fill(&mut byte).is_err() {
            continue;
        }
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        if usize::from(byte[0]) < limit {
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_verifies() {
        let hashing = Hashing::new(2, 4, Duration::from_secs(5));
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        let verify = |p: &str, s: Option<String>| hashing.verify(p.to_owned(), s);
        assert_eq!(
            verify("correct horse battery", Some(h.clone())).await,
            Ok(true)
        );
        assert_eq!(verify("wrong horse battery", Some(h)).await, Ok(false));
        assert_eq!(verify("anything at all", None).await, Ok(false));
        let again = hashing
            .hash("a second password".into())
            .await
            .unwrap()
            .unwrap();
        assert!(again.starts_with("$argon2id$"));
    }

    /// Twelve at once against two turns and a queue of three: two run, three
    /// wait their turn, seven are told the server is busy; never more than
    /// two run at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn runs_at_most_its_turns_and_queues_a_bounded_few() {
        let hashing = std::sync::Arc::new(Hashing::new(2, 3, Duration::from_secs(60)));
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let h = hashing.clone();
                tokio::spawn(async move { h.hash(format!("password number {i}")).await })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(hash) => {
                    assert!(hash.unwrap().starts_with("$argon2id$"));
                    done += 1;
                }
                Err(Busy) => busy += 1,
            }
        }
        assert_eq!((done, busy), (5, 7));
        assert_eq!(hashing.peak(), 2);
        // Once the queue is empty, turns are free again.
        assert!(hashing.hash("later on".into()).await.is_ok());
    }

    #[tokio::test]
    async fn a_long_wait_is_busy_too() {
        let hashing = std::sync::Arc::new(Hashing::new(1, 5, Duration::from_millis(1)));
        let first = {
            let h = hashing.clone();
            tokio::spawn(async move { h.hash("the first one".into()).await })
        };
        tokio::task::yield_now().await;
        while hashing.peak() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(matches!(
            hashing.hash("the second one".into()).await,
            Err(Busy)
        ));
        assert!(first.await.unwrap().is_ok());
    }

    #[test]
    fn policy_explains_itself() {
        assert!(
            check_policy("short", "")
                .unwrap_err()
                .contains("at least 10")
        );
        assert!(check_policy("aaaaaaaaaaaa", "").is_err());
        assert!(check_policy("rana@example.org!!", "rana@example.org").is_err());
        assert!(check_policy("password12", "").is_err());
        assert!(check_policy("tigris morning bread", "rana@example.org").is_ok());
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let p = generate();
        assert_eq!(p.len(), 20);
        assert!(check_policy(&p, "x@example.org").is_ok());
        assert_ne!(p, generate());
    }
}
