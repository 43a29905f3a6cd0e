//! Two-factor sign-in (TOTP, RFC 6238), whichever door it comes through:
//! setting it up from one's account (a secret shown as a QR code, an
//! `otpauth://` URI and base32 text, on only once a first code confirms
//! it), ten single-use recovery codes, turning it off (password and code),
//! an admin's reset of someone else's, and the rule that admins must have it
//! when the site says so.
//!
//! Secrets and recovery codes are shown once and never logged; recovery
//! codes are stored as SHA-256 (each is 80 random bits).

use crate::auth::SignedIn;
use crate::auth::secrets::hash_secret;
use crate::error::AppError;
use crate::newsroom::require;
use crate::state::AppState;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use dateline_core::audit::Who;
use dateline_core::{Actor, Capability, Role, UserId, totp};
use dateline_db::accounts::{self, User};
use dateline_db::two_factor as store;

/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;
/// Where an account sets it up.
pub const SETUP_PATH: &str = "/admin/account/two-factor";

/// What the set-up page shows: the same secret until it is confirmed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Setup {
    /// Base32, in groups of four for typing.
    pub secret: String,
    pub uri: String,
    /// The URI as a QR code, an SVG element (made here, from our own URI).
    pub qr_svg: String,
}

fn new_secret_base32() -> String {
    let mut bytes = [0u8; totp::SECRET_BYTES];
    // As for session secrets: a panic beats a guessable secret.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    BASE32_NOPAD.encode(&bytes)
}

fn secret_bytes(base32: &str) -> Result<Vec<u8>, AppError> {
    BASE32_NOPAD
        .decode(base32.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a stored TOTP secret is not base32: {e}")))
}

fn qr_svg(uri: &str) -> Result<String, AppError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot make a QR code: {e}")))?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // An element inside the page, not a document of its own.
    let element = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
    Ok(element.replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\"",
        1,
    ))
}

/// The set-up of `user`'s two-factor sign-in, starting one if none is
/// under way.
pub async fn setup(state: &AppState, user: &User) -> Result<Setup, AppError> {
    let secret = match store::pending_secret(&state.db, user.id).await? {
        Some(s) => s,
        None => {
            let s = new_secret_base32();
            store::set_pending_secret(&state.db, user.id, &s).await?;
            s
        }
    };
    let site = crate::handlers::site(state).await?;
    let uri = totp::otpauth_uri(&site.settings.title, &user.email, &secret);
    let grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Setup {
        secret: grouped,
        qr_svg: qr_svg(&uri)?,
        uri,
    })
}

/// Ten new recovery codes, as shown (`xxxx-xxxx-xxxx-xxxx`), and their
/// hashes, as stored.
fn recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut shown = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 16];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut bytes).expect("the operating system's random generator works");
        // 32 divides 256: every character equally likely, 5 bits each.
        let chars: Vec<u8> = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(b % 32)])
            .collect();
        let groups: Vec<String> = chars
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        shown.push(groups.join("-"));
    }
    let hashes = shown.iter().map(|c| hash_recovery_code(c)).collect();
    (shown, hashes)
}

/// What a recovery code is stored as: typed with or without dashes and
/// spaces, in either case.
fn hash_recovery_code(typed: &str) -> String {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hash_secret(&format!("recovery:{normal}"))
}

fn invalid_code() -> AppError {
    let mut errors = dateline_core::ValidationErrors::new();
    errors.add(
        "code",
        "That code is not right (or was used already). Type the six digits your app shows now.",
    );
    AppError::Invalid(errors)
}

/// Confirms the set-up with a first code: two-factor sign-in is on, and the
/// recovery codes (shown this once) are returned.
pub async fn confirm(
    state: &AppState,
    who: &SignedIn,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let now = Utc::now();
    let secret = store::pending_secret(&state.db, who.user.id)
        .await?
        .ok_or_else(|| AppError::Conflict {
            field: "code".into(),
            message: "Open the set-up page again: there is no set-up under way.".into(),
        })?;
    let step = totp::matching_step(&secret_bytes(&secret)?, code, now.timestamp(), None)
        .ok_or_else(invalid_code)?;
    let (shown, hashes) = recovery_codes();
    if !store::enable(
        &state.db,
        who.user.id,
        &secret,
        step,
        &hashes,
        now,
        &who.actor.who,
    )
    .await?
    {
        return Err(AppError::Conflict {
            field: "code".into(),
            message: "The set-up was started again elsewhere; scan the new code and try again."
                .into(),
        });
    }
    Ok(shown)
}

/// Checks a code for `user` at sign-in or before a change: an app's code
/// (each time step once) or an unused recovery code (used up). Says which
/// it was, or `None`.
pub async fn check_code(
    state: &AppState,
    user: &User,
    code: &str,
    now: DateTime<Utc>,
    who: &Who,
) -> Result<Option<&'static str>, AppError> {
    let Some(secret) = &user.totp_secret else {
        return Ok(None);
    };
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == totp::DIGITS as usize {
        let Some(step) = totp::matching_step(
            &secret_bytes(secret)?,
            &digits,
            now.timestamp(),
            user.totp_last_step,
        ) else {
            return Ok(None);
        };
        // Of two requests with the same code, one wins.
        return Ok(store::use_step(&state.db, user.id, step)
            .await?
            .then_some("password and code"));
    }
    let used =
        store::use_recovery_code(&state.db, user, &hash_recovery_code(code), now, who).await?;
    Ok(used.then_some("password and recovery code"))
}

/// Turns one's own two-factor sign-in off: needs the password and a code.
pub async fn disable(
    state: &AppState,
    who: &SignedIn,
    password: &str,
    code: &str,
) -> Result<(), AppError> {
    let now = Utc::now();
    let user = fresh(state, who.user.id).await?;
    let password_ok = crate::newsroom::sign_in::recheck_password(state, &user, password).await?;
    if !password_ok {
        let mut errors = dateline_core::ValidationErrors::new();
        errors.add("password", "Your password is not right.");
        return Err(AppError::Invalid(errors));
    }
    if check_code(state, &user, code, now, &who.actor.who)
        .await?
        .is_none()
    {
        return Err(invalid_code());
    }
    store::disable(&state.db, user.id, now, &who.actor.who).await?;
    Ok(())
}

/// New recovery codes for oneself (the old ones stop working); needs a code.
pub async fn new_recovery_codes(
    state: &AppState,
    who: &SignedIn,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let now = Utc::now();
    let user = fresh(state, who.user.id).await?;
    if check_code(state, &user, code, now, &who.actor.who)
        .await?
        .is_none()
    {
        return Err(invalid_code());
    }
    let (shown, hashes) = recovery_codes();
    store::replace_recovery_codes(&state.db, &user, &hashes, now, &who.actor.who).await?;
    Ok(shown)
}

/// An admin turns someone else's two-factor sign-in off (a lost phone); the
/// person sets it up again. Audited.
pub async fn reset(state: &AppState, actor: &Actor, user: UserId) -> Result<bool, AppError> {
    require(actor, Capability::ManageUsers)?;
    Ok(store::disable(&state.db, user, Utc::now(), &actor.who).await?)
}

async fn fresh(state: &AppState, id: UserId) -> Result<User, AppError> {
    accounts::user(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("Your account is gone.".into()))
}

/// Sends an admin without two-factor sign-in to set it up, before anything
/// else, when the site requires it of admins. Signing out and the set-up
/// itself stay open.
pub async fn required_first(
    state: &AppState,
    who: &SignedIn,
    parts: &Parts,
) -> Result<(), Response> {
    if who.user.role != Role::Admin || who.user.two_factor() {
        return Ok(());
    }
    let path = parts.uri.path();
    if path.starts_with(SETUP_PATH) || path == "/admin/logout" {
        return Ok(());
    }
    let site = crate::handlers::site(state)
        .await
        .map_err(IntoResponse::into_response)?;
    if !site.settings.require_admin_two_factor {
        return Ok(());
    }
    Err(Redirect::to(&format!("{SETUP_PATH}?notice=two-factor-required")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_long_distinct_and_forgiving_to_type() {
        let (shown, hashes) = recovery_codes();
        assert_eq!(shown.len(), RECOVERY_CODES);
        assert_eq!(shown[0].len(), 19);
        assert_ne!(shown[0], shown[1]);
        assert_eq!(
            hashes[0],
            hash_recovery_code(&shown[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(hashes[0], hashes[1]);
    }

    #[test]
    fn the_qr_code_is_an_svg_element() {
        let svg = qr_svg("otpauth://totp/Site:a%40b.example?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
        assert!(!svg.contains("<?xml"));
    }
}
