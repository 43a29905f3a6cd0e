//! Every public URL the site makes, in one place, so links, feeds, sitemaps and
//! the API agree.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters left as they are in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Builds paths (`/slug`) and absolute URLs (`https://site/slug`).
#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
}

/// A path segment, percent-encoded where it must be.
pub(crate) fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

impl Urls {
    pub fn new(base: &url::Url) -> Self {
        Self {
            base: base.as_str().trim_end_matches('/').to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `path` made absolute.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn article(&self, slug: &str) -> String {
        format!("/{}", seg(slug))
    }

    /// A comment's permalink: the page of its thread.
    pub fn comment(&self, slug: &str, id: i64) -> String {
        format!("/{}/comments/{id}", seg(slug))
    }

    /// A passage's page: the editors' question, the comments on it, a form.
    pub fn passage(&self, slug: &str, anchor: &str) -> String {
        format!("/{}/passages/{}", seg(slug), seg(anchor))
    }

    pub fn section(&self, slug: &str) -> String {
        format!("/section/{}", seg(slug))
    }

    pub fn tag(&self, slug: &str) -> String {
        format!("/tag/{}", seg(slug))
    }

    pub fn author(&self, slug: &str) -> String {
        format!("/author/{}", seg(slug))
    }

    pub fn archive_month(&self, year: i32, month: u32) -> String {
        format!("/archive/{year}/{month:02}")
    }

    pub fn search(&self, query: &str) -> String {
        format!("/search?q={}", utf8_percent_encode(query, NON_ALPHANUMERIC))
    }

    /// The same path with `?page=N` (page 1 is the bare path).
    pub fn page(&self, path: &str, page: u32) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        if page <= 1 {
            path.to_owned()
        } else {
            format!("{path}{sep}page={page}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_any_script() {
        let u = Urls::new(&url::Url::parse("https://news.example/").unwrap());
        assert_eq!(u.article("water-talks"), "/water-talks");
        assert_eq!(u.article("مياه"), "/%D9%85%D9%8A%D8%A7%D9%87");
        assert_eq!(u.absolute("/x"), "https://news.example/x");
        assert_eq!(u.search("a&b"), "/search?q=a%26b");
        assert_eq!(u.page("/search?q=a", 2), "/search?q=a&page=2");
        assert_eq!(u.page("/tag/x", 1), "/tag/x");
    }
}
