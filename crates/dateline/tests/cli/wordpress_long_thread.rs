//! A post whose thread is longer than the export's reader gives at once
//! (1,000 comments) and the importer converts at once (2,000): its comments
//! go in by parts, and every reply still finds its parent, in an earlier
//! part or listed after it in the file (the first comment answers the
//! last: it waits for it through every part).

use crate::support::{run, stderr, stdout};
use std::fmt::Write as _;

/// Comments in the thread: several parts.
const COMMENTS: i64 = 4_500;
/// Listed first, answering the last comment of the file.
const EARLY_REPLY: i64 = 9_001;

/// The WordPress parent of comment `id` (0: it starts a thread).
fn parent_of(id: i64) -> i64 {
    match id {
        EARLY_REPLY => COMMENTS,
        _ if id % 3 == 0 => id - 1,
        _ if id % 7 == 0 && id > 2_500 => id - 2_400,
        _ => 0,
    }
}

fn export() -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/">
<channel>
<title>The Long Thread Gazette</title>
<link>https://long-thread.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://long-thread.example</wp:base_site_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login>editor</wp:author_login><wp:author_email>editor@long-thread.example</wp:author_email><wp:author_display_name>The Editor</wp:author_display_name></wp:author>
<item>
<title>The council votes on the new water tariff</title>
<link>https://long-thread.example/2025/05/02/water-tariff/</link>
<dc:creator>editor</dc:creator>
<guid isPermaLink="false">https://long-thread.example/?p=1</guid>
<content:encoded><![CDATA[<p>The council met until midnight.</p>]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>1</wp:post_id>
<wp:post_date>2025-05-02 09:00:00</wp:post_date>
<wp:post_date_gmt>2025-05-02 07:00:00</wp:post_date_gmt>
<wp:post_name>water-tariff</wp:post_name>
<wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
"#,
    );
    let ids = std::iter::once(EARLY_REPLY).chain(1..=COMMENTS);
    for id in ids {
        let minute = if id == EARLY_REPLY { COMMENTS + 1 } else { id };
        writeln!(
            xml,
            "<wp:comment><wp:comment_id>{id}</wp:comment_id>\
             <wp:comment_author>Reader {r}</wp:comment_author>\
             <wp:comment_author_email>reader{r}@readers.example</wp:comment_author_email>\
             <wp:comment_date_gmt>2025-05-{day:02} {h:02}:{m:02}:00</wp:comment_date_gmt>\
             <wp:comment_content><![CDATA[Point {id} about the tariff.]]></wp:comment_content>\
             <wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type>\
             <wp:comment_parent>{p}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id>\
             </wp:comment>",
            r = id % 50,
            day = 3 + minute / 1440,
            h = (minute / 60) % 24,
            m = minute % 60,
            p = parent_of(id),
        )
        .unwrap();
    }
    xml.push_str("</item>\n</channel>\n</rss>\n");
    xml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_thread_goes_in_by_parts_and_keeps_every_parent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long-thread.xml");
    std::fs::write(&file, export()).unwrap();
    let data = dir.path().join("site");
    let args = [
        "import",
        "wordpress",
        file.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let o = run(&args);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    let all = COMMENTS + 1;
    assert!(
        out.contains(&format!("{all} comments (0 already here)")),
        "{out}"
    );
    assert!(
        !out.contains("answers a comment not in the export"),
        "{out}"
    );

    let url = format!("sqlite://{}/dateline.db", data.display());
    let db = dateline_db::Db::connect(&url, Default::default())
        .await
        .unwrap();
    // Old numbers are kept, so a comment's id is its WordPress id.
    let mut placed = std::collections::HashMap::new();
    for id in (1..=COMMENTS).chain([EARLY_REPLY]) {
        let c = dateline_db::comments::get(&db, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("comment {id} is missing"));
        placed.insert(id, (c.parent_id, c.depth, c.thread_id));
    }
    for (id, (parent, depth, thread)) in &placed {
        let wp_parent = parent_of(*id);
        if wp_parent == 0 {
            assert_eq!((*parent, *depth, *thread), (None, 0, *id), "comment {id}");
        } else {
            let (_, parent_depth, parent_thread) = placed[&wp_parent];
            assert_eq!(
                (*parent, *depth, *thread),
                (Some(wp_parent), parent_depth + 1, parent_thread),
                "comment {id}"
            );
        }
    }
    db.close().await;

    let again = run(&args);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains(&format!("0 comments ({all} already here)")),
        "{}",
        stdout(&again)
    );
}
