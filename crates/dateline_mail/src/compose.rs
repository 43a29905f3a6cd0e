//! Turning a claimed outbox row into the bytes of a message: a
//! transactional message from its stored content, a newsletter from its send
//! and a notification from its comment (each rendered once, then closed with
//! each reader's own links; see [`templates::Shared`]).

use crate::links::Links;
use crate::message::{Headers, Mail, Unsubscribe, build};
use crate::templates::{self, ArticleMail, ArticleTail, DigestItem, NotificationTail, Shared};
use dateline_core::ArticleId;
use dateline_core::i18n::Phrases;
use dateline_core::newsletter::Frequency;
use dateline_db::Db;
use dateline_db::mail::Claimed;
use dateline_db::{articles, sends};
use lettre::address::Envelope;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A message ready to go.
pub(crate) struct Composed {
    pub message_id: String,
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

/// What happens to a claimed row instead of sending it.
pub(crate) enum NotSent {
    /// On purpose: a suppressed address, nothing for this reader.
    Skip(String),
    /// It cannot be made into a message (a bad address, a missing article).
    Broken(String),
    /// The database did not answer: try again later.
    Later(String),
}

enum Prepared {
    Article {
        subject: String,
        site_title: String,
        shared: Shared<ArticleTail>,
    },
    Digest {
        title: String,
        frequency: Frequency,
        site_title: String,
        /// Each article with its section's slug, for readers who follow only some.
        items: Vec<(DigestItem, Option<String>)>,
    },
}

pub(crate) struct Composer {
    db: Db,
    links: Links,
    from: String,
    list_id: String,
    site_title: String,
    prepared: Mutex<HashMap<i64, Arc<Prepared>>>,
    /// Comments being notified, read once for all their followers.
    noticed: Mutex<HashMap<i64, Arc<Noticed>>>,
    /// Their notifications, rendered once.
    notice_mail: Mutex<HashMap<i64, Arc<NoticeMail>>>,
}

/// A notification's subject and the part every follower shares.
type NoticeMail = (String, Shared<NotificationTail>);

/// What a notification says of its comment.
struct Noticed {
    author: String,
    in_reply_to: Option<String>,
    /// The paragraph an inline comment is about (its first words), and the
    /// editors' question on it.
    passage: Option<String>,
    question: Option<String>,
    text: String,
    html: String,
    slug: String,
    headline: String,
}

/// What must be escaped in a path segment (a slug may be in any script;
/// its letters go out as UTF-8, percent-encoded, the rest as is).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

impl Composer {
    pub fn new(db: Db, links: Links, from: String, site_title: &str) -> Self {
        let list_id = format!(
            "{} <newsletter.{}>",
            site_title.replace(['<', '>', '\r', '\n'], ""),
            links.host()
        );
        Self {
            db,
            links,
            from,
            list_id,
            site_title: site_title.to_owned(),
            prepared: Mutex::new(HashMap::new()),
            noticed: Mutex::new(HashMap::new()),
            notice_mail: Mutex::new(HashMap::new()),
        }
    }

    /// An article's address on the site.
    fn article_url(&self, slug: &str) -> String {
        self.links.absolute(&format!(
            "/{}",
            percent_encoding::utf8_percent_encode(slug, SEGMENT)
        ))
    }

    pub async fn compose(&self, m: &Claimed) -> Result<Composed, NotSent> {
        if let Some(reason) = &m.suppressed {
            return Err(NotSent::Skip(format!(
                "the address is suppressed ({reason})"
            )));
        }
        let (mail, headers) = match (m.send_id, m.kind.as_str()) {
            (_, "comment_notification") => self.notification(m).await?,
            (None, _) => self.transactional(m)?,
            (Some(send), _) => self.bulk(m, send).await?,
        };
        let message =
            build(&mail, &self.from, &headers).map_err(|e| NotSent::Broken(e.to_string()))?;
        Ok(Composed {
            message_id: headers.message_id,
            envelope: message.envelope().clone(),
            bytes: message.formatted(),
        })
    }

    /// A new comment, to one follower; skipped when the comment is no longer
    /// shown or the follow ended after the notification was queued. The
    /// comment is read once for all its followers; the follow, per message.
    async fn notification(&self, m: &Claimed) -> Result<(Mail, Headers), NotSent> {
        use dateline_db::{comments, follows};
        let later = |e: dateline_db::DbError| NotSent::Later(e.to_string());
        let (Some(comment_id), Some(follow_id)) = (m.comment_id, m.follow_id) else {
            return Err(NotSent::Skip("the comment or the follow is gone".into()));
        };
        let (Some(kind), Some(follower_id)) = (
            m.follow_kind
                .as_deref()
                .and_then(follows::FollowKind::parse),
            m.follower_id,
        ) else {
            return Err(NotSent::Skip("the reader stopped following".into()));
        };
        if m.follow_off != 0 {
            return Err(NotSent::Skip(
                "the reader stopped notifications, or never confirmed them".into(),
            ));
        }
        if m.comment_shown == 0 {
            return Err(NotSent::Skip("the comment is no longer shown".into()));
        }
        let cached = self
            .noticed
            .lock()
            .ok()
            .and_then(|c| c.get(&comment_id).cloned());
        let comment = match cached {
            Some(c) => c,
            None => {
                let row = comments::get(&self.db, comment_id)
                    .await
                    .map_err(later)?
                    .ok_or_else(|| NotSent::Skip("the comment is gone".into()))?;
                let in_reply_to = match row.parent_id {
                    Some(p) => comments::get(&self.db, p)
                        .await
                        .map_err(later)?
                        .map(|p| p.author_name)
                        .filter(|n| !n.is_empty()),
                    None => None,
                };
                let article = comments::target_by_id(&self.db, ArticleId(row.article_id))
                    .await
                    .map_err(later)?
                    .ok_or_else(|| NotSent::Skip("the article is not published".into()))?;
                let passage = match &row.anchor {
                    Some(anchor) => {
                        dateline_db::passages::get(&self.db, ArticleId(row.article_id), anchor)
                            .await
                            .map_err(later)?
                    }
                    None => None,
                };
                let c = Arc::new(Noticed {
                    author: row.author_name,
                    in_reply_to,
                    question: passage.as_ref().and_then(|p| p.question.clone()),
                    passage: passage.map(|p| dateline_render::excerpt(&p.text, 160)),
                    text: dateline_render::comment_text(&row.body_markdown),
                    html: row.body_html,
                    slug: article.slug,
                    headline: article.headline,
                });
                if let Ok(mut cache) = self.noticed.lock() {
                    if cache.len() > 1000 {
                        cache.clear();
                    }
                    cache.insert(comment_id, c.clone());
                }
                c
            }
        };
        let cached = self
            .notice_mail
            .lock()
            .ok()
            .and_then(|c| c.get(&comment_id).cloned());
        let rendered = match cached {
            Some(t) => t,
            None => {
                let article_url = self.article_url(&comment.slug);
                let notification = templates::CommentNotification {
                    site_title: self.site_title.clone(),
                    headline: comment.headline.clone(),
                    comment_url: format!(
                        "{article_url}/comments/{comment_id}#comment-{comment_id}"
                    ),
                    article_url,
                    author: comment.author.clone(),
                    in_reply_to: comment.in_reply_to.clone(),
                    passage: comment.passage.clone(),
                    question: comment.question.clone(),
                    text: comment.text.clone(),
                    html: comment.html.clone(),
                };
                let t = Arc::new(
                    templates::comment_notification(&notification)
                        .map_err(|e| NotSent::Broken(e.to_string()))?,
                );
                if let Ok(mut cache) = self.notice_mail.lock() {
                    if cache.len() > 1000 {
                        cache.clear();
                    }
                    cache.insert(comment_id, t.clone());
                }
                t
            }
        };
        let (subject, shared) = rendered.as_ref();
        let unfollow = self.links.unfollow(follow_id);
        let (text, html) = shared
            .for_reader(&NotificationTail {
                site_title: self.site_title.clone(),
                why: kind.describe().to_owned(),
                unfollow: unfollow.clone(),
                unfollow_all: self.links.unfollow_all(follower_id),
            })
            .map_err(|e| NotSent::Broken(e.to_string()))?;
        let mail = Mail {
            to: m.to_address.clone(),
            to_name: None,
            subject: subject.clone(),
            text,
            html,
        };
        Ok((
            mail,
            Headers {
                message_id: format!("comment.{comment_id}.{follow_id}@{}", self.links.host()),
                // The link alone: an unfollow by mail would need the
                // operator's inbound hook, which handles newsletters only.
                unsubscribe: Some(Unsubscribe {
                    url: unfollow,
                    mailto: String::new(),
                }),
                list_id: None,
            },
        ))
    }

    fn transactional(&self, m: &Claimed) -> Result<(Mail, Headers), NotSent> {
        let (Some(subject), Some(text), Some(html)) = (&m.subject, &m.text_body, &m.html_body)
        else {
            return Err(NotSent::Broken("the message has no content".into()));
        };
        let unsubscribe = match (m.kind.as_str(), m.subscriber_id) {
            ("welcome", Some(s)) => Some(Unsubscribe {
                url: self.links.unsubscribe(s),
                mailto: self.links.unsubscribe_mailto(s),
            }),
            _ => None,
        };
        Ok((
            Mail {
                to: m.to_address.clone(),
                to_name: Some(m.to_name.clone()),
                subject: subject.clone(),
                text: text.clone(),
                html: html.clone(),
            },
            Headers {
                message_id: format!("mail.{}@{}", m.id, self.links.host()),
                unsubscribe,
                list_id: None,
            },
        ))
    }

    async fn bulk(&self, m: &Claimed, send: i64) -> Result<(Mail, Headers), NotSent> {
        let subscriber = m
            .subscriber_id
            .ok_or_else(|| NotSent::Broken("a newsletter without a subscriber".into()))?;
        let prepared = self.prepared(send).await?;
        let preferences = self.links.preferences(subscriber);
        let unsubscribe = self.links.unsubscribe(subscriber);
        let mail = match prepared.as_ref() {
            Prepared::Article {
                subject,
                site_title,
                shared,
            } => {
                let (text, html) = shared
                    .for_reader(&ArticleTail {
                        site_title: site_title.clone(),
                        preferences: preferences.clone(),
                        unsubscribe: unsubscribe.clone(),
                    })
                    .map_err(|e| NotSent::Broken(e.to_string()))?;
                Mail {
                    to: m.to_address.clone(),
                    to_name: Some(m.to_name.clone()),
                    subject: subject.clone(),
                    text,
                    html,
                }
            }
            Prepared::Digest {
                title,
                frequency,
                site_title,
                items,
            } => {
                let follows = m
                    .follows()
                    .ok_or_else(|| NotSent::Skip("the subscriber is gone".into()))?;
                let wanted: Vec<DigestItem> = items
                    .iter()
                    .filter(|(_, section)| {
                        follows.is_empty() || section.as_ref().is_some_and(|s| follows.contains(s))
                    })
                    .map(|(item, _)| item.clone())
                    .collect();
                if wanted.is_empty() {
                    return Err(NotSent::Skip(
                        "nothing in the sections this reader follows".into(),
                    ));
                }
                let digest = templates::Digest {
                    site_title: site_title.clone(),
                    title: title.clone(),
                    frequency: frequency.as_str().to_owned(),
                    articles: wanted,
                    preferences: preferences.clone(),
                    unsubscribe: unsubscribe.clone(),
                };
                templates::digest(&digest, &m.to_address, &m.to_name)
                    .map_err(|e| NotSent::Broken(e.to_string()))?
            }
        };
        Ok((
            mail,
            Headers {
                message_id: format!("newsletter.{send}.{subscriber}@{}", self.links.host()),
                unsubscribe: Some(Unsubscribe {
                    url: unsubscribe,
                    mailto: self.links.unsubscribe_mailto(subscriber),
                }),
                list_id: Some(self.list_id.clone()),
            },
        ))
    }

    async fn prepared(&self, send: i64) -> Result<Arc<Prepared>, NotSent> {
        if let Some(p) = self
            .prepared
            .lock()
            .ok()
            .and_then(|c| c.get(&send).cloned())
        {
            return Ok(p);
        }
        let p = Arc::new(self.prepare(send).await?);
        if let Ok(mut cache) = self.prepared.lock() {
            if cache.len() > 64 {
                cache.clear();
            }
            cache.insert(send, p.clone());
        }
        Ok(p)
    }

    async fn prepare(&self, send: i64) -> Result<Prepared, NotSent> {
        let broken = |e: dateline_db::DbError| NotSent::Later(e.to_string());
        let s = sends::get(&self.db, send)
            .await
            .map_err(broken)?
            .ok_or_else(|| NotSent::Broken("the send is gone".into()))?;
        let site_title = dateline_db::site::settings(&self.db)
            .await
            .map_err(broken)?
            .title;
        if s.kind == "digest" {
            let frequency = if s.period.as_deref().is_some_and(|p| p.starts_with("weekly")) {
                Frequency::Weekly
            } else {
                Frequency::Daily
            };
            let mut items = Vec::new();
            for id in &s.articles {
                if let Some(v) = articles::find(&self.db, ArticleId(*id))
                    .await
                    .map_err(broken)?
                {
                    let a = v.summary;
                    items.push((
                        DigestItem {
                            headline: a.headline.clone(),
                            dateline: a.dateline.clone(),
                            summary: if a.deck.is_empty() {
                                a.excerpt.clone()
                            } else {
                                a.deck.clone()
                            },
                            section: a
                                .section
                                .as_ref()
                                .map(|x| x.name.clone())
                                .unwrap_or_default(),
                            url: self.article_url(&a.slug),
                            lang: a.language.to_string(),
                            dir: a.direction.to_string(),
                        },
                        a.section.map(|x| x.slug),
                    ));
                }
            }
            return Ok(Prepared::Digest {
                title: s.subject,
                frequency,
                site_title,
                items,
            });
        }
        let article = s
            .article_id
            .ok_or_else(|| NotSent::Broken("the send has no article".into()))?;
        let v = articles::find(&self.db, article)
            .await
            .map_err(broken)?
            .ok_or_else(|| NotSent::Broken("the article was deleted".into()))?;
        let a = &v.summary;
        let phrases = Phrases::for_language(&a.language);
        let names: Vec<&str> = a.authors.iter().map(|x| x.name.as_str()).collect();
        let credit = a.provenance.as_ref().map(|p| {
            let from = p
                .language
                .as_ref()
                .filter(|l| l.primary() != a.language.primary());
            match phrases.translation_note(from, &p.translators, &a.language) {
                Some(note) => format!(
                    "{} {}{}{}{}",
                    phrases.original_report,
                    p.outlet,
                    phrases.list_separator,
                    note,
                    phrases.sentence_end
                ),
                None => format!(
                    "{} {}{}",
                    phrases.original_report, p.outlet, phrases.sentence_end
                ),
            }
        });
        let image_url = a
            .featured_image
            .as_ref()
            .map(|i| {
                if i.url.starts_with('/') {
                    self.links.absolute(&i.url)
                } else {
                    i.url.clone()
                }
            })
            .unwrap_or_default();
        let mail = ArticleMail {
            site_title: site_title.clone(),
            headline: a.headline.clone(),
            deck: a.deck.clone(),
            dateline: a.dateline.clone(),
            byline: if names.is_empty() {
                String::new()
            } else {
                format!("{} {}", phrases.by, phrases.join(&names))
            },
            published: a.published_at.map(|t| phrases.date(t)).unwrap_or_default(),
            section: a
                .section
                .as_ref()
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            url: self.article_url(&a.slug),
            image_alt: a
                .featured_image
                .as_ref()
                .map(|i| i.alt.clone())
                .unwrap_or_default(),
            image_url,
            body_html: dateline_render::for_mail(&v.body_html, self.links.base()),
            text: dateline_render::plain_text(&v.body_html),
            credit: credit.unwrap_or_default(),
            lang: a.language.to_string(),
            dir: a.direction.to_string(),
        };
        let shared = templates::article(&mail).map_err(|e| NotSent::Broken(e.to_string()))?;
        Ok(Prepared::Article {
            subject: s.subject,
            site_title,
            shared,
        })
    }
}
