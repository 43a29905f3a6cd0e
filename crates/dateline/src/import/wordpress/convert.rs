//! A post's comments from the export as Dateline stores them: statuses,
//! names, addresses, bodies rendered and sanitized, the newsroom's own
//! comments tied to their accounts, pingbacks kept as mentions. Pure work
//! (no database), so that a batch's comments are converted on another
//! thread while the batch before is written.

use super::wp;
use crate::import::summary::Summary;
use chrono::Utc;
use dateline_core::UserId;
use dateline_core::comment::CommentStatus;
use dateline_db::Db;
use dateline_db::imports::{ImportedComment, ImportedMention};
use dateline_wordpress::article::Catalog;
use dateline_wordpress::{Comment, content};
use std::collections::HashMap;
use std::sync::Arc;

/// A post's comments and mentions as they are stored.
pub(super) struct PostComments {
    pub comments: Vec<ImportedComment>,
    pub mentions: Vec<ImportedMention>,
}

/// A post's comments converted, with what was odd about them.
pub(super) struct Converted {
    pub stored: PostComments,
    /// Notes for the summary, about the post.
    notes: Vec<String>,
    pingbacks_skipped: u64,
}

impl Converted {
    /// Puts what was odd about the comments in the summary, under the
    /// post's name.
    pub(super) fn report(&mut self, post_name: &str, summary: &mut Summary) {
        for note in self.notes.drain(..) {
            summary.note(post_name, note);
        }
        summary.pingbacks_skipped += std::mem::take(&mut self.pingbacks_skipped);
    }
}

/// What converting comments needs from the import; cheap to clone onto
/// another thread.
#[derive(Clone)]
pub(super) struct Converter {
    /// WordPress author id → Dateline account, for the newsroom's comments.
    newsroom_users: Arc<HashMap<i64, UserId>>,
    skip_pingbacks: bool,
}

impl Converter {
    /// Finds the Dateline accounts of the export's authors by address,
    /// once for the whole import.
    pub(super) async fn new(
        db: &Db,
        catalog: &Catalog,
        skip_pingbacks: bool,
    ) -> anyhow::Result<Self> {
        let mut users = HashMap::new();
        for author in catalog.authors.values() {
            let email = author.email.trim().to_lowercase();
            if let (Some(id), false) = (author.id, email.is_empty())
                && let Some(user) = dateline_db::accounts::user_by_email(db, &email).await?
            {
                users.insert(id, user.id);
            }
        }
        Ok(Self {
            newsroom_users: Arc::new(users),
            skip_pingbacks,
        })
    }

    /// A post's comments (`list`, taken out of the post: each is dropped
    /// once converted, so that they are held once, not twice), in the
    /// order given (parents first: `comments::parents_first`).
    pub(super) fn convert(&self, list: Vec<Comment>) -> Converted {
        let mut out = Converted {
            stored: PostComments {
                comments: Vec::with_capacity(list.len()),
                mentions: Vec::new(),
            },
            notes: Vec::new(),
            pingbacks_skipped: 0,
        };
        for c in list {
            let status = match c.approved.as_str() {
                "1" | "approve" | "approved" => CommentStatus::Approved,
                "0" | "hold" | "" => CommentStatus::Pending,
                "spam" => CommentStatus::Spam,
                "trash" | "post-trashed" => CommentStatus::Trash,
                other => {
                    out.notes.push(format!(
                        "comment {} had the status \"{other}\": held for review",
                        c.id
                    ));
                    CommentStatus::Pending
                }
            };
            let created_at = wp::utc(c.date_gmt, c.date_local).unwrap_or_else(Utc::now);
            let name = wp::clip(&content::plain_text(&c.author), 100);
            if matches!(c.kind.as_str(), "pingback" | "trackback") {
                if self.skip_pingbacks {
                    out.pingbacks_skipped += 1;
                    continue;
                }
                out.stored.mentions.push(ImportedMention {
                    source_id: c.id.to_string(),
                    kind: c.kind.clone(),
                    status,
                    source_name: if name.is_empty() { c.url.clone() } else { name },
                    source_url: web_url(&c.url).unwrap_or_default(),
                    excerpt: wp::clip(&content::plain_text(&c.content), 300),
                    created_at,
                });
                continue;
            }
            let markdown = content::comment_markdown(&c.content);
            let body_html = dateline_render::render_comment(&markdown);
            out.stored.comments.push(ImportedComment {
                source_id: c.id.to_string(),
                parent_source_id: (c.parent > 0).then(|| c.parent.to_string()),
                keep_id: (c.id > 0).then_some(c.id),
                status,
                author_name: if name.is_empty() {
                    "Anonymous".into()
                } else {
                    name
                },
                author_email: c.email.trim().to_lowercase(),
                author_url: web_url(&c.url).unwrap_or_default(),
                user_id: self.newsroom_user(&c),
                body_markdown: markdown,
                body_html,
                created_at,
            });
        }
        out
    }

    /// The newsroom account of a comment written by one of the site's
    /// authors (signed in on WordPress).
    fn newsroom_user(&self, c: &Comment) -> Option<UserId> {
        (c.user_id > 0)
            .then(|| self.newsroom_users.get(&c.user_id).copied())
            .flatten()
    }
}

/// A commenter's web address, when it is one (`javascript:` is not).
fn web_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    ((lower.starts_with("http://") || lower.starts_with("https://")) && url.len() <= 500)
        .then(|| url.to_string())
}
