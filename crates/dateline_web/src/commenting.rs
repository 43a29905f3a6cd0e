//! What posting a comment involves, whichever door it comes through (the
//! form under an article, the Comments API): the spam defences, the rate
//! limits, the moderation rules, storing it, and dropping cached pages.
//!
//! Nothing is stored unless every check passed; a refusal says why, in
//! words, and the caller gives the reader back what they wrote.

use crate::auth::{ip_prefix, secrets::hash_secret};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use dateline_core::comment::{
    CommentDraft, CommentInput, CommentSettings, CommentStatus, hold_reason, proof_of_work_ok,
};
use dateline_core::signing::Purpose;
use dateline_core::{UserId, ValidationErrors};
use dateline_db::DbError;
use dateline_db::comments::{self, CommentTarget, NewComment};
use dateline_db::rows::CommentRow;
use std::net::IpAddr;

/// How long a comment form stays good.
pub const FORM_VALID: Duration = Duration::days(1);
/// The window the rate limits count in.
pub const RATE_WINDOW: Duration = Duration::hours(1);
/// Comments one client address, or one email address, may post per window.
pub const MAX_PER_IP: i64 = 30;
pub const MAX_PER_EMAIL: i64 = 15;
/// Votes one reader may cast per window.
pub const MAX_VOTES: i64 = 200;

/// Why a comment was not taken.
#[derive(Debug)]
pub enum Refusal {
    /// Fields to correct.
    Invalid(ValidationErrors),
    /// Not taken, for a reason about the whole comment; `status` is the
    /// HTTP status to answer with.
    Notice {
        status: axum::http::StatusCode,
        message: String,
        retry_after: Option<u64>,
    },
    Internal(anyhow::Error),
}

impl From<DbError> for Refusal {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Invalid(errors) => Refusal::Invalid(errors),
            other => Refusal::Internal(other.into()),
        }
    }
}

fn notice(status: axum::http::StatusCode, message: impl Into<String>) -> Refusal {
    Refusal::Notice {
        status,
        message: message.into(),
        retry_after: None,
    }
}

/// What came with a comment besides its text.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub input: CommentInput,
    pub parent_id: Option<i64>,
    /// The form's signed token (when it was made).
    pub token: String,
    /// The proof-of-work nonce, when the site asks for one.
    pub nonce: String,
    /// The field people never see; robots fill it in.
    pub honeypot: String,
    pub anchor: Option<String>,
}

/// Who sent it.
#[derive(Debug, Clone)]
pub struct Sender {
    pub ip: IpAddr,
    pub user_agent: String,
    /// The secret in the writer's browser, which lets them edit for a while.
    pub owner_secret: String,
    /// A newsroom account (their comments skip the rules).
    pub staff: Option<(UserId, String, String)>,
}

impl Sender {
    /// A reader, from their request: the client address (believing
    /// forwarding headers only from trusted proxies) and browser.
    pub fn reader(
        state: &AppState,
        parts: &axum::http::request::Parts,
        owner_secret: String,
    ) -> Self {
        Self {
            ip: crate::auth::client_ip(parts, &state.config.trusted_proxies),
            user_agent: parts
                .headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            owner_secret,
            staff: None,
        }
    }
}

/// A fresh comment-form token.
pub fn form_token(state: &AppState, now: DateTime<Utc>) -> String {
    state.signer.sign(
        Purpose::CommentForm,
        now.timestamp(),
        Some((now + FORM_VALID).timestamp()),
    )
}

/// The keyed hash a client address is stored and banned as.
pub fn ip_hash(state: &AppState, ip: IpAddr) -> String {
    state.signer.keyed_hash("ip", &ip.to_string())
}

/// Checks, decides and stores a comment.
pub async fn post(
    state: &AppState,
    target: &CommentTarget,
    settings: &CommentSettings,
    submission: &Submission,
    sender: &Sender,
    now: DateTime<Utc>,
) -> Result<CommentRow, Refusal> {
    use axum::http::StatusCode;
    if !target.open(settings, now) {
        return Err(notice(
            StatusCode::FORBIDDEN,
            "Comments on this report are closed.",
        ));
    }
    let staff = sender.staff.is_some();
    let input = match &sender.staff {
        Some((_, name, email)) => CommentInput {
            name: name.clone(),
            email: email.clone(),
            ..submission.input.clone()
        },
        None => submission.input.clone(),
    };
    let anchor_problem = anchor_problem(state, target, submission).await?;
    let draft = match (input.validate(settings), anchor_problem) {
        (Ok(draft), None) => draft,
        (Ok(_), Some(message)) => {
            let mut errors = ValidationErrors::new();
            errors.add("anchor", message);
            return Err(Refusal::Invalid(errors));
        }
        (Err(mut errors), problem) => {
            if let Some(message) = problem {
                errors.add("anchor", message);
            }
            return Err(Refusal::Invalid(errors));
        }
    };
    if !staff {
        check_robot(state, settings, submission, now)?;
    }
    let ip_hash = ip_hash(state, sender.ip);
    if !staff {
        let standing =
            comments::standing(&state.db, &ip_hash, &draft.email, now - RATE_WINDOW).await?;
        if standing.banned {
            return Err(notice(
                StatusCode::FORBIDDEN,
                "Comments from this address are not accepted here. If you think this is a mistake, write to the editors.",
            ));
        }
        if standing.by_client >= MAX_PER_IP || standing.by_email >= MAX_PER_EMAIL {
            metrics::counter!("dateline_comments_refused_total", "why" => "rate").increment(1);
            return Err(Refusal::Notice {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: "You have posted many comments in the last hour. Your comment is kept below: wait a while and send it again.".into(),
                retry_after: Some(600),
            });
        }
    }
    let (status, held_because) = if staff {
        (CommentStatus::Approved, String::new())
    } else {
        decide(state, &draft, settings).await?
    };
    let new = NewComment {
        article_id: dateline_core::ArticleId(target.id),
        parent_id: submission.parent_id,
        status,
        held_because,
        author_name: draft.name,
        author_email: draft.email,
        author_url: draft.website,
        user_id: sender.staff.as_ref().map(|(id, _, _)| *id),
        body_html: dateline_render::render_comment(&draft.body),
        body_markdown: draft.body,
        ip_hash,
        ip_prefix: ip_prefix(sender.ip),
        user_agent: sender.user_agent.chars().take(300).collect(),
        owner_hash: if sender.owner_secret.is_empty() {
            String::new()
        } else {
            hash_secret(&sender.owner_secret)
        },
        anchor: submission.anchor.clone(),
    };
    let row = comments::create(&state.db, &new, now).await?;
    if status == CommentStatus::Approved {
        state.comments_changed(target.id, &target.slug);
    }
    metrics::counter!("dateline_comments_total", "status" => status.as_str()).increment(1);
    Ok(row)
}

/// What is wrong with the passage a new thread is sent for, if anything:
/// it must be a paragraph of the article as it reads now. (A reply belongs
/// to its thread's passage, whatever came with it.)
async fn anchor_problem(
    state: &AppState,
    target: &CommentTarget,
    submission: &Submission,
) -> Result<Option<&'static str>, Refusal> {
    let Some(anchor) = submission
        .anchor
        .as_deref()
        .filter(|_| submission.parent_id.is_none())
    else {
        return Ok(None);
    };
    let passage = match anchor.len() {
        1..=20 => {
            dateline_db::passages::get(&state.db, dateline_core::ArticleId(target.id), anchor)
                .await?
        }
        _ => None,
    };
    Ok(match passage {
        Some(p) if p.current() => None,
        Some(_) => Some(
            "The paragraph you commented on was removed from the report since you opened the page. Your comment is kept below: post it to the whole report, or copy it.",
        ),
        None => Some(
            "This comment is about a paragraph the report does not have. Your comment is kept below: post it to the whole report, or copy it.",
        ),
    })
}

/// The checks that tell robots from people: the field people cannot see,
/// the time a person needs to write, and the proof of work when asked.
fn check_robot(
    state: &AppState,
    settings: &CommentSettings,
    submission: &Submission,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    use axum::http::StatusCode;
    if !submission.honeypot.trim().is_empty() {
        metrics::counter!("dateline_comments_refused_total", "why" => "honeypot").increment(1);
        return Err(notice(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This comment looks automatic: a field meant to stay empty was filled in. If you are a person, leave the field labelled “Leave this empty” blank and send again.",
        ));
    }
    let issued = match state
        .signer
        .verify(Purpose::CommentForm, &submission.token, now.timestamp())
    {
        Ok(t) => t,
        Err(dateline_core::signing::LinkError::Expired) => {
            return Err(notice(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This form was opened more than a day ago. Your comment is kept below: send it again.",
            ));
        }
        Err(_) => {
            return Err(notice(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This comment did not come from our comment form. Your comment is kept below: send it again.",
            ));
        }
    };
    if now.timestamp() - issued < i64::from(settings.min_seconds) {
        metrics::counter!("dateline_comments_refused_total", "why" => "too_fast").increment(1);
        return Err(notice(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "That was sent within {} seconds of opening the form, faster than people write. Read it over and send it again.",
                settings.min_seconds
            ),
        ));
    }
    if !proof_of_work_ok(
        &submission.token,
        &submission.nonce,
        settings.proof_of_work_bits,
    ) {
        return Err(notice(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Your browser did not finish the small calculation this site asks of commenters to keep robots out. Turn on JavaScript for this site, wait a moment, and send again.",
        ));
    }
    Ok(())
}

/// Approved, or held with the rule that held it.
async fn decide(
    state: &AppState,
    draft: &CommentDraft,
    settings: &CommentSettings,
) -> Result<(CommentStatus, String), Refusal> {
    let known =
        !settings.hold_first || comments::has_approved_from(&state.db, &draft.email).await?;
    Ok(match hold_reason(draft, settings, known) {
        Some(reason) => (CommentStatus::Pending, reason),
        None => (CommentStatus::Approved, String::new()),
    })
}
