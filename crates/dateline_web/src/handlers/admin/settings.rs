//! The site's settings.

use crate::auth::{AdminForm, SignedIn};
use crate::error::AppError;
use crate::extract::Q;
use crate::handlers::admin::{NoticeParam, Screen, page, see_other};
use crate::newsroom;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dateline_core::article::is_acceptable_link;
use dateline_core::{Capability, Language, ValidationErrors};
use dateline_db::site::{self, NavLink, SiteSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SettingsForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// BCP 47 tag of the site's own language.
    #[serde(default)]
    pub language: String,
    /// Articles a page, 1 to 100.
    #[serde(default)]
    pub per_page: String,
    /// One link a line: `Label | /path` or `Label | https://…`.
    #[serde(default)]
    pub navigation: String,
    /// The hour (UTC, 0 to 23) digests go out.
    #[serde(default)]
    pub digest_hour: String,
    /// The day the weekly digest goes out: 1 (Monday) to 7 (Sunday).
    #[serde(default)]
    pub digest_weekday: String,
    /// Admins must use two-factor sign-in (those without it are sent to set
    /// it up first). Left out: off.
    #[serde(default, deserialize_with = "checkbox")]
    pub require_admin_two_factor: bool,
}

/// A checkbox from a form ("on") or a boolean from JSON.
fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Text(t) => matches!(t.trim(), "on" | "true" | "1" | "yes"),
    })
}

#[derive(Serialize)]
struct SettingsPage {
    form: SettingsForm,
    errors: BTreeMap<String, String>,
}

impl SettingsForm {
    pub(crate) fn of(s: &SiteSettings) -> Self {
        Self {
            title: s.title.clone(),
            description: s.description.clone(),
            language: s.language.to_string(),
            per_page: s.per_page.to_string(),
            navigation: s
                .navigation
                .iter()
                .map(|n| format!("{} | {}", n.label, n.url))
                .collect::<Vec<_>>()
                .join("\n"),
            digest_hour: s.digest_hour.to_string(),
            digest_weekday: s.digest_weekday.to_string(),
            require_admin_two_factor: s.require_admin_two_factor,
        }
    }

    pub(crate) fn parse(&self) -> Result<SiteSettings, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = self.title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() || title.chars().count() > 120 {
            errors.add("title", "Give the site a title of at most 120 characters.");
        }
        let language = Language::parse(&self.language).unwrap_or_else(|e| {
            errors.add("language", e.to_string());
            Language::english()
        });
        let per_page = match self.per_page.trim().parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                errors.add("per_page", "Show between 1 and 100 articles a page.");
                20
            }
        };
        // Left out (an older form or API client): the defaults.
        let defaults = SiteSettings::default();
        let digest_hour = match self.digest_hour.trim().parse::<u32>() {
            _ if self.digest_hour.trim().is_empty() => defaults.digest_hour,
            Ok(n) if n <= 23 => n,
            _ => {
                errors.add("digest_hour", "Choose an hour from 0 to 23 (UTC).");
                7
            }
        };
        let digest_weekday = match self.digest_weekday.trim().parse::<u32>() {
            _ if self.digest_weekday.trim().is_empty() => defaults.digest_weekday,
            Ok(n) if (1..=7).contains(&n) => n,
            _ => {
                errors.add("digest_weekday", "Choose a day from the list.");
                1
            }
        };
        let mut navigation = Vec::new();
        for (i, line) in self
            .navigation
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            match line.split_once('|') {
                Some((label, url))
                    if !label.trim().is_empty() && is_acceptable_link(url.trim()) =>
                {
                    navigation.push(NavLink {
                        label: label.trim().to_owned(),
                        url: url.trim().to_owned(),
                    })
                }
                _ => errors.add(
                    "navigation",
                    format!(
                        "Line {} should read \"Label | /path\" or \"Label | https://…\".",
                        i + 1
                    ),
                ),
            }
        }
        errors.into_result(SiteSettings {
            title,
            description: self.description.trim().to_owned(),
            language,
            per_page,
            navigation,
            digest_hour,
            digest_weekday,
            require_admin_two_factor: self.require_admin_two_factor,
        })
    }
}

/// `GET /admin/settings`
pub async fn form(
    State(state): State<AppState>,
    who: SignedIn,
    Q(p): Q<NoticeParam>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageSettings)?;
    let current = site::settings(&state.db).await?;
    let view = SettingsPage {
        form: SettingsForm::of(&current),
        errors: BTreeMap::new(),
    };
    page(
        &state,
        Some(&who),
        Screen {
            template: "admin/settings.html",
            title: "Settings",
            section: "settings",
        },
        p.notice.as_deref(),
        view,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/settings`
pub async fn save(
    State(state): State<AppState>,
    AdminForm { who, form }: AdminForm<SettingsForm>,
) -> Result<Response, AppError> {
    newsroom::require(&who.actor, Capability::ManageSettings)?;
    match form.parse() {
        Ok(settings) => {
            newsroom::accounts::save_settings(&state, &who.actor, &settings).await?;
            Ok(see_other("/admin/settings", "saved"))
        }
        Err(errors) => {
            let view = SettingsPage {
                errors: errors.0.into_iter().map(|e| (e.field, e.message)).collect(),
                form,
            };
            page(
                &state,
                Some(&who),
                Screen {
                    template: "admin/settings.html",
                    title: "Settings",
                    section: "settings",
                },
                None,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
