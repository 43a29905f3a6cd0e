//! The links in Dateline's mail: confirmation, preferences and unsubscribe.
//! Each carries a subscriber's id signed with the site's key, so no link can
//! act on another subscriber.

use chrono::{DateTime, Duration, Utc};
use dateline_core::signing::{LinkError, Purpose, Signer};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// How long a confirmation link works.
pub const CONFIRM_VALID: Duration = Duration::days(7);

#[derive(Debug, Clone)]
pub struct Links {
    base: String,
    host: String,
    signer: Signer,
}

impl Links {
    pub fn new(base_url: &url::Url, secret: &[u8]) -> Self {
        let host = base_url.host_str().unwrap_or("localhost");
        Self {
            base: base_url.as_str().trim_end_matches('/').to_owned(),
            host: if host.contains('.') {
                host.to_owned()
            } else {
                format!("{host}.localdomain")
            },
            signer: Signer::new(secret),
        }
    }

    /// The links of a site, signed with its key (made, at random, the first
    /// time any process asks).
    pub async fn for_site(db: &dateline_db::Db, base_url: &url::Url) -> anyhow::Result<Self> {
        use base64::Engine;
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh)
            .map_err(|e| anyhow::anyhow!("the operating system gave no random bytes: {e}"))?;
        let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(fresh);
        let key = dateline_db::site::secret_key(db, &fresh).await?;
        Ok(Self::new(base_url, key.as_bytes()))
    }

    /// The site's signer, for other signed tokens (comment forms, a
    /// commenter's data link).
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The host name Message-IDs and mailto addresses use.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The link in a confirmation mail.
    pub fn confirm(&self, subscriber: i64, now: DateTime<Utc>) -> String {
        let token = self.signer.sign(
            Purpose::Confirm,
            subscriber,
            Some((now + CONFIRM_VALID).timestamp()),
        );
        self.absolute(&format!("/newsletter/confirm/{token}"))
    }

    pub fn check_confirm(&self, token: &str, now: DateTime<Utc>) -> Result<i64, LinkError> {
        self.signer.verify(Purpose::Confirm, token, now.timestamp())
    }

    /// The token of a subscriber's own pages; it never expires.
    pub fn manage_token(&self, subscriber: i64) -> String {
        self.signer.sign(Purpose::Manage, subscriber, None)
    }

    pub fn check_manage(&self, token: &str) -> Result<i64, LinkError> {
        self.signer.verify(Purpose::Manage, token, 0)
    }

    pub fn preferences(&self, subscriber: i64) -> String {
        self.absolute(&format!("/newsletter/{}", self.manage_token(subscriber)))
    }

    pub fn unsubscribe(&self, subscriber: i64) -> String {
        self.absolute(&format!(
            "/newsletter/{}/unsubscribe",
            self.manage_token(subscriber)
        ))
    }

    /// The link that confirms one follow of an article's comments (its page
    /// offers the address's other waiting follows too).
    pub fn follow_confirm(&self, follow: i64, now: DateTime<Utc>) -> String {
        let token = self.signer.sign(
            Purpose::FollowConfirm,
            follow,
            Some((now + CONFIRM_VALID).timestamp()),
        );
        self.absolute(&format!("/comments/follow/confirm/{token}"))
    }

    pub fn check_follow_confirm(&self, token: &str, now: DateTime<Utc>) -> Result<i64, LinkError> {
        self.signer
            .verify(Purpose::FollowConfirm, token, now.timestamp())
    }

    /// The link in a notification that ends the follow it came from
    /// (also its one-click List-Unsubscribe target).
    pub fn unfollow(&self, follow: i64) -> String {
        let token = self.signer.sign(Purpose::Unfollow, follow, None);
        self.absolute(&format!("/comments/follow/{token}/unsubscribe"))
    }

    pub fn check_unfollow(&self, token: &str) -> Result<i64, LinkError> {
        self.signer.verify(Purpose::Unfollow, token, 0)
    }

    /// The link that stops every comment notification to an address.
    pub fn unfollow_all(&self, follower: i64) -> String {
        let token = self.signer.sign(Purpose::UnfollowAll, follower, None);
        self.absolute(&format!("/comments/follow/all/{token}"))
    }

    pub fn check_unfollow_all(&self, token: &str) -> Result<i64, LinkError> {
        self.signer.verify(Purpose::UnfollowAll, token, 0)
    }

    /// A mailto: for mail clients that unsubscribe by sending mail; the
    /// subject names the subscription. Whatever receives that mailbox posts
    /// it to `/api/v1/mail/events` as an `unsubscribe` event.
    pub fn unsubscribe_mailto(&self, subscriber: i64) -> String {
        let subject = format!("unsubscribe {}", self.manage_token(subscriber));
        format!(
            "mailto:unsubscribe@{}?subject={}",
            self.host,
            utf8_percent_encode(&subject, NON_ALPHANUMERIC)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_are_bound_to_their_use() {
        let links = Links::new(
            &url::Url::parse("https://news.example/").unwrap(),
            b"secret",
        );
        let now = Utc::now();
        let confirm = links.confirm(41, now);
        let token = confirm.rsplit('/').next().unwrap();
        assert_eq!(links.check_confirm(token, now), Ok(41));
        assert_eq!(
            links.check_confirm(token, now + CONFIRM_VALID),
            Err(LinkError::Expired)
        );
        assert!(
            links.check_manage(token).is_err(),
            "a confirmation link cannot manage"
        );
        let manage = links.manage_token(41);
        assert_eq!(links.check_manage(&manage), Ok(41));
        assert!(
            links
                .unsubscribe(41)
                .starts_with("https://news.example/newsletter/41.0.")
        );
        assert!(
            links
                .unsubscribe_mailto(41)
                .starts_with("mailto:unsubscribe@news.example?subject=unsubscribe%2041%2E0%2E")
        );
        assert_eq!(
            Links::new(&url::Url::parse("http://127.0.0.1:8080").unwrap(), b"k").host(),
            "127.0.0.1"
        );
        assert_eq!(
            Links::new(&url::Url::parse("http://localhost:8080").unwrap(), b"k").host(),
            "localhost.localdomain"
        );
    }
}
