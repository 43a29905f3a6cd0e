//! What Dateline's messages say. Every message has a plain-text and an HTML
//! body, rendered from templates built into the binary (autoescaping on for
//! HTML: nothing a reader or writer typed reaches a mail unescaped).
//!
//! A message many readers get (a newsletter, a comment's notifications) is
//! rendered once as a [`Shared`] part and, for each reader, a small tail
//! holding that reader's links. The two are only ever put side by side:
//! nothing searches or rewrites the shared part, which holds what writers
//! and commenters typed, so no text of theirs can pull a reader's links in.

use crate::message::Mail;
use minijinja::value::{Serde, Value};
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
    // The five characters that matter in HTML text and attributes; the
    // default also writes "/" as "&#x2f;", which turns every link in a mail
    // into entities (and some spam filters read that as hiding links).
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if *state.auto_escape() != AutoEscape::None && !value.is_safe() => {
            dateline_render::escape_html(out, text).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    for (name, source) in [
        ("layout.html", include_str!("../templates/layout.html")),
        (
            "layout_close.html",
            include_str!("../templates/layout_close.html"),
        ),
        ("confirm.txt", include_str!("../templates/confirm.txt")),
        ("confirm.html", include_str!("../templates/confirm.html")),
        ("already.txt", include_str!("../templates/already.txt")),
        ("already.html", include_str!("../templates/already.html")),
        ("welcome.txt", include_str!("../templates/welcome.txt")),
        ("welcome.html", include_str!("../templates/welcome.html")),
        (
            "password_reset.txt",
            include_str!("../templates/password_reset.txt"),
        ),
        (
            "password_reset.html",
            include_str!("../templates/password_reset.html"),
        ),
        (
            "invitation.txt",
            include_str!("../templates/invitation.txt"),
        ),
        (
            "invitation.html",
            include_str!("../templates/invitation.html"),
        ),
        ("article.txt", include_str!("../templates/article.txt")),
        ("article.html", include_str!("../templates/article.html")),
        (
            "article_tail.txt",
            include_str!("../templates/article_tail.txt"),
        ),
        (
            "article_tail.html",
            include_str!("../templates/article_tail.html"),
        ),
        ("digest.txt", include_str!("../templates/digest.txt")),
        (
            "follow_confirm.txt",
            include_str!("../templates/follow_confirm.txt"),
        ),
        (
            "follow_confirm.html",
            include_str!("../templates/follow_confirm.html"),
        ),
        (
            "comment_notification.txt",
            include_str!("../templates/comment_notification.txt"),
        ),
        (
            "comment_notification.html",
            include_str!("../templates/comment_notification.html"),
        ),
        (
            "comment_notification_tail.txt",
            include_str!("../templates/comment_notification_tail.txt"),
        ),
        (
            "comment_notification_tail.html",
            include_str!("../templates/comment_notification_tail.html"),
        ),
        (
            "comment_data.txt",
            include_str!("../templates/comment_data.txt"),
        ),
        (
            "comment_data.html",
            include_str!("../templates/comment_data.html"),
        ),
        ("digest.html", include_str!("../templates/digest.html")),
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
        .render(Value::from(Serde(ctx)))?)
}

/// Renders the `.txt` and `.html` of one message.
fn both<S: Serialize>(
    stem: &str,
    subject: &str,
    to: &str,
    to_name: &str,
    ctx: &S,
) -> anyhow::Result<Mail> {
    let html_ctx = minijinja::context! { subject => subject, .. Value::from(Serde(ctx)) };
    Ok(Mail {
        to: to.to_owned(),
        to_name: Some(to_name.to_owned()).filter(|n| !n.is_empty()),
        subject: subject.to_owned(),
        text: render(&format!("{stem}.txt"), ctx)?,
        html: TEMPLATES
            .get_template(&format!("{stem}.html"))?
            .render(html_ctx)?,
    })
}

/// The part of a message that is the same for every reader who gets it,
/// rendered once; `T` is the tail that completes it for one reader.
#[derive(Debug, Clone)]
pub struct Shared<T> {
    text: String,
    html: String,
    tail: std::marker::PhantomData<T>,
}

/// The last part of a shared message: one reader's links, and the words
/// around them. Its template holds nothing anyone but the site wrote.
pub trait Tail: Serialize {
    /// The stem of its `.txt` and `.html` templates; the HTML one closes
    /// the layout.
    const TEMPLATE: &'static str;
}

impl<T: Tail> Shared<T> {
    fn render<S: Serialize>(stem: &str, subject: &str, ctx: &S) -> anyhow::Result<Self> {
        let html_ctx = minijinja::context! { subject => subject, .. Value::from(Serde(ctx)) };
        let html = TEMPLATES
            .get_template(&format!("{stem}.html"))?
            .render(html_ctx)?;
        Ok(Self {
            text: render(&format!("{stem}.txt"), ctx)?,
            html: html.trim_end().to_owned(),
            tail: std::marker::PhantomData,
        })
    }

    /// The text and HTML bodies for one reader: the shared part, then the
    /// tail rendered with that reader's links.
    pub fn for_reader(&self, tail: &T) -> anyhow::Result<(String, String)> {
        let tail_text = render(&format!("{}.txt", T::TEMPLATE), tail)?;
        let tail_html = render(&format!("{}.html", T::TEMPLATE), tail)?;
        Ok((
            [self.text.as_str(), "\n\n", &tail_text].concat(),
            [self.html.as_str(), "\n", &tail_html].concat(),
        ))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Confirm {
    pub site_title: String,
    pub email: String,
    pub link: String,
    pub valid_days: i64,
}

pub fn confirm(c: &Confirm) -> anyhow::Result<Mail> {
    both(
        "confirm",
        &format!("Confirm your subscription to {}", c.site_title),
        &c.email,
        "",
        c,
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct Already {
    pub site_title: String,
    pub email: String,
    pub preferences: String,
}

pub fn already_subscribed(c: &Already) -> anyhow::Result<Mail> {
    both(
        "already",
        &format!("You are already subscribed to {}", c.site_title),
        &c.email,
        "",
        c,
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct Welcome {
    pub site_title: String,
    pub email: String,
    pub name: String,
    pub frequency: String,
    pub preferences: String,
    pub unsubscribe: String,
}

pub fn welcome(c: &Welcome) -> anyhow::Result<Mail> {
    both(
        "welcome",
        &format!("Welcome to {}", c.site_title),
        &c.email,
        &c.name,
        c,
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct PasswordReset {
    pub site_title: String,
    pub name: String,
    pub email: String,
    pub link: String,
    pub valid_minutes: i64,
}

pub fn password_reset(r: &PasswordReset) -> anyhow::Result<Mail> {
    both(
        "password_reset",
        &format!("Reset your password for {}", r.site_title),
        &r.email,
        &r.name,
        r,
    )
}

/// Confirming an address that asked to be notified of comments.
#[derive(Debug, Clone, Serialize)]
pub struct FollowConfirm {
    pub site_title: String,
    pub email: String,
    pub headline: String,
    pub what: String,
    pub link: String,
    pub valid_days: i64,
}

pub fn follow_confirm(c: &FollowConfirm) -> anyhow::Result<Mail> {
    both(
        "follow_confirm",
        &format!("Confirm comment notifications from {}", c.site_title),
        &c.email,
        "",
        c,
    )
}

/// A new comment, as its followers are told of it.
#[derive(Debug, Clone, Serialize)]
pub struct CommentNotification {
    pub site_title: String,
    pub headline: String,
    pub article_url: String,
    pub author: String,
    /// Whom it answers, for a reply.
    pub in_reply_to: Option<String>,
    /// The first words of the paragraph an inline comment is about.
    pub passage: Option<String>,
    /// The editors' question on that paragraph.
    pub question: Option<String>,
    pub text: String,
    /// Sanitized when the comment was saved.
    pub html: String,
    pub comment_url: String,
}

/// What closes a notification for one follower.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationTail {
    pub site_title: String,
    /// Why this reader gets it ("every new comment", "replies to your comments").
    pub why: String,
    pub unfollow: String,
    pub unfollow_all: String,
}

impl Tail for NotificationTail {
    const TEMPLATE: &'static str = "comment_notification_tail";
}

/// A notification's subject, and its body up to each follower's links.
pub fn comment_notification(
    c: &CommentNotification,
) -> anyhow::Result<(String, Shared<NotificationTail>)> {
    let subject = match &c.in_reply_to {
        Some(_) => format!("{} replied on “{}”", c.author, c.headline),
        None => format!("New comment by {} on “{}”", c.author, c.headline),
    };
    let shared = Shared::render("comment_notification", &subject, c)?;
    Ok((subject, shared))
}

/// The link a commenter asked for, to export or erase their comments.
#[derive(Debug, Clone, Serialize)]
pub struct CommentData {
    pub site_title: String,
    pub email: String,
    pub count: i64,
    pub link: String,
    pub valid_hours: i64,
}

pub fn comment_data(c: &CommentData) -> anyhow::Result<Mail> {
    both(
        "comment_data",
        &format!("Your comments on {}", c.site_title),
        &c.email,
        "",
        c,
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub site_title: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub link: String,
    pub sign_in: String,
    pub valid_days: i64,
}

pub fn invitation(r: &Invitation) -> anyhow::Result<Mail> {
    both(
        "invitation",
        &format!("Your newsroom account at {}", r.site_title),
        &r.email,
        &r.name,
        r,
    )
}

/// An article as the newsletter shows it; a send renders it once, and each
/// subscriber's links come in its [`ArticleTail`].
#[derive(Debug, Clone, Serialize)]
pub struct ArticleMail {
    pub site_title: String,
    pub headline: String,
    pub deck: String,
    pub dateline: String,
    pub byline: String,
    pub published: String,
    pub section: String,
    pub url: String,
    pub image_url: String,
    pub image_alt: String,
    /// Sanitized when the article was saved; links made absolute.
    pub body_html: String,
    pub text: String,
    pub credit: String,
    pub lang: String,
    pub dir: String,
}

/// What closes a newsletter's article for one subscriber.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleTail {
    pub site_title: String,
    pub preferences: String,
    pub unsubscribe: String,
}

impl Tail for ArticleTail {
    const TEMPLATE: &'static str = "article_tail";
}

/// The article's text and HTML up to each subscriber's links.
pub fn article(a: &ArticleMail) -> anyhow::Result<Shared<ArticleTail>> {
    Shared::render("article", &a.headline, a)
}

#[derive(Debug, Clone, Serialize)]
pub struct DigestItem {
    pub headline: String,
    pub dateline: String,
    pub summary: String,
    pub section: String,
    pub url: String,
    pub lang: String,
    pub dir: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub site_title: String,
    pub title: String,
    pub frequency: String,
    pub articles: Vec<DigestItem>,
    pub preferences: String,
    pub unsubscribe: String,
}

pub fn digest(d: &Digest, to: &str, to_name: &str) -> anyhow::Result<Mail> {
    both("digest", &d.title, to, to_name, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_but_not_text() {
        let m = password_reset(&PasswordReset {
            site_title: "News & <Views>".into(),
            name: "Layla".into(),
            email: "l@example.org".into(),
            link: "https://news.example/admin/reset/abc".into(),
            valid_minutes: 60,
        })
        .unwrap();
        assert!(m.html.contains("News &amp; &lt;Views&gt;"));
        assert!(
            m.html
                .contains(r#"href="https://news.example/admin/reset/abc""#),
            "links stay readable: {}",
            m.html
        );
        assert!(m.text.contains("News & <Views>"));
        assert!(m.text.contains("https://news.example/admin/reset/abc"));
        assert_eq!(m.subject, "Reset your password for News & <Views>");
    }

    #[test]
    fn every_message_renders() {
        let site = "The Desk".to_owned();
        confirm(&Confirm {
            site_title: site.clone(),
            email: "a@b.example".into(),
            link: "https://x/c".into(),
            valid_days: 7,
        })
        .unwrap();
        already_subscribed(&Already {
            site_title: site.clone(),
            email: "a@b.example".into(),
            preferences: "https://x/p".into(),
        })
        .unwrap();
        welcome(&Welcome {
            site_title: site.clone(),
            email: "a@b.example".into(),
            name: "".into(),
            frequency: "each report".into(),
            preferences: "p".into(),
            unsubscribe: "u".into(),
        })
        .unwrap();
        invitation(&Invitation {
            site_title: site.clone(),
            name: "N".into(),
            email: "a@b.example".into(),
            role: "author".into(),
            link: "l".into(),
            sign_in: "s".into(),
            valid_days: 7,
        })
        .unwrap();
        let shared = article(&ArticleMail {
            site_title: site.clone(),
            headline: "Water <talks>".into(),
            deck: "".into(),
            dateline: "BAGHDAD, Iraq.".into(),
            byline: "By Rana Haddad".into(),
            published: "24 November 2026".into(),
            section: "World".into(),
            url: "https://x/water".into(),
            image_url: "".into(),
            image_alt: "".into(),
            body_html: "<p>Body</p>".into(),
            text: "Body".into(),
            credit: "".into(),
            lang: "en".into(),
            dir: "ltr".into(),
        })
        .unwrap();
        let (text, html) = shared
            .for_reader(&ArticleTail {
                site_title: site.clone(),
                preferences: "https://x/n/1.0.p".into(),
                unsubscribe: "https://x/n/1.0.p/unsubscribe".into(),
            })
            .unwrap();
        assert!(
            html.contains("Water &lt;talks&gt;")
                && html.contains("<p>Body</p>")
                && html.contains(r#"<a href="https://x/n/1.0.p/unsubscribe">Unsubscribe</a></p>"#)
                && html.trim_end().ends_with("</div>\n</body>\n</html>")
        );
        assert!(
            text.starts_with("Water <talks>")
                && text.contains("Read it on the site: https://x/water\n\n--\n")
                && text.contains("Preferences: https://x/n/1.0.p\n")
        );
        let d = digest(
            &Digest {
                site_title: site,
                title: "The week".into(),
                frequency: "weekly".into(),
                articles: vec![DigestItem {
                    headline: "A".into(),
                    dateline: "".into(),
                    summary: "S".into(),
                    section: "".into(),
                    url: "u".into(),
                    lang: "ar".into(),
                    dir: "rtl".into(),
                }],
                preferences: "p".into(),
                unsubscribe: "u".into(),
            },
            "a@b.example",
            "",
        )
        .unwrap();
        assert!(d.html.contains("dir=\"rtl\""));
    }
}
