//! `dateline import wordpress --wordpress-db mysql://…`: what the export
//! leaves out, read from a WordPress database in the MariaDB on 127.0.0.1:
//! wpDiscuz's confirmed subscriptions stay confirmed (unconfirmed ones are
//! not carried over), votes set the counts, spam comes in as spam, bios
//! fill the author pages, and a second run adds nothing.

use crate::support::{Server, add_user, run, stderr, stdout};
use crate::wordpress::export_fixture;
use std::path::Path;

/// The tables as WordPress and wpDiscuz create them (the columns the import
/// reads, with their types), filled for the fixture's posts and comments.
const WORDPRESS_TABLES: &str = r#"
CREATE TABLE wp_users (
  ID bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_login varchar(60) NOT NULL DEFAULT '',
  user_pass varchar(255) NOT NULL DEFAULT '',
  user_email varchar(100) NOT NULL DEFAULT '',
  display_name varchar(250) NOT NULL DEFAULT '',
  PRIMARY KEY (ID)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE wp_usermeta (
  umeta_id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id bigint(20) unsigned NOT NULL DEFAULT 0,
  meta_key varchar(255) DEFAULT NULL,
  meta_value longtext,
  PRIMARY KEY (umeta_id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE wp_comments (
  comment_ID bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  comment_post_ID bigint(20) unsigned NOT NULL DEFAULT 0,
  comment_author tinytext NOT NULL,
  comment_author_email varchar(100) NOT NULL DEFAULT '',
  comment_author_url varchar(200) NOT NULL DEFAULT '',
  comment_author_IP varchar(100) NOT NULL DEFAULT '',
  comment_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  comment_date_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  comment_content text NOT NULL,
  comment_karma int(11) NOT NULL DEFAULT 0,
  comment_approved varchar(20) NOT NULL DEFAULT '1',
  comment_agent varchar(255) NOT NULL DEFAULT '',
  comment_type varchar(20) NOT NULL DEFAULT 'comment',
  comment_parent bigint(20) unsigned NOT NULL DEFAULT 0,
  user_id bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (comment_ID)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE wp_wc_comments_subscription (
  id int(11) NOT NULL AUTO_INCREMENT,
  email varchar(100) NOT NULL,
  subscribtion_id int(11) NOT NULL,
  post_id int(11) NOT NULL,
  subscribtion_type varchar(20) NOT NULL,
  activation_key varchar(32) NOT NULL,
  confirm tinyint(4) DEFAULT 0,
  subscription_date datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  imported_from varchar(25) NOT NULL DEFAULT '',
  PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;
CREATE TABLE wp_wc_users_voted (
  id int(11) NOT NULL AUTO_INCREMENT,
  user_id varchar(32) NOT NULL,
  comment_id int(11) NOT NULL,
  vote_type int(11) DEFAULT NULL,
  is_guest tinyint(1) DEFAULT 0,
  post_id bigint(20) unsigned NOT NULL DEFAULT 0,
  date int(11) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) DEFAULT CHARSET=utf8mb4;

INSERT INTO wp_users (ID, user_login, user_email, display_name) VALUES
  (1, 'samira', 'samira@oasis-ledger.example', 'Samira Okafor'),
  (2, 'yusuf.h', 'yusuf@oasis-ledger.example', 'Yusuf');
INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES
  (1, 'description', 'Samira covers water, wells and farming from the oasis towns.'),
  (2, 'description', '<b>Yusuf</b> runs the Arabic desk <script>alert(1)</script>'),
  (2, 'first_name', 'Yusuf');
INSERT INTO wp_comments (comment_ID, comment_post_ID, comment_author, comment_author_email,
  comment_author_url, comment_date_gmt, comment_content, comment_approved, comment_type) VALUES
  (120, 10, 'Cheap Watches', 'offers@spam.example', 'http://spam.example/', '2024-03-07 09:00:00',
   'Best <a href="http://spam.example/">watches</a> here', 'spam', 'comment'),
  (121, 999, 'Cheap Watches', 'offers@spam.example', '', '2024-03-07 09:01:00',
   'On a post the export did not have', 'spam', 'comment');
INSERT INTO wp_wc_comments_subscription (email, subscribtion_id, post_id, subscribtion_type,
  activation_key, confirm, subscription_date) VALUES
  ('reader.one@example.org', 10, 10, 'post', 'k1', 1, '2024-03-04 09:30:00'),
  ('Leila@Example.org', 101, 10, 'comment', 'k2', 1, '2024-03-04 10:05:00'),
  ('reader.two@example.org', 11, 11, 'all_comment', 'k3', 1, '2024-03-10 12:00:00'),
  ('never.confirmed@example.org', 10, 10, 'post', 'k4', 0, '2024-03-05 08:00:00');
INSERT INTO wp_wc_users_voted (user_id, comment_id, vote_type, is_guest, post_id, date) VALUES
  ('1', 101, 1, 0, 10, 1709550000),
  ('5f4dcc3b5aa765d61d8327deb882cf99', 101, 1, 1, 10, 1709551000),
  ('e99a18c428cb38d5f260853678922e03', 101, -1, 1, 10, 1709552000),
  ('7', 103, 1, 0, 10, 1709553000);
"#;

/// A database of its own in the MariaDB on 127.0.0.1:3306, dropped after.
struct WordpressDatabase {
    name: String,
}

impl WordpressDatabase {
    fn create() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("dl_wp_{}_{nanos}", std::process::id());
        mariadb(
            None,
            &format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
        );
        mariadb(Some(&name), WORDPRESS_TABLES);
        Self { name }
    }

    fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:3306/{}", self.name)
    }
}

impl Drop for WordpressDatabase {
    fn drop(&mut self) {
        mariadb(None, &format!("DROP DATABASE IF EXISTS {}", self.name));
    }
}

fn mariadb(database: Option<&str>, sql: &str) {
    let mut cmd = std::process::Command::new("mariadb");
    cmd.args([
        "-uroot",
        "-h127.0.0.1",
        "-P3306",
        "--default-character-set=utf8mb4",
    ]);
    if let Some(db) = database {
        cmd.arg(db);
    }
    let o = cmd
        .arg("-e")
        .arg(sql)
        .output()
        .expect("the mariadb client runs (scripts/test starts MariaDB)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn import(data: &str, url: &str) -> String {
    let o = run(&[
        "import",
        "wordpress",
        export_fixture().to_str().unwrap(),
        "--wordpress-db",
        url,
        "--data-dir",
        data,
    ]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    stdout(&o)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_export_leaves_out_comes_from_the_database() {
    let wp = WordpressDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let out = import(&data, &wp.url());
    assert!(
        out.contains("From the WordPress database: 1 spam comments (kept as spam), 2 author bios, 3 confirmed \"Notify of\" subscriptions (0 already here), 4 votes."),
        "{out}"
    );
    assert!(
        out.contains("Left out 1 subscriptions never confirmed"),
        "{out}"
    );
    assert!(
        out.contains("Left out 1 subscriptions, votes and spam"),
        "{out}"
    );

    add_user(
        &data,
        "desk@oasis.test",
        "Desk",
        "editor",
        "sand dune lantern",
    );
    let o = run(&["user", "token", "desk@oasis.test", "--data-dir", &data]);
    let token = stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("Token (shown once): "))
        .expect("a token")
        .to_owned();
    let server = Server::start(Path::new(&data), None).await;
    let api = |path: &str| {
        let url = format!("{}{path}", server.base);
        let token = token.clone();
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };

    // Confirmed subscriptions are confirmed follows; the unconfirmed one is not there.
    let follows = api("/api/v1/admin/comments/follows").await;
    let follows = follows.as_array().expect("a list");
    assert_eq!(follows.len(), 3, "{follows:?}");
    assert!(
        follows.iter().all(|f| f["confirmed"] == true),
        "{follows:?}"
    );
    let kinds: Vec<(&str, &str)> = follows
        .iter()
        .map(|f| (f["email"].as_str().unwrap(), f["kind"].as_str().unwrap()))
        .collect();
    for expected in [
        ("reader.one@example.org", "all"),
        ("leila@example.org", "comment"),
        ("reader.two@example.org", "replies"),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} in {kinds:?}");
    }
    let leila = follows.iter().find(|f| f["kind"] == "comment").unwrap();
    assert_eq!(
        leila["comment_id"], 101,
        "the comment it follows keeps its number"
    );

    // Spam is kept, as spam, out of the page.
    let spam = api("/api/v1/admin/comments?status=spam").await;
    assert!(spam.to_string().contains("Cheap Watches"), "{spam}");
    let page = server.get("/wells-run-dry").await.text().await.unwrap();
    assert!(!page.contains("Cheap Watches"));

    // Votes set the counts: two up and one down on 101, one up on 103.
    let doc = scraper::Html::parse_document(&page);
    let count = |comment: u32, button: &str| -> String {
        let sel = scraper::Selector::parse(&format!("#comment-{comment} > article .{button} .n"))
            .unwrap();
        doc.select(&sel)
            .next()
            .map(|e| e.text().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        (count(101, "vote-up"), count(101, "vote-down")),
        ("2".into(), "1".into())
    );
    assert_eq!(count(103, "vote-up"), "1");

    // Bios, as text: the markup in one is not carried over.
    let samira = server.get("/author/samira").await.text().await.unwrap();
    assert!(
        samira.contains("Samira covers water, wells and farming"),
        "{samira}"
    );
    let yusuf = server.get("/author/yusuf-h").await.text().await.unwrap();
    assert!(yusuf.contains("Yusuf runs the Arabic desk"), "{yusuf}");
    assert!(!yusuf.contains("<script>alert(1)"), "{yusuf}");
    drop(server);

    // Again: nothing new.
    let again = import(&data, &wp.url());
    assert!(
        again.contains("From the WordPress database: 0 spam comments (kept as spam), 0 author bios, 0 confirmed \"Notify of\" subscriptions (3 already here), 0 votes."),
        "{again}"
    );
}

#[test]
fn a_database_that_is_not_wordpress_is_named_plainly() {
    let wp = WordpressDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = run(&[
        "import",
        "wordpress",
        export_fixture().to_str().unwrap(),
        "--wordpress-db",
        &wp.url(),
        "--table-prefix",
        "blog_",
        "--data-dir",
        data,
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("has no table blog_comments"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--table-prefix"), "{}", stderr(&o));
    let o = run(&[
        "import",
        "wordpress",
        export_fixture().to_str().unwrap(),
        "--wordpress-db",
        "mysql://root:hunter2@127.0.0.1:3306/no_such_database",
        "--data-dir",
        data,
    ]);
    assert!(!o.status.success());
    assert!(
        !stderr(&o).contains("hunter2"),
        "the password is not printed: {}",
        stderr(&o)
    );
}
