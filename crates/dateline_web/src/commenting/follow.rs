//! Following an article's comments, whichever door it is asked through (the
//! "Notify of" form, a comment's "Email me replies", the Comments API), and
//! confirming from the mailed link.
//!
//! Asking proves nothing about who owns an address, so a follow waits for
//! its confirmation mail unless whoever asks proved they read the address's
//! mail: a newsroom account signed in with that address, or a browser that
//! confirmed a link mailed to it before (its commenter secret, remembered by
//! hash when it confirmed). Nothing here tells the asker which it was.

use crate::auth::secrets::hash_secret;
use crate::error::AppError;
use crate::handlers::site;
use crate::state::AppState;
use chrono::Utc;
use dateline_core::ArticleId;
use dateline_db::comments::CommentTarget;
use dateline_db::follows::{self, Follow, FollowKind, FollowRequest, Followed};
use dateline_mail::links::CONFIRM_VALID;
use dateline_mail::templates;

/// Who asks to follow what.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub email: &'a str,
    pub kind: FollowKind,
    /// The comment whose replies, for [`FollowKind::Comment`].
    pub comment: Option<i64>,
    /// The secret in the asking browser (empty without one).
    pub owner_secret: &'a str,
    /// The address of the newsroom account signed in there, if any.
    pub staff_email: Option<&'a str>,
}

/// Follows the article for `asked.email`: at once when the asker proved
/// the address is theirs, otherwise after a confirmation mail (at most one
/// an hour per address). The caller counts the request against the mail
/// limit first.
pub(crate) async fn ask(
    state: &AppState,
    target: &CommentTarget,
    asked: &Asked<'_>,
) -> Result<Followed, AppError> {
    let proven = asked.staff_email == Some(asked.email)
        || follows::proved_address(&state.db, &owner_hash(asked.owner_secret), asked.email).await?;
    let site = site(state).await?;
    let links = state.links.clone();
    let now = Utc::now();
    let (title, headline) = (site.settings.title.clone(), target.headline.clone());
    let request = FollowRequest {
        email: asked.email,
        article: ArticleId(target.id),
        kind: asked.kind,
        comment_id: asked.comment,
        proven,
    };
    Ok(follows::follow(&state.db, &request, now, |follow| {
        templates::follow_confirm(&templates::FollowConfirm {
            site_title: title,
            email: asked.email.to_owned(),
            headline,
            what: asked.kind.describe().to_owned(),
            link: links.follow_confirm(follow, now),
            valid_days: CONFIRM_VALID.num_days(),
        })
        .map_err(|e| tracing::error!(error = %e, "cannot render the follow confirmation"))
        .ok()
        .map(|m| m.into_queued("follow_confirm", None))
    })
    .await?)
}

/// Confirms the follow a mailed link names, and those of the address's
/// other waiting follows its owner ticked (`others`), and remembers that the
/// confirming browser (holding `owner_secret`) reads the address's mail.
/// `None` when the follow is gone.
pub(crate) async fn confirm(
    state: &AppState,
    follow: i64,
    others: &[i64],
    owner_secret: &str,
) -> Result<Option<Follow>, AppError> {
    let now = Utc::now();
    let Some(follow) = follows::confirm(&state.db, follow, others, now).await? else {
        return Ok(None);
    };
    follows::prove_address(&state.db, &owner_hash(owner_secret), &follow.email, now).await?;
    Ok(Some(follow))
}

fn owner_hash(secret: &str) -> String {
    if secret.is_empty() {
        String::new()
    } else {
        hash_secret(secret)
    }
}
