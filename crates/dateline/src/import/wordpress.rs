//! `dateline import wordpress`: a WXR export into Dateline. The file is
//! read twice as a stream (first for what posts refer to: authors,
//! categories, attachments; then the posts), on a blocking thread that
//! hands entries over a short channel, so memory holds a batch of posts at
//! a time whatever the file's size. Posts go in batches (`posts.rs`): each
//! saved as any article is (rendered, sanitized, revisioned), the batch's
//! new articles in one transaction, their old addresses in another, their
//! comments in a third: an interrupted import leaves whole batches, and a
//! second run finishes the job without duplicating anything.

use super::media::Uploads;
use super::summary::Summary;
use dateline_core::ArticleId;
use dateline_core::audit::Who;
use dateline_core::language::Language;
use dateline_db::articles::{NewArticle, SavedBy};
use dateline_db::imports::{self, LegacyTarget};
use dateline_db::{Db, DbError};
use dateline_wordpress::article::{self as wp, Catalog, MapOptions, MetaField};
use dateline_wordpress::content::{self, Attachment};
use dateline_wordpress::{Entry, Post, WxrReader};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

mod comments;
mod convert;
mod posts;
use comments::Thread;
use convert::Converter;

/// What the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub file: PathBuf,
    pub meta: Vec<(String, MetaField)>,
    pub skip_pingbacks: bool,
    pub overwrite: bool,
    /// The language of posts not in Arabic script; default: the export's.
    pub language: Option<String>,
    /// A copy of the site's `wp-content/uploads`, whose images are imported.
    pub uploads: Option<PathBuf>,
    /// Where media go (the data directory) and the largest image taken.
    pub data_dir: PathBuf,
    pub max_upload_bytes: u64,
    /// The site's database, for what the export leaves out.
    pub wordpress_db: Option<super::wordpress_db::WordpressDbOptions>,
}

/// Progress as bytes of the file read in the second pass.
pub trait Progress: Send + Sync {
    fn total(&self, bytes: u64);
    fn at(&self, bytes: u64, summary: &Summary);
}

type Read = (Result<Entry, dateline_wordpress::WxrError>, u64);

/// Streams the file's entries from a blocking thread.
fn stream(file: &Path) -> anyhow::Result<mpsc::Receiver<Read>> {
    let f = std::fs::File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let (tx, rx) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let mut reader = WxrReader::new(std::io::BufReader::with_capacity(256 * 1024, f));
        while let Some(entry) = reader.next() {
            if tx.blocking_send((entry, reader.position())).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

/// Imports the export at `options.file` into `db`.
pub async fn run(db: &Db, options: &Options, progress: &dyn Progress) -> anyhow::Result<Summary> {
    let size = std::fs::metadata(&options.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", options.file.display()))?
        .len();
    progress.total(size);
    let mut summary = Summary::default();
    let catalog = catalog(&options.file, &mut summary).await?;
    if !summary.fatal.is_empty() {
        return Ok(summary);
    }
    let source = source_of(&catalog);
    let map_options = MapOptions {
        meta: options.meta.clone(),
        language: options
            .language
            .clone()
            .or_else(|| {
                Language::parse(&catalog.site.language)
                    .ok()
                    .map(|l| l.to_string())
            })
            .unwrap_or_else(|| "en".into()),
    };
    if catalog.site.is_multisite() {
        summary.note(
            "the site",
            format!(
                "one site of a multisite network ({}): its own address {} is the one kept",
                catalog.site.base_site_url, catalog.site.base_blog_url
            ),
        );
    }
    let uploads = match &options.uploads {
        Some(dir) => Some(Uploads::new(
            dir,
            &options.data_dir,
            options.max_upload_bytes,
        )?),
        None => None,
    };
    let importer = Importer {
        db,
        converter: Converter::new(db, &catalog, options.skip_pingbacks).await?,
        uploads,
        options,
        catalog: &catalog,
        map_options: &map_options,
        source: &source,
        site_language: Language::parse(&map_options.language)
            .unwrap_or_else(|_| Language::english()),
    };
    importer.taxonomy_paths(&mut summary).await?;
    let mut rx = stream(&options.file)?;
    let mut items = 0u64;
    imports::refresh_statistics(db).await?;
    // Posts and pages wait here for a batch; other items go in as read.
    // A batch is planned, then its bodies rendered while the batch before
    // it is written.
    let mut batch: Vec<Post> = Vec::with_capacity(posts::BATCH);
    let mut batch_comments = 0;
    let mut pending: Option<(posts::Batch, Vec<Result<NewArticle, DbError>>)> = None;
    // A post whose comments come by parts: its batch is closed at once,
    // and written before the first part goes in under its article.
    let mut thread: Option<Thread> = None;
    let mut read_to = 0;
    loop {
        let mut stop = false;
        let mut close = false;
        match rx.recv().await {
            Some((Ok(Entry::Post(mut post)), at)) => {
                read_to = at;
                if posts::becomes_article(&post) {
                    if post.more_comments {
                        thread = Some(Thread::new(&mut post));
                        close = true;
                    }
                    batch_comments += post.comments.len();
                    batch.push(*post);
                } else {
                    other_item(&post, &mut summary);
                }
            }
            Some((
                Ok(Entry::Comments {
                    post_id,
                    comments,
                    last,
                }),
                at,
            )) => {
                read_to = at;
                if let Some(t) = thread.as_mut().filter(|t| t.post_id() == post_id) {
                    if !t.placed() {
                        let placed =
                            write_pending(&importer, &mut pending, &mut items, &mut summary)
                                .await?;
                        t.place(&placed);
                    }
                    importer
                        .thread_part(t, comments, last, &mut summary)
                        .await?;
                    if last {
                        thread = None;
                    }
                }
            }
            Some((Ok(_), at)) => read_to = at,
            Some((Err(e), _)) if e.fatal => {
                summary.fatal.push(e.to_string());
                stop = true;
            }
            Some((Err(e), at)) => {
                read_to = at;
                summary.fail(format!("line {}", e.line), e.message);
            }
            None => stop = true,
        }
        let full = batch.len() >= posts::BATCH || batch_comments >= posts::BATCH_COMMENTS;
        if full || close || (stop && !batch.is_empty()) {
            let posts = std::mem::take(&mut batch);
            batch_comments = 0;
            if pending.as_ref().is_some_and(|(b, _)| b.holds_any(&posts)) {
                write_pending(&importer, &mut pending, &mut items, &mut summary).await?;
            }
            let mut next = importer.plan(posts, &mut summary).await?;
            let (rendered, written) = tokio::join!(
                next.render(&importer.converter),
                write_pending(&importer, &mut pending, &mut items, &mut summary)
            );
            written?;
            pending = Some((next, rendered?));
        }
        if stop {
            write_pending(&importer, &mut pending, &mut items, &mut summary).await?;
        }
        if batch.is_empty() {
            progress.at(read_to, &summary);
        }
        if stop {
            break;
        }
    }
    if let (Some(wp), true) = (&options.wordpress_db, summary.fatal.is_empty()) {
        super::wordpress_db::carry_over(&importer, wp, &mut summary).await?;
    }
    Ok(summary)
}

/// Writes the batch waiting to be written, if any; returns the articles
/// its posts went into (by the posts' ids).
async fn write_pending(
    importer: &Importer<'_>,
    pending: &mut Option<(posts::Batch, Vec<Result<NewArticle, DbError>>)>,
    items: &mut u64,
    summary: &mut Summary,
) -> anyhow::Result<Vec<(i64, ArticleId)>> {
    let Some((batch, rendered)) = pending.take() else {
        return Ok(Vec::new());
    };
    let before = *items;
    *items += batch.len() as u64;
    let placed = importer.write(batch, rendered, summary).await?;
    // The tables grow by orders of magnitude in a large import.
    if (before + 1..=*items).any(|n| n.is_power_of_two() && n >= 256) {
        imports::refresh_statistics(importer.db).await?;
    }
    Ok(placed)
}

/// The first pass: the site, its authors, categories and attachments.
async fn catalog(file: &Path, summary: &mut Summary) -> anyhow::Result<Catalog> {
    let mut catalog = Catalog::default();
    let mut rx = stream(file)?;
    while let Some((entry, _)) = rx.recv().await {
        match entry {
            Ok(Entry::Site(site)) => catalog.site = site,
            Ok(Entry::Author(a)) => {
                catalog.authors.insert(a.login.clone(), a);
            }
            Ok(Entry::Term(t)) if t.taxonomy == "category" => {
                catalog.categories.insert(t.slug.clone(), t);
            }
            Ok(Entry::Term(t)) if t.taxonomy == "post_tag" => catalog.tags.push(t),
            Ok(Entry::Term(_)) => {}
            Ok(Entry::Post(p)) if p.post_type == "attachment" => {
                let url = if p.attachment_url.is_empty() {
                    p.guid.clone()
                } else {
                    p.attachment_url.clone()
                };
                catalog.attachments.insert(
                    p.id,
                    Attachment {
                        url,
                        parent: p.parent,
                        alt: p
                            .meta("_wp_attachment_image_alt")
                            .unwrap_or_default()
                            .to_string(),
                        caption: p.excerpt.clone(),
                    },
                );
            }
            Ok(Entry::Post(p)) if p.post_type == "nav_menu_item" => {
                if p.meta("_menu_item_object") == Some("page")
                    && let Some(id) = p
                        .meta("_menu_item_object_id")
                        .and_then(|v| v.trim().parse().ok())
                {
                    catalog.menu_pages.insert(id);
                }
            }
            Ok(Entry::Post(_) | Entry::Comments { .. }) => {}
            Err(e) if e.fatal => {
                summary.fatal.push(e.to_string());
                break;
            }
            // Reported in the second pass, with the post it concerns.
            Err(_) => {}
        }
    }
    Ok(catalog)
}

/// The exported site's address, which keys what was imported from it.
fn source_of(catalog: &Catalog) -> String {
    let site = &catalog.site;
    [&site.base_blog_url, &site.link, &site.base_site_url]
        .into_iter()
        .find(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "wordpress".into())
}

pub(super) struct Importer<'a> {
    pub(super) db: &'a Db,
    /// Comments as stored, the newsroom's own tied to their accounts.
    converter: Converter,
    uploads: Option<Uploads>,
    pub(super) options: &'a Options,
    catalog: &'a Catalog,
    map_options: &'a MapOptions,
    pub(super) source: &'a str,
    site_language: Language,
}

impl Importer<'_> {
    fn saved_by() -> SavedBy {
        SavedBy::operator(Who::cli("dateline import wordpress"))
    }

    /// Old addresses of categories, tags, authors and the site's feeds.
    async fn taxonomy_paths(&self, summary: &mut Summary) -> anyhow::Result<()> {
        let mut paths: Vec<(String, LegacyTarget)> = Vec::new();
        let mut push = |list: Vec<(String, String)>| {
            paths.extend(
                list.into_iter()
                    .map(|(from, to)| (from, LegacyTarget::Path(to))),
            );
        };
        push(wp::site_paths());
        for term in self.catalog.categories.values() {
            if term.slug != "uncategorized" {
                push(wp::category_paths(self.catalog, term));
            }
        }
        for term in &self.catalog.tags {
            push(wp::tag_paths(term));
        }
        for author in self.catalog.authors.values() {
            push(wp::author_paths(author));
        }
        let nested = self
            .catalog
            .categories
            .values()
            .filter(|t| !t.parent.is_empty())
            .count();
        if nested > 0 {
            summary.note(
                "categories",
                format!(
                    "{nested} categories had a parent category; Dateline's sections are flat, so each is a section of its own (its old address, with or without the parent, leads to it)"
                ),
            );
        }
        summary.addresses += imports::add_legacy_paths(self.db, &paths).await?;
        Ok(())
    }
}

/// What the second pass does with an item that is not a post or a page
/// (those go in batches, `posts.rs`).
fn other_item(post: &Post, summary: &mut Summary) {
    match post.post_type.as_str() {
        // Attachments and menus are read in the first pass: media, and
        // which pages are in the navigation.
        "attachment" | "nav_menu_item" => {}
        other => summary.skipped_types.push(other.to_string()),
    }
}

/// How the summary names a post.
fn item_name(post: &Post) -> String {
    let title = content::plain_text(&post.title);
    format!(
        "{} {} “{}” (line {})",
        post.post_type,
        post.id,
        wp::clip(&title, 60),
        post.line
    )
}
