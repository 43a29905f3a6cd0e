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

both_databases!(every_table_is_known_to_archives);
