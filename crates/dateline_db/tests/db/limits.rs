//! Limits counted in the database: an attempt is counted by one statement,
//! so parallel requests each get their own count and none walks around the
//! limit; a window that ended starts again.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dateline_db::both_databases;
use dateline_db::limits::count_attempt;
use dateline_db::testing::TestDb;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

async fn parallel_attempts_each_get_their_own_count(t: TestDb) {
    let window = Duration::hours(1);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            count_attempt(&db, "test", "one-key", window, now())
                .await
                .unwrap()
        }));
    }
    let mut counts = Vec::new();
    for task in tasks {
        let c = task.await.unwrap();
        assert_eq!(c.window_ends, now() + window);
        counts.push(c.attempts);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=40).collect::<Vec<_>>());

    // Other keys and scopes count apart.
    let other = count_attempt(&t.db, "test", "another-key", window, now())
        .await
        .unwrap();
    assert_eq!(other.attempts, 1);
    let scope = count_attempt(&t.db, "other", "one-key", window, now())
        .await
        .unwrap();
    assert_eq!(scope.attempts, 1);

    // Within the window it counts on; once it ended, it starts again.
    let later = now() + Duration::minutes(59);
    let c = count_attempt(&t.db, "test", "one-key", window, later)
        .await
        .unwrap();
    assert_eq!(c.attempts, 41);
    assert!(c.over(20));
    assert_eq!(c.retry_after(later), 60);
    let next = now() + Duration::minutes(61);
    let c = count_attempt(&t.db, "test", "one-key", window, next)
        .await
        .unwrap();
    assert_eq!((c.attempts, c.window_ends), (1, next + window));
}

both_databases!(parallel_attempts_each_get_their_own_count);
