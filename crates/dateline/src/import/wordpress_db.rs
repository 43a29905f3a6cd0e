//! `--wordpress-db`: what the export leaves out, read from the WordPress
//! site's database after the export is imported: spam comments, authors'
//! bios, and wpDiscuz's "Notify of" subscriptions and votes. Everything is
//! found through what the export's import made of each post and comment.

use super::summary::Summary;
use super::wordpress::Importer;
use dateline_core::ArticleId;
use dateline_db::follows::FollowKind;
use dateline_db::imports::{self, ImportedFollow, ImportedVote};
use dateline_db::wordpress::{WordpressDb, WpComment};
use dateline_wordpress::{Comment, Post};
use std::collections::{BTreeMap, HashMap};

/// Where the WordPress database is.
#[derive(Debug, Clone)]
pub struct WordpressDbOptions {
    pub url: String,
    pub table_prefix: String,
}

/// What the database added, for the report.
#[derive(Debug, Default)]
pub struct FromDatabase {
    pub spam: u64,
    pub bios: u64,
    pub follows: u64,
    pub follows_already: u64,
    pub unconfirmed: u64,
    pub stopped: u64,
    pub votes: u64,
    /// Subscriptions and votes on what the export did not bring (a post or
    /// comment not imported): left out.
    pub orphaned: u64,
}

pub(super) async fn carry_over(
    importer: &Importer<'_>,
    options: &WordpressDbOptions,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let wp = WordpressDb::connect(&options.url, &options.table_prefix).await?;
    let result = read_all(importer, &wp, summary).await;
    wp.close().await;
    result
}

async fn read_all(
    importer: &Importer<'_>,
    wp: &WordpressDb,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let mut posts: HashMap<i64, Option<ArticleId>> = HashMap::new();
    let mut article_of = async |post: i64| -> anyhow::Result<Option<ArticleId>> {
        if let Some(known) = posts.get(&post) {
            return Ok(*known);
        }
        let found = imports::find(importer.db, importer.source, "post", &post.to_string())
            .await?
            .map(|i| ArticleId(i.target_id));
        posts.insert(post, found);
        Ok(found)
    };

    // Spam, by post, through the same conversion as the export's comments.
    let mut spam: BTreeMap<i64, Vec<WpComment>> = BTreeMap::new();
    for c in wp.spam_comments().await? {
        spam.entry(c.post_id).or_default().push(c);
    }
    for (post_id, comments) in spam {
        let Some(article) = article_of(post_id).await? else {
            summary.from_db.orphaned += comments.len() as u64;
            continue;
        };
        let before = summary.comments;
        let post = Post {
            id: post_id,
            title: format!("post {post_id}"),
            comments: comments.into_iter().map(comment).collect(),
            ..Post::default()
        };
        importer.comments(post, article, summary).await?;
        summary.from_db.spam += summary.comments - before;
    }

    for (login, bio) in wp.bios().await? {
        let slug = dateline_core::Slug::from_text(&login, "author");
        let text = dateline_wordpress::content::plain_text(&bio);
        let text = dateline_wordpress::article::clip(text.trim(), 2_000);
        if imports::set_bio(
            importer.db,
            slug.as_str(),
            &text,
            importer.options.overwrite,
        )
        .await?
        {
            summary.from_db.bios += 1;
        }
    }

    let mut follows = Vec::new();
    for s in wp.subscriptions().await? {
        if !s.confirmed {
            summary.from_db.unconfirmed += 1;
            continue;
        }
        let Some(article) = article_of(s.post_id).await? else {
            summary.from_db.orphaned += 1;
            continue;
        };
        let (kind, comment_id) = match s.kind.as_str() {
            "post" => (FollowKind::All, None),
            "all_comment" => (FollowKind::Replies, None),
            "comment" => match comment_id(importer, s.object_id).await? {
                Some(id) => (FollowKind::Comment, Some(id)),
                None => {
                    summary.from_db.orphaned += 1;
                    continue;
                }
            },
            other => {
                summary.note(
                    "wpDiscuz subscriptions",
                    format!("a subscription of the kind \"{other}\" was left out"),
                );
                continue;
            }
        };
        follows.push(ImportedFollow {
            email: s.email,
            article,
            kind,
            comment_id,
            confirmed_at: s
                .since
                .map(|d| d.and_utc())
                .unwrap_or_else(chrono::Utc::now),
        });
    }
    let added = imports::add_follows(importer.db, &follows).await?;
    summary.from_db.follows = added.added;
    summary.from_db.follows_already = added.already_there;
    summary.from_db.stopped = added.stopped.len() as u64;

    let mut votes = Vec::new();
    let mut comments: HashMap<i64, Option<i64>> = HashMap::new();
    for v in wp.votes().await? {
        if v.value == 0 {
            continue;
        }
        let id = match comments.get(&v.comment_id) {
            Some(known) => *known,
            None => {
                let found = comment_id(importer, v.comment_id).await?;
                comments.insert(v.comment_id, found);
                found
            }
        };
        let Some(id) = id else {
            summary.from_db.orphaned += 1;
            continue;
        };
        votes.push(ImportedVote {
            comment_id: id,
            voter: format!("wordpress:{}", v.voter),
            value: v.value,
            at: v.at.unwrap_or_else(chrono::Utc::now),
        });
    }
    summary.from_db.votes = imports::add_votes(importer.db, &votes).await?;
    Ok(())
}

/// The Dateline id of a WordPress comment the import brought.
async fn comment_id(importer: &Importer<'_>, wp_id: i64) -> anyhow::Result<Option<i64>> {
    Ok(
        imports::find(importer.db, importer.source, "comment", &wp_id.to_string())
            .await?
            .map(|i| i.target_id),
    )
}

fn comment(c: WpComment) -> Comment {
    Comment {
        id: c.id,
        author: c.author,
        email: c.email,
        url: c.url,
        date_gmt: c.date_gmt,
        content: c.content,
        approved: c.approved,
        kind: c.kind,
        parent: c.parent,
        user_id: c.user_id,
        ..Comment::default()
    }
}
