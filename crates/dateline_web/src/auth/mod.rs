//! Who is asking: newsroom sessions (cookie), API tokens (bearer), CSRF
//! tokens on every state-changing form, login rate limits, passwords.
//!
//! Secrets are random 256-bit values; only their SHA-256 reaches the
//! database. Passwords are argon2id. Nothing here decides what a user may do:
//! that is `dateline_core::auth`.

mod client_ip;
mod csrf;
pub mod hashing;
mod limits;
pub mod passwords;
pub mod secrets;
mod session;

pub use client_ip::{TrustedProxies, client_ip, ip_prefix};
pub use csrf::{AdminForm, AdminMultipart, AnonForm, CSRF_COOKIE, ReaderForm, Upload, anon_csrf};
pub use limits::LoginLimiter;
pub use session::{ApiClient, SESSION_COOKIE, SESSION_TTL, SignedIn, cookie_value, session_cookie};
