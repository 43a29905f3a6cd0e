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
        site::save_settings(&db, &settings, Utc::now(), &crate::commands::operator()).await?;
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
    let comments = add_comments(&db, now).await?;
    println!(
        "Loaded the demo newsroom: {published} published articles and {scheduled} scheduled for {}, with {comments} comments.\nRun `dateline serve` and open the site.",
        (now + Duration::hours(1)).format("%H:%M UTC")
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Invented readers' comments: (article slug, name, email, text, index of
/// the comment it answers in this list).
const COMMENTS: &[(&str, &str, &str, &str, Option<usize>)] = &[
    (
        "tigris-water-talks-resume",
        "Huda Karim",
        "huda.karim@example.org",
        "My family farms near Amarah. The *winter share* matters more than any summer promise: the marshes need it before the heat.",
        None,
    ),
    (
        "tigris-water-talks-resume",
        "Sami Jaber",
        "sami.jaber@example.net",
        "Did the ministry publish the figures it brought to the talks? The article mentions a table but I cannot find it.",
        Some(0),
    ),
    (
        "tigris-water-talks-resume",
        "Huda Karim",
        "huda.karim@example.org",
        "Not yet. They said the table goes out once both sides sign.",
        Some(1),
    ),
    (
        "tigris-water-talks-resume",
        "Rami Aziz",
        "rami.aziz@example.com",
        "Thank you for translating this. The Arabic version has two more quotes from the Basra delegates; worth reading.",
        None,
    ),
    (
        "mosul-booksellers-street-reopens",
        "Noor Saleh",
        "noor.saleh@example.org",
        "I bought my first novel on that street in 2002. Seeing the shopfronts back is a joy.",
        None,
    ),
    (
        "mosul-booksellers-street-reopens",
        "Yusuf Hamdan",
        "yusuf.hamdan@example.net",
        "> restored shopfronts open to readers again\n\nAnd the café at the corner too. Go on a Friday morning.",
        Some(4),
    ),
    (
        "erbil-solar-farm",
        "Dilan Ahmed",
        "dilan.ahmed@example.org",
        "Seven or eight hours in Ankawa this month, mostly in the evening. How many hours a day will the plant cover?",
        None,
    ),
    (
        "erbil-solar-farm",
        "Aras Karim",
        "aras.karim@example.net",
        "Cleaning dry with brushes is clever. In Duhok the panels on our school roof are washed with tanker water every week.",
        None,
    ),
];

/// Demo comments that are inline feedback: (article slug, commenter, the
/// paragraph's anchor).
const INLINE: &[(&str, &str, &str)] = &[
    ("erbil-solar-farm", "Dilan Ahmed", "p3"),
    ("erbil-solar-farm", "Aras Karim", "p7"),
];

/// Adds the demo comments once (an article that has comments is skipped).
async fn add_comments(db: &dateline_db::Db, now: chrono::DateTime<Utc>) -> anyhow::Result<usize> {
    use dateline_core::comment::CommentStatus;
    use dateline_db::comments::{self, NewComment};
    let mut ids: Vec<Option<i64>> = Vec::new();
    let mut added = 0;
    let mut skip: Vec<&str> = Vec::new();
    for (n, (slug, name, email, body, parent)) in COMMENTS.iter().enumerate() {
        let Some(target) = comments::target_by_slug(db, slug).await? else {
            ids.push(None);
            continue;
        };
        let first_of_article = n == 0 || COMMENTS[n - 1].0 != *slug;
        if first_of_article && target.comment_count > 0 {
            skip.push(slug);
        }
        if skip.contains(slug) {
            ids.push(None);
            continue;
        }
        let written = now - Duration::minutes(50 - 5 * n as i64);
        let row = comments::create(
            db,
            &NewComment {
                article_id: dateline_core::ArticleId(target.id),
                parent_id: parent.and_then(|p| ids.get(p).copied().flatten()),
                status: CommentStatus::Approved,
                held_because: String::new(),
                author_name: (*name).to_owned(),
                author_email: (*email).to_owned(),
                author_url: String::new(),
                user_id: None,
                body_markdown: (*body).to_owned(),
                body_html: dateline_render::render_comment(body),
                ip_hash: String::new(),
                ip_prefix: String::new(),
                user_agent: "demo".into(),
                owner_hash: String::new(),
                anchor: INLINE
                    .iter()
                    .find(|(s, n, _)| s == slug && n == name)
                    .map(|(_, _, a)| (*a).to_owned()),
            },
            written,
        )
        .await?;
        ids.push(Some(row.id));
        added += 1;
    }
    Ok(added)
}
