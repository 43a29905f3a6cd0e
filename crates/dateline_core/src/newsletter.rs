//! Newsletter subscriptions: addresses, how often a reader wants mail, and
//! where a subscription stands.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Checks and normalises an email address (trimmed, lower-cased). Not a full
/// RFC 5322 parser: enough to catch what people mistype.
pub fn normalize_email(s: &str) -> Result<String, String> {
    let email = s.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && !email.contains(char::is_control)
        && !email.contains(['<', '>', '"', ',', ';', '\\'])
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !domain.contains('@')
        });
    if ok {
        Ok(email)
    } else {
        Err(format!(
            "\"{}\" is not an email address; write one such as name@example.org.",
            s.trim()
        ))
    }
}

/// How often a subscriber wants the newsletter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    /// Each article as it is published.
    Each,
    Daily,
    Weekly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Each, Frequency::Daily, Frequency::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Each => "each",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn describe(self) -> &'static str {
        match self {
            Frequency::Each => "Each report, as it is published",
            Frequency::Daily => "A daily digest",
            Frequency::Weekly => "A weekly digest",
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberStatus {
    /// Signed up, not yet confirmed: gets no newsletter.
    Pending,
    Confirmed,
    Unsubscribed,
    /// The address bounced for good: nothing more is sent.
    Bounced,
    /// The reader marked our mail as spam: nothing more is sent.
    Complained,
}

impl SubscriberStatus {
    pub const ALL: [SubscriberStatus; 5] = [
        SubscriberStatus::Pending,
        SubscriberStatus::Confirmed,
        SubscriberStatus::Unsubscribed,
        SubscriberStatus::Bounced,
        SubscriberStatus::Complained,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberStatus::Pending => "pending",
            SubscriberStatus::Confirmed => "confirmed",
            SubscriberStatus::Unsubscribed => "unsubscribed",
            SubscriberStatus::Bounced => "bounced",
            SubscriberStatus::Complained => "complained",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for SubscriberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses_addresses() {
        assert_eq!(
            normalize_email("  Layla@Example.ORG ").unwrap(),
            "layla@example.org"
        );
        for bad in [
            "",
            "layla",
            "layla@",
            "@example.org",
            "layla@example",
            "a b@example.org",
            "l@.example.org",
            "l@example..org",
            "\"x\"@example.org",
            "a@b@example.org",
            "x@example.org,y@example.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_names() {
        assert_eq!(Frequency::parse("Weekly"), Some(Frequency::Weekly));
        assert_eq!(
            SubscriberStatus::parse("bounced"),
            Some(SubscriberStatus::Bounced)
        );
        assert_eq!(Frequency::parse("hourly"), None);
    }
}
