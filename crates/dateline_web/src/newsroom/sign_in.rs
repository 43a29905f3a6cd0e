//! Signing in to the newsroom: a password, then (when the account has it
//! on) a code from an authenticator app or a recovery code.
//!
//! Every attempt is counted in the database before anything costly or
//! decisive happens: per client address (ten in fifteen minutes) and per
//! account (five in a row lock it for fifteen minutes), so parallel
//! requests and other processes cannot squeeze in more guesses. Password
//! checks then wait for a turn at argon2 (`auth::hashing::Hashing`). What
//! was typed is never logged or recorded; the audit log says who tried
//! which account, and whether it worked.

use crate::auth::passwords::MAX_PASSWORD_CHARS;
use crate::auth::secrets::{hash_secret, new_secret};
use crate::auth::{SESSION_TTL, ip_prefix};
use crate::error::AppError;
use crate::newsroom::two_factor;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use dateline_core::audit::Who;
use dateline_db::accounts::{self, User};
use dateline_db::audit::{self, Event};
use dateline_db::limits;
use dateline_db::sessions::{self, AccountAttempt, NewSession};
use std::net::IpAddr;

/// Sign-in attempts (passwords, codes, reset requests) one client address
/// may make in [`CLIENT_WINDOW`].
pub const CLIENT_ATTEMPTS: i64 = 10;
pub const CLIENT_WINDOW: Duration = Duration::minutes(15);
/// Attempts to sign in, per client address, in `dateline_db::limits`.
const SIGN_IN_SCOPE: &str = "sign-in";
/// How long the code step waits after a right password.
pub const CODE_STEP_VALID: Duration = Duration::minutes(10);
/// Codes one code step takes before it must start over with the password.
pub const CODE_STEP_ATTEMPTS: i64 = 5;

/// Where to go after signing in when `next` is missing or unsafe.
pub const DEFAULT_NEXT: &str = "/admin";

/// A path on this site to go to after signing in, or [`DEFAULT_NEXT`]: it
/// must start with one `/` (no `//`, no scheme, no host), hold only
/// printable ASCII (percent-encoded otherwise; no control characters, so
/// no header can be split), and no backslash (which browsers read as `/`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 2000
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => DEFAULT_NEXT.to_owned(),
    }
}

/// The one who is signing in, as far as we know before they have.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: String,
}

impl Client {
    fn who(&self, state: &AppState) -> Who {
        Who::visitor(&crate::commenting::ip_hash(state, self.ip))
    }

    fn key(&self, state: &AppState) -> String {
        crate::commenting::ip_hash(state, self.ip)
    }
}

/// Counts an attempt from the client's address, refusing (and recording,
/// once a window) past [`CLIENT_ATTEMPTS`]. `what` begins the refusal.
pub async fn count_client(
    state: &AppState,
    client: &Client,
    what: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let counted = limits::count_attempt(
        &state.db,
        SIGN_IN_SCOPE,
        &client.key(state),
        CLIENT_WINDOW,
        now,
    )
    .await?;
    if !counted.over(CLIENT_ATTEMPTS) {
        return Ok(());
    }
    if counted.attempts == CLIENT_ATTEMPTS + 1 {
        let event = Event::new(
            "sign_in.throttled",
            "client",
            None,
            format!(
                "{CLIENT_ATTEMPTS} attempts from one address in {} minutes; it waits",
                CLIENT_WINDOW.num_minutes()
            ),
        );
        audit::record(&state.db, &client.who(state), now, &event).await?;
    }
    let wait = counted.retry_after(now);
    Err(AppError::TooManyRequests {
        message: format!(
            "{what}. Wait {} minutes and try again, or reset your password.",
            wait.div_ceil(60)
        ),
        retry_after: wait,
    })
}

/// Checks a signed-in user's own password again (to change it, or to turn
/// two-factor sign-in off), counted first like a sign-in: a stolen session
/// cannot guess it faster than the sign-in form could.
pub async fn recheck_password(
    state: &AppState,
    user: &User,
    password: &str,
) -> Result<bool, AppError> {
    let now = Utc::now();
    if let AccountAttempt::Locked(until) =
        sessions::count_account_attempt(&state.db, user.id, now).await?
    {
        let wait = u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1);
        return Err(AppError::TooManyRequests {
            message: format!(
                "Too many wrong passwords for this account. Wait {} minutes and try again.",
                wait.div_ceil(60)
            ),
            retry_after: wait,
        });
    }
    let password: String = password.chars().take(MAX_PASSWORD_CHARS + 1).collect();
    let right = state
        .hashing
        .verify(password, Some(user.password_hash.clone()))
        .await?;
    if right {
        sessions::clear_account_attempts(&state.db, user.id).await?;
    }
    Ok(right)
}

/// What the password step came to.
#[derive(Debug)]
pub enum PasswordStep {
    /// Signed in: the session cookie's value.
    SignedIn { session: String },
    /// The password was right; the code step's cookie value.
    NeedsCode { step: String },
    /// No account that can sign in matches (or it is locked): one answer
    /// for every case, so nobody learns which accounts exist.
    Refused,
}

/// What a client over its limit of sign-in attempts is told.
const TOO_MANY_FROM_NETWORK: &str = "Too many failed sign-ins from your network";

/// Checks an address and password, counted first.
pub async fn password_step(
    state: &AppState,
    client: &Client,
    email: &str,
    password: &str,
    next: &str,
) -> Result<PasswordStep, AppError> {
    let now = Utc::now();
    count_client(state, client, TOO_MANY_FROM_NETWORK, now).await?;
    let password: String = password.chars().take(MAX_PASSWORD_CHARS + 1).collect();
    let user = accounts::user_by_email(&state.db, email).await?;
    let who = client.who(state);
    let Some(user) = user.filter(|u| !u.disabled) else {
        // Spend a check's time all the same: no hint of who has an account.
        state.hashing.verify(password, None).await?;
        sessions::record_failure(&state.db, None, "no such account", false, now, &who).await?;
        return Ok(PasswordStep::Refused);
    };
    let last = match sessions::count_account_attempt(&state.db, user.id, now).await? {
        AccountAttempt::Counted { last } => last,
        AccountAttempt::Locked(_) => {
            sessions::record_failure(&state.db, Some(&user), "account locked", false, now, &who)
                .await?;
            return Ok(PasswordStep::Refused);
        }
    };
    let right = state
        .hashing
        .verify(password, Some(user.password_hash.clone()))
        .await?;
    if !right {
        sessions::record_failure(&state.db, Some(&user), "wrong password", last, now, &who).await?;
        return Ok(PasswordStep::Refused);
    }
    if user.two_factor() {
        let step = new_secret();
        sessions::create_challenge(
            &state.db,
            &hash_secret(&step),
            user.id,
            next,
            now,
            CODE_STEP_VALID,
        )
        .await?;
        return Ok(PasswordStep::NeedsCode { step });
    }
    let session = open_session(state, client, &user, None, "password", now).await?;
    Ok(PasswordStep::SignedIn { session })
}

/// What the code step came to.
#[derive(Debug)]
pub enum CodeStep {
    /// Signed in: the session cookie's value, and where to go.
    SignedIn { session: String, next: String },
    /// Wrong (or already used) code; the step may be tried again.
    Wrong,
    /// The step expired, was used up, or its account locked: start over.
    Over,
}

/// Checks the second step's code (an app's six digits or a recovery code),
/// counted first: against the client's address, the step's own limit, and
/// the account's.
pub async fn code_step(
    state: &AppState,
    client: &Client,
    step: &str,
    code: &str,
) -> Result<CodeStep, AppError> {
    let now = Utc::now();
    count_client(state, client, TOO_MANY_FROM_NETWORK, now).await?;
    let step_hash = hash_secret(step);
    let Some(challenge) =
        sessions::count_challenge_attempt(&state.db, &step_hash, CODE_STEP_ATTEMPTS, now).await?
    else {
        return Ok(CodeStep::Over);
    };
    let who = client.who(state);
    let Some(user) = accounts::user(&state.db, challenge.user)
        .await?
        .filter(|u| !u.disabled && u.two_factor())
    else {
        return Ok(CodeStep::Over);
    };
    let last = match sessions::count_account_attempt(&state.db, user.id, now).await? {
        AccountAttempt::Counted { last } => last,
        AccountAttempt::Locked(_) => {
            sessions::record_failure(&state.db, Some(&user), "account locked", false, now, &who)
                .await?;
            return Ok(CodeStep::Over);
        }
    };
    let Some(how) = two_factor::check_code(state, &user, code, now, &who).await? else {
        sessions::record_failure(&state.db, Some(&user), "wrong code", last, now, &who).await?;
        return Ok(if last {
            CodeStep::Over
        } else {
            CodeStep::Wrong
        });
    };
    let session = open_session(state, client, &user, Some(&step_hash), how, now).await?;
    Ok(CodeStep::SignedIn {
        session,
        next: safe_next(Some(&challenge.next)),
    })
}

/// Makes the session of a user who passed every step; returns its cookie
/// value. The client's attempts are forgotten.
async fn open_session(
    state: &AppState,
    client: &Client,
    user: &User,
    step: Option<&str>,
    how: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let token = new_secret();
    let token_hash = hash_secret(&token);
    let csrf = new_secret();
    let prefix = ip_prefix(client.ip);
    let session = NewSession {
        token_hash: &token_hash,
        user: user.id,
        csrf_token: &csrf,
        expires_at: now + SESSION_TTL,
        user_agent: &client.user_agent,
        ip_prefix: &prefix,
    };
    sessions::sign_in(&state.db, &session, step, how, now, &client.who(state)).await?;
    limits::forget(&state.db, SIGN_IN_SCOPE, &client.key(state)).await?;
    tracing::info!(user = %user.id, how, "signed in");
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_path_on_this_site_or_the_newsroom() {
        for good in [
            "/admin/articles?status=draft",
            "/admin",
            "/some-report",
            "/a%0Db",
        ] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/admin\r\nSet-Cookie: x=1",
            "/admin\n",
            "/\\evil.example",
            "/admin/ü",
            "/admin with space",
            "admin",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_NEXT, "{bad:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }
}
