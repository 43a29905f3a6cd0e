//! `dateline export`, `import dateline`, `backup` and `restore`: a site
//! (the demo newsroom, a WordPress import with its threads, images and old
//! addresses, accounts, a token, subscribers) moves from SQLite to
//! PostgreSQL and answers readers, feeds and the APIs exactly as before;
//! secrets stay home unless asked for; a damaged, foreign or crafted archive
//! is refused and loads nothing.

use crate::support::{Server, add_user, run, run_with_input, stderr, stdout};
use crate::wordpress::export_fixture;
use dateline_db::testing::TestDb;
use std::io::{Read, Write};
use std::path::Path;

const PASSWORD: &str = "copper kettle meadow";

/// A SQLite site with a bit of everything, in `data`.
fn a_full_site(dir: &Path) -> String {
    let data = dir.join("site").to_str().unwrap().to_owned();
    let uploads = dir.join("uploads");
    std::fs::create_dir_all(uploads.join("2024/03")).unwrap();
    let mut img = image::RgbImage::new(1200, 800);
    for (x, y, px) in img.enumerate_pixels_mut() {
        *px = image::Rgb([(x % 256) as u8, (y % 180) as u8, 60]);
    }
    img.save_with_format(uploads.join("2024/03/well.jpg"), image::ImageFormat::Jpeg)
        .unwrap();
    let ok =
        |o: std::process::Output| assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    ok(run(&["demo", "--data-dir", &data]));
    ok(run(&[
        "import",
        "wordpress",
        export_fixture().to_str().unwrap(),
        "--uploads",
        uploads.to_str().unwrap(),
        "--data-dir",
        &data,
    ]));
    add_user(
        &data,
        "desk@newsroom.test",
        "Desk Editor",
        "editor",
        PASSWORD,
    );
    let csv = dir.join("subscribers.csv");
    std::fs::write(
        &csv,
        "email,name,frequency,sections\nmina@example.org,Mina,weekly,\n",
    )
    .unwrap();
    ok(run(&[
        "subscribers",
        "import",
        csv.to_str().unwrap(),
        "--data-dir",
        &data,
    ]));
    data
}

fn token(data: &str) -> String {
    let o = run(&["user", "token", "desk@newsroom.test", "--data-dir", data]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("Token (shown once): "))
        .expect("a token")
        .to_owned()
}

/// A page as another server on another port would give it.
async fn page(server: &Server, path: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = r.text().await.unwrap();
    (
        status,
        format!(
            "{location}\n{}",
            without_form_token(&body.replace(&server.base, "BASE"))
        ),
    )
}

/// The comment form's token is made for each request (it dates the form).
fn without_form_token(page: &str) -> String {
    const AT: &str = "name=\"token\" value=\"";
    match page.find(AT) {
        Some(i) => {
            let rest = &page[i + AT.len()..];
            let end = rest.find('"').unwrap_or(0);
            format!(
                "{}{AT}TOKEN{}",
                &page[..i],
                without_form_token(&rest[end..])
            )
        }
        None => page.to_owned(),
    }
}

/// The first line where two answers differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}:\n  before: {x}\n  after:  {y}", i + 1))
        .unwrap_or_else(|| format!("lengths {} and {}", a.len(), b.len()))
}

/// What the reader pages, feeds and APIs list: every public page there is.
async fn paths(server: &Server) -> Vec<String> {
    let mut out: Vec<String> = [
        "/",
        "/?page=2",
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/sitemaps/news.xml",
        "/archive",
        "/search?q=water",
        "/search?q=%D9%85%D9%8A%D8%A7%D9%87",
        "/api/v1/articles",
        "/api/v1/sections",
        "/api/v1/tags",
        "/api/v1/authors",
        "/?p=10",
        "/2024/03/04/wells-run-dry/",
        "/category/water/",
        "/author/samira/",
        "/robots.txt",
    ]
    .map(String::from)
    .to_vec();
    let list: serde_json::Value = server
        .get("/api/v1/articles?per_page=100")
        .await
        .json()
        .await
        .unwrap();
    for a in list["articles"].as_array().expect("articles") {
        let url = a["url"].as_str().unwrap().replace(&server.base, "");
        let id = a["id"].as_i64().unwrap();
        out.push(url.clone());
        out.push(format!("{url}/comments.atom"));
        out.push(format!("/api/v1/articles/{id}"));
        out.push(format!("/api/v1/articles/{id}/comments"));
    }
    for kind in ["sections", "tags", "authors"] {
        let list: serde_json::Value = server
            .get(&format!("/api/v1/{kind}"))
            .await
            .json()
            .await
            .unwrap();
        for item in list
            .get("items")
            .or(list.get(kind))
            .and_then(|v| v.as_array())
            .expect(kind)
        {
            if let Some(url) = item["url"].as_str() {
                out.push(url.replace(&server.base, ""));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_moves_from_sqlite_to_postgresql_and_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let data = a_full_site(dir.path());
    let secret = token(&data);
    let archive = dir.path().join("site.tar.gz");
    let o = run(&[
        "export",
        archive.to_str().unwrap(),
        "--include-secrets",
        "--data-dir",
        &data,
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(out.contains("(secrets included)"), "{out}");
    assert!(out.contains("media"), "{out}");

    let pg = TestDb::postgres().await;
    let moved = dir.path().join("moved");
    let moved = moved.to_str().unwrap();
    let url = pg.child_url();
    let o = run(&[
        "import",
        "dateline",
        archive.to_str().unwrap(),
        "--data-dir",
        moved,
        "--database",
        &url,
    ]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("from sqlite"), "{}", stdout(&o));

    let before = Server::start(Path::new(&data), None).await;
    let after = Server::start(Path::new(moved), Some(&url)).await;
    let listed = paths(&before).await;
    assert!(listed.len() > 40, "{listed:?}");
    assert_eq!(listed, paths(&after).await, "the same pages are listed");
    for path in &listed {
        let (mut a, mut b) = (page(&before, path).await, page(&after, path).await);
        if a != b {
            // A page that depends on the clock (the news sitemap's last two
            // days) may have changed between the two requests: ask again.
            (a, b) = (page(&before, path).await, page(&after, path).await);
        }
        assert_eq!(a.0, b.0, "{path}");
        assert!(
            a.1 == b.1,
            "{path} differs after the move: {}",
            first_difference(&a.1, &b.1)
        );
    }
    // Imported images came along, byte for byte.
    let article = page(&before, "/wells-run-dry").await.1;
    let image = article
        .split("src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|s| s.starts_with("/media/"))
        .expect("an imported image");
    let bytes = |s: &Server| {
        let url = format!("{}{image}", s.base);
        async move { reqwest::get(url).await.unwrap().bytes().await.unwrap() }
    };
    assert_eq!(bytes(&before).await, bytes(&after).await);

    // Secrets came too: the same token works, the same password signs in.
    for server in [&before, &after] {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1/admin/sections", server.base))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // New things get new ids, not the ids the archive brought.
    let o = run_with_input(
        &[
            "user",
            "add",
            "--email",
            "new@newsroom.test",
            "--name",
            "New",
            "--role",
            "author",
            "--password-stdin",
            "--data-dir",
            moved,
            "--database",
            &url,
        ],
        "a brand new passphrase\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_keeps_secrets_home_and_a_backup_restores() {
    let dir = tempfile::tempdir().unwrap();
    let data = a_full_site(dir.path());
    let secret = token(&data);
    let archive = dir.path().join("public.tar.gz");
    let o = run(&["export", archive.to_str().unwrap(), "--data-dir", &data]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Left out: password hashes"),
        "{}",
        stdout(&o)
    );

    // Neither the password's hash, nor the token's, nor the site's key is in it.
    let mut all = String::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&archive).unwrap(),
    ));
    for entry in tar.entries().unwrap() {
        let mut e = entry.unwrap();
        if e.path().unwrap().starts_with("tables") {
            e.read_to_string(&mut all).unwrap();
        }
    }
    assert!(all.contains("desk@newsroom.test"), "accounts are in");
    assert!(!all.contains("$argon2"), "no password hash");
    assert!(!all.contains(&secret[secret.len() - 12..]), "no token");
    assert!(!all.contains("\"secret_key\""), "no signing key");

    // Loaded elsewhere, the account is there but its password and token are not.
    let other = dir.path().join("other");
    let other = other.to_str().unwrap();
    let o = run(&[
        "import",
        "dateline",
        archive.to_str().unwrap(),
        "--data-dir",
        other,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("every account sets a new password"),
        "{}",
        stdout(&o)
    );
    let server = Server::start(Path::new(other), None).await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/admin/sections", server.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    drop(server);

    // A second load into a site that holds something is refused, plainly...
    let o = run(&[
        "import",
        "dateline",
        archive.to_str().unwrap(),
        "--data-dir",
        other,
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("already holds a site"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--replace"), "{}", stderr(&o));

    // ...and a backup, taken while the site serves, puts a changed site back.
    let serving = Server::start(Path::new(&data), None).await;
    let backup = dir.path().join("backup.tar.gz");
    let o = run(&["backup", backup.to_str().unwrap(), "--data-dir", &data]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = page(&serving, "/wells-run-dry").await;
    drop(serving);
    let o = run(&["restore", backup.to_str().unwrap(), "--data-dir", other]);
    assert!(!o.status.success(), "restore asks before replacing");
    let o = run(&[
        "restore",
        backup.to_str().unwrap(),
        "--replace",
        "--data-dir",
        other,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Replaced "), "{}", stdout(&o));
    let restored = Server::start(Path::new(other), None).await;
    let after = page(&restored, "/wells-run-dry").await;
    assert!(after == before, "{}", first_difference(&before.1, &after.1));
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/admin/sections", restored.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a backup keeps the tokens");
}

/// Writes a .tar.gz with the given entries.
fn tar_gz(path: &Path, entries: &[(String, Vec<u8>)]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        // Written by hand: the tar crate refuses to write a `..` itself.
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        tar.append(&h, data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

/// An archive's entries, to change and write again.
fn entries_of(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(path).unwrap(),
    ));
    tar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_foreign_and_crafted_archives_load_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let data = data.to_str().unwrap();
    assert!(run(&["demo", "--data-dir", data]).status.success());
    let good = dir.path().join("good.tar.gz");
    assert!(
        run(&["export", good.to_str().unwrap(), "--data-dir", data])
            .status
            .success()
    );
    let entries = entries_of(&good);

    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let not_tar = dir.path().join("notes.tar.gz");
    std::fs::write(&not_tar, "these are my notes, not an archive\n").unwrap();

    let newer = dir.path().join("newer.tar.gz");
    let mut changed = entries.clone();
    let mut manifest: serde_json::Value = serde_json::from_slice(&changed[0].1).unwrap();
    manifest["version"] = 99.into();
    manifest["dateline"] = "9.0.0".into();
    changed[0].1 = serde_json::to_vec(&manifest).unwrap();
    tar_gz(&newer, &changed);

    // A comment whose stored HTML is a script (its Markdown says otherwise),
    // and a file placed outside the media folder.
    let crafted = dir.path().join("crafted.tar.gz");
    let mut changed = entries.clone();
    let comments = changed
        .iter_mut()
        .find(|(n, _)| n.starts_with("tables/comments/"))
        .expect("the demo has comments");
    let text = String::from_utf8(comments.1.clone()).unwrap();
    let first = text.lines().next().unwrap();
    let mut row: Vec<serde_json::Value> = serde_json::from_str(first).unwrap();
    for v in row.iter_mut() {
        if v.as_str().is_some_and(|s| s.starts_with("<p>")) {
            *v = "<script>document.title='owned'</script><p>hi</p>".into();
        }
    }
    comments.1 = text
        .replacen(first, &serde_json::to_string(&row).unwrap(), 1)
        .into_bytes();
    tar_gz(&crafted, &changed);

    let escape = dir.path().join("escape.tar.gz");
    let mut changed = entries.clone();
    let at = changed.len() - 1;
    changed.insert(
        at,
        ("media/../../escaped.jpg".into(), b"not an image".to_vec()),
    );
    tar_gz(&escape, &changed);

    for (file, expected) in [
        (&cut, "cut short"),
        (&not_tar, "not a Dateline archive"),
        (&newer, "written by a newer Dateline (9.0.0"),
        (&escape, "which no media row names"),
    ] {
        let target = tempfile::tempdir().unwrap();
        let t = target.path().to_str().unwrap();
        let o = run(&[
            "import",
            "dateline",
            file.to_str().unwrap(),
            "--data-dir",
            t,
        ]);
        assert!(!o.status.success(), "{}", file.display());
        assert!(
            stderr(&o).contains(expected),
            "{}: {}",
            file.display(),
            stderr(&o)
        );
        assert!(
            stderr(&o).contains(file.to_str().unwrap()),
            "the message names the file"
        );
        // Nothing was loaded: the database is still empty, and a good archive goes in.
        let o = run(&[
            "import",
            "dateline",
            good.to_str().unwrap(),
            "--data-dir",
            t,
        ]);
        assert!(o.status.success(), "{}: {}", file.display(), stderr(&o));
        assert!(!dir.path().join("escaped.jpg").exists());
        assert!(!target.path().join("escaped.jpg").exists());
    }

    let target = tempfile::tempdir().unwrap();
    let t = target.path().to_str().unwrap();
    let o = run(&[
        "import",
        "dateline",
        crafted.to_str().unwrap(),
        "--data-dir",
        t,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let server = Server::start(target.path(), None).await;
    let list: serde_json::Value = server
        .get("/api/v1/articles?per_page=100")
        .await
        .json()
        .await
        .unwrap();
    for a in list["articles"].as_array().unwrap() {
        let url = a["url"].as_str().unwrap().replace(&server.base, "");
        let body = server.get(&url).await.text().await.unwrap();
        assert!(!body.contains("document.title='owned'"), "{url}");
    }
}
