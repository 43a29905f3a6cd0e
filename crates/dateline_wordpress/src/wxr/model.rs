//! What a WXR file holds, as the reader gives it: the site, its authors
//! and terms, and its items (posts, pages, attachments) with their comments
//! and meta. Text is as exported: names may hold HTML entities, slugs are
//! percent-encoded.

use chrono::NaiveDateTime;

/// The exported site, read before its first author, term or item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Site {
    pub title: String,
    pub link: String,
    pub language: String,
    pub wxr_version: String,
    /// The network's address on a multisite install, else the site's.
    pub base_site_url: String,
    /// The site's own address: the one its posts' links start with.
    pub base_blog_url: String,
}

impl Site {
    /// Whether the export comes from one site of a multisite network.
    pub fn is_multisite(&self) -> bool {
        !self.base_site_url.is_empty()
            && !self.base_blog_url.is_empty()
            && self.base_site_url.trim_end_matches('/') != self.base_blog_url.trim_end_matches('/')
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Author {
    pub id: Option<i64>,
    pub login: String,
    pub email: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
}

/// A category, tag or other term. `taxonomy` is `category`, `post_tag` or
/// the term's own taxonomy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Term {
    pub id: Option<i64>,
    pub taxonomy: String,
    /// As exported: percent-encoded when not Latin.
    pub slug: String,
    pub name: String,
    /// The parent's slug, empty for a top-level term.
    pub parent: String,
    pub description: String,
}

/// A term an item is filed under: `<category domain="post_tag"
/// nicename="…">Name</category>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemTerm {
    pub domain: String,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    pub email: String,
    pub url: String,
    pub ip: String,
    pub date_gmt: Option<NaiveDateTime>,
    pub date_local: Option<NaiveDateTime>,
    pub content: String,
    /// `1`, `0`, `spam`, `trash` or `post-trashed`.
    pub approved: String,
    /// Empty or `comment` for comments; `pingback`, `trackback`, or a
    /// plugin's own type.
    pub kind: String,
    pub parent: i64,
    pub user_id: i64,
    pub meta: Vec<(String, String)>,
}

/// A post, page, attachment or item of another post type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Post {
    pub id: i64,
    /// The line of the item's start in the file, for messages.
    pub line: u64,
    pub title: String,
    pub link: String,
    pub creator: String,
    pub guid: String,
    pub content: String,
    pub excerpt: String,
    pub date_local: Option<NaiveDateTime>,
    /// None for a draft never scheduled (`0000-00-00 00:00:00`).
    pub date_gmt: Option<NaiveDateTime>,
    pub modified_gmt: Option<NaiveDateTime>,
    /// As exported: percent-encoded when not Latin.
    pub slug: String,
    pub status: String,
    pub parent: i64,
    pub menu_order: i64,
    pub post_type: String,
    pub password: String,
    pub sticky: bool,
    pub comment_status: String,
    pub attachment_url: String,
    pub terms: Vec<ItemTerm>,
    pub meta: Vec<(String, String)>,
    /// Its comments, or the first of them when `more_comments`.
    pub comments: Vec<Comment>,
    /// Whether the rest of its comments follow as `Entry::Comments`: a
    /// post with tens of thousands is read a part at a time.
    pub more_comments: bool,
}

impl Post {
    /// The first value of a meta key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One thing read from the export, in file order. `Site` comes first.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Site(Site),
    Author(Author),
    Term(Term),
    Post(Box<Post>),
    /// More comments of the post just given (`Post::more_comments`), in
    /// file order; `last` on the final part, which may be empty.
    Comments {
        post_id: i64,
        comments: Vec<Comment>,
        last: bool,
    },
}

/// Why the export could not be read, with the line it was found on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct WxrError {
    pub line: u64,
    pub message: String,
    /// Whether reading can go on with the next entry (a bad item) or the
    /// file cannot be read further (broken XML, not an export).
    pub fatal: bool,
}
