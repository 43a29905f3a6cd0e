//! The archive's list of tables is the schema's: a migration that adds a
//! table must say what it is to an export (data, secret, derived, or
//! short-lived), or this fails.

use dateline_db::archive::{self, Class};
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

async fn every_table_is_known_to_archives(t: TestDb) {
    let mut listed: Vec<&str> = archive::TABLES.iter().map(|t| t.name).collect();
    listed.sort_unstable();
    let schema = archive::schema_tables(&t.db).await.unwrap();
    assert_eq!(
        listed, schema,
        "dateline_db::archive::TABLES and the schema differ"
    );
    // Credentials never travel without --include-secrets.
    let without: Vec<&str> = archive::archived(false).map(|t| t.name).collect();
    for secret in [
        "sessions",
        "api_tokens",
        "password_resets",
        "recovery_codes",
    ] {
        assert!(!without.contains(&secret), "{secret}");
        assert_eq!(archive::find(secret).unwrap().class, Class::Secret);
    }
    assert!(archive::archived(true).any(|t| t.name == "api_tokens"));
}

/// Follows carried over from a comment plugin come in confirmed (their
/// owners confirmed them there), but an address whose owner stopped all
/// notifications here stays stopped: an import does not start mail again.
async fn carried_follows_respect_a_stop(t: TestDb) {
    use dateline_db::follows::{self, FollowKind, FollowRequest};
    use dateline_db::imports::{ImportedFollow, add_follows};
    let article =
        crate::articles::add(&t, &crate::articles::draft("Followed report", |_| {})).await;
    let now = crate::articles::now();
    let request = FollowRequest {
        email: "stopped@example.org",
        article,
        kind: FollowKind::All,
        comment_id: None,
        proven: true,
    };
    follows::follow(&t.db, &request, now, |_| None)
        .await
        .unwrap();
    let follower = follows::list(&t.db, Some(article), Some("stopped@example.org"), 10)
        .await
        .unwrap()[0]
        .follower_id;
    follows::stop_all(&t.db, follower, now).await.unwrap();

    let carried = |email: &str, kind| ImportedFollow {
        email: email.into(),
        article,
        kind,
        comment_id: None,
        confirmed_at: now,
    };
    let added = add_follows(
        &t.db,
        &[
            carried("Stopped@Example.org", FollowKind::Replies),
            carried("new@example.org", FollowKind::All),
        ],
    )
    .await
    .unwrap();
    assert_eq!(added.added, 1);
    assert_eq!(added.stopped, vec!["stopped@example.org".to_string()]);
    let all = follows::list(&t.db, Some(article), None, 10).await.unwrap();
    let stopped: Vec<_> = all
        .iter()
        .filter(|f| f.email == "stopped@example.org")
        .collect();
    assert!(
        stopped.iter().all(|f| f.confirmed_at.is_none()),
        "{stopped:?}"
    );
    assert!(!stopped.iter().any(|f| f.kind == FollowKind::Replies));
    let new = all.iter().find(|f| f.email == "new@example.org").unwrap();
    assert!(new.confirmed_at.is_some());
    // The same again adds nothing.
    let again = add_follows(&t.db, &[carried("new@example.org", FollowKind::All)])
        .await
        .unwrap();
    assert_eq!((again.added, again.already_there), (0, 1));
}

both_databases!(
    every_table_is_known_to_archives,
    carried_follows_respect_a_stop
);
