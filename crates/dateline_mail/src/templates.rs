//! What Dateline's messages say. Each message has a text and an HTML body,
//! rendered from templates built into the binary; autoescaping is on for HTML.

use crate::message::Mail;
use minijinja::{AutoEscape, Environment};
use serde::Serialize;
use std::sync::LazyLock;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in [
        (
            "password_reset.txt",
            include_str!("../templates/password_reset.txt"),
        ),
        (
            "password_reset.html",
            include_str!("../templates/password_reset.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "built-in mail template does not parse");
        }
    }
    env
});

fn render<S: Serialize>(name: &str, ctx: &S) -> anyhow::Result<String> {
    Ok(TEMPLATES
        .get_template(name)?
        .render(minijinja::value::Value::from(minijinja::value::Serde(ctx)))?)
}

/// A password-reset message.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordReset {
    pub site_title: String,
    pub name: String,
    pub email: String,
    pub link: String,
    pub valid_minutes: i64,
}

pub fn render_password_reset(r: &PasswordReset) -> anyhow::Result<Mail> {
    Ok(Mail {
        to: r.email.clone(),
        to_name: Some(r.name.clone()),
        subject: format!("Reset your password for {}", r.site_title),
        text: render("password_reset.txt", r)?,
        html: render("password_reset.html", r)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_but_not_text() {
        let m = render_password_reset(&PasswordReset {
            site_title: "News & <Views>".into(),
            name: "Layla".into(),
            email: "l@example.org".into(),
            link: "https://news.example/admin/reset/abc".into(),
            valid_minutes: 60,
        })
        .unwrap();
        assert!(m.html.contains("News &amp; &lt;Views&gt;"));
        assert!(m.text.contains("News & <Views>"));
        assert!(m.text.contains("https://news.example/admin/reset/abc"));
        assert!(m.text.contains("60 minutes"));
    }
}
