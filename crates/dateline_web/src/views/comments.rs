//! What the comment section's templates may see: threads as a tree of
//! items (nested up to the site's depth, flat below it), the sort links, the
//! form with what the reader typed and what is wrong with it.

use crate::urls::Urls;
use chrono::{DateTime, Utc};
use dateline_core::comment::{CommentSettings, CommentSort, avatar_hue, initials};
use dateline_db::comments::CommentTarget;
use dateline_db::passages::PassageView;
use dateline_db::views::CommentView;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The name of the field only robots fill in.
pub const HONEYPOT: &str = "homepage";

/// One comment, with its replies when shown nested.
#[derive(Debug, Clone, Serialize)]
pub struct CommentItem {
    pub id: i64,
    pub author: String,
    pub initials: String,
    /// One of twelve avatar colours (`.hue-0` … `.hue-11` in the
    /// stylesheet: the policy allows no `style` attribute).
    pub hue: u32,
    pub website: String,
    pub staff: bool,
    pub body_html: String,
    pub posted_iso: String,
    pub posted: String,
    pub edited: bool,
    pub upvotes: i64,
    pub downvotes: i64,
    pub score: i64,
    pub permalink: String,
    pub reply_url: String,
    pub vote_url: String,
    pub deleted: bool,
    pub pending: bool,
    pub parent_id: Option<i64>,
    /// Who a reply listed flat (below the nesting depth) answers.
    pub in_reply_to: Option<String>,
    /// The passage an inline comment is on (the anchor of its thread).
    pub anchor: Option<String>,
    /// What the first comment of a thread on a passage says about it.
    pub passage: Option<PassageRef>,
    pub replies: Vec<CommentItem>,
}

/// The passage an inline thread is on, as its first comment shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PassageRef {
    /// The paragraph in the article, or the passage's page once removed.
    pub url: String,
    /// Its first words.
    pub excerpt: String,
    /// Still in the article as it reads now.
    pub current: bool,
    pub question: Option<String>,
}

impl PassageRef {
    pub fn new(p: &PassageView, slug: &str, urls: &Urls) -> Self {
        Self {
            url: if p.current() {
                format!("{}#{}", urls.article(slug), p.anchor)
            } else {
                urls.passage(slug, &p.anchor)
            },
            excerpt: dateline_render::excerpt(&p.text, 140),
            current: p.current(),
            question: p.question.clone(),
        }
    }
}

/// How many comments a paragraph has, in words: answers where the editors
/// asked a question ("no answers yet", "2 answers"), comments otherwise.
pub fn passage_count(n: i64, asked: bool) -> String {
    match (n, asked) {
        (0, true) => "no answers yet".to_owned(),
        (1, true) => "1 answer".to_owned(),
        (n, true) => format!("{n} answers"),
        (0, false) => "no comments on this paragraph yet".to_owned(),
        (1, false) => "1 comment on this paragraph".to_owned(),
        (n, false) => format!("{n} comments on this paragraph"),
    }
}

/// A passage with the comments on it: its page without script, the panel
/// beside the paragraph with it.
#[derive(Debug, Clone, Serialize)]
pub struct PassagePanel {
    pub anchor: String,
    pub text: String,
    pub question: Option<String>,
    /// Still in the article as it reads now.
    pub current: bool,
    pub answers: i64,
    pub answers_label: String,
    /// Its own page.
    pub url: String,
    /// The paragraph in the article.
    pub in_article: String,
    pub threads: Vec<CommentItem>,
    pub next_url: Option<String>,
    /// Whether a comment on it can be posted now.
    pub open: bool,
}

impl PassagePanel {
    pub fn new(p: &PassageView, slug: &str, urls: &Urls, open: bool) -> Self {
        let count = passage_count(p.answers, p.question.is_some());
        let mut first = count.chars();
        let answers_label = first
            .next()
            .map(|c| c.to_uppercase().chain(first).collect())
            .unwrap_or_default();
        Self {
            anchor: p.anchor.clone(),
            text: p.text.clone(),
            question: p.question.clone(),
            current: p.current(),
            answers: p.answers,
            answers_label,
            url: urls.passage(slug, &p.anchor),
            in_article: format!("{}#{}", urls.article(slug), p.anchor),
            threads: Vec::new(),
            next_url: None,
            open: open && p.current(),
        }
    }
}

/// Tells each thread on a passage which one.
pub fn attach_passages(
    items: &mut [CommentItem],
    passages: &[PassageView],
    slug: &str,
    urls: &Urls,
) {
    for item in items {
        if let Some(p) = item
            .anchor
            .as_deref()
            .and_then(|a| passages.iter().find(|p| p.anchor == a))
        {
            item.passage = Some(PassageRef::new(p, slug, urls));
        }
    }
}

/// "25 November 2026, 06:10 UTC": absolute, so a cached page stays true.
pub fn comment_time(at: DateTime<Utc>) -> (String, String) {
    (
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        at.format("%-d %B %Y, %H:%M UTC").to_string(),
    )
}

impl CommentItem {
    pub fn new(c: &CommentView, slug: &str, urls: &Urls) -> Self {
        let (posted_iso, posted) = comment_time(c.created_at);
        let permalink = urls.comment(slug, c.id);
        Self {
            id: c.id,
            author: c.author_name.clone(),
            initials: initials(&c.author_name),
            hue: avatar_hue(&c.author_name) / 30,
            website: c.author_url.clone(),
            staff: c.staff,
            body_html: c.body_html.clone(),
            posted_iso,
            posted,
            edited: c.edited_at.is_some(),
            upvotes: c.upvotes,
            downvotes: c.downvotes,
            score: c.score,
            reply_url: format!("{permalink}/reply#comment-form"),
            permalink,
            vote_url: format!("/comments/{}/vote", c.id),
            deleted: c.deleted,
            pending: c.status == dateline_core::comment::CommentStatus::Pending,
            parent_id: c.parent_id,
            in_reply_to: None,
            anchor: c.anchor.clone(),
            passage: None,
            replies: Vec::new(),
        }
    }
}

/// Builds the tree of threads from comments in reading order: each reply
/// under its parent up to `max_depth`, deeper ones listed flat under their
/// ancestor at that depth with whom they answer.
pub fn thread_tree(
    comments: &[CommentView],
    slug: &str,
    urls: &Urls,
    max_depth: u32,
) -> Vec<CommentItem> {
    let index: HashMap<i64, &CommentView> = comments.iter().map(|c| (c.id, c)).collect();
    // Where each comment is shown: under which shown comment.
    let mut shown_under: HashMap<i64, Option<i64>> = HashMap::new();
    let mut children: HashMap<Option<i64>, Vec<CommentItem>> = HashMap::new();
    for c in comments {
        let mut item = CommentItem::new(c, slug, urls);
        let under = match c.parent_id {
            Some(p) if index.contains_key(&p) => {
                if c.depth <= max_depth {
                    Some(p)
                } else {
                    item.in_reply_to = index.get(&p).map(|p| {
                        if p.deleted {
                            "a deleted comment".to_owned()
                        } else {
                            p.author_name.clone()
                        }
                    });
                    shown_under.get(&p).copied().flatten()
                }
            }
            _ => None,
        };
        shown_under.insert(c.id, under);
        children.entry(under).or_default().push(item);
    }
    fn attach(item: &mut CommentItem, children: &mut HashMap<Option<i64>, Vec<CommentItem>>) {
        if let Some(mut kids) = children.remove(&Some(item.id)) {
            for k in &mut kids {
                attach(k, children);
            }
            item.replies = kids;
        }
    }
    let mut roots = children.remove(&None).unwrap_or_default();
    for r in &mut roots {
        attach(r, &mut children);
    }
    roots
}

/// A sort choice in the section's header.
#[derive(Debug, Clone, Serialize)]
pub struct SortLink {
    pub label: &'static str,
    pub value: &'static str,
    pub url: String,
    pub current: bool,
}

/// The comment form, with what the reader typed and what is wrong.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CommentFormView {
    pub action: String,
    pub token: String,
    pub pow_bits: u32,
    pub body: String,
    pub name: String,
    pub email: String,
    pub website: String,
    pub parent_id: Option<i64>,
    pub parent_author: Option<String>,
    pub errors: BTreeMap<String, String>,
    /// A problem with the whole comment (too fast, too many, closed).
    pub notice: Option<String>,
    pub max_chars: u32,
    pub honeypot: &'static str,
    /// "Email me replies to this comment" ticked.
    pub notify: bool,
    /// The passage a comment from this form is on.
    pub anchor: Option<String>,
    /// The editors' question about that passage.
    pub question: Option<String>,
}

/// The comment section of an article, or a page of it.
#[derive(Debug, Clone, Serialize)]
pub struct CommentSection {
    pub article_id: i64,
    pub article_url: String,
    pub headline: String,
    pub comments_url: String,
    pub feed_url: String,
    pub live_url: String,
    pub count: i64,
    pub count_label: String,
    pub inline_count: i64,
    pub sort: &'static str,
    pub sorts: Vec<SortLink>,
    /// all, inline
    pub filter: &'static str,
    /// "All comments" and "Inline feedback".
    pub filters: Vec<SortLink>,
    pub open: bool,
    pub enabled: bool,
    pub threads: Vec<CommentItem>,
    pub next_url: Option<String>,
    pub form: CommentFormView,
    pub bubble: bool,
    pub edit_minutes: u32,
}

impl CommentSection {
    pub fn new(
        target: &CommentTarget,
        settings: &CommentSettings,
        (sort, filter): (CommentSort, crate::handlers::comments::Filter),
        urls: &Urls,
        open: bool,
    ) -> Self {
        use crate::handlers::comments::Filter;
        let article_url = urls.article(&target.slug);
        let comments_url = format!("{article_url}/comments");
        let count_label = match target.comment_count {
            1 => "1 Comment".to_owned(),
            n => format!("{n} Comments"),
        };
        Self {
            article_id: target.id,
            headline: target.headline.clone(),
            feed_url: format!("{article_url}/comments.atom"),
            live_url: format!("{comments_url}/live"),
            count: target.comment_count,
            count_label,
            inline_count: target.inline_count,
            sort: sort.as_str(),
            sorts: CommentSort::ALL
                .into_iter()
                .map(|s| SortLink {
                    label: s.label(),
                    value: s.as_str(),
                    url: section_url(&article_url, s, filter),
                    current: s == sort,
                })
                .collect(),
            filter: filter.as_str(),
            filters: [
                (Filter::All, "All comments"),
                (Filter::Inline, "Inline feedback"),
            ]
            .into_iter()
            .map(|(f, label)| SortLink {
                label,
                value: f.as_str(),
                url: section_url(&article_url, sort, f),
                current: f == filter,
            })
            .collect(),
            open,
            enabled: settings.enabled,
            threads: Vec::new(),
            next_url: None,
            form: CommentFormView {
                action: comments_url.clone(),
                pow_bits: settings.proof_of_work_bits,
                max_chars: settings.max_chars,
                honeypot: HONEYPOT,
                ..Default::default()
            },
            comments_url,
            article_url,
            bubble: settings.bubble,
            edit_minutes: settings.edit_minutes,
        }
    }
}

/// The article's comment section in this sort and filter.
fn section_url(
    article_url: &str,
    sort: CommentSort,
    filter: crate::handlers::comments::Filter,
) -> String {
    let mut query = Vec::new();
    if sort != CommentSort::default() {
        query.push(format!("sort={}", sort.as_str()));
    }
    if filter != crate::handlers::comments::Filter::All {
        query.push(format!("filter={}", filter.as_str()));
    }
    if query.is_empty() {
        format!("{article_url}#comments")
    } else {
        format!("{article_url}?{}#comments", query.join("&"))
    }
}
