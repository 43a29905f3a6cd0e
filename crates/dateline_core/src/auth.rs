//! Who may do what in the newsroom. Every route and API call asks these
//! functions; nothing else decides.
//!
//! - A contributor writes drafts, and edits their own drafts until published.
//! - An author also publishes, schedules, unpublishes and archives their own
//!   articles, and edits them once published.
//! - An editor does all of that to anyone's articles, manages sections, tags
//!   and authors, and moderates.
//! - An admin also manages users, API tokens and the site's settings.
//!
//! What a save may do besides writing its own article (`SaveRights`) is
//! decided here too, and storage takes it as a parameter: a writer without
//! the editor role names only authors, sections and tags that exist.

use crate::ArticleStatus;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The id of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Contributor,
    Author,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Contributor, Role::Author, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Author => "author",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// What the role is for, in a line.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Contributor => "writes drafts; cannot publish",
            Role::Author => "writes and publishes their own articles",
            Role::Editor => {
                "publishes and edits anyone's articles, manages sections, tags and authors"
            }
            Role::Admin => "everything, and users, API tokens and site settings",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user (or API token holder) an action is done as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub role: Role,
    /// How the audit log names them (and through what they came).
    pub who: crate::audit::Who,
}

/// What an article looks like to a permission check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleAccess {
    pub owner: Option<UserId>,
    pub status: ArticleStatus,
    /// Whether it has ever been published (an unpublished draft that once
    /// went out is no longer a contributor's to change).
    pub ever_published: bool,
}

/// Actions that are not about one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Open the newsroom at all.
    UseNewsroom,
    CreateArticle,
    UploadMedia,
    /// Sections, tags and author profiles.
    ManageTaxonomy,
    /// See every article in the newsroom list, not only one's own.
    SeeAllArticles,
    Moderate,
    /// Subscribers, newsletter sends, delivery events.
    ManageNewsletter,
    ManageUsers,
    ManageTokens,
    ManageSettings,
}

/// What a save may do to records other articles share: the authors,
/// sections and tags a draft names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveRights {
    /// Create the ones that do not exist yet, and change an author's bio
    /// (editors, admins, and operators on the command line).
    ManageNames,
    /// Only name ones that exist, as they are.
    NameExisting,
}

impl Actor {
    /// What this actor's saves may do besides writing the article.
    pub fn save_rights(&self) -> SaveRights {
        if self.can(Capability::ManageTaxonomy) {
            SaveRights::ManageNames
        } else {
            SaveRights::NameExisting
        }
    }

    fn owns(&self, article: &ArticleAccess) -> bool {
        article.owner == Some(self.user)
    }

    pub fn can(&self, capability: Capability) -> bool {
        use Capability::*;
        match capability {
            UseNewsroom | CreateArticle | UploadMedia => true,
            ManageTaxonomy | SeeAllArticles | Moderate | ManageNewsletter => {
                self.role >= Role::Editor
            }
            ManageUsers | ManageTokens | ManageSettings => self.role == Role::Admin,
        }
    }

    /// May open and read this article in the newsroom.
    pub fn can_view(&self, article: &ArticleAccess) -> bool {
        self.role >= Role::Editor
            || self.owns(article)
            || article.status == ArticleStatus::Published
    }

    /// May change this article's content.
    pub fn can_edit(&self, article: &ArticleAccess) -> bool {
        match self.role {
            Role::Admin | Role::Editor => true,
            Role::Author => self.owns(article),
            Role::Contributor => {
                self.owns(article)
                    && article.status == ArticleStatus::Draft
                    && !article.ever_published
            }
        }
    }

    /// May put an article into `status` (publish, schedule, archive, or take
    /// it back to draft). `article` is `None` for a new one.
    pub fn can_set_status(&self, article: Option<&ArticleAccess>, status: ArticleStatus) -> bool {
        if let Some(a) = article {
            if !self.can_edit(a) {
                return false;
            }
            // Taking a published article down is publishing work too.
            if a.status != ArticleStatus::Draft && status == ArticleStatus::Draft {
                return self.role >= Role::Author;
            }
        }
        match status {
            ArticleStatus::Draft => true,
            ArticleStatus::Scheduled | ArticleStatus::Published | ArticleStatus::Archived => {
                self.role >= Role::Author
            }
        }
    }

    /// May delete this article for good.
    pub fn can_delete(&self, article: &ArticleAccess) -> bool {
        match self.role {
            Role::Admin | Role::Editor => true,
            Role::Author => self.owns(article),
            Role::Contributor => self.owns(article) && !article.ever_published,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user: UserId(1),
            role,
            who: crate::audit::Who::cli(""),
        }
    }

    fn mine(status: ArticleStatus, ever_published: bool) -> ArticleAccess {
        ArticleAccess {
            owner: Some(UserId(1)),
            status,
            ever_published,
        }
    }

    fn theirs(status: ArticleStatus) -> ArticleAccess {
        ArticleAccess {
            owner: Some(UserId(2)),
            status,
            ever_published: status != Draft,
        }
    }

    #[test]
    fn contributors_write_drafts_only() {
        let c = actor(Role::Contributor);
        assert!(c.can(Capability::CreateArticle));
        assert!(c.can_edit(&mine(Draft, false)));
        assert!(!c.can_edit(&mine(Published, true)));
        assert!(
            !c.can_edit(&mine(Draft, true)),
            "once published, no longer theirs to change"
        );
        assert!(!c.can_edit(&theirs(Draft)));
        assert!(c.can_set_status(None, Draft));
        for s in [Scheduled, Published, Archived] {
            assert!(!c.can_set_status(None, s));
            assert!(!c.can_set_status(Some(&mine(Draft, false)), s));
        }
        assert!(!c.can(Capability::ManageTaxonomy));
        assert!(!c.can(Capability::SeeAllArticles));
        assert_eq!(c.save_rights(), SaveRights::NameExisting);
    }

    #[test]
    fn authors_publish_their_own() {
        let a = actor(Role::Author);
        for s in [Draft, Scheduled, Published, Archived] {
            assert!(a.can_set_status(Some(&mine(Draft, false)), s));
            assert!(!a.can_set_status(Some(&theirs(Draft)), s));
        }
        assert!(a.can_edit(&mine(Published, true)));
        assert!(
            a.can_set_status(Some(&mine(Published, true)), Draft),
            "unpublish their own"
        );
        assert!(!a.can_edit(&theirs(Published)));
        assert!(a.can_view(&theirs(Published)));
        assert!(!a.can_view(&theirs(Draft)));
        assert!(!a.can(Capability::ManageTaxonomy));
        assert_eq!(a.save_rights(), SaveRights::NameExisting);
    }

    #[test]
    fn editors_handle_anyone_and_admins_everything() {
        let e = actor(Role::Editor);
        assert!(e.can_edit(&theirs(Published)));
        assert!(e.can_set_status(Some(&theirs(Draft)), Published));
        assert!(e.can(Capability::ManageTaxonomy) && e.can(Capability::Moderate));
        assert_eq!(e.save_rights(), SaveRights::ManageNames);
        assert!(
            !e.can(Capability::ManageUsers)
                && !e.can(Capability::ManageSettings)
                && !e.can(Capability::ManageTokens)
        );
        let admin = actor(Role::Admin);
        for c in [
            Capability::ManageUsers,
            Capability::ManageSettings,
            Capability::ManageTokens,
            Capability::ManageTaxonomy,
        ] {
            assert!(admin.can(c));
        }
    }

    #[test]
    fn roles_parse() {
        assert_eq!(Role::parse("Editor"), Some(Role::Editor));
        assert_eq!(Role::parse("owner"), None);
    }
}
