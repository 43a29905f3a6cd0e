//! Comments: what a reader may write, where a comment stands in moderation,
//! the rules that hold one for review, and the site's comment settings.
//!
//! Pure: the storage and web crates ask these functions, they decide nothing
//! themselves.

use crate::newsletter::normalize_email;
use crate::validation::{ValidationErrors, stray_control, stray_control_message};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a comment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    /// Held for a moderator; shown only to its writer.
    Pending,
    Approved,
    Spam,
    Trash,
}

impl CommentStatus {
    pub const ALL: [CommentStatus; 4] = [
        CommentStatus::Pending,
        CommentStatus::Approved,
        CommentStatus::Spam,
        CommentStatus::Trash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Pending => "pending",
            CommentStatus::Approved => "approved",
            CommentStatus::Spam => "spam",
            CommentStatus::Trash => "trash",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

impl fmt::Display for CommentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the comment section is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentSort {
    #[default]
    Newest,
    Oldest,
    /// Most voted: threads whose first comment has the highest score first.
    Votes,
}

impl CommentSort {
    pub const ALL: [CommentSort; 3] =
        [CommentSort::Newest, CommentSort::Oldest, CommentSort::Votes];

    pub fn as_str(self) -> &'static str {
        match self {
            CommentSort::Newest => "newest",
            CommentSort::Oldest => "oldest",
            CommentSort::Votes => "votes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CommentSort::Newest => "Newest",
            CommentSort::Oldest => "Oldest",
            CommentSort::Votes => "Most voted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// What the site's editors set about comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommentSettings {
    /// Comment sections shown and open at all.
    pub enabled: bool,
    /// Articles older than this many days take no more comments (0: never close).
    pub close_after_days: u32,
    /// Threads shown at first; the rest behind "Load more".
    pub threads_per_page: u32,
    /// Replies are indented up to this depth, and listed flat below it.
    pub max_depth: u32,
    /// Minutes in which a writer may edit or delete their comment.
    pub edit_minutes: u32,
    /// Longest comment, in characters.
    pub max_chars: u32,
    /// Hold the first comment from an address that has none approved.
    pub hold_first: bool,
    /// Hold comments with more links than this.
    pub max_links: u32,
    /// Words or addresses (one per line) that hold a comment that contains them.
    pub blocked_words: Vec<String>,
    /// Seconds a reader must take between opening the form and sending it.
    pub min_seconds: u32,
    /// Leading zero bits of the proof-of-work guests must find (0: none).
    pub proof_of_work_bits: u32,
    /// The floating bubble that invites long readers to comment.
    pub bubble: bool,
}

impl Default for CommentSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            close_after_days: 0,
            threads_per_page: 20,
            max_depth: 3,
            edit_minutes: 15,
            max_chars: 5000,
            hold_first: true,
            max_links: 2,
            blocked_words: Vec::new(),
            min_seconds: 3,
            proof_of_work_bits: 0,
            bubble: false,
        }
    }
}

impl CommentSettings {
    /// Checks limits an editor typed; every wrong field is listed.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut check = |ok: bool, field: &str, message: &str| {
            if !ok {
                errors.add(field, message);
            }
        };
        check(
            (1..=200).contains(&self.threads_per_page),
            "threads_per_page",
            "Show between 1 and 200 threads at first.",
        );
        check(
            (1..=10).contains(&self.max_depth),
            "max_depth",
            "Nest replies between 1 and 10 levels deep.",
        );
        check(
            (100..=50_000).contains(&self.max_chars),
            "max_chars",
            "Allow between 100 and 50,000 characters.",
        );
        check(
            self.edit_minutes <= 24 * 60,
            "edit_minutes",
            "The edit window can be at most a day (1440 minutes).",
        );
        check(
            self.min_seconds <= 120,
            "min_seconds",
            "Ask for at most 120 seconds before sending.",
        );
        check(
            self.proof_of_work_bits <= 24,
            "proof_of_work_bits",
            "Proof of work above 24 bits takes readers' phones too long; use 0 to 24.",
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// What a reader sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommentInput {
    pub body: String,
    pub name: String,
    pub email: String,
    pub website: String,
}

/// A comment that passed validation, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentDraft {
    pub body: String,
    pub name: String,
    /// Lower-cased.
    pub email: String,
    /// Empty, or an http(s) URL.
    pub website: String,
}

impl CommentInput {
    /// Checks every field against the site's limits; every problem is listed.
    pub fn validate(&self, settings: &CommentSettings) -> Result<CommentDraft, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let body = validate_body(&self.body, settings)
            .map_err(|message| errors.add("body", message))
            .unwrap_or_default();
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            errors.add("name", "Give a name to show with your comment.");
        } else if let Some(c) = stray_control(&name, false) {
            errors.add("name", stray_control_message("Your name", c));
        } else if name.chars().count() > 80 {
            errors.add("name", "Keep the name under 80 characters.");
        }
        let email = match normalize_email(&self.email) {
            Ok(e) => e,
            Err(message) => {
                let message = if self.email.trim().is_empty() {
                    "Give your email address; it is never shown.".to_owned()
                } else {
                    message
                };
                errors.add("email", message);
                String::new()
            }
        };
        let website = match normalize_website(&self.website) {
            Ok(w) => w,
            Err(message) => {
                errors.add("website", message);
                String::new()
            }
        };
        if errors.is_empty() {
            Ok(CommentDraft {
                body,
                name,
                email,
                website,
            })
        } else {
            Err(errors)
        }
    }
}

/// A comment's text, trimmed with its line ends made `\n`, or why it cannot
/// be one (empty, longer than the site allows, or holding a control
/// character other than tab and line end). For new comments and every edit
/// alike.
pub fn validate_body(body: &str, settings: &CommentSettings) -> Result<String, String> {
    let body = body.trim().replace("\r\n", "\n").replace('\r', "\n");
    let chars = body.chars().count();
    if body.is_empty() {
        Err("Write your comment first.".into())
    } else if let Some(c) = stray_control(&body, true) {
        Err(stray_control_message("Your comment", c))
    } else if chars > settings.max_chars as usize {
        Err(format!(
            "Comments can be up to {} characters; this one has {chars}. Shorten it, or split it into a reply.",
            settings.max_chars
        ))
    } else {
        Ok(body)
    }
}

/// A commenter's website: empty, or an http(s) URL (a bare host gets https).
fn normalize_website(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let with_scheme = if s.contains("://") {
        s.to_owned()
    } else {
        format!("https://{s}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| h.contains('.'))
                && with_scheme.len() <= 200 =>
        {
            Ok(u.to_string())
        }
        _ => Err(format!(
            "\"{s}\" is not a web address; write one such as https://example.org, or leave it empty."
        )),
    }
}

/// Counts the links a comment's Markdown makes, for the hold rule: every
/// address with a scheme the comments keep (`http:`, `https:`, `mailto:`),
/// every `www.` without one, and every email autolink (`<name@host>`).
/// Markdown lets a writer spell a link's characters as character references
/// (`https&#58;//`) or backslash escapes (`https\://`), so those are read
/// first, as the Markdown renderer reads them.
pub fn count_links(markdown: &str) -> usize {
    let text = markdown_characters(markdown).to_lowercase();
    let schemes: usize = ["http:", "https:", "mailto:"]
        .iter()
        .map(|p| text.matches(p).count())
        .sum();
    // "https://www." is one link, not two.
    let bare_www = text
        .match_indices("www.")
        .filter(|(i, _)| !text[..*i].ends_with(['/', ':']))
        .count();
    let email_autolinks = text
        .split('<')
        .skip(1)
        .filter_map(|rest| rest.split_once('>'))
        .filter(|(inside, _)| {
            inside.contains('@') && !inside.contains(':') && !inside.contains(char::is_whitespace)
        })
        .count();
    schemes + bare_www + email_autolinks
}

/// The text with backslash escapes and character references (numeric, and
/// the named ones for the characters links are made of) replaced by the
/// characters they stand for.
fn markdown_characters(markdown: &str) -> String {
    const NAMED: [(&str, char); 6] = [
        ("colon", ':'),
        ("sol", '/'),
        ("period", '.'),
        ("commat", '@'),
        ("lt", '<'),
        ("gt", '>'),
    ];
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(c) = rest.chars().next() {
        if c == '\\'
            && let Some(next) = rest[1..].chars().next().filter(char::is_ascii_punctuation)
        {
            out.push(next);
            rest = &rest[1 + next.len_utf8()..];
            continue;
        }
        if c == '&'
            && let Some((name, after)) = rest[1..].split_once(';')
            && name.len() <= 10
        {
            let decoded = if let Some(hex) = name
                .strip_prefix(['#'])
                .and_then(|n| n.strip_prefix(['x', 'X']))
            {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
            };
            if let Some(d) = decoded {
                out.push(d);
                rest = after;
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Why a comment must wait for a moderator, if it must.
pub fn hold_reason(
    draft: &CommentDraft,
    settings: &CommentSettings,
    has_approved_before: bool,
) -> Option<String> {
    if settings.hold_first && !has_approved_before {
        return Some("first comment from this address".into());
    }
    // The website field is not counted: everyone may give one.
    let links = count_links(&draft.body);
    if links > settings.max_links as usize {
        return Some(format!("{links} links"));
    }
    let haystack = format!(
        "{}\n{}\n{}\n{}",
        draft.body, draft.name, draft.email, draft.website
    )
    .to_lowercase();
    settings
        .blocked_words
        .iter()
        .map(|w| w.trim().to_lowercase())
        .find(|w| !w.is_empty() && haystack.contains(w.as_str()))
        .map(|w| format!("contains \"{w}\""))
}

/// Two letters for a generated avatar: the initials of the first and last
/// words of a name ("Rana Haddad" → "RH"), or its first letter.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_alphanumeric))
        .collect();
    let first = |w: &str| {
        w.chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
    };
    match words.as_slice() {
        [] => "?".into(),
        [one] => first(one).unwrap_or_default(),
        [a, .., b] => format!(
            "{}{}",
            first(a).unwrap_or_default(),
            first(b).unwrap_or_default()
        ),
    }
}

/// A hue (0–359) for a name's avatar, the same on every page.
pub fn avatar_hue(name: &str) -> u32 {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.trim().to_lowercase().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % 360
}

/// Checks a proof of work: SHA-256 of `challenge:nonce` must start with
/// `bits` zero bits.
pub fn proof_of_work_ok(challenge: &str, nonce: &str, bits: u32) -> bool {
    use sha2::{Digest, Sha256};
    if bits == 0 {
        return true;
    }
    if nonce.is_empty() || nonce.len() > 32 {
        return false;
    }
    let digest = Sha256::digest(format!("{challenge}:{nonce}").as_bytes());
    let mut remaining = bits;
    for byte in digest {
        if remaining >= 8 {
            if byte != 0 {
                return false;
            }
            remaining -= 8;
        } else {
            return remaining == 0 || byte.leading_zeros() >= remaining;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(body: &str) -> CommentInput {
        CommentInput {
            body: body.into(),
            name: "  Layla   Nasser ".into(),
            email: "Layla@Example.org".into(),
            website: String::new(),
        }
    }

    #[test]
    fn validates_and_normalises() {
        let d = input("Thank you for the translation.")
            .validate(&CommentSettings::default())
            .unwrap();
        assert_eq!(d.name, "Layla Nasser");
        assert_eq!(d.email, "layla@example.org");
        let e = CommentInput::default()
            .validate(&CommentSettings::default())
            .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["body", "name", "email"]);
        let long = input(&"a".repeat(5001))
            .validate(&CommentSettings::default())
            .unwrap_err();
        assert!(long.0[0].message.contains("5001"));
    }

    /// Found by the `comment_input` fuzz target: "\r\r\n" came out as
    /// "\r\n", and a lone "\r" stayed, though every line end is "\n".
    #[test]
    fn every_line_end_becomes_a_newline() {
        let settings = CommentSettings::default();
        assert_eq!(
            validate_body("a\r\r\nb\rc\r\nd", &settings).unwrap(),
            "a\n\nb\nc\nd"
        );
    }

    #[test]
    fn control_characters_are_refused_with_a_reason() {
        let s = CommentSettings::default();
        let mut i = input("Fine text,\r\nover two lines\twith a tab.");
        i.name = "Layla\u{1}\u{8} Nasser".into();
        let e = i.validate(&s).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert_eq!(e.0[0].field, "name");
        assert!(e.0[0].message.contains("U+0001"), "{e}");
        let e = input("Hidden\u{1b}[2J escape").validate(&s).unwrap_err();
        assert_eq!(e.0[0].field, "body");
        assert!(e.0[0].message.contains("U+001B"), "{e}");
        let d = input("Old\rMac line ends\r\nand new.")
            .validate(&s)
            .unwrap();
        assert_eq!(d.body, "Old\nMac line ends\nand new.");
        let mut tabbed = input("Fine.");
        tabbed.name = "Layla\tNasser\n".into();
        assert_eq!(tabbed.validate(&s).unwrap().name, "Layla Nasser");
    }

    #[test]
    fn websites_are_web_addresses() {
        assert_eq!(
            normalize_website("example.org").unwrap(),
            "https://example.org/"
        );
        assert!(normalize_website("javascript:alert(1)").is_err());
        assert!(normalize_website("ftp://example.org").is_err());
        assert_eq!(normalize_website(" ").unwrap(), "");
    }

    #[test]
    fn holds_by_the_rules() {
        let mut s = CommentSettings {
            hold_first: false,
            blocked_words: vec!["casino".into()],
            ..Default::default()
        };
        let d = input("Plain words.").validate(&s).unwrap();
        assert_eq!(hold_reason(&d, &s, false), None);
        s.hold_first = true;
        assert!(hold_reason(&d, &s, false).is_some());
        assert_eq!(hold_reason(&d, &s, true), None);
        let links = input("see https://a.example https://www.b.example www.c.example")
            .validate(&s)
            .unwrap();
        assert_eq!(count_links(&links.body), 3);
        assert_eq!(hold_reason(&links, &s, true).unwrap(), "3 links");
        let spam = input("Best CASINO here").validate(&s).unwrap();
        assert_eq!(hold_reason(&spam, &s, true).unwrap(), "contains \"casino\"");
    }

    /// Found by the `comment_input` fuzz target: links the rendered comment
    /// shows but the hold rule did not count.
    #[test]
    fn every_link_the_page_shows_is_counted() {
        for (markdown, links) in [
            ("[a](https&#58;//x.example)", 1),
            ("[a](https&#x3A;&#x2F;/x.example)", 1),
            ("[a](https&colon;//x.example)", 1),
            ("[a](https\\://x.example)", 1),
            ("[a](https:x.example)", 1),
            ("[a](mailto:z@example.org) <z@example.org>", 2),
            ("see https://www.b.example and www.c.example", 2),
            ("5 &lt; 6 and a@b", 0),
        ] {
            assert_eq!(count_links(markdown), links, "{markdown}");
        }
    }

    #[test]
    fn initials_and_hues() {
        assert_eq!(initials("Rana Haddad"), "RH");
        assert_eq!(initials("Rana al Haddad"), "RH");
        assert_eq!(initials("مريم"), "م");
        assert_eq!(initials("  "), "?");
        assert_eq!(avatar_hue("Rana"), avatar_hue(" rana "));
        assert!(avatar_hue("x") < 360);
    }

    #[test]
    fn proof_of_work() {
        let nonce = (0..100_000)
            .map(|n| n.to_string())
            .find(|n| proof_of_work_ok("c", n, 8))
            .unwrap();
        assert!(proof_of_work_ok("c", &nonce, 8));
        assert!(!proof_of_work_ok("c", "not-searched-for", 32));
        assert!(proof_of_work_ok("c", "", 0));
        assert!(!proof_of_work_ok("c", "", 4));
    }
}
