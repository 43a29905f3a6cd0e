use crate::commands::open;
use crate::config::Storage;
use dateline_db::search;
use dateline_db::views::PageRequest;
use indicatif::{ProgressBar, ProgressStyle};
use std::process::ExitCode;

/// `dateline search reindex`
pub async fn reindex(storage: &Storage) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} articles reindexed  eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let total = search::reindex_all(&db, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    println!("Reindexed {total} articles.");
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `dateline search query TEXT [--runs N]`
pub async fn query(storage: &Storage, text: &str, runs: u32) -> anyhow::Result<ExitCode> {
    let db = open(storage).await?;
    let mut took = Vec::with_capacity(runs as usize);
    let mut hits = None;
    for _ in 0..runs {
        let started = std::time::Instant::now();
        let found = search::search(&db, text, PageRequest::new(1, 10)).await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
        hits = Some(found);
    }
    db.close().await;
    let Some(hits) = hits else {
        return Ok(ExitCode::SUCCESS);
    };
    println!("{} articles match \"{text}\".", hits.total);
    for (i, a) in hits.items.iter().enumerate() {
        println!("{:>3}. {} (/{})", i + 1, a.headline, a.slug);
    }
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() as f64 * q).ceil() as usize).clamp(1, took.len()) - 1];
    if runs > 1 {
        println!(
            "{runs} runs: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    } else {
        println!("Took {:.1} ms.", took[0]);
    }
    Ok(ExitCode::SUCCESS)
}
