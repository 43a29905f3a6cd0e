use crate::commands::open;
use crate::config::Storage;
use dateline_db::search;
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
