//! The newsroom, server-rendered at `/admin`: every page works as a plain
//! form; `admin.js` only adds the live preview and small conveniences.
//!
//! Pages are private: never cached, never indexed.

pub mod account;
pub mod articles;
pub mod audit;
pub mod comments;
pub mod login;
pub mod media;
pub mod newsletters;
pub mod preview;
pub mod settings;
pub mod taxonomy;
pub mod tokens;
pub mod users;

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::state::AppState;
use crate::templates::ser;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Capability, Role};
use serde::Serialize;

/// The signed-in user as the newsroom's menus see them.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub can_taxonomy: bool,
    pub can_see_all: bool,
    pub can_publish: bool,
    pub is_admin: bool,
}

impl Me {
    fn of(who: &SignedIn) -> Self {
        Self {
            name: who.user.name.clone(),
            email: who.user.email.clone(),
            role: who.user.role,
            can_taxonomy: who.actor.can(Capability::ManageTaxonomy),
            can_see_all: who.actor.can(Capability::SeeAllArticles),
            can_publish: who.actor.role >= Role::Author,
            is_admin: who.actor.can(Capability::ManageSettings),
        }
    }
}

/// The frame of every newsroom page.
#[derive(Serialize)]
struct Frame<'a> {
    title: &'a str,
    section: &'a str,
    site_title: String,
    me: Option<Me>,
    csrf: String,
    notice: Option<&'static str>,
    css_url: String,
    js_url: String,
}

/// Messages shown after a redirect, by code (never text from the URL).
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "Article created.",
        "saved" => "Saved.",
        "published" => "Published: the article is on the site.",
        "scheduled" => "Scheduled: the article will appear by itself at its time.",
        "unpublished" => "Unpublished: the article is a draft again.",
        "archived" => "Archived.",
        "deleted" => "Deleted.",
        "restored" => "The earlier version is back, as a new revision.",
        "uploaded" => "Image uploaded.",
        "signed-out" => "You are signed out.",
        "password-changed" => "Your password is changed. Sign in with the new one.",
        "invited" => "Account created; an invitation to choose a password was sent.",
        "reset-sent" => "A password reset link was sent.",
        "sessions-ended" => "Signed out everywhere else.",
        "revoked" => "Revoked.",
        "send-queued" => "The newsletter is queued; its progress shows below.",
        "paused" => "Paused: nothing more goes out until you resume.",
        "resumed" => "Resumed.",
        "cancelled" => "Cancelled: what had not gone out never will.",
        "marked" => "Marked: no more mail goes to that address.",
        "erased" => "Erased, with everything tied to the address.",
        "moderated" => "Done.",
        "replied" => "Your reply is published.",
        "comment-edited" => "The comment is changed.",
        "banned" => "Banned: comments from there are refused.",
        "unbanned" => "The ban is lifted.",
        "follow-removed" => "Removed: that reader gets no more notifications of it.",
        "comments-closed" => "Comments on the article are closed.",
        "comments-opened" => "Comments on the article are open.",
        "code-step-over" => "That sign-in expired or had too many wrong codes; sign in again.",
        "two-factor-required" => {
            "This site asks admins to sign in with a second factor: set it up before anything else."
        }
        "two-factor-on" => "Two-factor sign-in is on.",
        "two-factor-off" => "Two-factor sign-in is off.",
        "two-factor-reset" => {
            "Two-factor sign-in is off for that account; they set it up again when they next sign in."
        }
        "recovery-codes" => "New recovery codes are made; the old ones no longer work.",
        "user-deleted" => "The account is deleted; its articles stay, without an owner.",
        _ => return None,
    })
}

/// Which newsroom page: its template, title, and the menu entry it is under.
pub(crate) struct Screen<'a> {
    pub template: &'a str,
    pub title: &'a str,
    pub section: &'a str,
}

/// Renders a newsroom page. `who` is `None` on the sign-in pages.
pub(crate) async fn page<P: Serialize>(
    state: &AppState,
    who: Option<&SignedIn>,
    screen: Screen<'_>,
    notice_code: Option<&str>,
    page: P,
    status: StatusCode,
) -> Result<Response, AppError> {
    let site = crate::handlers::site(state).await?;
    let frame = Frame {
        title: screen.title,
        section: screen.section,
        site_title: site.settings.title.clone(),
        me: who.map(Me::of),
        csrf: who
            .map(|w| w.session.csrf_token.clone())
            .unwrap_or_default(),
        notice: notice(notice_code),
        css_url: state.assets.url("admin.css"),
        js_url: state.assets.url("admin.js"),
    };
    let html = state.templates.render(
        screen.template,
        minijinja::context! { frame => ser(&frame), page => ser(&page) },
    )?;
    let mut response = (status, axum::response::Html(html)).into_response();
    private(&mut response);
    Ok(response)
}

/// Marks a response as one person's, never to be stored by a cache.
pub fn private(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
}

/// After a form: back to a page, with a notice code (Post/Redirect/Get).
pub fn see_other(path: &str, notice_code: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}notice={notice_code}")).into_response()
}

/// `GET /admin`
pub async fn home() -> Redirect {
    Redirect::to("/admin/articles")
}

/// Forms posted with no fields but the CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct Empty {}

/// `?notice=` on any newsroom page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoticeParam {
    pub notice: Option<String>,
}
