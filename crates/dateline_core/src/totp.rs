//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1,
//! 30-second steps, 6 digits): what authenticator apps show. Pure: the caller
//! gives the time and remembers which step was last accepted.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds a code stands for.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// The time step `unix_seconds` falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The HOTP value of `secret` at `counter`, `digits` long (RFC 4226 §5.3).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let code = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    code % 10u32.pow(digits)
}

/// The code an app shows at `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let value = hotp(secret, u64::try_from(step).unwrap_or(0), DIGITS);
    format!("{value:0width$}", width = DIGITS as usize)
}

/// The step whose code `code` is, within one step either side of `now`'s
/// (clocks drift, and people type slowly), and later than `last_used` (a
/// code works once). Spaces in what was typed are ignored.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now_seconds: i64,
    last_used: Option<i64>,
) -> Option<i64> {
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(now_seconds);
    (now - 1..=now + 1)
        .filter(|s| last_used.is_none_or(|l| *s > l))
        .find(|s| same(code_at(secret, *s).as_bytes(), typed.as_bytes()))
}

/// Compares in time that does not depend on where the codes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `otpauth://` URI apps read from a QR code (Key Uri Format).
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            let step = u64::try_from(step_at(time)).unwrap();
            assert_eq!(hotp(secret, step, 8), expected, "at {time}");
        }
    }

    /// RFC 4226 appendix D.
    #[test]
    fn rfc_4226_test_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, value) in expected.iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64, 6), *value);
        }
    }

    #[test]
    fn accepts_one_step_either_side_and_each_step_once() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let step = step_at(now);
        let code = code_at(secret, step);
        assert_eq!(matching_step(secret, &code, now, None), Some(step));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(secret, &spaced, now, None), Some(step));
        assert_eq!(matching_step(secret, &code, now, Some(step)), None, "used");
        let before = code_at(secret, step - 1);
        let after = code_at(secret, step + 1);
        assert_eq!(matching_step(secret, &before, now, None), Some(step - 1));
        assert_eq!(matching_step(secret, &after, now, None), Some(step + 1));
        let far = code_at(secret, step - 2);
        assert_eq!(matching_step(secret, &far, now, None), None, "too old");
        assert_eq!(matching_step(secret, "12345", now, None), None);
        assert_eq!(matching_step(secret, "abcdef", now, None), None);
    }

    #[test]
    fn uri_names_the_site_and_account() {
        let uri = otpauth_uri("The Ledger", "rana@example.org", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/The%20Ledger:rana%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=The%20Ledger&algorithm=SHA1&digits=6&period=30"
        );
    }
}
