//! The addresses a site had before it moved to Dateline, as keys: an
//! import records each old address under its key, and a request for an
//! unknown path is looked up by the same key. One spelling for both sides,
//! so `/2024/03/04/wells-run-dry/`, `/2024/03/04/wells-run-dry` and a
//! percent-encoded Arabic slug all find what they became.

use percent_encoding::percent_decode_str;

/// The key of a path: percent-decoded (lossily, when not UTF-8), without a
/// fragment or trailing slashes, starting with `/`. A query is kept only
/// when it names an item the way WordPress does (`?p=10`, `?page_id=30`,
/// `?attachment_id=20`), so that tracking parameters do not hide an
/// address.
pub fn path_key(raw: &str) -> String {
    let raw = raw.split('#').next().unwrap_or_default();
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw, None),
    };
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let trimmed = decoded.trim_end_matches('/');
    let mut key = if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    };
    if let Some(item) = query.and_then(item_query) {
        if key == "/" {
            key.clear();
        }
        key.push_str("/?");
        key.push_str(&item);
    }
    key
}

/// Whether a query names an item the way WordPress does (`p=10`…): only
/// then can the front page's address be an old one.
pub fn names_item(query: &str) -> bool {
    item_query(query).is_some()
}

/// `p=10`, `page_id=30` or `attachment_id=20` from a query, the first found.
fn item_query(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (matches!(k, "p" | "page_id" | "attachment_id")
            && !v.is_empty()
            && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{k}={v}"))
    })
}

/// A month archive's address in WordPress's forms (`/2024/03`,
/// `/2024/03/04`): the year and month.
pub fn date_archive(key: &str) -> Option<(i32, u32)> {
    let mut parts = key.trim_start_matches('/').split('/');
    let year: i32 = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
    let month: u32 = parts.next().filter(|m| m.len() == 2)?.parse().ok()?;
    match parts.next() {
        None => {}
        Some(d) if d.len() == 2 && d.parse::<u32>().is_ok() && parts.next().is_none() => {}
        Some(_) => return None,
    }
    ((1..=12).contains(&month) && year > 1990).then_some((year, month))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            path_key("/2024/03/04/wells-run-dry/"),
            "/2024/03/04/wells-run-dry"
        );
        assert_eq!(
            path_key("/2024/03/04/wells-run-dry"),
            "/2024/03/04/wells-run-dry"
        );
        assert_eq!(path_key("/%d9%82%d8%a7%d9%81%d9%84%d8%a9/"), "/قافلة");
        assert_eq!(path_key("/?p=10"), "/?p=10");
        assert_eq!(path_key("/?utm_source=x&p=10"), "/?p=10");
        assert_eq!(path_key("/?page_id=30#top"), "/?page_id=30");
        assert_eq!(path_key("/?s=water"), "/");
        assert_eq!(path_key("/feed/"), "/feed");
        assert_eq!(path_key("/slug/?replytocom=5"), "/slug");
        assert_eq!(path_key("/%ff/"), "/\u{FFFD}");
        assert_eq!(path_key(""), "/");
        assert!(names_item("p=10") && names_item("utm_source=x&page_id=3"));
        assert!(!names_item("page=2") && !names_item("p=") && !names_item("q=p"));
    }

    #[test]
    fn archives() {
        assert_eq!(date_archive("/2024/03"), Some((2024, 3)));
        assert_eq!(date_archive("/2024/03/04"), Some((2024, 3)));
        assert_eq!(date_archive("/2024/03/04/slug"), None);
        assert_eq!(date_archive("/2024/13"), None);
        assert_eq!(date_archive("/about/us"), None);
    }
}
