//! `dateline import wordpress`: a WXR export into Dateline. The file is
//! read twice as a stream (first for what posts refer to: authors,
//! categories, attachments; then the posts), on a blocking thread that
//! hands entries over a short channel, so memory holds a few items at a
//! time whatever the file's size. Each post is saved like any article
//! (rendered, sanitized, revisioned), then its comments in one transaction,
//! then its old addresses: an interrupted import leaves whole posts, and a
//! second run finishes the job without duplicating anything.

use super::media::{Outcome, Uploads, uploads_path};
use super::summary::Summary;
use chrono::Utc;
use dateline_core::article::ArticleInput;
use dateline_core::audit::Who;
use dateline_core::language::Language;
use dateline_db::articles::{self, SaveTarget, SavedBy};
use dateline_db::imports::{self, LegacyTarget};
use dateline_db::{Db, DbError};
use dateline_wordpress::article::{self as wp, Catalog, Disposition, MapOptions, MetaField};
use dateline_wordpress::content::{self, Attachment};
use dateline_wordpress::{Entry, Post, WxrReader};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

mod comments;
use comments::newsroom_users;

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
    let (tx, rx) = mpsc::channel(32);
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
        newsroom_users: newsroom_users(db, &catalog).await?,
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
    while let Some((entry, at)) = rx.recv().await {
        match entry {
            Ok(Entry::Post(post)) => {
                importer.item(&post, &mut summary).await?;
                items += 1;
                // The tables grow by orders of magnitude in a large import.
                if items.is_power_of_two() && items >= 256 {
                    imports::refresh_statistics(db).await?;
                }
            }
            Ok(_) => {}
            Err(e) if e.fatal => {
                summary.fatal.push(e.to_string());
                break;
            }
            Err(e) => summary.fail(format!("line {}", e.line), e.message),
        }
        progress.at(at, &summary);
    }
    if let (Some(wp), true) = (&options.wordpress_db, summary.fatal.is_empty()) {
        super::wordpress_db::carry_over(&importer, wp, &mut summary).await?;
    }
    Ok(summary)
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
            Ok(Entry::Post(_)) => {}
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
    /// WordPress author id → Dateline account, for the newsroom's comments.
    newsroom_users: HashMap<i64, dateline_core::UserId>,
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

    async fn item(&self, post: &Post, summary: &mut Summary) -> anyhow::Result<()> {
        match post.post_type.as_str() {
            "post" => self.post(post, summary).await,
            "attachment" => Ok(()),
            "page" => self.post(post, summary).await,
            // Menus are read in the first pass: they say which pages are in
            // the navigation.
            "nav_menu_item" => Ok(()),
            other => {
                summary.skipped_types.push(other.to_string());
                Ok(())
            }
        }
    }

    async fn post(&self, post: &Post, summary: &mut Summary) -> anyhow::Result<()> {
        let name = item_name(post);
        let mapped = match wp::map_post(post, self.catalog, self.map_options) {
            Disposition::Skip(why) => {
                summary.skip(name, why);
                return Ok(());
            }
            Disposition::Article(m) => m,
        };
        for n in &mapped.notes {
            summary.note(&name, n.clone());
        }
        summary
            .unknown_shortcodes
            .extend(mapped.unknown_shortcodes.iter().cloned());
        summary
            .unmapped_meta
            .extend(mapped.unmapped_meta.iter().cloned());
        summary.controls_removed += mapped.controls_removed;
        let mut mapped = mapped;
        let media_paths = self.images(&name, &mut mapped, summary).await?;
        // Everything the post leaves in storage, its old addresses included:
        // the same digest means nothing to write.
        let digest = digest(&format!(
            "{:?}|{}|{}|{:?}|{:?}",
            mapped.input, mapped.pinned, mapped.guid, mapped.old_paths, media_paths
        ));
        let post_id = post.id.to_string();
        let known = imports::find(self.db, self.source, "post", &post_id).await?;
        let (known_digest, known_revision) = known
            .as_ref()
            .map_or((String::new(), 0), |k| (k.digest.clone(), k.revision));
        // The article, and the revision this import saved (None: kept).
        let id: Option<(dateline_core::ArticleId, Option<i64>)> = match known {
            Some(k) if k.digest == digest => {
                summary.unchanged += 1;
                return self
                    .comments(post, dateline_core::ArticleId(k.target_id), summary)
                    .await;
            }
            Some(k) => {
                let current =
                    articles::find(self.db, dateline_core::ArticleId(k.target_id)).await?;
                match current {
                    None => self.save(&name, post, &mapped.input, None, summary).await?,
                    Some(a) if a.summary.revision != k.revision && !self.options.overwrite => {
                        summary.kept_edited.push(name.clone());
                        Some((a.summary.id, None))
                    }
                    Some(a) => {
                        let at = Some((a.summary.id, a.summary.revision));
                        self.save(&name, post, &mapped.input, at, summary).await?
                    }
                }
            }
            None => self.save(&name, post, &mapped.input, None, summary).await?,
        };
        let Some((id, revision)) = id else {
            return Ok(());
        };
        let mut paths: Vec<_> = mapped
            .old_paths
            .iter()
            .map(|p| (p.clone(), LegacyTarget::Article(id)))
            .collect();
        paths.extend(media_paths);
        // An article kept as edited in Dateline keeps the digest it had, so
        // that the next run still sees the difference.
        let item = imports::Imported {
            target_id: id.0,
            digest: if revision.is_some() {
                digest
            } else {
                known_digest
            },
            revision: revision.unwrap_or(known_revision),
        };
        let finished = imports::ArticleImport {
            source: self.source,
            source_id: &post_id,
            item: &item,
            feed_guid: &mapped.guid,
            pinned: mapped.pinned,
            paths: &paths,
        };
        summary.addresses += imports::finish_article(self.db, &finished, Utc::now()).await?;
        self.comments(post, id, summary).await
    }

    /// Points the post's images (in its body and as its featured image)
    /// at Dateline media when `--uploads` has their files; lists the
    /// others. Returns the old addresses of the images imported.
    async fn images(
        &self,
        name: &str,
        mapped: &mut wp::Mapped,
        summary: &mut Summary,
    ) -> anyhow::Result<Vec<(String, LegacyTarget)>> {
        let mut old = Vec::new();
        let featured = mapped.input.featured_image.as_ref().map(|f| f.url.clone());
        let mut urls = mapped.images.clone();
        urls.extend(featured.clone());
        urls.sort();
        urls.dedup();
        for url in urls {
            let Some(path) = uploads_path(&url) else {
                continue;
            };
            let outcome = match &self.uploads {
                Some(u) => u.image(self.db, self.source, &path).await?,
                None => Outcome::Missing,
            };
            match outcome {
                Outcome::Stored(new) => {
                    mapped.input.body = mapped.input.body.replace(&url, &new);
                    if let Some(f) = mapped
                        .input
                        .featured_image
                        .as_mut()
                        .filter(|f| f.url == url)
                    {
                        f.url = new.clone();
                    }
                    old.push((
                        dateline_core::legacy::path_key(&format!("/wp-content/uploads/{path}")),
                        LegacyTarget::Path(new),
                    ));
                }
                Outcome::Missing => summary.missing_images.push(url),
                Outcome::Refused(why) => {
                    summary.note(name, format!("the image {url} was refused: {why}"));
                    summary.missing_images.push(url);
                }
            }
        }
        Ok(old)
    }

    /// Saves a mapped post; returns its id and the revision saved, or None
    /// when it was refused (and said so in the summary).
    async fn save(
        &self,
        name: &str,
        post: &Post,
        input: &ArticleInput,
        existing: Option<(dateline_core::ArticleId, i64)>,
        summary: &mut Summary,
    ) -> anyhow::Result<Option<(dateline_core::ArticleId, Option<i64>)>> {
        let now = Utc::now();
        let when = input
            .published_at
            .into_iter()
            .chain(wp::utc(post.modified_gmt, None))
            .chain(wp::utc(post.date_gmt, post.date_local))
            .filter(|t| *t <= now)
            .max()
            .unwrap_or(now);
        let mut attempt = input.clone();
        for round in 0..2 {
            let draft = match attempt.clone().validate(&self.site_language, now) {
                Ok(d) => d,
                Err(errors) => {
                    summary.fail(name.to_string(), errors.to_string());
                    return Ok(None);
                }
            };
            let target = match existing {
                Some((id, rev)) => SaveTarget::Existing {
                    id,
                    expected_revision: Some(rev),
                },
                None => SaveTarget::New,
            };
            match articles::save(self.db, target, &draft, when, &Self::saved_by()).await {
                Ok(saved) => {
                    if existing.is_some() {
                        summary.updated += 1;
                    } else {
                        summary.articles += 1;
                    }
                    return Ok(Some((saved.id, Some(saved.revision))));
                }
                Err(DbError::Conflict { field, .. }) if field == "slug" && round == 0 => {
                    let taken = draft.slug.as_str().to_string();
                    let other = format!("{taken}-{}", post.id);
                    summary.note(
                        name,
                        format!("its slug \"{taken}\" is taken by another article here: imported as \"{other}\""),
                    );
                    attempt.slug = Some(other);
                }
                Err(DbError::Invalid(errors)) => {
                    summary.fail(name.to_string(), errors.to_string());
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            }
        }
        summary.fail(
            name.to_string(),
            "its slug is taken, even with its id added".into(),
        );
        Ok(None)
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

/// What an item was imported from: equal digests, nothing to change.
fn digest(made_from: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(made_from.as_bytes()))
}
