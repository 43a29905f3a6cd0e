//! What changed between two versions of an article.

use dateline_core::ArticleDraft;
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffLine {
    /// "same", "ins" or "del".
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub fields: Vec<FieldChange>,
    pub body: Vec<DiffLine>,
    pub body_changed: bool,
}

fn list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// The fields that differ, and the body line by line.
pub fn diff(before: &ArticleDraft, after: &ArticleDraft) -> Diff {
    let fields: Vec<(&'static str, String, String)> = vec![
        ("Headline", before.headline.clone(), after.headline.clone()),
        ("Deck", before.deck.clone(), after.deck.clone()),
        ("Slug", before.slug.to_string(), after.slug.to_string()),
        ("Dateline", before.dateline.clone(), after.dateline.clone()),
        (
            "Status",
            before.status.to_string(),
            after.status.to_string(),
        ),
        (
            "Publication time",
            before
                .published_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            after
                .published_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ),
        (
            "Language",
            before.language.to_string(),
            after.language.to_string(),
        ),
        (
            "Authors",
            list(before.authors.iter().map(|a| a.name.clone())),
            list(after.authors.iter().map(|a| a.name.clone())),
        ),
        (
            "Section",
            before
                .section
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            after
                .section
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
        ),
        (
            "Tags",
            list(before.tags.iter().map(|t| t.name.clone())),
            list(after.tags.iter().map(|t| t.name.clone())),
        ),
        ("Excerpt", before.excerpt.clone(), after.excerpt.clone()),
        (
            "Featured image",
            before
                .featured_image
                .as_ref()
                .map(|i| i.url.clone())
                .unwrap_or_default(),
            after
                .featured_image
                .as_ref()
                .map(|i| i.url.clone())
                .unwrap_or_default(),
        ),
        (
            "Original report",
            before
                .provenance
                .as_ref()
                .map(|p| p.outlet.clone())
                .unwrap_or_default(),
            after
                .provenance
                .as_ref()
                .map(|p| p.outlet.clone())
                .unwrap_or_default(),
        ),
        (
            "Translators",
            before
                .provenance
                .as_ref()
                .map(|p| p.translators.join(", "))
                .unwrap_or_default(),
            after
                .provenance
                .as_ref()
                .map(|p| p.translators.join(", "))
                .unwrap_or_default(),
        ),
    ];
    let text = TextDiff::from_lines(&before.body_markdown, &after.body_markdown);
    let body: Vec<DiffLine> = text
        .iter_all_changes()
        .map(|c| DiffLine {
            kind: match c.tag() {
                ChangeTag::Equal => "same",
                ChangeTag::Insert => "ins",
                ChangeTag::Delete => "del",
            },
            text: c.value().trim_end_matches('\n').to_owned(),
        })
        .collect();
    Diff {
        body_changed: body.iter().any(|l| l.kind != "same"),
        fields: fields
            .into_iter()
            .filter(|(_, a, b)| a != b)
            .map(|(label, before, after)| FieldChange {
                label,
                before,
                after,
            })
            .collect(),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use dateline_core::Language;
    use dateline_core::article::ArticleInput;

    fn draft(headline: &str, body: &str) -> ArticleDraft {
        ArticleInput {
            headline: headline.into(),
            body: body.into(),
            ..Default::default()
        }
        .validate(&Language::english(), Utc::now())
        .unwrap()
    }

    #[test]
    fn shows_changed_fields_and_lines() {
        let d = diff(
            &draft("Old", "one\ntwo\nthree"),
            &draft("New", "one\n2\nthree"),
        );
        assert_eq!(
            d.fields.iter().map(|f| f.label).collect::<Vec<_>>(),
            ["Headline", "Slug"]
        );
        let kinds: Vec<&str> = d.body.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, ["same", "del", "ins", "same"]);
        assert!(d.body_changed);
        assert!(!diff(&draft("Same", "x"), &draft("Same", "x")).body_changed);
    }
}
