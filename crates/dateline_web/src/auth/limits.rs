//! Requests per client address in a fixed window, in memory, one process's
//! own (newsletter sign-ups, which answer only by mail). Sign-ins are not
//! counted here: they are counted in the database before any password is
//! checked, so the limit holds across processes (`newsroom::sign_in`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// Addresses remembered at most; older windows are dropped first.
const MAX_TRACKED: usize = 50_000;

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when this address has failed too often lately.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let Ok(seen) = self.seen.lock() else {
            return Ok(());
        };
        match seen.get(&ip) {
            Some((start, n)) if *n >= self.max_failures && start.elapsed() < self.window => {
                Err((self.window - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen.len() >= MAX_TRACKED {
            let window = self.window;
            seen.retain(|_, (start, _)| start.elapsed() < window);
        }
        let entry = seen.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    pub fn succeeded(&self, ip: IpAddr) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_too_many_failures_then_forgets() {
        let l = LoginLimiter::new(3, Duration::from_millis(200));
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(ip).is_ok());
            l.failed(ip);
        }
        assert!(l.check(ip).is_err());
        assert!(l.check(other).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check(ip).is_ok());
        l.failed(ip);
        l.succeeded(ip);
        assert!(l.check(ip).is_ok());
    }
}
