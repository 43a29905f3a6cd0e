//! A post's comments: each `<wp:comment>` read, and a long thread given by
//! parts. When an item holds more than `comments_per_entry` comments, the
//! post goes out with the first of them and the reader stays inside the
//! item, giving the rest as `Entry::Comments`. WordPress writes an item's
//! comments after everything else in it; an element that comes after
//! them anyway is skipped and said so.

use super::{Child, Comment, Entry, WxrError, WxrReader, date};
use quick_xml::events::Event;
use std::io::BufRead;

/// The post whose comments are being given by parts.
#[derive(Debug)]
pub(super) struct OpenItem {
    pub post_id: i64,
    pub title: String,
    pub line: u64,
}

impl<R: BufRead> WxrReader<R> {
    /// The `<wp:comment>` just opened.
    pub(super) fn comment(&mut self) -> Result<Comment, WxrError> {
        let mut c = Comment::default();
        let mut meta = Vec::new();
        self.fields(
            b"wp:comment",
            |r, e| {
                if e.name().as_ref() == b"wp:commentmeta" {
                    meta.push(r.pair(b"wp:commentmeta", b"wp:meta_key", b"wp:meta_value")?);
                    Ok(Child::Read)
                } else {
                    Ok(Child::Field)
                }
            },
            |name, text, _| match name {
                b"wp:comment_id" => c.id = text.trim().parse().unwrap_or(0),
                b"wp:comment_author" => c.author = text,
                b"wp:comment_author_email" => c.email = text.trim().to_string(),
                b"wp:comment_author_url" => c.url = text.trim().to_string(),
                b"wp:comment_author_IP" => c.ip = text.trim().to_string(),
                b"wp:comment_date" => c.date_local = date(&text),
                b"wp:comment_date_gmt" => c.date_gmt = date(&text),
                b"wp:comment_content" => c.content = text,
                b"wp:comment_approved" => c.approved = text.trim().to_string(),
                b"wp:comment_type" => c.kind = text.trim().to_string(),
                b"wp:comment_parent" => c.parent = text.trim().parse().unwrap_or(0),
                b"wp:comment_user_id" => c.user_id = text.trim().parse().unwrap_or(0),
                _ => {}
            },
        )?;
        c.meta = meta;
        Ok(c)
    }

    /// The next part of the open item's comments; the last part (`last`)
    /// closes the item. A comment with an oversized field is left out and
    /// said so after the part; so is any element that is not a comment.
    pub(super) fn more_comments(&mut self) -> Result<Entry, WxrError> {
        let Some(open) = self.open_item.as_ref() else {
            return Err(self.fatal("no item is open"));
        };
        let post_id = open.post_id;
        let mut comments = Vec::new();
        let mut problems = Vec::new();
        let last = loop {
            match self.next_event()? {
                Event::Start(e) if e.name().as_ref() == b"wp:comment" => {
                    let line = self.line();
                    let comment = self.comment()?;
                    if let Some(element) = self.oversize.take() {
                        problems.push(WxrError {
                            line,
                            message: format!(
                                "comment {} of {} has more than {} MB of text in <{element}>: left out",
                                comment.id,
                                self.open_title(),
                                self.max_text / (1024 * 1024)
                            ),
                            fatal: false,
                        });
                    } else {
                        comments.push(comment);
                    }
                    if comments.len() >= self.comments_per_entry {
                        break false;
                    }
                }
                Event::Start(e) => {
                    let name = e.name().as_ref().to_vec();
                    let line = self.line();
                    self.skip(&name)?;
                    problems.push(WxrError {
                        line,
                        message: format!(
                            "<{}> of {} comes after its comments, where WordPress writes none: skipped",
                            String::from_utf8_lossy(&name),
                            self.open_title()
                        ),
                        fatal: false,
                    });
                }
                Event::End(e) if e.name().as_ref() == b"item" => break true,
                Event::End(_) => return Err(self.fatal("an element ends that was not open")),
                Event::Eof => {
                    return Err(self.fatal(
                        "the file ends in the middle of an item: the export is cut short. Export it again, or copy the whole file.",
                    ));
                }
                _ => {}
            }
        };
        if last {
            self.open_item = None;
        }
        self.pending.extend(problems.into_iter().map(Err));
        Ok(Entry::Comments {
            post_id,
            comments,
            last,
        })
    }

    /// Reads the rest of the open item, if any, without keeping it (its
    /// post failed).
    pub(super) fn drop_open_item(&mut self) {
        if self.open_item.take().is_some()
            && let Err(e) = self.skip(b"item")
        {
            self.pending.push_back(Err(e));
        }
    }

    fn open_title(&self) -> String {
        self.open_item
            .as_ref()
            .map(|o| format!("“{}” (id {}, from line {})", o.title, o.post_id, o.line))
            .unwrap_or_default()
    }
}
