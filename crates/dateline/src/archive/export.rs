//! Writing an archive: rows are read from one snapshot of the database and
//! handed to a thread that writes the gzipped tar, a few megabytes at a
//! time, so memory stays flat whatever the site's size. The file appears
//! under its name only once it is whole.

use super::media::{files_of, on_disk};
use super::{FORMAT, MANIFEST, Manifest, Progress, SUMMARY, Summary, TableColumns, VERSION};
use anyhow::Context;
use dateline_db::Db;
use dateline_db::archive::{self, Snapshot};
use flate2::write::GzEncoder;
use futures_util::TryStreamExt;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// Bytes of JSON Lines per tar entry.
const CHUNK: usize = 4 << 20;

enum Piece {
    /// A whole entry held in memory (the manifest, a chunk of rows).
    Bytes(String, Vec<u8>),
    /// A media file, read from disk by the writer.
    Media(String),
    /// The end: what was written, to put in the summary.
    End(Summary),
}

pub struct ExportOptions<'a> {
    pub file: &'a Path,
    pub data_dir: &'a Path,
    pub secrets: bool,
}

/// Writes the whole site to `options.file` and says what went in.
pub async fn run(
    db: &Db,
    options: &ExportOptions<'_>,
    progress: &dyn Progress,
) -> anyhow::Result<Summary> {
    let partial = partial_name(options.file);
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let (send, receive) = mpsc::channel::<Piece>(4);
    let data_dir = options.data_dir.to_owned();
    let writer = tokio::task::spawn_blocking(move || write_tar(file, &data_dir, receive));

    let read = read_site(db, options, &send, progress).await;
    drop(send);
    let written = writer.await.context("the archive writer stopped")?;
    let outcome = read.and(written);
    match outcome {
        Ok(summary) => {
            std::fs::rename(&partial, options.file).with_context(|| {
                format!(
                    "cannot move {} to {}",
                    partial.display(),
                    options.file.display()
                )
            })?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    file.with_file_name(name)
}

async fn read_site(
    db: &Db,
    options: &ExportOptions<'_>,
    send: &mpsc::Sender<Piece>,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let mut snapshot = Snapshot::begin(db).await?;
    let mut plan = Vec::new();
    let mut total = 0;
    for table in archive::archived(options.secrets) {
        let columns = snapshot.columns(table).await?;
        total += snapshot.count(table).await?;
        plan.push((table, columns));
    }
    progress.total(total);
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        dateline: env!("CARGO_PKG_VERSION").into(),
        schema: archive::schema_version(),
        database: match db.backend() {
            dateline_db::Backend::Sqlite => "sqlite".into(),
            dateline_db::Backend::Postgres => "postgres".into(),
        },
        created_at: chrono::Utc::now(),
        secrets: options.secrets,
        tables: plan
            .iter()
            .map(|(t, columns)| TableColumns {
                name: t.name.into(),
                columns: columns.clone(),
            })
            .collect(),
    };
    put(
        send,
        Piece::Bytes(MANIFEST.into(), serde_json::to_vec_pretty(&manifest)?),
    )
    .await?;

    let mut summary = Summary::default();
    let mut media = Vec::new();
    let mut done = 0u64;
    for (table, columns) in &plan {
        let mut chunk = Vec::new();
        let mut chunks = 0u32;
        let mut count = 0u64;
        let mut rows = std::pin::pin!(snapshot.rows(table, columns, options.secrets));
        loop {
            let row = rows.try_next().await?;
            let last = row.is_none();
            if let Some(row) = row {
                if table.name == "media" {
                    media.extend(files_of(columns, &row));
                }
                serde_json::to_writer(&mut chunk, &row)?;
                chunk.push(b'\n');
                count += 1;
                if count.is_multiple_of(1_000) {
                    progress.at(done + count, table.name);
                }
            }
            if chunk.len() >= CHUNK || (last && !chunk.is_empty()) {
                chunks += 1;
                let name = format!("tables/{}/{chunks:06}.jsonl", table.name);
                put(send, Piece::Bytes(name, std::mem::take(&mut chunk))).await?;
            }
            if last {
                break;
            }
        }
        done += count;
        progress.at(done, table.name);
        summary.rows.insert(table.name.into(), count);
    }
    snapshot.finish().await?;
    media.sort();
    media.dedup();
    for file in media {
        if on_disk(options.data_dir, &file).is_file() {
            put(send, Piece::Media(file)).await?;
        } else {
            summary.media_missing.push(file);
        }
    }
    put(send, Piece::End(summary)).await
}

async fn put(send: &mpsc::Sender<Piece>, piece: Piece) -> anyhow::Result<()> {
    send.send(piece)
        .await
        .map_err(|_| anyhow::anyhow!("the archive writer stopped"))
}

fn write_tar(
    file: std::fs::File,
    data_dir: &Path,
    mut receive: mpsc::Receiver<Piece>,
) -> anyhow::Result<Summary> {
    let gz = GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let mut files = 0u64;
    let mut bytes = 0u64;
    while let Some(piece) = receive.blocking_recv() {
        match piece {
            Piece::Bytes(name, data) => append(&mut tar, &name, &data)?,
            Piece::Media(relative) => {
                let path = on_disk(data_dir, &relative);
                let mut f = std::fs::File::open(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                tar.append_file(format!("media/{relative}"), &mut f)
                    .with_context(|| format!("cannot add {} to the archive", path.display()))?;
                files += 1;
                bytes += f.metadata().map(|m| m.len()).unwrap_or(0);
            }
            Piece::End(mut summary) => {
                summary.media_files = files;
                summary.media_bytes = bytes;
                append(&mut tar, SUMMARY, &serde_json::to_vec_pretty(&summary)?)?;
                let gz = tar.into_inner().context("cannot finish the archive")?;
                let mut out = gz.finish().context("cannot finish the archive")?;
                out.flush()?;
                out.get_ref()
                    .sync_all()
                    .context("cannot write the archive to disk")?;
                return Ok(summary);
            }
        }
    }
    anyhow::bail!("the export stopped before its end")
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, data)
        .with_context(|| format!("cannot add {name} to the archive"))
}
