//! The reader's side of the newsletter: signing up (the box on every article
//! and `/subscribe`), confirming, preferences and unsubscribing. Every page
//! past the sign-up is reached by a signed link from a mail; the id in it is
//! the subscriber's, and the signature is what lets it act.
//!
//! Signing up answers the same whatever the address's state, so nobody can
//! learn who subscribes; what differs goes by mail to the address itself.

use crate::auth::ReaderForm;
use crate::error::AppError;
use crate::handlers::{html_page, site};
use crate::state::AppState;
use crate::views::PageMeta;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use dateline_core::newsletter::{Frequency, SubscriberStatus, normalize_email};
use dateline_db::mail::NewMail;
use dateline_db::people::{self, TermKind};
use dateline_db::subscribers::{self, Signup, SignupMail, Subscriber};
use dateline_mail::links::CONFIRM_VALID;
use dateline_mail::templates;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The steps a reader goes through, each a state of one template.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    /// The sign-up form.
    Form,
    /// "Check your inbox."
    Sent,
    /// The confirmation link's page, with its button.
    Confirm,
    Confirmed,
    /// The link ran out: sign up again.
    Expired,
    Preferences,
    Unsubscribe,
    Unsubscribed,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
}

#[derive(Serialize)]
struct SectionChoice {
    slug: String,
    name: String,
    chosen: bool,
}

#[derive(Serialize)]
struct FrequencyChoice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

#[derive(Serialize)]
struct NewsletterPage {
    step: Step,
    form: SignupForm,
    errors: BTreeMap<String, String>,
    /// Where the forms of a subscriber's pages post.
    action: String,
    notice: Option<String>,
    subscriber: Option<SubscriberView>,
    frequencies: Vec<FrequencyChoice>,
    sections: Vec<SectionChoice>,
}

#[derive(Serialize)]
struct SubscriberView {
    email: String,
    name: String,
    status: &'static str,
    subscribed: bool,
    preferences: String,
    unsubscribe: String,
}

impl NewsletterPage {
    fn new(step: Step) -> Self {
        Self {
            step,
            form: SignupForm::default(),
            errors: BTreeMap::new(),
            action: String::new(),
            notice: None,
            subscriber: None,
            frequencies: Vec::new(),
            sections: Vec::new(),
        }
    }
}

/// A page only its reader should see: never cached, never indexed.
async fn private_page(
    state: &AppState,
    title: &str,
    page: NewsletterPage,
    status: StatusCode,
) -> Result<Response, AppError> {
    let meta = PageMeta {
        title: title.to_owned(),
        noindex: true,
        ..PageMeta::default()
    };
    let mut response = html_page(state, "newsletter.html", meta, page, None).await?;
    crate::handlers::make_private(&mut response);
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscribeParams {
    #[serde(default)]
    email: String,
}

/// `GET /subscribe`
pub async fn subscribe_form(
    State(state): State<AppState>,
    crate::extract::Q(p): crate::extract::Q<SubscribeParams>,
) -> Result<Response, AppError> {
    let mut page = NewsletterPage::new(Step::Form);
    page.form.email = p.email.chars().take(254).collect();
    private_page(&state, "Subscribe to our newsletter", page, StatusCode::OK).await
}

/// `POST /subscribe`, from the box on every article or the page itself.
pub async fn subscribe(
    State(state): State<AppState>,
    ReaderForm { form, parts }: ReaderForm<SignupForm>,
) -> Result<Response, AppError> {
    let mut errors = BTreeMap::new();
    let email = normalize_email(&form.email)
        .map_err(|e| errors.insert("email".to_owned(), e))
        .ok();
    let name: String = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > 100 {
        errors.insert("name".into(), "Keep the name under 100 characters.".into());
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        let mut page = NewsletterPage::new(Step::Form);
        page.form = form;
        page.errors = errors;
        return private_page(
            &state,
            "Subscribe to our newsletter",
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    crate::mail_limit::count_request(&state, &parts).await?;

    let site = site(&state).await?;
    let title = site.settings.title.clone();
    let links = state.links.clone();
    let now = Utc::now();
    let outcome = subscribers::sign_up(&state.db, &email, &name, now, |s, kind| {
        let mail = match kind {
            SignupMail::Confirm => templates::confirm(&templates::Confirm {
                site_title: title.clone(),
                email: s.email.clone(),
                link: links.confirm(s.id, now),
                valid_days: CONFIRM_VALID.num_days(),
            }),
            SignupMail::AlreadySubscribed => templates::already_subscribed(&templates::Already {
                site_title: title.clone(),
                email: s.email.clone(),
                preferences: links.preferences(s.id),
            }),
        };
        match mail {
            Ok(m) => Some(queued(kind_name(kind), s, m)),
            Err(e) => {
                tracing::error!(error = %e, "cannot render a sign-up mail");
                None
            }
        }
    })
    .await?;
    if let Signup::Mailed(kind) = outcome {
        metrics::counter!("dateline_newsletter_signups_total", "mail" => kind_name(kind))
            .increment(1);
    }
    let mut page = NewsletterPage::new(Step::Sent);
    page.form.email = email;
    private_page(&state, "Check your inbox", page, StatusCode::OK).await
}

fn kind_name(kind: SignupMail) -> &'static str {
    match kind {
        SignupMail::Confirm => "confirm",
        SignupMail::AlreadySubscribed => "already",
    }
}

/// A mail to a subscriber, queued under the name they gave.
fn queued(kind: &str, s: &Subscriber, m: dateline_mail::Mail) -> NewMail {
    NewMail {
        to_name: s.name.clone(),
        ..m.into_queued(kind, Some(s.id))
    }
}

fn link_error(e: dateline_core::signing::LinkError) -> AppError {
    AppError::NotFound(format!(
        "{}. Open the link from the mail again, or sign up anew at /subscribe.",
        capitalize(&e.to_string())
    ))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `GET /newsletter/confirm/{token}`: a button, not the confirmation itself,
/// so a mail scanner that opens every link confirms nobody.
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match state.links.check_confirm(&token, Utc::now()) {
        Ok(_) => {
            let mut page = NewsletterPage::new(Step::Confirm);
            page.action = format!("/newsletter/confirm/{token}");
            private_page(&state, "Confirm your subscription", page, StatusCode::OK).await
        }
        Err(dateline_core::signing::LinkError::Expired) => {
            private_page(
                &state,
                "This link has expired",
                NewsletterPage::new(Step::Expired),
                StatusCode::GONE,
            )
            .await
        }
        Err(e) => Err(link_error(e)),
    }
}

/// `POST /newsletter/confirm/{token}`
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    _form: ReaderForm<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let id = match state.links.check_confirm(&token, now) {
        Ok(id) => id,
        Err(dateline_core::signing::LinkError::Expired) => {
            return private_page(
                &state,
                "This link has expired",
                NewsletterPage::new(Step::Expired),
                StatusCode::GONE,
            )
            .await;
        }
        Err(e) => return Err(link_error(e)),
    };
    let site = site(&state).await?;
    let links = state.links.clone();
    let title = site.settings.title.clone();
    let confirmed = subscribers::confirm(&state.db, id, now, |s| {
        templates::welcome(&templates::Welcome {
            site_title: title.clone(),
            email: s.email.clone(),
            name: s.name.clone(),
            frequency: s.frequency.describe().to_owned(),
            preferences: links.preferences(s.id),
            unsubscribe: links.unsubscribe(s.id),
        })
        .map_err(|e| tracing::error!(error = %e, "cannot render the welcome mail"))
        .ok()
        .map(|m| queued("welcome", s, m))
    })
    .await?;
    let Some(s) = confirmed else {
        return Err(AppError::NotFound(
            "This subscription no longer exists. Sign up anew at /subscribe.".into(),
        ));
    };
    if matches!(
        s.status,
        SubscriberStatus::Bounced | SubscriberStatus::Complained
    ) {
        return Err(AppError::Forbidden(
            "Mail to this address could not be delivered before, so we send it nothing more. Write to the newsroom to have it cleared.".into(),
        ));
    }
    let mut page = NewsletterPage::new(Step::Confirmed);
    page.subscriber = Some(subscriber_view(&state, &s));
    private_page(&state, "You are subscribed", page, StatusCode::OK).await
}

fn subscriber_view(state: &AppState, s: &Subscriber) -> SubscriberView {
    SubscriberView {
        email: s.email.clone(),
        name: s.name.clone(),
        status: s.status.as_str(),
        subscribed: matches!(s.status, SubscriberStatus::Confirmed),
        preferences: state
            .links
            .preferences(s.id)
            .trim_start_matches(state.links.base())
            .to_owned(),
        unsubscribe: state
            .links
            .unsubscribe(s.id)
            .trim_start_matches(state.links.base())
            .to_owned(),
    }
}

/// The subscriber a manage link names, or a 404 that says what to do.
async fn managed(state: &AppState, token: &str) -> Result<Subscriber, AppError> {
    let id = state.links.check_manage(token).map_err(link_error)?;
    subscribers::get(&state.db, id).await?.ok_or_else(|| {
        AppError::NotFound("This subscription no longer exists. Sign up anew at /subscribe.".into())
    })
}

async fn preferences_page(
    state: &AppState,
    token: &str,
    s: &Subscriber,
    notice: Option<String>,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let sections = people::terms(&state.db, TermKind::Section).await?;
    let mut page = NewsletterPage::new(Step::Preferences);
    page.action = format!("/newsletter/{token}");
    page.notice = notice;
    page.errors = errors;
    page.form.name = s.name.clone();
    page.subscriber = Some(subscriber_view(state, s));
    page.frequencies = Frequency::ALL
        .into_iter()
        .map(|f| FrequencyChoice {
            value: f.as_str(),
            label: f.describe(),
            chosen: f == s.frequency,
        })
        .collect();
    page.sections = sections
        .into_iter()
        .map(|t| SectionChoice {
            chosen: s.sections.contains(&t.slug),
            slug: t.slug,
            name: t.name,
        })
        .collect();
    private_page(state, "Your newsletter", page, status).await
}

/// `GET /newsletter/{token}`: what a subscriber receives, and how often.
pub async fn preferences(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let s = managed(&state, &token).await?;
    preferences_page(&state, &token, &s, None, BTreeMap::new(), StatusCode::OK).await
}

/// `POST /newsletter/{token}`: saves preferences, or subscribes again.
pub async fn save_preferences(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ReaderForm { form, .. }: ReaderForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = managed(&state, &token).await?;
    let now = Utc::now();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    if field("action") == "resubscribe" {
        // The link came by mail to this address: that is the confirmation.
        let s = subscribers::confirm(&state.db, s.id, now, |_| None)
            .await?
            .unwrap_or(s);
        let notice = match s.status {
            SubscriberStatus::Confirmed => "You are subscribed again.",
            _ => "Mail to this address could not be delivered before, so we send it nothing more.",
        };
        return preferences_page(
            &state,
            &token,
            &s,
            Some(notice.into()),
            BTreeMap::new(),
            StatusCode::OK,
        )
        .await;
    }
    let mut errors = BTreeMap::new();
    let name: String = field("name")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.chars().count() > 100 {
        errors.insert(
            "name".to_owned(),
            "Keep the name under 100 characters.".to_owned(),
        );
    }
    let frequency = Frequency::parse(field("frequency")).unwrap_or_else(|| {
        errors.insert(
            "frequency".to_owned(),
            "Choose how often you want the newsletter.".to_owned(),
        );
        s.frequency
    });
    let known: Vec<String> = people::terms(&state.db, TermKind::Section)
        .await?
        .into_iter()
        .map(|t| t.slug)
        .collect();
    let mut sections: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "section")
        .map(|(_, v)| v.clone())
        .collect();
    sections.retain(|x| known.contains(x));
    sections.sort();
    sections.dedup();
    if !errors.is_empty() {
        let shown = Subscriber {
            name,
            frequency,
            sections,
            ..s
        };
        return preferences_page(
            &state,
            &token,
            &shown,
            None,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    subscribers::set_preferences(&state.db, s.id, &name, frequency, &sections, now).await?;
    let saved = subscribers::get(&state.db, s.id).await?.unwrap_or(s);
    preferences_page(
        &state,
        &token,
        &saved,
        Some("Your choices are saved.".into()),
        BTreeMap::new(),
        StatusCode::OK,
    )
    .await
}

/// `GET /newsletter/{token}/unsubscribe`: asks first, since link checkers
/// open links too.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let s = managed(&state, &token).await?;
    let mut page = NewsletterPage::new(Step::Unsubscribe);
    page.action = format!("/newsletter/{token}/unsubscribe");
    page.subscriber = Some(subscriber_view(&state, &s));
    private_page(&state, "Unsubscribe", page, StatusCode::OK).await
}

/// `POST /newsletter/{token}/unsubscribe`: the button on that page, and the
/// one-click unsubscribe of RFC 8058 (`List-Unsubscribe=One-Click`) that mail
/// clients send, to which a short plain answer is enough.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ReaderForm { form, .. }: ReaderForm<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let s = managed(&state, &token).await?;
    subscribers::unsubscribe(&state.db, s.id, Utc::now()).await?;
    metrics::counter!("dateline_newsletter_unsubscribes_total").increment(1);
    if form
        .get("List-Unsubscribe")
        .is_some_and(|v| v == "One-Click")
    {
        return Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "Unsubscribed.\n",
        )
            .into_response());
    }
    let s = subscribers::get(&state.db, s.id).await?.unwrap_or(s);
    let mut page = NewsletterPage::new(Step::Unsubscribed);
    page.action = format!("/newsletter/{token}");
    page.subscriber = Some(subscriber_view(&state, &s));
    private_page(&state, "You are unsubscribed", page, StatusCode::OK).await
}
