//! `dateline demo`: the demo newsroom, embedded in the binary.

use crate::commands::article::save_file;
use crate::commands::open;
use crate::config::Storage;
use anyhow::Context;
use chrono::{Duration, Utc};
use dateline_core::ArticleStatus;
use dateline_core::front_matter;
use dateline_db::site;
use std::process::ExitCode;

mod files {
    include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));
}

pub async fn run(storage: &Storage) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let media = storage.data_dir.join("media").join("demo");
    std::fs::create_dir_all(&media)
        .with_context(|| format!("cannot create {}", media.display()))?;
    for (name, bytes) in files::MEDIA {
        std::fs::write(media.join(name), bytes)
            .with_context(|| format!("cannot write {}", media.join(name).display()))?;
    }

    let mut settings = site::settings(&db).await?;
    if settings.title == site::SiteSettings::default().title {
        settings.title = "The Dateline Desk".into();
        settings.description =
            "Reporting from the Middle East and North Africa, in English and Arabic.".into();
        site::save_settings(&db, &settings).await?;
    }

    // The files carry November 2026 dates; shift them so the newest published
    // report is an hour old and the scheduled one appears an hour from now.
    let now = Utc::now();
    let mut parsed = Vec::new();
    for (name, text) in files::ARTICLES {
        let file =
            front_matter::parse(text).map_err(|e| anyhow::anyhow!("demo file {name}: {e}"))?;
        parsed.push((name, file));
    }
    let newest = parsed
        .iter()
        .filter(|(_, f)| f.input.status.as_deref() != Some(ArticleStatus::Scheduled.as_str()))
        .filter_map(|(_, f)| f.input.published_at)
        .max()
        .unwrap_or(now);
    let shift = now - Duration::hours(1) - newest;
    let (mut published, mut scheduled) = (0, 0);
    for (name, mut file) in parsed {
        if file.input.status.as_deref() == Some(ArticleStatus::Scheduled.as_str()) {
            file.input.published_at = Some(now + Duration::hours(1));
            scheduled += 1;
        } else {
            file.input.published_at = file.input.published_at.map(|t| t + shift);
            published += 1;
        }
        save_file(&db, file, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo file {name}: {e}"))?;
    }
    println!(
        "Loaded the demo newsroom: {published} published articles and {scheduled} scheduled for {}.\nRun `dateline serve` and open the site.",
        (now + Duration::hours(1)).format("%H:%M UTC")
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
