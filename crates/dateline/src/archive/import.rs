//! Loading an archive: a thread reads the gzipped tar as a stream and hands
//! rows over in chunks; the database takes them in one transaction, so a
//! file that is cut short, or a row that breaks a rule, leaves the database
//! as it was. Media files land in the data directory as they come, and go
//! again if the load fails.

use super::media::{files_of, on_disk, safe};
use super::{FORMAT, MANIFEST, Manifest, Progress, SUMMARY, Summary, VERSION};
use anyhow::{Context, bail};
use dateline_db::Db;
use dateline_db::archive::{self, Column, Loader, SiteHolds};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// The largest chunk of rows read at once (writers make ~4 MB ones).
const LARGEST_CHUNK: u64 = 64 << 20;

pub struct ImportOptions<'a> {
    pub file: &'a Path,
    pub data_dir: &'a Path,
    /// Replace what the database holds (a restore); without it, only an
    /// empty database is loaded.
    pub replace: bool,
}

/// What a load did.
#[derive(Debug)]
pub struct Loaded {
    pub manifest: Manifest,
    pub summary: Summary,
    pub replaced: SiteHolds,
}

enum Piece {
    Manifest(Manifest),
    Rows(String, Vec<Vec<serde_json::Value>>),
    End(Summary),
}

/// Loads `options.file` into `db`.
pub async fn run(
    db: &Db,
    options: &ImportOptions<'_>,
    progress: &dyn Progress,
) -> anyhow::Result<Loaded> {
    let holds = SiteHolds::of(db).await?;
    if !holds.is_empty() && !options.replace {
        bail!(
            "the database already holds a site ({holds}). Load an archive into an empty database, or pass --replace to put the archive in its place"
        );
    }
    let file = std::fs::File::open(options.file)
        .with_context(|| format!("cannot open {}", options.file.display()))?;
    progress.total(file.metadata().map(|m| m.len()).unwrap_or(0));
    let read = Arc::new(AtomicU64::new(0));
    let (send, receive) = mpsc::channel::<anyhow::Result<Piece>>(2);
    let data_dir = options.data_dir.to_owned();
    let counter = read.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut created = Vec::new();
        let outcome = read_tar(file, &data_dir, &counter, &send, &mut created);
        if let Err(e) = outcome {
            let _ = send.blocking_send(Err(e));
        }
        created
    });
    let loaded = load(db, receive, &read, progress).await;
    let created = reader.await.unwrap_or_default();
    match loaded {
        Ok((manifest, summary)) => Ok(Loaded {
            manifest,
            summary,
            replaced: holds,
        }),
        Err(e) => {
            for file in created {
                let _ = std::fs::remove_file(file);
            }
            Err(e)
        }
    }
}

async fn load(
    db: &Db,
    mut receive: mpsc::Receiver<anyhow::Result<Piece>>,
    read: &AtomicU64,
    progress: &dyn Progress,
) -> anyhow::Result<(Manifest, Summary)> {
    let Some(first) = receive.recv().await else {
        bail!("the file is empty");
    };
    let Piece::Manifest(manifest) = first? else {
        bail!("this is not a Dateline archive: it does not start with {MANIFEST}");
    };
    let columns: HashMap<String, Vec<Column>> = manifest
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.columns.clone()))
        .collect();
    let mut loader = Loader::begin(db, manifest.schema).await?;
    while let Some(piece) = receive.recv().await {
        match piece? {
            Piece::Manifest(_) => bail!("the archive holds a second {MANIFEST}"),
            Piece::Rows(table, rows) => {
                let Some(cols) = columns.get(&table) else {
                    bail!(
                        "the archive holds rows of \"{table}\", a table its manifest does not list"
                    );
                };
                loader.insert(&table, cols, rows).await?;
                progress.at(read.load(Ordering::Relaxed), &table);
            }
            Piece::End(summary) => {
                check_counts(&summary, loader.loaded(), &manifest)?;
                loader.finish().await?;
                archive::settle(db, |done, total| {
                    progress.at(
                        read.load(Ordering::Relaxed),
                        &format!("rendering and indexing articles {done}/{total}"),
                    );
                })
                .await?;
                return Ok((manifest, summary));
            }
        }
    }
    bail!(
        "the archive ends early (it has no {SUMMARY}): it was cut short while written or copied; nothing was loaded"
    )
}

fn check_counts(
    summary: &Summary,
    loaded: &HashMap<&'static str, u64>,
    manifest: &Manifest,
) -> anyhow::Result<()> {
    for table in &manifest.tables {
        let said = summary.rows.get(&table.name).copied().unwrap_or(0);
        let got = loaded.get(table.name.as_str()).copied().unwrap_or(0);
        if said != got {
            bail!(
                "the archive says {said} rows of {} and holds {got}: it is damaged; nothing was loaded",
                table.name
            );
        }
    }
    Ok(())
}

/// Counts the compressed bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn read_tar(
    file: std::fs::File,
    data_dir: &Path,
    read: &Arc<AtomicU64>,
    send: &mpsc::Sender<anyhow::Result<Piece>>,
    created: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let counting = Counting {
        inner: std::io::BufReader::new(file),
        read: read.clone(),
    };
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(counting));
    let entries = tar
        .entries()
        .context("this is not a Dateline archive (not a .tar.gz file)")?;
    // The columns of each table the manifest lists, once it is read.
    let mut listed: Option<HashMap<String, Vec<Column>>> = None;
    let mut allowed: HashSet<String> = HashSet::new();
    for entry in entries {
        let mut entry = entry.map_err(not_an_archive)?;
        let name = entry
            .path()
            .map_err(not_an_archive)?
            .to_string_lossy()
            .into_owned();
        let size = entry.size();
        let Some(listed) = listed.as_ref() else {
            if name != MANIFEST {
                bail!("this is not a Dateline archive: it starts with {name}, not {MANIFEST}");
            }
            let found: Manifest = serde_json::from_reader(entry.by_ref().take(1 << 20))
                .context("the archive's manifest cannot be read")?;
            if found.format != FORMAT {
                bail!(
                    "this is not a Dateline archive (its manifest names \"{}\")",
                    found.format
                );
            }
            if found.version > VERSION {
                bail!(
                    "the archive was written by a newer Dateline ({}, archive format {}; this one reads up to {VERSION}): load it with that version or a later one",
                    found.dateline,
                    found.version
                );
            }
            listed = Some(
                found
                    .tables
                    .iter()
                    .map(|t| (t.name.clone(), t.columns.clone()))
                    .collect(),
            );
            if send.blocking_send(Ok(Piece::Manifest(found))).is_err() {
                return Ok(());
            }
            continue;
        };
        if let Some(rest) = name.strip_prefix("tables/") {
            let Some((table, _)) = rest.split_once('/') else {
                bail!("the archive holds {name}, which is not where rows go");
            };
            let Some(columns) = listed.get(table) else {
                bail!("the archive holds rows of \"{table}\", a table its manifest does not list");
            };
            if size > LARGEST_CHUNK {
                bail!("{name} is {size} bytes, more than an archive's chunk of rows ever is");
            }
            let mut rows = Vec::new();
            for (i, line) in std::io::BufReader::new(entry.by_ref()).lines().enumerate() {
                let line = line.map_err(not_an_archive)?;
                if line.is_empty() {
                    continue;
                }
                let row: Vec<serde_json::Value> = serde_json::from_str(&line)
                    .with_context(|| format!("{name}, line {}: not a row of values", i + 1))?;
                if table == "media" {
                    allowed.extend(files_of(columns, &row));
                }
                rows.push(row);
            }
            if send
                .blocking_send(Ok(Piece::Rows(table.into(), rows)))
                .is_err()
            {
                return Ok(());
            }
        } else if let Some(relative) = name.strip_prefix("media/") {
            if !safe(relative) || !allowed.contains(relative) {
                bail!(
                    "the archive holds {name}, which no media row names: it was not loaded, nor anything else"
                );
            }
            let path = on_disk(data_dir, relative);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let existed = path.exists();
            let mut out = std::fs::File::create(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !existed {
                created.push(path.clone());
            }
            std::io::copy(&mut entry, &mut out).map_err(not_an_archive)?;
        } else if name == SUMMARY {
            let summary: Summary = serde_json::from_reader(entry.by_ref().take(64 << 20))
                .context("the archive's summary cannot be read")?;
            let _ = send.blocking_send(Ok(Piece::End(summary)));
            return Ok(());
        } else {
            bail!("the archive holds {name}, which Dateline archives do not have");
        }
    }
    Ok(())
}

fn not_an_archive(e: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "the archive cannot be read ({e}): it is damaged, cut short, or not a Dateline archive"
    )
}
