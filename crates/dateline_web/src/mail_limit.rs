//! One limit on requests that make Dateline mail an address a reader typed:
//! newsletter sign-ups, "Notify of" and a comment's "Email me replies", a
//! commenter's data link. Each such request is counted in the database,
//! per client network, before anything is queued, so the limit holds for
//! parallel requests and on every process; past it, nothing is mailed.
//!
//! It bounds how much mail one client can aim at strangers; how often one
//! address is mailed is bounded apart from it, per address (the storage
//! layer's once-an-hour rule for confirmations and data links).

use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use dateline_db::limits::Counted;
use std::net::IpAddr;

/// Requests that mail an address one client network may make per window.
pub const MAX_PER_WINDOW: i64 = 20;
pub const WINDOW: Duration = Duration::hours(1);

/// A request refused by the limit.
#[derive(Debug)]
pub enum Limited {
    Over { retry_after: u64 },
    Db(dateline_db::DbError),
}

impl Limited {
    /// What to tell the reader.
    pub fn message(&self) -> String {
        match self {
            Limited::Over { retry_after } => format!(
                "We have been asked to send mail from your network many times in the last hour. Wait {} minutes and try again.",
                retry_after.div_ceil(60)
            ),
            Limited::Db(_) => {
                "We could not check how much mail you asked for; try again in a moment.".into()
            }
        }
    }

    pub fn retry_after(&self) -> u64 {
        match self {
            Limited::Over { retry_after } => *retry_after,
            Limited::Db(_) => 10,
        }
    }
}

impl From<Limited> for AppError {
    fn from(l: Limited) -> Self {
        match l {
            Limited::Db(e) => e.into(),
            over => AppError::TooManyRequests {
                message: over.message(),
                retry_after: over.retry_after(),
            },
        }
    }
}

/// Counts a request from `ip` that will mail an address; `Err` when the
/// client's network is past the limit (the request must then mail nothing).
pub(crate) async fn count(state: &AppState, ip: IpAddr, now: DateTime<Utc>) -> Result<(), Limited> {
    let counted: Counted = dateline_db::limits::count_attempt(
        &state.db,
        "mail_request",
        &state.signer.keyed_hash("mail-request", &network(ip)),
        WINDOW,
        now,
    )
    .await
    .map_err(Limited::Db)?;
    if counted.over(MAX_PER_WINDOW) {
        metrics::counter!("dateline_mail_requests_refused_total").increment(1);
        return Err(Limited::Over {
            retry_after: counted.retry_after(now),
        });
    }
    Ok(())
}

/// [`count`] for a handler, from the request's client address.
pub(crate) async fn count_request(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<(), AppError> {
    let ip = crate::auth::client_ip(parts, &state.config.trusted_proxies);
    Ok(count(state, ip, Utc::now()).await?)
}

/// What a client is counted as: its address, or for IPv6 its /64 (one
/// subscriber's line usually gets a whole /64).
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_ipv4_addresses_and_ipv6_networks() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        assert_eq!(network("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
