//! Passwords: argon2id hashes, a policy people can follow, and generated
//! passwords for accounts made without one.
//!
//! The server hashes and checks passwords only through
//! `auth::hashing::Hashing`, which bounds how many argon2id runs go at once;
//! only the command line (one at a time by nature) calls [`hash`] directly.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 1000;

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes),
/// without waiting for a turn: for the command line. The server uses
/// [`Hashing::hash`].
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

pub(crate) fn hash_now(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// A real hash to check against when the account does not exist, so that
/// answering "no such user" takes as long as "wrong password".
static DECOY: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"decoy password for timing")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Whether `password` matches `stored` (with none, spends the same time and
/// says no), on the calling thread.
pub(crate) fn verify_now(password: &str, stored: Option<String>) -> bool {
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
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_now("correct horse battery", Some(h.clone())));
        assert!(!verify_now("wrong horse battery", Some(h)));
        assert!(!verify_now("anything at all", None));
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
