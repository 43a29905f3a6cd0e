//! A post's comments from the export (or the site's database) stored under
//! its article (converted in `convert.rs`): threads kept, parents first,
//! a long thread by parts.

use super::convert::{Converted, PostComments};
use super::{Importer, item_name};
use crate::import::summary::Summary;
use chrono::Utc;
use dateline_db::imports::{self, ImportedComment};
use dateline_wordpress::Post;
use std::collections::{HashMap, HashSet};

/// A post whose comments come from the export by parts (`Entry::Comments`):
/// each part goes in once its post's article is written, with the parents
/// it answers; a reply read before its parent waits for it.
pub(super) struct Thread {
    /// The post, its comments taken out.
    post: Post,
    /// The article it went into, once its batch is written (`Some(None)`:
    /// it was not imported, nor are its comments).
    article: Option<Option<dateline_core::ArticleId>>,
    /// The comments stored so far, by their ids in the export.
    stored: HashSet<i64>,
    /// Comments whose parent has not been read yet.
    waiting: Vec<dateline_wordpress::Comment>,
}

impl Thread {
    /// Takes the first comments out of `post`; they go in with the next part.
    pub(super) fn new(post: &mut Post) -> Self {
        let waiting = std::mem::take(&mut post.comments);
        Self {
            post: post.clone(),
            article: None,
            stored: HashSet::new(),
            waiting,
        }
    }

    pub(super) fn post_id(&self) -> i64 {
        self.post.id
    }

    /// Whether the batch holding its post has been written.
    pub(super) fn placed(&self) -> bool {
        self.article.is_some()
    }

    /// Records where its post went, from what the batch's write placed.
    pub(super) fn place(&mut self, placed: &[(i64, dateline_core::ArticleId)]) {
        self.article = Some(
            placed
                .iter()
                .find(|(id, _)| *id == self.post.id)
                .map(|(_, article)| *article),
        );
    }
}

/// Posts with the comments taken out of them, each under its article.
type Lists<'p> = Vec<(
    &'p Post,
    dateline_core::ArticleId,
    Vec<dateline_wordpress::Comment>,
)>;

/// Comments converted and stored at most this many at a time: a post with
/// tens of thousands holds them as read from the export, never all of them
/// converted and rendered besides.
const COMMENTS_AT_ONCE: usize = 2_000;

impl Importer<'_> {
    /// Imports one post's comments (the site's database path).
    pub(crate) async fn comments(
        &self,
        mut post: Post,
        article: dateline_core::ArticleId,
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        let list = std::mem::take(&mut post.comments);
        self.import_comments(vec![(&post, article, list)], summary)
            .await
    }

    /// Imports the comments of several posts (each list taken out of its
    /// post), converted and stored `COMMENTS_AT_ONCE` at a time: the small
    /// threads of many posts together, a long one in parts, parents first,
    /// so that each part finds its parents among those stored before it.
    pub(super) async fn import_comments(
        &self,
        posts: Lists<'_>,
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        let ordered = posts
            .into_iter()
            .map(|(post, article, list)| (post, article, parents_first(list)))
            .collect();
        self.import_ordered(ordered, summary).await
    }

    /// `import_comments` for lists already ordered parents first.
    async fn import_ordered(&self, posts: Lists<'_>, summary: &mut Summary) -> anyhow::Result<()> {
        let mut group: Vec<(&Post, dateline_core::ArticleId, Converted)> = Vec::new();
        let mut held = 0;
        for (post, article, list) in posts {
            let mut rest = list.into_iter().peekable();
            while rest.peek().is_some() {
                let part: Vec<_> = rest.by_ref().take(COMMENTS_AT_ONCE - held).collect();
                held += part.len();
                group.push((post, article, self.converter.convert(part)));
                if held == COMMENTS_AT_ONCE {
                    self.store_converted(std::mem::take(&mut group), summary)
                        .await?;
                    held = 0;
                }
            }
        }
        if !group.is_empty() {
            self.store_converted(group, summary).await?;
        }
        Ok(())
    }

    /// Stores the converted comments of several posts, and says in the
    /// summary what was odd about them.
    pub(super) async fn store_converted(
        &self,
        posts: Vec<(&Post, dateline_core::ArticleId, Converted)>,
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        let mut stored = Vec::with_capacity(posts.len());
        for (post, article, mut converted) in posts {
            converted.report(&item_name(post), summary);
            stored.push((post, article, converted.stored));
        }
        self.store_comments(&stored, summary).await
    }

    /// Stores a part of a long thread's comments (`Thread`): those whose
    /// parent is stored or among them; the others wait for theirs, and
    /// with the `last` part go in whatever they answer (a reply to a
    /// comment not in the export starts a thread of its own).
    pub(super) async fn thread_part(
        &self,
        thread: &mut Thread,
        part: Vec<dateline_wordpress::Comment>,
        last: bool,
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        let Some(Some(article)) = thread.article else {
            return Ok(());
        };
        let mut candidates = std::mem::take(&mut thread.waiting);
        candidates.extend(part);
        // Ordered parents first, a comment is ready when its parent is
        // stored or ready before it; what is ready stays in that order.
        let mut ready = Vec::with_capacity(candidates.len());
        for c in parents_first(candidates) {
            if last || c.parent <= 0 || thread.stored.contains(&c.parent) {
                thread.stored.insert(c.id);
                ready.push(c);
            } else {
                thread.waiting.push(c);
            }
        }
        self.import_ordered(vec![(&thread.post, article, ready)], summary)
            .await
    }

    /// Stores the comments of several posts: all the comments in one
    /// transaction, then the mentions post by post.
    async fn store_comments(
        &self,
        posts: &[(&Post, dateline_core::ArticleId, PostComments)],
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        let now = Utc::now();
        let with_comments: Vec<(dateline_core::ArticleId, &[ImportedComment])> = posts
            .iter()
            .filter(|(_, _, p)| !p.comments.is_empty())
            .map(|(_, article, p)| (*article, p.comments.as_slice()))
            .collect();
        let added = imports::add_comments_many(self.db, self.source, &with_comments, now).await?;
        let posts_with_comments = posts.iter().filter(|(_, _, p)| !p.comments.is_empty());
        for ((post, _, _), added) in posts_with_comments.zip(added) {
            summary.comments += added.added;
            summary.comments_unchanged += added.already_there;
            summary.renumbered += added.renumbered;
            for orphan in added.orphans {
                summary.note(
                    &item_name(post),
                    format!("comment {orphan} answers a comment not in the export: it starts a thread of its own"),
                );
            }
        }
        for (_, article, p) in posts {
            if !p.mentions.is_empty() {
                summary.mentions +=
                    imports::add_mentions(self.db, self.source, *article, &p.mentions, now).await?;
            }
        }
        Ok(())
    }
}

/// `list` ordered so that each comment comes after its parent when the
/// parent is in it; a missing parent or a cycle loses no comment.
pub(super) fn parents_first(
    list: Vec<dateline_wordpress::Comment>,
) -> Vec<dateline_wordpress::Comment> {
    let index: HashMap<i64, usize> = list.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    const NEW: u8 = 0;
    const ON_CHAIN: u8 = 1;
    const PLACED: u8 = 2;
    let mut state = vec![NEW; list.len()];
    let mut order = Vec::with_capacity(list.len());
    let mut chain = Vec::new();
    for start in 0..list.len() {
        // Walk up to the first ancestor placed (or not in the list), then
        // place the chain from the top down.
        let mut at = start;
        while state[at] == NEW {
            state[at] = ON_CHAIN;
            chain.push(at);
            match index.get(&list[at].parent) {
                Some(&parent) if list[at].parent > 0 => at = parent,
                _ => break,
            }
        }
        for i in chain.drain(..).rev() {
            state[i] = PLACED;
            order.push(i);
        }
    }
    // Put list[order[k]] at k, in place (a long thread is not copied):
    // follow each cycle of the permutation, swapping along it.
    let mut list = list;
    let mut moved = vec![false; list.len()];
    for start in 0..list.len() {
        let mut at = start;
        while !moved[at] {
            moved[at] = true;
            if order[at] == start {
                break;
            }
            list.swap(at, order[at]);
            at = order[at];
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::parents_first;

    fn comment(id: i64, parent: i64) -> dateline_wordpress::Comment {
        dateline_wordpress::Comment {
            id,
            parent,
            ..Default::default()
        }
    }

    #[test]
    fn parents_come_first_and_no_comment_is_lost() {
        // 5 answers 4, which answers 2; 9's parent is not in the list; 7
        // and 8 answer each other.
        let list = [
            (5, 4),
            (1, 0),
            (4, 2),
            (9, 99),
            (2, 0),
            (7, 8),
            (8, 7),
            (3, 1),
        ]
        .map(|(id, parent)| comment(id, parent))
        .to_vec();
        let ids: Vec<i64> = parents_first(list).iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, [1, 2, 3, 4, 5, 7, 8, 9]);
        let at = |id: i64| ids.iter().position(|x| *x == id).unwrap();
        assert!(at(2) < at(4) && at(4) < at(5), "{ids:?}");
        assert!(at(1) < at(3), "{ids:?}");
    }
}
