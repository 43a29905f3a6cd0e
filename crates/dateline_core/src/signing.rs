//! Signed links: a number (a subscriber's id) with an optional expiry, and an
//! HMAC-SHA256 over both and the link's purpose, so a link made to confirm
//! one address cannot confirm another, or unsubscribe anyone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a link is for; part of what is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirm a newsletter subscription (expires).
    Confirm,
    /// The preferences and unsubscribe pages of a subscriber (does not expire:
    /// every mail carries it, and unsubscribing must always work).
    Manage,
    /// A comment form: the id is when the form was made, so a comment sent
    /// sooner than a person could write one is recognised.
    CommentForm,
    /// A commenter's export and erase page: the id is one of their comments,
    /// whose address the page acts on (expires).
    CommentData,
    /// Confirm one follow of an article's comments: the id is the follow's
    /// (expires). Its label changed when it stopped naming the follower, so
    /// a link made before names nothing.
    FollowConfirm,
    /// End one follow (does not expire: every notification carries it).
    Unfollow,
    /// Stop every comment notification to an address (does not expire).
    UnfollowAll,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Confirm => "confirm",
            Purpose::Manage => "manage",
            Purpose::CommentForm => "comment-form",
            Purpose::CommentData => "comment-data",
            Purpose::FollowConfirm => "confirm-follow",
            Purpose::Unfollow => "unfollow",
            Purpose::UnfollowAll => "unfollow-all",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not one we made: it may have been cut short when copied")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

/// Signs and checks links with the site's secret key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, purpose: Purpose, id: i64, expires: i64) -> String {
        // HMAC takes keys of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(format!("{}:{id}:{expires}", purpose.label()).as_bytes());
        let bytes = mac.finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&bytes[..16])
    }

    /// A token for `id`: `ID.EXPIRES.SIGNATURE` (EXPIRES is 0 for never).
    pub fn sign(&self, purpose: Purpose, id: i64, expires: Option<i64>) -> String {
        let expires = expires.unwrap_or(0);
        format!("{id}.{expires}.{}", self.mac(purpose, id, expires))
    }

    /// A keyed hash of `value` for `label`: the same input gives the same
    /// hash on this site only, and the input cannot be read back (client
    /// addresses, voters).
    pub fn keyed_hash(&self, label: &str, value: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(label.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }

    /// The id a token was made for, if it was made by us, for this purpose,
    /// and has not expired at `now` (Unix seconds).
    pub fn verify(&self, purpose: Purpose, token: &str, now: i64) -> Result<i64, LinkError> {
        let mut parts = token.splitn(3, '.');
        let (Some(id), Some(expires), Some(sig)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Invalid);
        };
        let (Some(id), Some(expires)) = (canonical(id), canonical(expires)) else {
            return Err(LinkError::Invalid);
        };
        let expected = self.mac(purpose, id, expires);
        let same = expected.len() == sig.len()
            && expected
                .bytes()
                .zip(sig.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(LinkError::Invalid);
        }
        if expires != 0 && now >= expires {
            return Err(LinkError::Expired);
        }
        Ok(id)
    }
}

/// A number written the one way we write it: `1`, never `+1`, `01` or `-0`,
/// so a token has one spelling and can be counted or remembered by its text.
fn canonical(s: &str) -> Option<i64> {
    let n = s.parse::<i64>().ok()?;
    (n.to_string() == s).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_checks() {
        let s = Signer::new(b"a site secret");
        let t = s.sign(Purpose::Confirm, 42, Some(1000));
        assert_eq!(s.verify(Purpose::Confirm, &t, 999), Ok(42));
        assert_eq!(
            s.verify(Purpose::Confirm, &t, 1000),
            Err(LinkError::Expired)
        );
        assert_eq!(
            s.verify(Purpose::Manage, &t, 1),
            Err(LinkError::Invalid),
            "another purpose"
        );
        let forged = t.replacen("42", "43", 1);
        assert_eq!(
            s.verify(Purpose::Confirm, &forged, 1),
            Err(LinkError::Invalid),
            "another id"
        );
        assert_eq!(
            Signer::new(b"another secret").verify(Purpose::Confirm, &t, 1),
            Err(LinkError::Invalid)
        );
        let forever = s.sign(Purpose::Manage, 7, None);
        assert_eq!(s.verify(Purpose::Manage, &forever, i64::MAX - 1), Ok(7));
        assert_eq!(
            s.verify(Purpose::Manage, "garbage", 1),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            s.verify(Purpose::Manage, &forever[..forever.len() - 1], 1),
            Err(LinkError::Invalid)
        );
    }

    #[test]
    fn only_the_canonical_spelling_of_a_number_is_accepted() {
        let s = Signer::new(b"a site secret");
        let t = s.sign(Purpose::Manage, 1, None);
        assert_eq!(s.verify(Purpose::Manage, &t, 1), Ok(1));
        let sig = t.rsplit('.').next().unwrap();
        for other in [
            format!("+1.0.{sig}"),
            format!("01.0.{sig}"),
            format!("1.00.{sig}"),
            format!("1.+0.{sig}"),
            format!("1.-0.{sig}"),
            format!(" 1.0.{sig}"),
        ] {
            assert_eq!(
                s.verify(Purpose::Manage, &other, 1),
                Err(LinkError::Invalid),
                "{other}"
            );
        }
        let zero = s.sign(Purpose::Manage, 0, None);
        assert_eq!(s.verify(Purpose::Manage, &zero, 1), Ok(0));
        let minus = zero.replacen('0', "-0", 1);
        assert_eq!(
            s.verify(Purpose::Manage, &minus, 1),
            Err(LinkError::Invalid)
        );
        let negative = s.sign(Purpose::Manage, -5, Some(10));
        assert_eq!(s.verify(Purpose::Manage, &negative, 1), Ok(-5));
    }
}
