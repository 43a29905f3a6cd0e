//! `dateline article add` and `dateline article list`.

use crate::commands::open;
use crate::config::Storage;
use anyhow::Context;
use chrono::{DateTime, Utc};
use dateline_core::front_matter::{self, ArticleFile};
use dateline_core::{ArticleId, ArticleStatus};
use dateline_db::articles::{self, ArticleFilter, SaveTarget, Saved};
use dateline_db::views::PageRequest;
use dateline_db::{Db, DbError, site};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Finds the `.md` files under the given paths, in name order per directory.
fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}: check the path", path.display()))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot list {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Saves one parsed article file: it updates the article with its `id`, or
/// with its slug, or creates a new one.
pub async fn save_file(db: &Db, file: ArticleFile, now: DateTime<Utc>) -> Result<Saved, String> {
    let settings = site::settings(db).await.map_err(|e| e.to_string())?;
    let draft = file
        .input
        .validate(&settings.language, now)
        .map_err(|errors| {
            errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n  ")
        })?;
    let existing = match file.id {
        Some(id) => Some(ArticleId(id)),
        None => articles::id_for_slug(db, draft.slug.as_str(), None)
            .await
            .map_err(|e| e.to_string())?,
    };
    let target = match existing {
        Some(id) => SaveTarget::Existing {
            id,
            expected_revision: None,
        },
        None => SaveTarget::New,
    };
    articles::save(
        db,
        target,
        &draft,
        now,
        &articles::SavedBy::operator(crate::commands::operator()),
    )
    .await
    .map_err(|e| match e {
        DbError::NotFound => {
            format!("id: no article has the id {}", file.id.unwrap_or_default())
        }
        DbError::Invalid(errors) => errors.to_string(),
        DbError::Conflict { field, message } => format!("{field}: {message}"),
        other => other.to_string(),
    })
}

pub async fn add(storage: &Storage, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let files = collect_files(paths)?;
    if files.is_empty() {
        anyhow::bail!(
            "no .md files found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let db = open(storage).await?;
    let started = Instant::now();
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} articles  {per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let single = files.len() == 1;
    let (mut created, mut updated, mut unchanged, mut failed) = (0u64, 0u64, 0u64, 0u64);
    for path in &files {
        match add_one(&db, path).await {
            Ok(saved) => {
                if saved.created {
                    created += 1;
                } else if saved.changed {
                    updated += 1;
                } else {
                    unchanged += 1;
                }
                if single {
                    describe(&saved);
                }
            }
            Err(message) => {
                failed += 1;
                bar.suspend(|| eprintln!("{}: {message}", path.display()));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if !single || failed > 0 {
        println!(
            "{created} added, {updated} updated, {unchanged} unchanged, {failed} refused, in {:.1}s.",
            started.elapsed().as_secs_f64()
        );
    }
    db.close().await;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn add_one(db: &Db, path: &Path) -> Result<Saved, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let file = front_matter::parse(&text).map_err(|e| e.to_string())?;
    save_file(db, file, Utc::now()).await
}

fn describe(saved: &Saved) {
    let verb = match (saved.created, saved.changed) {
        (true, _) => "Added",
        (false, true) => "Updated",
        (false, false) => "Unchanged:",
    };
    let note = match saved.status {
        ArticleStatus::Draft => " as a draft (set status = \"published\" to publish it)",
        ArticleStatus::Scheduled => ", scheduled",
        ArticleStatus::Published => ", published",
        ArticleStatus::Archived => ", archived",
    };
    println!(
        "{verb} article {} \"{}\" (revision {}){note}.",
        saved.id, saved.slug, saved.revision
    );
}

pub async fn list(storage: &Storage, status: Option<&str>, limit: u32) -> anyhow::Result<ExitCode> {
    let status = match status {
        Some(s) => Some(ArticleStatus::parse(s).with_context(|| {
            format!("--status {s}: use draft, scheduled, published or archived")
        })?),
        None => None,
    };
    let db = open(storage).await?;
    let filter = ArticleFilter {
        status,
        with_pages: true,
        ..ArticleFilter::default()
    };
    let page = articles::list(&db, &filter, PageRequest::new(1, limit.clamp(1, 200))).await?;
    println!(
        "{:>6}  {:<10}  {:<16}  SLUG — HEADLINE",
        "ID", "STATUS", "PUBLISHED"
    );
    for a in &page.items {
        let when = a
            .published_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "—".into());
        println!(
            "{:>6}  {:<10}  {:<16}  {} — {}",
            a.id, a.status, when, a.slug, a.headline
        );
    }
    println!("{} of {} shown.", page.items.len(), page.total);
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
