//! What a site archive holds, table by table: every table of the schema is
//! named here once, with what it is to an archive. A test checks the list
//! against the schema, so a migration that adds a table cannot leave it out
//! of exports by accident.

/// What a table is to an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The site itself: always exported.
    Data,
    /// Credentials (password resets, API tokens, sessions, recovery codes,
    /// proofs of address made with the site's key): only with secrets.
    Secret,
    /// Rebuilt from other tables after a load (the search index).
    Derived,
    /// Short-lived counters of limits: never exported, start empty.
    Ephemeral,
}

/// One table of the schema.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub class: Class,
    /// How rows are listed: the primary key, so an archive reads the same
    /// twice; parents before children where a table refers to itself.
    pub(crate) order: &'static str,
}

const fn table(name: &'static str, class: Class, order: &'static str) -> Table {
    Table { name, class, order }
}

/// Every table, in an order in which each row's references are already
/// loaded (the order of loading; deleting goes the other way).
pub const TABLES: &[Table] = &[
    table("settings", Class::Data, "key"),
    table("site_state", Class::Data, "key"),
    table("authors", Class::Data, "id"),
    table("sections", Class::Data, "id"),
    table("tags", Class::Data, "id"),
    table("users", Class::Data, "id"),
    table("articles", Class::Data, "id"),
    table("article_bodies", Class::Data, "article_id"),
    table("article_authors", Class::Data, "article_id, author_id"),
    table("article_tags", Class::Data, "article_id, tag_id"),
    table("article_translators", Class::Data, "article_id, position"),
    table("article_revisions", Class::Data, "id"),
    table("slug_redirects", Class::Data, "old_slug"),
    table("article_passages", Class::Data, "article_id, anchor"),
    table("search_docs", Class::Derived, "article_id"),
    table("search_terms", Class::Derived, "article_id"),
    table("sessions", Class::Secret, "token_hash"),
    table("password_resets", Class::Secret, "token_hash"),
    table("api_tokens", Class::Secret, "id"),
    table("recovery_codes", Class::Secret, "id"),
    table("sign_in_challenges", Class::Secret, "token_hash"),
    table("media", Class::Data, "id"),
    table("subscribers", Class::Data, "id"),
    table("newsletter_sends", Class::Data, "id"),
    table("comments", Class::Data, "depth, id"),
    table("comment_votes", Class::Data, "comment_id, voter"),
    table("comment_events", Class::Data, "id"),
    table("comment_bans", Class::Data, "id"),
    table("comment_mail_limits", Class::Ephemeral, "email, purpose"),
    table("comment_followers", Class::Data, "id"),
    table("comment_follows", Class::Data, "id"),
    table("proven_addresses", Class::Secret, "owner_hash, email"),
    table("mail_messages", Class::Data, "id"),
    table("mail_suppressions", Class::Data, "email"),
    table("mail_events", Class::Data, "id"),
    table("attempt_counts", Class::Ephemeral, "scope, key"),
    table("audit_log", Class::Data, "id"),
    table("imported_items", Class::Data, "source, kind, source_id"),
    table("legacy_paths", Class::Data, "path"),
    table("mentions", Class::Data, "id"),
];

/// The tables an archive holds, with or without secrets.
pub fn archived(secrets: bool) -> impl Iterator<Item = &'static Table> {
    TABLES.iter().filter(move |t| match t.class {
        Class::Data => true,
        Class::Secret => secrets,
        Class::Derived | Class::Ephemeral => false,
    })
}

pub fn find(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// The value an account's password hash takes in an archive without
/// secrets: no password matches it, so the person sets a new one by mail.
pub const NO_PASSWORD: &str = "!set-a-new-password";

/// What an archive without secrets leaves out of a row, by table: `None`
/// keeps the row as it is, `Some(false)` leaves the whole row out.
///
/// The site's signing key stays home (links it signed stop working, so the
/// archive cannot be used to act on the old site's readers); accounts lose
/// their password and two-factor secrets; mail that carries its rendered
/// links (confirmations, resets, notifications) keeps its record but not its
/// content, and mail still waiting is cancelled rather than sent without it.
pub(crate) fn redact(table: &str, columns: &[String], row: &mut [serde_json::Value]) -> bool {
    use serde_json::Value;
    let at = |name: &str| columns.iter().position(|c| c == name);
    match table {
        "settings" => at("key").is_none_or(|i| row[i] != "secret_key"),
        "users" => {
            if let Some(i) = at("password_hash") {
                row[i] = Value::from(NO_PASSWORD);
            }
            for name in [
                "totp_secret",
                "totp_pending",
                "totp_enabled_at",
                "totp_last_step",
            ] {
                if let Some(i) = at(name) {
                    row[i] = Value::Null;
                }
            }
            true
        }
        "mail_messages" => {
            let rendered = at("html_body").is_some_and(|i| !row[i].is_null())
                || at("text_body").is_some_and(|i| !row[i].is_null());
            if rendered {
                for name in ["text_body", "html_body"] {
                    if let Some(i) = at(name) {
                        row[i] = Value::Null;
                    }
                }
                if let Some(i) = at("status")
                    && matches!(row[i].as_str(), Some("queued" | "sending"))
                {
                    row[i] = Value::from("cancelled");
                    if let Some(e) = at("last_error") {
                        row[e] = Value::from("left out of an export without secrets");
                    }
                }
                if let Some(i) = at("subject") {
                    row[i] = Value::from("(left out of the export)");
                }
            }
            true
        }
        _ => true,
    }
}
