//! Field-level validation errors: what a form shows beside each field, and what
//! the command line prints for a broken front matter.

use serde::Serialize;
use std::fmt;

/// One problem with one field, in words a person understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one input, collected so that all are shown at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for one field, if it has one.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(value)` when nothing was collected, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// The first character in `text` that nobody types on purpose and that
/// breaks what it is written into (XML 1.0 forbids most of them): C0 and C1
/// control characters, DEL, and the non-characters U+FFFE and U+FFFF. Tab and
/// line feed are allowed where `line_breaks` says text has lines.
pub fn stray_control(text: &str, line_breaks: bool) -> Option<char> {
    text.chars().find(|&c| {
        let allowed_break = line_breaks && matches!(c, '\t' | '\n');
        (c.is_control() && !allowed_break) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    })
}

/// How a form names a stray control character: people cannot see it, so
/// the message says what it is and where it usually comes from.
pub fn stray_control_message(what: &str, c: char) -> String {
    format!(
        "{what} holds an invisible control character (U+{:04X}), usually pasted by accident from another program. Delete it, or type that part again, and send.",
        u32::from(c)
    )
}

/// Adds an error on `field` when `text` holds a stray control character
/// (see [`stray_control`]); `what` names the text in the message.
pub fn refuse_stray_control(
    errors: &mut ValidationErrors,
    field: &str,
    what: &str,
    text: &str,
    line_breaks: bool,
) {
    if let Some(c) = stray_control(text, line_breaks) {
        errors.add(field, stray_control_message(what, c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_control_characters_people_did_not_mean() {
        assert_eq!(stray_control("Layla Nasser", false), None);
        assert_eq!(stray_control("ليلى", false), None);
        assert_eq!(stray_control("a\u{1}b", false), Some('\u{1}'));
        assert_eq!(stray_control("a\u{1b}[31m", true), Some('\u{1b}'));
        assert_eq!(stray_control("line\nline\ttab", true), None);
        assert_eq!(stray_control("line\nline", false), Some('\n'));
        assert_eq!(stray_control("carriage\r", true), Some('\r'));
        assert_eq!(stray_control("del\u{7f}", true), Some('\u{7f}'));
        assert_eq!(stray_control("c1\u{85}", true), Some('\u{85}'));
        assert_eq!(stray_control("\u{FFFF}", true), Some('\u{FFFF}'));
        assert!(stray_control_message("Your name", '\u{7}').contains("U+0007"));
    }
}
