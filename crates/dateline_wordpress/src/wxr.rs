//! Reading a WXR file one entry at a time. A WordPress export is an RSS 2.0
//! document whose channel holds the site's description, its authors, terms
//! (categories, tags, others), then one `<item>` per post, page or
//! attachment with that item's comments and meta inside it. The reader keeps
//! at most one item in memory, and of a post's comments at most
//! `COMMENTS_PER_ENTRY` (the rest follow as `Entry::Comments`), so a 2 GB
//! export reads in the memory of its largest post body.
//!
//! Elements are recognised by their qualified names as WordPress writes them
//! (`wp:post_id`, `content:encoded`…): every WXR writer uses these prefixes.

use chrono::NaiveDateTime;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::VecDeque;
use std::io::BufRead;

mod comments;
mod model;
pub use model::{Author, Comment, Entry, ItemTerm, Post, Site, Term, WxrError};

/// The WXR versions this reader knows: WordPress has written 1.0 to 1.2.
const VERSIONS: [&str; 3] = ["1.0", "1.1", "1.2"];

/// A `BufRead` that counts the lines the parser has consumed.
struct Lines<R> {
    inner: R,
    line: u64,
}

impl<R: BufRead> std::io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.line += newlines(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.line += newlines(&buf[..n]);
        }
        self.inner.consume(amt);
    }
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Where the reader is in the document.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Start,
    Rss,
    Channel,
    Done,
}

/// Streams the entries of a WXR file. Yields `Err` for an item it cannot
/// read (and goes on) or for a file it cannot read further (and stops).
pub struct WxrReader<R: BufRead> {
    xml: Reader<Lines<R>>,
    buf: Vec<u8>,
    state: State,
    site: Site,
    site_sent: bool,
    /// Bytes of text kept for one element at most; a longer value is an
    /// error for its item (a post body over this is no article).
    max_text: usize,
    /// The element of the current item whose text was over `max_text`.
    oversize: Option<String>,
    /// Entries read while another was being returned (the site's header,
    /// what was wrong with a long thread), given next.
    pending: VecDeque<Result<Entry, WxrError>>,
    /// A post's comments are given `comments_per_entry` at a time.
    comments_per_entry: usize,
    /// The post whose comments are being given by parts.
    open_item: Option<comments::OpenItem>,
}

/// Comments given with their post, or in one `Entry::Comments`, at most.
pub const COMMENTS_PER_ENTRY: usize = 1_000;

/// What a child element of the element being read was to its reader.
enum Child {
    /// Not read: the element's text is a field.
    Field,
    /// Read whole by the reader's own code.
    Read,
    /// Read, and the reading stops here for now (the element stays open).
    Pause,
}

/// The largest text one element may hold: 16 MB.
pub const MAX_TEXT: usize = 16 * 1024 * 1024;

impl<R: BufRead> WxrReader<R> {
    pub fn new(reader: R) -> Self {
        let mut xml = Reader::from_reader(Lines {
            inner: reader,
            line: 1,
        });
        xml.config_mut().trim_text(false);
        Self {
            xml,
            buf: Vec::with_capacity(64 * 1024),
            state: State::Start,
            site: Site::default(),
            site_sent: false,
            max_text: MAX_TEXT,
            oversize: None,
            pending: VecDeque::new(),
            comments_per_entry: COMMENTS_PER_ENTRY,
            open_item: None,
        }
    }

    /// Gives a post's comments `n` at a time (at least one).
    pub fn with_comments_per_entry(mut self, n: usize) -> Self {
        self.comments_per_entry = n.max(1);
        self
    }

    /// The line the reader has reached.
    pub fn line(&self) -> u64 {
        self.xml.get_ref().line
    }

    /// Bytes read so far, for progress.
    pub fn position(&self) -> u64 {
        self.xml.buffer_position()
    }

    fn fatal(&self, message: impl Into<String>) -> WxrError {
        WxrError {
            line: self.line(),
            message: message.into(),
            fatal: true,
        }
    }

    fn next_event(&mut self) -> Result<Event<'static>, WxrError> {
        self.buf.clear();
        match self.xml.read_event_into(&mut self.buf) {
            Ok(e) => Ok(e.into_owned()),
            Err(e) => Err(self.fatal(format!(
                "the file is not well-formed XML ({e}). Is it the whole export? Export it again from Tools → Export."
            ))),
        }
    }

    /// The text of the element just opened, up to its end tag: text,
    /// CDATA and references joined; nested elements are skipped.
    fn text(&mut self, name: &[u8]) -> Result<String, WxrError> {
        let mut out = String::new();
        let mut depth = 0usize;
        let mut too_long = false;
        loop {
            match self.next_event()? {
                Event::Text(t) => {
                    let s = t
                        .xml_content()
                        .map_err(|e| self.fatal(format!("text that is not UTF-8 ({e})")))?;
                    push_bounded(&mut out, &s, self.max_text, &mut too_long);
                }
                Event::CData(t) => {
                    let s = t
                        .decode()
                        .map_err(|e| self.fatal(format!("text that is not UTF-8 ({e})")))?;
                    push_bounded(&mut out, &s, self.max_text, &mut too_long);
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                            match name.as_str() {
                                "amp" => "&".into(),
                                "lt" => "<".into(),
                                "gt" => ">".into(),
                                "quot" => "\"".into(),
                                "apos" => "'".into(),
                                other => format!("&{other};"),
                            }
                        }
                    };
                    push_bounded(&mut out, &resolved, self.max_text, &mut too_long);
                }
                Event::Start(_) => depth += 1,
                Event::End(e) => {
                    if depth == 0 {
                        if e.name().as_ref() != name {
                            return Err(self.fatal("an element ends that was not open"));
                        }
                        break;
                    }
                    depth -= 1;
                }
                Event::Eof => {
                    return Err(self.fatal(
                        "the file ends in the middle of an element: the export is cut short. Export it again, or copy the whole file.",
                    ));
                }
                _ => {}
            }
        }
        if too_long && self.oversize.is_none() {
            self.oversize = Some(String::from_utf8_lossy(name).into_owned());
        }
        Ok(out)
    }

    /// Skips the element just opened, whatever it holds.
    fn skip(&mut self, name: &[u8]) -> Result<(), WxrError> {
        let end = name.to_vec();
        self.buf.clear();
        let line = self.line();
        self.xml
            .read_to_end_into(quick_xml::name::QName(&end), &mut self.buf)
            .map_err(|e| WxrError {
                line,
                message: format!(
                    "the element <{}> is not closed ({e}): the export is cut short or broken",
                    String::from_utf8_lossy(&end)
                ),
                fatal: true,
            })?;
        Ok(())
    }

    /// Reads children `name → text` of the element just opened, calling
    /// `child` for each; `child` may read a child itself and say so, or
    /// pause the reading. True when the element was read to its end.
    fn fields(
        &mut self,
        name: &[u8],
        mut child: impl FnMut(&mut Self, &BytesStart<'static>) -> Result<Child, WxrError>,
        mut field: impl FnMut(&[u8], String, &mut Self),
    ) -> Result<bool, WxrError> {
        loop {
            match self.next_event()? {
                Event::Start(e) => {
                    let e = e.into_owned();
                    match child(self, &e)? {
                        Child::Read => continue,
                        Child::Pause => return Ok(false),
                        Child::Field => {}
                    }
                    let qname = e.name().as_ref().to_vec();
                    let text = self.text(&qname)?;
                    field(&qname, text, self);
                }
                Event::Empty(e) => {
                    let qname = e.name().as_ref().to_vec();
                    field(&qname, String::new(), self);
                }
                Event::End(e) if e.name().as_ref() == name => return Ok(true),
                Event::End(_) => return Err(self.fatal("an element ends that was not open")),
                Event::Eof => {
                    return Err(self.fatal(
                        "the file ends in the middle of an item: the export is cut short. Export it again, or copy the whole file.",
                    ));
                }
                _ => {}
            }
        }
    }

    fn author(&mut self) -> Result<Author, WxrError> {
        let mut a = Author::default();
        self.fields(
            b"wp:author",
            |_, _| Ok(Child::Field),
            |name, text, _| match name {
                b"wp:author_id" => a.id = text.trim().parse().ok(),
                b"wp:author_login" => a.login = text,
                b"wp:author_email" => a.email = text.trim().to_string(),
                b"wp:author_display_name" => a.display_name = text,
                b"wp:author_first_name" => a.first_name = text,
                b"wp:author_last_name" => a.last_name = text,
                _ => {}
            },
        )?;
        Ok(a)
    }

    fn term(&mut self, element: &[u8]) -> Result<Term, WxrError> {
        let mut t = Term {
            taxonomy: match element {
                b"wp:category" => "category".into(),
                b"wp:tag" => "post_tag".into(),
                _ => String::new(),
            },
            ..Term::default()
        };
        self.fields(
            element,
            |_, _| Ok(Child::Field),
            |name, text, _| match name {
                b"wp:term_id" => t.id = text.trim().parse().ok(),
                b"wp:category_nicename" | b"wp:tag_slug" | b"wp:term_slug" => t.slug = text,
                b"wp:cat_name" | b"wp:tag_name" | b"wp:term_name" => t.name = text,
                b"wp:category_parent" | b"wp:term_parent" => t.parent = text,
                b"wp:category_description" | b"wp:tag_description" | b"wp:term_description" => {
                    t.description = text
                }
                b"wp:term_taxonomy" => t.taxonomy = text,
                _ => {}
            },
        )?;
        Ok(t)
    }

    fn pair(
        &mut self,
        element: &[u8],
        key: &[u8],
        value: &[u8],
    ) -> Result<(String, String), WxrError> {
        let (mut k, mut v) = (String::new(), String::new());
        self.fields(
            element,
            |_, _| Ok(Child::Field),
            |name, text, _| {
                if name == key {
                    k = text;
                } else if name == value {
                    v = text;
                }
            },
        )?;
        Ok((k, v))
    }

    fn item(&mut self) -> Result<Post, WxrError> {
        let mut p = Post {
            line: self.line(),
            ..Post::default()
        };
        let mut comments = Vec::new();
        let mut meta = Vec::new();
        let mut terms = Vec::new();
        let whole = self.fields(
            b"item",
            |r, e| match e.name().as_ref() {
                b"wp:comment" => {
                    comments.push(r.comment()?);
                    Ok(if comments.len() >= r.comments_per_entry {
                        Child::Pause
                    } else {
                        Child::Read
                    })
                }
                b"wp:postmeta" => {
                    meta.push(r.pair(b"wp:postmeta", b"wp:meta_key", b"wp:meta_value")?);
                    Ok(Child::Read)
                }
                b"category" => {
                    let attr = |key: &[u8]| {
                        e.try_get_attribute(key)
                            .ok()
                            .flatten()
                            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                            .unwrap_or_default()
                    };
                    let (domain, slug) = (attr(b"domain"), attr(b"nicename"));
                    let name = r.text(b"category")?;
                    terms.push(ItemTerm { domain, slug, name });
                    Ok(Child::Read)
                }
                _ => Ok(Child::Field),
            },
            |name, text, _| match name {
                b"title" => p.title = text,
                b"link" => p.link = text.trim().to_string(),
                b"dc:creator" => p.creator = text,
                b"guid" => p.guid = text.trim().to_string(),
                b"content:encoded" => p.content = text,
                b"excerpt:encoded" => p.excerpt = text,
                b"wp:post_id" => p.id = text.trim().parse().unwrap_or(0),
                b"wp:post_date" => p.date_local = date(&text),
                b"wp:post_date_gmt" => p.date_gmt = date(&text),
                b"wp:post_modified_gmt" => p.modified_gmt = date(&text),
                b"wp:post_name" => p.slug = text.trim().to_string(),
                b"wp:status" => p.status = text.trim().to_string(),
                b"wp:post_parent" => p.parent = text.trim().parse().unwrap_or(0),
                b"wp:menu_order" => p.menu_order = text.trim().parse().unwrap_or(0),
                b"wp:post_type" => p.post_type = text.trim().to_string(),
                b"wp:post_password" => p.password = text,
                b"wp:is_sticky" => p.sticky = text.trim() == "1",
                b"wp:comment_status" => p.comment_status = text.trim().to_string(),
                b"wp:attachment_url" => p.attachment_url = text.trim().to_string(),
                _ => {}
            },
        )?;
        if !whole {
            // The rest of the item is its other comments, read by parts
            // (`comments.rs`); a failed post's are read and dropped.
            self.open_item = Some(comments::OpenItem {
                post_id: p.id,
                title: p.title.trim().to_string(),
                line: p.line,
            });
            p.more_comments = true;
        }
        if let Some(element) = self.oversize.take() {
            self.drop_open_item();
            return Err(WxrError {
                line: p.line,
                message: format!(
                    "the item “{}” (id {}) has more than {} MB of text in <{element}>",
                    p.title.trim(),
                    p.id,
                    self.max_text / (1024 * 1024)
                ),
                fatal: false,
            });
        }
        p.comments = comments;
        p.meta = meta;
        p.terms = terms;
        if p.id <= 0 {
            self.drop_open_item();
            return Err(WxrError {
                line: p.line,
                message: format!("the item “{}” has no wp:post_id", p.title.trim()),
                fatal: false,
            });
        }
        Ok(p)
    }

    /// The channel's header, when the first entry starts.
    fn site_entry(&mut self) -> Result<Option<Entry>, WxrError> {
        if self.site_sent {
            return Ok(None);
        }
        self.site_sent = true;
        let version = self.site.wxr_version.trim().to_string();
        if version.is_empty() {
            return Err(self.fatal(
                "this RSS file is not a WordPress export: it has no <wp:wxr_version>. Make one with Tools → Export in WordPress.",
            ));
        }
        if !VERSIONS.contains(&version.as_str()) {
            return Err(self.fatal(format!(
                "the export is WXR version {version}; this Dateline reads versions 1.0 to 1.2. Export from a WordPress that writes 1.2, or upgrade Dateline."
            )));
        }
        Ok(Some(Entry::Site(self.site.clone())))
    }

    fn read_entry(&mut self) -> Result<Option<Entry>, WxrError> {
        loop {
            let event = self.next_event()?;
            match (self.state, event) {
                (_, Event::Eof) => {
                    return match self.state {
                        State::Done => Ok(None),
                        State::Start => Err(self.fatal(
                            "the file is empty or not XML. Give the .xml file WordPress's Tools → Export wrote.",
                        )),
                        _ => Err(self.fatal(
                            "the file ends before the export does: it is cut short. Export it again, or copy the whole file.",
                        )),
                    };
                }
                (State::Start, Event::Start(e)) => {
                    if e.name().as_ref() != b"rss" {
                        return Err(self.fatal(format!(
                            "this is not a WordPress export: the document is <{}>, not an RSS file. Give the .xml file WordPress's Tools → Export wrote.",
                            String::from_utf8_lossy(e.name().as_ref())
                        )));
                    }
                    self.state = State::Rss;
                }
                (State::Rss, Event::Start(e)) if e.name().as_ref() == b"channel" => {
                    self.state = State::Channel;
                }
                (State::Rss, Event::End(_)) => self.state = State::Done,
                (State::Channel, Event::End(e)) if e.name().as_ref() == b"channel" => {
                    self.state = State::Rss;
                    if let Some(site) = self.site_entry()? {
                        return Ok(Some(site));
                    }
                }
                (State::Channel, Event::Start(e)) => {
                    let name = e.name().as_ref().to_vec();
                    match name.as_slice() {
                        b"title" | b"link" | b"language" | b"wp:wxr_version"
                        | b"wp:base_site_url" | b"wp:base_blog_url" => {
                            let text = self.text(&name)?;
                            let site = &mut self.site;
                            match name.as_slice() {
                                b"title" => site.title = text,
                                b"link" => site.link = text.trim().into(),
                                b"language" => site.language = text.trim().into(),
                                b"wp:wxr_version" => site.wxr_version = text.trim().into(),
                                b"wp:base_site_url" => site.base_site_url = text.trim().into(),
                                _ => site.base_blog_url = text.trim().into(),
                            }
                        }
                        b"wp:author" | b"wp:category" | b"wp:tag" | b"wp:term" | b"item" => {
                            if let Some(site) = self.site_entry()? {
                                // The site's header goes first; the entry
                                // just opened is read now and given next.
                                let entry = self.entry_of(&name);
                                self.pending.push_back(entry);
                                return Ok(Some(site));
                            }
                            return self.entry_of(&name).map(Some);
                        }
                        _ => self.skip(&name)?,
                    }
                }
                _ => {}
            }
        }
    }

    fn entry_of(&mut self, name: &[u8]) -> Result<Entry, WxrError> {
        Ok(match name {
            b"wp:author" => Entry::Author(self.author()?),
            b"item" => Entry::Post(Box::new(self.item()?)),
            other => Entry::Term(self.term(other)?),
        })
    }
}

impl<R: BufRead> Iterator for WxrReader<R> {
    type Item = Result<Entry, WxrError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(pending) = self.pending.pop_front() {
            if matches!(&pending, Err(e) if e.fatal) {
                self.state = State::Done;
                self.pending.clear();
            }
            return Some(pending);
        }
        if self.state == State::Done {
            return None;
        }
        let read = if self.open_item.is_some() {
            self.more_comments().map(Some)
        } else {
            self.read_entry()
        };
        match read {
            Ok(entry) => entry.map(Ok),
            Err(err) => {
                if err.fatal {
                    self.state = State::Done;
                }
                Some(Err(err))
            }
        }
    }
}

fn push_bounded(out: &mut String, s: &str, max: usize, too_long: &mut bool) {
    if out.len() + s.len() > max {
        *too_long = true;
    } else {
        out.push_str(s);
    }
}

/// A WordPress date (`2019-03-04 10:00:00`); `0000-00-00 00:00:00` and
/// anything unreadable are no date.
pub fn date(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if t.is_empty() || t.starts_with("0000-00-00") {
        return None;
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok()
}

#[cfg(test)]
mod tests;
