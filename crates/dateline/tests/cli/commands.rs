//! Commands an operator runs, and how they answer mistakes.

use crate::support::{fixtures, run, stderr, stdout};

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["article", "--help"],
        vec!["article", "add", "--help"],
        vec!["article", "list", "--help"],
        vec!["search", "reindex", "--help"],
        vec!["search", "query", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "list", "--help"],
        vec!["user", "passwd", "--help"],
        vec!["user", "token", "--help"],
        vec!["user", "two-factor-reset", "--help"],
        vec!["export", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["import", "dateline", "--help"],
        vec!["import", "wordpress", "--help"],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage: dateline"), "{args:?}");
    }
    let serve = stdout(&run(&["serve", "--help"]));
    for flag in [
        "--data-dir",
        "--listen",
        "--database",
        "--base-url",
        "--config",
        "DATELINE_DATA_DIR",
        "DATELINE_LISTEN",
        "DATELINE_DATABASE_URL",
        "DATELINE_BASE_URL",
        "--metrics-listen",
        "DATELINE_METRICS_LISTEN",
    ] {
        assert!(serve.contains(flag), "serve --help does not mention {flag}");
    }
}

#[test]
fn article_add_adds_updates_and_links_translations() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = fixtures().join("01-port-strike.md");
    let o = run(&[
        "article",
        "add",
        first.to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Added article 1 \"basra-port-strike-ends\" (revision 1), published."),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "article",
        "add",
        fixtures().join("02-port-strike-ar.md").to_str().unwrap(),
        first.to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 added, 0 updated, 1 unchanged, 0 refused"),
        "{}",
        stdout(&o)
    );
    let list = stdout(&run(&["article", "list", "--data-dir", data]));
    assert!(
        list.contains("basra-port-strike-ends-ar") && list.contains("2 of 2 shown"),
        "{list}"
    );
    let o = run(&[
        "article",
        "list",
        "--status",
        "nonsense",
        "--data-dir",
        data,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("use draft, scheduled, published or archived"));
}

#[test]
fn broken_files_are_refused_with_reasons_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = run(&[
        "article",
        "add",
        fixtures().join("broken.md").to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("broken.md: line 3:") && err.contains("hedline"),
        "{err}"
    );

    let o = run(&[
        "article",
        "add",
        fixtures().join("invalid.md").to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for needle in [
        "headline: A headline is required.",
        "language: \"english\" is not a language tag",
        "status: \"live\" is not a status",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
    let list = stdout(&run(&["article", "list", "--data-dir", data]));
    assert!(list.contains("0 of 0 shown"), "{list}");

    let o = run(&["article", "add", "/no/such/file.md", "--data-dir", data]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("cannot read /no/such/file.md"));
}

#[test]
fn bad_configuration_stops_with_the_setting_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = run(&["serve", "--data-dir", data, "--listen", "not-an-address"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(
            "listen (--listen, DATELINE_LISTEN or listen): \"not-an-address\" is not an address"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(&["serve", "--data-dir", data, "--base-url", "ftp://x"]);
    assert!(
        stderr(&o).contains("base URL (--base-url"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "serve",
        "--database",
        "mysql://localhost/x",
        "--data-dir",
        data,
    ]);
    assert!(
        stderr(&o).contains("use sqlite://PATH or postgres://"),
        "{}",
        stderr(&o)
    );
    let config = dir.path().join("dateline.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:1\"\nbase_ulr = \"https://x\"\n",
    )
    .unwrap();
    let o = run(&["serve", "--config", config.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(
        err.contains("dateline.toml is invalid") && err.contains("base_ulr"),
        "{err}"
    );
    let o = run(&["serve", "--config", "/no/such.toml"]);
    assert!(stderr(&o).contains("cannot read the configuration file /no/such.toml"));
}

#[test]
fn the_demo_newsroom_has_what_it_promises() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = run(&["demo", "--data-dir", data]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("scheduled"), "{}", stdout(&o));
    let list = stdout(&run(&[
        "article",
        "list",
        "--limit",
        "200",
        "--data-dir",
        data,
    ]));
    let rows: Vec<&str> = list.lines().filter(|l| l.contains(" — ")).skip(1).collect();
    assert!(
        rows.len() >= 12,
        "only {} demo articles:\n{list}",
        rows.len()
    );
    assert_eq!(
        rows.iter().filter(|r| r.contains("scheduled")).count(),
        1,
        "{list}"
    );
    assert!(
        rows.iter()
            .any(|r| r.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))),
        "no Arabic article"
    );
    // Loading it again changes nothing but the times.
    let again = run(&["demo", "--data-dir", data]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        std::fs::read_dir(dir.path().join("media/demo"))
            .unwrap()
            .count()
            > 0
    );
}

#[test]
fn user_accounts_from_the_command_line() {
    use crate::support::run_with_input;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = run_with_input(
        &[
            "user",
            "add",
            "--email",
            "Rana@Example.org",
            "--name",
            "Rana Haddad",
            "--role",
            "editor",
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "tigris morning bread\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Created Rana Haddad <rana@example.org> as editor"));
    assert!(
        !stdout(&o).contains("Password"),
        "a given password is not printed"
    );

    // No terminal and no --password-stdin: a strong password is made and shown once.
    let o = run_with_input(
        &[
            "user",
            "add",
            "--email",
            "omar@example.org",
            "--name",
            "Omar Aziz",
            "--role",
            "author",
            "--data-dir",
            data,
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let generated = stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("Password (shown once): "))
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 20);

    let o = run_with_input(
        &[
            "user",
            "add",
            "--email",
            "rana@example.org",
            "--name",
            "Again",
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "another good password\n",
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("There is already an account for rana@example.org"),
        "{}",
        stderr(&o)
    );
    let o = run_with_input(
        &[
            "user",
            "add",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "owner",
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "another good password\n",
    );
    assert!(
        stderr(&o).contains("role: Choose contributor, author, editor or admin."),
        "{}",
        stderr(&o)
    );
    let o = run_with_input(
        &[
            "user",
            "add",
            "--email",
            "y@example.org",
            "--name",
            "Y",
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "short\n",
    );
    assert!(
        stderr(&o).contains("password: Use at least 10 characters"),
        "{}",
        stderr(&o)
    );

    let list = stdout(&run(&["user", "list", "--data-dir", data]));
    assert!(
        list.contains("editor")
            && list.contains("rana@example.org")
            && list.contains("2 accounts."),
        "{list}"
    );

    let o = run(&[
        "user",
        "token",
        "Rana@Example.org",
        "--name",
        "Phone app",
        "--data-dir",
        data,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"Phone app\" acting as rana@example.org (editor)"));
    let secret = stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("Token (shown once): "))
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("dl_") && secret.len() > 40, "{secret}");
    let o = run(&["user", "token", "nobody@example.org", "--data-dir", data]);
    assert!(stderr(&o).contains("there is no account for nobody@example.org"));

    let o = run_with_input(
        &[
            "user",
            "passwd",
            "omar@example.org",
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "a fresh long password\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("every session of that account is signed out"));
    let o = run_with_input(
        &[
            "user",
            "passwd",
            "nobody@example.org",
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "a fresh long password\n",
    );
    assert!(stderr(&o).contains("there is no account for nobody@example.org"));
    assert!(stdout(&run(&["user", "--help"])).contains("passwd"));
}

/// An operator who lost their phone gets two-factor sign-in turned off from
/// the command line; the audit log names the command line as who did it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_resets_two_factor_sign_in() {
    use crate::support::add_user;
    use dateline_db::audit::{self, Filter};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    add_user(
        data,
        "rana@example.org",
        "Rana Haddad",
        "admin",
        "tigris morning bread",
    );
    let url = format!("sqlite://{}/dateline.db", dir.path().display());
    let db = dateline_db::Db::connect(&url, Default::default())
        .await
        .unwrap();
    let user = dateline_db::accounts::user_by_email(&db, "rana@example.org")
        .await
        .unwrap()
        .unwrap();
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    dateline_db::two_factor::set_pending_secret(&db, user.id, secret)
        .await
        .unwrap();
    let who = dateline_core::audit::Who::cli("");
    let on =
        dateline_db::two_factor::enable(&db, user.id, secret, 1, &[], chrono::Utc::now(), &who);
    assert!(on.await.unwrap());
    let o = run(&[
        "user",
        "two-factor-reset",
        "rana@example.org",
        "--data-dir",
        data,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Two-factor sign-in is off for rana@example.org"));
    let user = dateline_db::accounts::user(&db, user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!user.two_factor());
    let entries = audit::entries(&db, &Filter::default(), 10).await.unwrap();
    let reset = entries
        .iter()
        .find(|e| e.action == "two_factor.reset")
        .unwrap();
    assert_eq!(reset.actor_kind, "cli");
    assert!(reset.actor_name.starts_with("command line"));
    assert!(
        entries
            .iter()
            .any(|e| e.action == "user.created" && e.actor_kind == "cli")
    );
    let again = run(&[
        "user",
        "two-factor-reset",
        "rana@example.org",
        "--data-dir",
        data,
    ]);
    assert!(stdout(&again).contains("had no two-factor sign-in"));
    let nobody = run(&[
        "user",
        "two-factor-reset",
        "nobody@example.org",
        "--data-dir",
        data,
    ]);
    assert!(!nobody.status.success());
    assert!(stderr(&nobody).contains("there is no account for nobody@example.org"));
    db.close().await;
}
