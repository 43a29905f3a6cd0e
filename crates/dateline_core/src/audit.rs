//! Who did something in the newsroom, as the audit log records it: a
//! signed-in user, an API token, the command line, the server itself, or a
//! visitor who is not signed in (a failed sign-in).
//!
//! Storage functions that change who can do what, or what the public sees,
//! take a `Who` and write it into the log in the same transaction as the
//! change; nothing here decides what anyone may do (that is `auth`).

use crate::UserId;
use serde::Serialize;

/// Through what an action came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Via {
    /// A newsroom session (the admin pages).
    Session,
    /// The admin API, with this token.
    Token(i64),
    /// `dateline …` on the server.
    Cli,
    /// The server on its own (a scheduled article going out).
    System,
    /// Somebody not signed in (signing in, asking for a reset link).
    Visitor,
}

impl Via {
    /// How the log stores it.
    pub fn kind(self) -> &'static str {
        match self {
            Via::Session => "user",
            Via::Token(_) => "token",
            Via::Cli => "cli",
            Via::System => "system",
            Via::Visitor => "visitor",
        }
    }
}

/// The actor of an audited change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Who {
    /// The account acting, if any.
    pub user: Option<UserId>,
    /// Its name as it was then (kept when the account is gone).
    pub name: String,
    pub via: Via,
    /// The client's address as the site's keyed hash; empty on the CLI.
    pub client: String,
}

impl Who {
    /// A newsroom user, through a session or a token.
    pub fn user(user: UserId, name: &str, via: Via, client: &str) -> Self {
        Self {
            user: Some(user),
            name: name.to_owned(),
            via,
            client: client.to_owned(),
        }
    }

    /// An operator at the command line; `name` is the system account, if
    /// known.
    pub fn cli(name: &str) -> Self {
        Self {
            user: None,
            name: if name.is_empty() {
                "command line".to_owned()
            } else {
                format!("command line ({name})")
            },
            via: Via::Cli,
            client: String::new(),
        }
    }

    /// The server acting on its own.
    pub fn system() -> Self {
        Self {
            user: None,
            name: "Dateline".to_owned(),
            via: Via::System,
            client: String::new(),
        }
    }

    /// Someone not signed in, known only by their address's keyed hash.
    pub fn visitor(client: &str) -> Self {
        Self {
            user: None,
            name: "visitor".to_owned(),
            via: Via::Visitor,
            client: client.to_owned(),
        }
    }

    /// The token, when the action came through the admin API.
    pub fn token(&self) -> Option<i64> {
        match self.via {
            Via::Token(id) => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_say_what_they_are() {
        assert_eq!(Who::cli("").name, "command line");
        assert_eq!(Who::cli("ops").name, "command line (ops)");
        let t = Who::user(UserId(3), "Rana", Via::Token(9), "h");
        assert_eq!((t.via.kind(), t.token()), ("token", Some(9)));
        assert_eq!(Who::visitor("h").via.kind(), "visitor");
        assert_eq!(Who::system().token(), None);
    }
}
