//! Posts and pages, `BATCH` at a time, in three steps: `plan` maps each and
//! compares it with what an earlier import left (by digest); `render`
//! makes the new ones' bodies and converts every post's comments (no
//! database, on other threads: it runs while the batch before is
//! written); `write` saves the new ones together in one transaction
//! (`articles::create_prepared`), the changed ones one by one, their old
//! addresses in one more, and the comments of all of them in a third. An
//! interrupted import leaves whole batches; the next run finishes the job
//! without duplicating anything.

use super::comments::parents_first;
use super::convert::{Converted, Converter};
use super::{Importer, item_name, wp};
use crate::import::media::{Outcome, uploads_path};
use crate::import::summary::Summary;
use chrono::{DateTime, Utc};
use dateline_core::ArticleId;
use dateline_core::article::ArticleInput;
use dateline_db::DbError;
use dateline_db::articles::{self, NewArticle, SaveTarget};
use dateline_db::imports::{self, LegacyTarget};
use dateline_wordpress::Post;
use dateline_wordpress::article::Disposition;

/// Posts handled together: their new articles share a transaction.
pub(super) const BATCH: usize = 64;
/// A batch closes early once its posts hold this many comments: two
/// batches are in memory at once (one planned while the other is written).
pub(super) const BATCH_COMMENTS: usize = 8_000;

/// Whether an item of the export is a post or a page (an article here).
pub(super) fn becomes_article(post: &Post) -> bool {
    matches!(post.post_type.as_str(), "post" | "page")
}

/// What to do with a post, decided before anything is written.
enum Step {
    /// Nothing changed since the last import: only its comments go in.
    Unchanged(ArticleId),
    /// Edited in Dateline since the last import: kept as it is.
    Kept(ArticleId),
    /// Changed in WordPress: saved over its article, at this revision.
    Update(ArticleId, i64),
    /// Not here yet (or its article was deleted since).
    Create,
}

/// A post mapped and planned.
struct Planned {
    post: Post,
    name: String,
    mapped: Box<wp::Mapped>,
    /// Old addresses of the images imported with it.
    media_paths: Vec<(String, LegacyTarget)>,
    digest: String,
    known_digest: String,
    known_revision: i64,
    step: Step,
    /// Its article and the revision this import saved (`None`: kept as it
    /// was); `None` when it was refused or not saved.
    saved: Option<(ArticleId, Option<i64>)>,
}

impl Planned {
    /// The article its comments go under.
    fn article(&self) -> Option<ArticleId> {
        match self.step {
            Step::Unchanged(id) => Some(id),
            _ => self.saved.map(|(id, _)| id),
        }
    }
}

/// A batch of posts planned: what to do with each, and the drafts of the
/// new articles among them.
pub(super) struct Batch {
    /// The posts' ids in the export.
    ids: Vec<String>,
    planned: Vec<Planned>,
    drafts: Vec<(dateline_core::ArticleDraft, DateTime<Utc>)>,
    /// Which of `planned` each draft is.
    which: Vec<usize>,
    /// The comments of `planned[i]`, converted by `render`.
    converted: Vec<(usize, Converted)>,
}

impl Batch {
    /// Posts in the batch (skipped ones included).
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether any of `posts` is in this batch too (an export can hold an
    /// item twice: the second must be planned after the first is written).
    pub(super) fn holds_any(&self, posts: &[Post]) -> bool {
        posts.iter().any(|p| self.ids.contains(&p.id.to_string()))
    }

    /// Renders the new articles' bodies and converts the posts' comments;
    /// needs no database.
    pub(super) async fn render(
        &mut self,
        converter: &Converter,
    ) -> anyhow::Result<Vec<Result<NewArticle, DbError>>> {
        let lists: Vec<_> = self
            .planned
            .iter_mut()
            .enumerate()
            .filter(|(_, p)| !p.post.comments.is_empty())
            .map(|(i, p)| (i, std::mem::take(&mut p.post.comments)))
            .collect();
        let converter = converter.clone();
        let convert = tokio::task::spawn_blocking(move || {
            lists
                .into_iter()
                .map(|(i, list)| (i, converter.convert(parents_first(list))))
                .collect()
        });
        let (rendered, converted) = tokio::join!(
            articles::prepare_new(std::mem::take(&mut self.drafts)),
            convert
        );
        self.converted = converted?;
        Ok(rendered)
    }
}

/// The time a post's save is recorded at: its latest date that is not in
/// the future.
fn save_time(input: &ArticleInput, post: &Post, now: DateTime<Utc>) -> DateTime<Utc> {
    input
        .published_at
        .into_iter()
        .chain(wp::utc(post.modified_gmt, None))
        .chain(wp::utc(post.date_gmt, post.date_local))
        .filter(|t| *t <= now)
        .max()
        .unwrap_or(now)
}

/// What an item was imported from: equal digests, nothing to change.
pub(super) fn digest(made_from: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(made_from.as_bytes()))
}

impl Importer<'_> {
    /// Maps a batch of posts and pages (in the export's order) and decides
    /// what to do with each; the new ones' drafts are validated.
    pub(super) async fn plan(
        &self,
        posts: Vec<Post>,
        summary: &mut Summary,
    ) -> anyhow::Result<Batch> {
        let ids: Vec<String> = posts.iter().map(|p| p.id.to_string()).collect();
        let mut known = imports::find_many(self.db, self.source, "post", &ids).await?;
        let mut planned = Vec::with_capacity(posts.len());
        for (post, id) in posts.into_iter().zip(&ids) {
            if let Some(p) = self.plan_one(post, known.remove(id), summary).await? {
                planned.push(p);
            }
        }
        let now = Utc::now();
        let mut drafts = Vec::new();
        let mut which = Vec::new();
        for (i, p) in planned.iter().enumerate() {
            if !matches!(p.step, Step::Create) {
                continue;
            }
            match p.mapped.input.clone().validate(&self.site_language, now) {
                Ok(draft) => {
                    drafts.push((draft, save_time(&p.mapped.input, &p.post, now)));
                    which.push(i);
                }
                Err(errors) => summary.fail(p.name.clone(), errors.to_string()),
            }
        }
        Ok(Batch {
            ids,
            planned,
            drafts,
            which,
            converted: Vec::new(),
        })
    }

    /// Saves a planned batch, its new articles rendered (`Batch::render`);
    /// returns the article each post went into, by the post's id.
    pub(super) async fn write(
        &self,
        batch: Batch,
        rendered: Vec<Result<NewArticle, DbError>>,
        summary: &mut Summary,
    ) -> anyhow::Result<Vec<(i64, ArticleId)>> {
        let Batch {
            mut planned,
            which,
            converted,
            ..
        } = batch;
        self.create(&mut planned, &which, rendered, summary).await?;
        for p in planned.iter_mut() {
            match p.step {
                Step::Kept(id) => {
                    summary.kept_edited.push(p.name.clone());
                    p.saved = Some((id, None));
                }
                Step::Update(id, revision) => {
                    p.saved = self
                        .save(
                            &p.name,
                            &p.post,
                            &p.mapped.input,
                            Some((id, revision)),
                            summary,
                        )
                        .await?;
                }
                Step::Unchanged(_) | Step::Create => {}
            }
        }
        self.finish(&planned, summary).await?;
        let comments = converted
            .into_iter()
            .filter_map(|(i, c)| planned[i].article().map(|id| (&planned[i].post, id, c)))
            .collect();
        self.store_converted(comments, summary).await?;
        Ok(planned
            .iter()
            .filter_map(|p| p.article().map(|id| (p.post.id, id)))
            .collect())
    }

    /// Maps a post and decides what to do with it, given what an earlier
    /// import made of it; `None` when it is skipped (the summary says why).
    async fn plan_one(
        &self,
        post: Post,
        known: Option<imports::Imported>,
        summary: &mut Summary,
    ) -> anyhow::Result<Option<Planned>> {
        let name = item_name(&post);
        let mut mapped = match wp::map_post(&post, self.catalog, self.map_options) {
            Disposition::Skip(why) => {
                summary.skip(name, why);
                return Ok(None);
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
        let media_paths = self.images(&name, &mut mapped, summary).await?;
        // Everything the post leaves in storage, its old addresses included:
        // the same digest means nothing to write.
        let digest = digest(&format!(
            "{:?}|{}|{}|{:?}|{:?}",
            mapped.input, mapped.pinned, mapped.guid, mapped.old_paths, media_paths
        ));
        let (known_digest, known_revision) = known
            .as_ref()
            .map_or((String::new(), 0), |k| (k.digest.clone(), k.revision));
        let step = match known {
            Some(k) if k.digest == digest => {
                summary.unchanged += 1;
                Step::Unchanged(ArticleId(k.target_id))
            }
            Some(k) => match articles::find(self.db, ArticleId(k.target_id)).await? {
                None => Step::Create,
                Some(a) if a.summary.revision != k.revision && !self.options.overwrite => {
                    Step::Kept(a.summary.id)
                }
                Some(a) => Step::Update(a.summary.id, a.summary.revision),
            },
            None => Step::Create,
        };
        Ok(Some(Planned {
            post,
            name,
            mapped,
            media_paths,
            digest,
            known_digest,
            known_revision,
            step,
            saved: None,
        }))
    }

    /// Saves the batch's new articles in one transaction. A slug another
    /// article took is given the post's id by the one-by-one save.
    async fn create(
        &self,
        planned: &mut [Planned],
        which: &[usize],
        rendered: Vec<Result<NewArticle, DbError>>,
        summary: &mut Summary,
    ) -> anyhow::Result<()> {
        if rendered.is_empty() {
            return Ok(());
        }
        let results = articles::create_prepared(self.db, rendered, &Self::saved_by()).await?;
        for (i, result) in which.iter().zip(results) {
            let p = &mut planned[*i];
            p.saved = match result {
                Ok(saved) => {
                    summary.articles += 1;
                    Some((saved.id, Some(saved.revision)))
                }
                Err(DbError::Conflict { field, .. }) if field == "slug" => {
                    self.save(&p.name, &p.post, &p.mapped.input, None, summary)
                        .await?
                }
                Err(e) => {
                    let why = match e {
                        DbError::Invalid(errors) => errors.to_string(),
                        e => e.to_string(),
                    };
                    summary.fail(p.name.clone(), why);
                    None
                }
            };
        }
        Ok(())
    }

    /// Records what each saved or kept post became, with its old addresses,
    /// in one transaction.
    async fn finish(&self, planned: &[Planned], summary: &mut Summary) -> anyhow::Result<()> {
        let mut owned = Vec::new();
        for p in planned {
            if matches!(p.step, Step::Unchanged(_)) {
                continue;
            }
            let Some((id, revision)) = p.saved else {
                continue;
            };
            let mut paths: Vec<_> = p
                .mapped
                .old_paths
                .iter()
                .map(|path| (path.clone(), LegacyTarget::Article(id)))
                .collect();
            paths.extend(p.media_paths.iter().cloned());
            // An article kept as edited in Dateline keeps the digest it had,
            // so that the next run still sees the difference.
            let item = imports::Imported {
                target_id: id.0,
                digest: if revision.is_some() {
                    p.digest.clone()
                } else {
                    p.known_digest.clone()
                },
                revision: revision.unwrap_or(p.known_revision),
            };
            owned.push((p, p.post.id.to_string(), item, paths));
        }
        let finished: Vec<imports::ArticleImport> = owned
            .iter()
            .map(|(p, source_id, item, paths)| imports::ArticleImport {
                source: self.source,
                source_id,
                item,
                feed_guid: &p.mapped.guid,
                pinned: p.mapped.pinned,
                paths,
            })
            .collect();
        summary.addresses += imports::finish_articles(self.db, &finished, Utc::now()).await?;
        Ok(())
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
        let when = save_time(input, post, now);
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
