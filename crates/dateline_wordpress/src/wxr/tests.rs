use super::*;

const FIXTURE: &str = include_str!("../../fixtures/oasis-ledger.xml");

fn read(xml: &str) -> Vec<Result<Entry, WxrError>> {
    WxrReader::new(xml.as_bytes()).collect()
}

fn posts(xml: &str) -> Vec<Post> {
    read(xml)
        .into_iter()
        .filter_map(|e| match e {
            Ok(Entry::Post(p)) => Some(*p),
            _ => None,
        })
        .collect()
}

#[test]
fn the_fixture_reads_whole() {
    let entries = read(FIXTURE);
    assert!(entries.iter().all(Result::is_ok), "{entries:?}");
    let Ok(Entry::Site(site)) = &entries[0] else {
        panic!("the site comes first: {:?}", entries[0]);
    };
    assert_eq!(site.wxr_version, "1.2");
    assert_eq!(site.base_blog_url, "https://oasis-ledger.example");
    assert!(!site.is_multisite());
    let authors: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Ok(Entry::Author(a)) => Some(a.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(authors.len(), 2);
    // CDATA keeps WordPress's own escaping; the importer reads names
    // as text (`content::plain_text`).
    assert_eq!(authors[1].display_name, "Yusuf &amp; Partners&#8217; Desk");
    assert_eq!(
        crate::content::plain_text(&authors[1].display_name),
        "Yusuf & Partners\u{2019} Desk"
    );
    let terms = entries
        .iter()
        .filter(|e| matches!(e, Ok(Entry::Term(_))))
        .count();
    assert_eq!(terms, 6);
    let posts = posts(FIXTURE);
    assert_eq!(posts.len(), 9);
    let wells = &posts[1];
    assert_eq!(wells.id, 10);
    assert!(wells.sticky);
    assert_eq!(wells.comments.len(), 9);
    assert_eq!(wells.terms[0].name, "Water &amp; Wells");
    assert_eq!(wells.meta("_thumbnail_id"), Some("20"));
    assert!(wells.content.starts_with("<!-- wp:paragraph -->"));
    assert_eq!(wells.comments[3].author, "ليلى أحمد");
    assert_eq!(wells.comments[5].meta.len(), 1);
    assert!(wells.line > 30);
    let draft = &posts[3];
    assert_eq!(draft.status, "draft");
    assert_eq!(draft.date_gmt, None);
    assert!(draft.date_local.is_some());
}

#[test]
fn not_an_export_is_said_plainly() {
    let errs = read("<html><body>hello</body></html>");
    let Err(e) = &errs[0] else { panic!() };
    assert!(
        e.fatal && e.message.contains("not a WordPress export"),
        "{e}"
    );
    let errs = read(
        "<rss version=\"2.0\"><channel><title>x</title><item><title>a</title></item></channel></rss>",
    );
    let Err(e) = &errs[0] else { panic!() };
    assert!(e.message.contains("wxr_version"), "{e}");
    let errs = read("");
    assert!(matches!(&errs[0], Err(e) if e.fatal));
    let newer = FIXTURE.replace("<wp:wxr_version>1.2", "<wp:wxr_version>2.0");
    let Err(e) = &read(&newer)[0] else { panic!() };
    assert!(e.message.contains("version 2.0"), "{e}");
}

#[test]
fn a_cut_export_names_its_line_and_stops() {
    let cut = &FIXTURE[..FIXTURE.find("<wp:comment_id>103").expect("in fixture")];
    let entries = read(cut);
    let last = entries.last().expect("entries");
    let Err(e) = last else { panic!("{last:?}") };
    assert!(e.fatal && e.message.contains("cut short"), "{e}");
    assert!(e.line > 100, "{e}");
    assert_eq!(entries.iter().filter(|e| e.is_err()).count(), 1);
}

#[test]
fn broken_xml_is_an_error_with_a_line() {
    let broken = FIXTURE.replacen("</wp:post_name>", "</wp:post_nam>", 3);
    let entries = read(&broken);
    let Some(Err(e)) = entries.last() else {
        panic!()
    };
    assert!(e.fatal, "{e}");
    assert!(e.line > 10);
}

#[test]
fn an_item_without_an_id_is_skipped_with_its_title() {
    let xml = FIXTURE.replace("<wp:post_id>12</wp:post_id>", "");
    let entries = read(&xml);
    let errs: Vec<_> = entries.iter().filter_map(|e| e.as_ref().err()).collect();
    assert_eq!(errs.len(), 1);
    assert!(!errs[0].fatal);
    assert!(errs[0].message.contains("salt flats"), "{}", errs[0]);
    assert_eq!(posts(&xml).len(), 8);
}

#[test]
fn an_oversized_field_fails_its_item_only() {
    let mut r = WxrReader::new(FIXTURE.as_bytes());
    r.max_text = 200;
    let entries: Vec<_> = r.collect();
    let errs: Vec<_> = entries.iter().filter_map(|e| e.as_ref().err()).collect();
    assert!(!errs.is_empty());
    assert!(errs.iter().all(|e| !e.fatal), "{errs:?}");
    assert!(errs[0].message.contains("more than"), "{}", errs[0]);
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, Ok(Entry::Post(p)) if p.id == 12))
    );
}

#[test]
fn dates() {
    assert_eq!(date("0000-00-00 00:00:00"), None);
    assert_eq!(date(""), None);
    assert!(date("2024-03-04 10:00:00").is_some());
    assert_eq!(date("yesterday"), None);
}

#[test]
fn nothing_follows_a_fatal_error_in_the_first_entry() {
    // The first entry is read while the site's header is handed out; a
    // broken one ends the file there too (found by fuzzing).
    let xml = FIXTURE.replacen(
        "<wp:author_id>1</wp:author_id>",
        "<wp:author_id>1</wp:author>",
        1,
    );
    let entries = read(&xml);
    let fatal = entries
        .iter()
        .position(|e| matches!(e, Err(e) if e.fatal))
        .expect("a fatal error");
    assert_eq!(fatal, entries.len() - 1, "{entries:?}");
}

/// A part of a long thread: its post, its comments' ids, whether it is the last.
type Part = (i64, Vec<i64>, bool);

/// The comments of each post, with the parts they came in, read `n` to an
/// entry.
fn threads(xml: &str, n: usize) -> (Vec<Post>, Vec<Part>, Vec<WxrError>) {
    let mut posts = Vec::new();
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    for entry in WxrReader::new(xml.as_bytes()).with_comments_per_entry(n) {
        match entry {
            Ok(Entry::Post(p)) => posts.push(*p),
            Ok(Entry::Comments {
                post_id,
                comments,
                last,
            }) => parts.push((post_id, comments.iter().map(|c| c.id).collect(), last)),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    (posts, parts, errors)
}

#[test]
fn a_long_thread_comes_by_parts_and_whole() {
    let whole = posts(FIXTURE);
    let wells_ids: Vec<i64> = whole[1].comments.iter().map(|c| c.id).collect();
    assert_eq!(wells_ids.len(), 9);

    // 9 comments, 4 to an entry: 4 with the post, then 4, then the last 1.
    let (posts, parts, errors) = threads(FIXTURE, 4);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(posts.len(), whole.len());
    let wells = &posts[1];
    assert!(wells.more_comments);
    assert_eq!(wells.comments.len(), 4);
    assert_eq!(wells.meta("_thumbnail_id"), Some("20"));
    let sizes: Vec<(i64, usize, bool)> = parts
        .iter()
        .map(|(id, c, last)| (*id, c.len(), *last))
        .collect();
    assert_eq!(sizes, [(10, 4, false), (10, 1, true)]);
    let mut ids: Vec<i64> = wells.comments.iter().map(|c| c.id).collect();
    ids.extend(parts.iter().flat_map(|(_, c, _)| c.clone()));
    assert_eq!(ids, wells_ids, "every comment once, in file order");
    // The other posts are read as before, comments and all.
    for (a, b) in posts.iter().zip(&whole).filter(|(a, _)| a.id != 10) {
        assert_eq!(a, b);
    }

    // 3 to an entry: the last part comes empty, to close the post.
    let (_, parts, _) = threads(FIXTURE, 3);
    let sizes: Vec<(usize, bool)> = parts.iter().map(|(_, c, l)| (c.len(), *l)).collect();
    assert_eq!(sizes, [(3, false), (3, false), (0, true)]);
}

#[test]
fn an_element_after_a_long_threads_comments_is_skipped_and_said() {
    // WordPress writes an item's comments last; another writer may not.
    let wells_end = FIXTURE
        .match_indices("</item>")
        .nth(1)
        .map(|(i, _)| i)
        .unwrap();
    let mut xml = FIXTURE.to_string();
    xml.insert_str(
        wells_end,
        "<wp:postmeta><wp:meta_key>late</wp:meta_key><wp:meta_value>x</wp:meta_value></wp:postmeta>",
    );
    let (posts, parts, errors) = threads(&xml, 4);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(!errors[0].fatal);
    assert!(
        errors[0].message.contains("<wp:postmeta>") && errors[0].message.contains("id 10"),
        "{}",
        errors[0]
    );
    assert_eq!(posts.len(), 9, "the posts after it are read");
    assert_eq!(parts.last().map(|p| p.2), Some(true));
    // Read whole, the same item keeps its late meta.
    let whole = self::posts(&xml);
    assert_eq!(whole[1].meta("late"), Some("x"));
}

#[test]
fn a_long_thread_cut_short_is_fatal() {
    // In the middle of the wells item's seventh comment.
    let cut = FIXTURE.find("<wp:comment_id>107</wp:comment_id>").unwrap();
    let (_, _, errors) = threads(&FIXTURE[..cut], 2);
    assert!(errors.last().is_some_and(|e| e.fatal), "{errors:?}");
}
