//! What posting a comment involves, whichever door it comes through (the
//! form under an article, the Comments API): the spam defences, the rate
//! limits, the moderation rules, storing it, asking for notifications of
//! its replies, and dropping cached pages. A writer's later edits go
//! through the same rules ([`edit`]); following comments is [`follow`].
//!
//! Nothing is stored unless every check passed; a refusal says why, in
//! words, and the caller gives the reader back what they wrote. Every limit
//! is counted in the database before the work it limits, so it holds for
//! parallel requests and across processes.

pub mod edit;
pub mod follow;

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
use dateline_db::follows::FollowKind;
use dateline_db::rows::CommentRow;
use std::net::IpAddr;

/// How long a comment form stays good.
pub const FORM_VALID: Duration = Duration::days(1);
/// Comments one form token may send. More than one, because readers
/// without script share the token of a cached article page for a while;
/// few, because a robot's proof of work is done once per token.
pub const MAX_PER_FORM: i64 = 3;
/// A form token's id is the second it was made times this, plus a random
/// number below it: no two readers share a token, and its uses can be
/// counted.
const FORM_ID_SPREAD: i64 = 1 << 20;
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
    /// "Email me replies to this comment".
    pub notify: bool,
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

impl Sender {
    /// The hash of the writer's browser secret, as comments store it (empty
    /// without one).
    fn owner_hash(&self) -> String {
        if self.owner_secret.is_empty() {
            String::new()
        } else {
            hash_secret(&self.owner_secret)
        }
    }
}

/// A comment-form token for a page: the same for every page made in the
/// same second, so that a page made again (without the page cache) keeps
/// its ETag. Readers of a cached page share it, a few comments at most.
pub fn form_token(state: &AppState, now: DateTime<Utc>) -> String {
    sign_form(state, now, 0)
}

/// A comment-form token for one reader (fetched by the page's script, or
/// given back with a refusal): nobody else gets the same one.
pub fn reader_form_token(state: &AppState, now: DateTime<Utc>) -> String {
    let mut random = [0u8; 4];
    // Without randomness the token is still good, only shared by readers
    // who asked in the same second.
    let spread = match getrandom::fill(&mut random) {
        Ok(()) => i64::from(u32::from_le_bytes(random)) % FORM_ID_SPREAD,
        Err(_) => 0,
    };
    sign_form(state, now, spread)
}

fn sign_form(state: &AppState, now: DateTime<Utc>, spread: i64) -> String {
    state.signer.sign(
        Purpose::CommentForm,
        now.timestamp() * FORM_ID_SPREAD + spread,
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
    let ip_hash = ip_hash(state, sender.ip);
    if !staff {
        check_robot(state, settings, submission, now)?;
        check_limits(state, submission, &ip_hash, &draft.email, now).await?;
        if comments::banned(&state.db, &ip_hash, &draft.email).await? {
            return Err(notice(
                StatusCode::FORBIDDEN,
                "Comments from this address are not accepted here. If you think this is a mistake, write to the editors.",
            ));
        }
    }
    if submission.notify && !staff {
        crate::mail_limit::count(state, sender.ip, now)
            .await
            .map_err(|limited| Refusal::Notice {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: format!(
                    "{} Your comment is kept below: untick “Email me replies” to post it now.",
                    limited.message()
                ),
                retry_after: Some(limited.retry_after()),
            })?;
    }
    let (status, held_because) = if staff {
        (CommentStatus::Approved, String::new())
    } else {
        decide(state, &draft, settings, &sender.owner_hash()).await?
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
        owner_hash: sender.owner_hash(),
        anchor: submission.anchor.clone(),
    };
    let row = comments::create(&state.db, &new, now).await?;
    if status == CommentStatus::Approved {
        state.comments_changed(target.id, &target.slug);
    }
    metrics::counter!("dateline_comments_total", "status" => status.as_str()).increment(1);
    if submission.notify {
        follow::ask(
            state,
            target,
            &follow::Asked {
                email: &row.author_email,
                kind: FollowKind::Comment,
                comment: Some(row.id),
                owner_secret: &sender.owner_secret,
                staff_email: sender.staff.as_ref().map(|(_, _, email)| email.as_str()),
            },
        )
        .await
        .map_err(|e| Refusal::Internal(e.into()))?;
    }
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
    let issued = issued.div_euclid(FORM_ID_SPREAD);
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

/// Counts the comment against its form token (a few comments at most), its
/// client and its address (so many an hour), all at once and before it is
/// stored, so that requests sent together cannot get past a limit.
async fn check_limits(
    state: &AppState,
    submission: &Submission,
    ip_hash: &str,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    use axum::http::StatusCode;
    use dateline_db::limits::{Attempt, count_attempts};
    let form = state.signer.keyed_hash("comment-form", &submission.token);
    let address = state.signer.keyed_hash("comment-email", email);
    let counted = count_attempts(
        &state.db,
        &[
            Attempt {
                scope: "comment_form",
                key: &form,
                window: FORM_VALID,
            },
            Attempt {
                scope: "comment_client",
                key: ip_hash,
                window: RATE_WINDOW,
            },
            Attempt {
                scope: "comment_email",
                key: &address,
                window: RATE_WINDOW,
            },
        ],
        now,
    )
    .await?;
    let [form, client, address] = counted.as_slice() else {
        return Err(Refusal::Internal(anyhow::anyhow!(
            "three attempts counted, {} counts back",
            counted.len()
        )));
    };
    if form.over(MAX_PER_FORM) {
        metrics::counter!("dateline_comments_refused_total", "why" => "form_reused").increment(1);
        return Err(notice(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This form has already sent several comments. Your comment is kept below: send it again with the fresh form.",
        ));
    }
    let over = [(client, MAX_PER_IP), (address, MAX_PER_EMAIL)]
        .into_iter()
        .filter(|(c, max)| c.over(*max))
        .map(|(c, _)| c.retry_after(now))
        .max();
    if let Some(retry_after) = over {
        metrics::counter!("dateline_comments_refused_total", "why" => "rate").increment(1);
        return Err(Refusal::Notice {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "You have posted many comments in the last hour. Your comment is kept below: wait a while and send it again.".into(),
            retry_after: Some(retry_after),
        });
    }
    Ok(())
}

/// Approved, or held with the rule that held it. The first-comment rule
/// trusts an address only from a browser that wrote one of its approved
/// comments or proved it reads its mail (`owner_hash`): typing an address
/// that commented before is not enough.
async fn decide(
    state: &AppState,
    draft: &CommentDraft,
    settings: &CommentSettings,
    owner_hash: &str,
) -> Result<(CommentStatus, String), Refusal> {
    let known =
        !settings.hold_first || comments::known_writer(&state.db, &draft.email, owner_hash).await?;
    Ok(match hold_reason(draft, settings, known) {
        Some(reason) => (CommentStatus::Pending, reason),
        None => (CommentStatus::Approved, String::new()),
    })
}
