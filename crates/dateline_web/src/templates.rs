//! Templates: built into the binary, and overridable per site by putting a file
//! of the same name in `DATA_DIR/templates/`.
//!
//! Autoescaping is on for `.html` and `.xml`: a value reaches a page escaped
//! unless a view marks it as already-safe HTML (only sanitized article bodies
//! and JSON-LD are).

use anyhow::Context;
use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment};
use serde::Serialize;
use std::path::Path;

const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("article.html", include_str!("../templates/article.html")),
    (
        "comment_macros.html",
        include_str!("../templates/comment_macros.html"),
    ),
    (
        "comment_fragment.html",
        include_str!("../templates/comment_fragment.html"),
    ),
    ("comments.html", include_str!("../templates/comments.html")),
    (
        "passage_panel.html",
        include_str!("../templates/passage_panel.html"),
    ),
    (
        "commenter.html",
        include_str!("../templates/commenter.html"),
    ),
    ("follow.html", include_str!("../templates/follow.html")),
    ("list.html", include_str!("../templates/list.html")),
    ("search.html", include_str!("../templates/search.html")),
    (
        "newsletter.html",
        include_str!("../templates/newsletter.html"),
    ),
    ("archive.html", include_str!("../templates/archive.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("rss.xml", include_str!("../templates/rss.xml")),
    ("atom.xml", include_str!("../templates/atom.xml")),
    (
        "sitemap_index.xml",
        include_str!("../templates/sitemap_index.xml"),
    ),
    ("sitemap.xml", include_str!("../templates/sitemap.xml")),
    (
        "news_sitemap.xml",
        include_str!("../templates/news_sitemap.xml"),
    ),
    (
        "admin/base.html",
        include_str!("../templates/admin/base.html"),
    ),
    (
        "admin/macros.html",
        include_str!("../templates/admin/macros.html"),
    ),
    (
        "admin/login.html",
        include_str!("../templates/admin/login.html"),
    ),
    (
        "admin/forgot.html",
        include_str!("../templates/admin/forgot.html"),
    ),
    (
        "admin/reset.html",
        include_str!("../templates/admin/reset.html"),
    ),
    (
        "admin/login_code.html",
        include_str!("../templates/admin/login_code.html"),
    ),
    (
        "admin/two_factor.html",
        include_str!("../templates/admin/two_factor.html"),
    ),
    (
        "admin/audit.html",
        include_str!("../templates/admin/audit.html"),
    ),
    (
        "admin/delete_user.html",
        include_str!("../templates/admin/delete_user.html"),
    ),
    (
        "admin/articles.html",
        include_str!("../templates/admin/articles.html"),
    ),
    (
        "admin/editor.html",
        include_str!("../templates/admin/editor.html"),
    ),
    (
        "admin/revisions.html",
        include_str!("../templates/admin/revisions.html"),
    ),
    (
        "admin/diff.html",
        include_str!("../templates/admin/diff.html"),
    ),
    (
        "admin/delete.html",
        include_str!("../templates/admin/delete.html"),
    ),
    (
        "admin/media.html",
        include_str!("../templates/admin/media.html"),
    ),
    (
        "admin/taxonomy.html",
        include_str!("../templates/admin/taxonomy.html"),
    ),
    (
        "admin/authors.html",
        include_str!("../templates/admin/authors.html"),
    ),
    (
        "admin/settings.html",
        include_str!("../templates/admin/settings.html"),
    ),
    (
        "admin/users.html",
        include_str!("../templates/admin/users.html"),
    ),
    (
        "admin/tokens.html",
        include_str!("../templates/admin/tokens.html"),
    ),
    (
        "admin/comments.html",
        include_str!("../templates/admin/comments.html"),
    ),
    (
        "admin/newsletters.html",
        include_str!("../templates/admin/newsletters.html"),
    ),
    (
        "admin/subscribers.html",
        include_str!("../templates/admin/subscribers.html"),
    ),
    (
        "admin/account.html",
        include_str!("../templates/admin/account.html"),
    ),
];

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Loads the built-in templates, each replaced by a file of the same name
    /// in `override_dir` when there is one.
    pub fn load(override_dir: &Path) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".xml") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_formatter(|out, state, value| {
            // Escape the five characters that matter in HTML and XML text and
            // attributes; minijinja's default also escapes "/", which bloats
            // every URL on a page for no safety gain.
            match value.as_str() {
                Some(text) if *state.auto_escape() != AutoEscape::None && !value.is_safe() => {
                    write_escaped(out, text)
                }
                _ => minijinja::escape_formatter(out, state, value),
            }
        });
        for (name, source) in BUILT_IN {
            let path = override_dir.join(name);
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read template override {}", path.display()))?;
                env.add_template_owned(*name, text).with_context(|| {
                    format!("template override {} does not parse", path.display())
                })?;
                tracing::info!(template = name, path = %path.display(), "using template override");
            } else {
                env.add_template(name, source)
                    .with_context(|| format!("built-in template {name} does not parse"))?;
            }
        }
        Ok(Self { env })
    }

    /// Renders a template. An XML one (feeds, sitemaps) comes out without
    /// the characters XML 1.0 forbids, whatever stored text or a site's
    /// override holds: one stray control character in a commenter's name
    /// would otherwise make feed readers reject the whole feed.
    pub fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String, minijinja::Error> {
        let out = self.env.get_template(name)?.render(Serde(context))?;
        Ok(if name.ends_with(".xml") {
            xml_chars_only(out)
        } else {
            out
        })
    }
}

/// `text` without the characters XML 1.0 does not allow anywhere in a
/// document (C0 controls other than tab, line feed and carriage return, and
/// U+FFFE, U+FFFF); unchanged, and not copied, when it has none.
fn xml_chars_only(text: String) -> String {
    let forbidden = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}');
    if text.contains(forbidden) {
        text.chars().filter(|&c| !forbidden(c)).collect()
    } else {
        text
    }
}

fn write_escaped(out: &mut minijinja::Output, text: &str) -> Result<(), minijinja::Error> {
    dateline_render::escape_html(out, text).map_err(minijinja::Error::from)
}

/// Text escaped as templates escape it, for HTML built outside a template
/// (safe in text and in double-quoted attributes; slashes stay as they are).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = dateline_render::escape_html(&mut out, text);
    out
}

/// A serializable value as a template value.
pub fn ser<T: Serialize>(value: T) -> Value {
    Value::from(Serde(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_output_drops_what_xml_forbids() {
        assert_eq!(
            xml_chars_only("a\u{0}b\u{1b}c\td\ne\rf\u{FFFE}g\u{FFFF}h\u{85}i".into()),
            "abc\td\ne\rfgh\u{85}i"
        );
        let t = Templates::load(Path::new("/nonexistent")).unwrap();
        let xml = t
            .render(
                "sitemap_index.xml",
                minijinja::context! { sitemaps => vec![minijinja::context! { loc => "https://x.example/\u{7}a", lastmod => () }] },
            )
            .unwrap();
        assert!(
            xml.contains("https://x.example/a") && !xml.contains('\u{7}'),
            "{xml}"
        );
    }
}
