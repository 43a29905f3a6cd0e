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
