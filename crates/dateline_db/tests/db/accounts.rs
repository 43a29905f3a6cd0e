//! Accounts: users, sessions, lockout, password resets, API tokens, media.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dateline_core::Role;
use dateline_core::audit::Who;
use dateline_db::accounts::{self, LOCK_AFTER_FAILURES};
use dateline_db::limits;
use dateline_db::sessions::{self, AccountAttempt};
use dateline_db::testing::TestDb;
use dateline_db::{DbError, both_databases, media, people, tokens};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

fn cli() -> Who {
    Who::cli("")
}

async fn user(t: &TestDb, email: &str, role: Role) -> accounts::User {
    accounts::create_user(
        &t.db,
        email,
        "Rana Haddad",
        role,
        "$argon2id$fake",
        now(),
        &cli(),
    )
    .await
    .unwrap()
}

async fn users_are_unique_by_email_and_get_a_byline(t: TestDb) {
    let u = user(&t, " Rana@Example.ORG ", Role::Author).await;
    assert_eq!(u.email, "rana@example.org");
    assert_eq!(u.role, Role::Author);
    let author = people::author(&t.db, "rana-haddad").await.unwrap().unwrap();
    assert_eq!(u.author_id, Some(author.id.0));
    let err = accounts::create_user(
        &t.db,
        "RANA@example.org",
        "Someone",
        Role::Editor,
        "x",
        now(),
        &cli(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DbError::Conflict { ref field, .. } if field == "email"),
        "{err:?}"
    );
    // A second account with the same name does not take the first one's byline.
    let twin = accounts::create_user(
        &t.db,
        "other@example.org",
        "Rana Haddad",
        Role::Author,
        "x",
        now(),
        &cli(),
    )
    .await
    .unwrap();
    assert_eq!(twin.author_id, None);
    assert_eq!(
        accounts::user_by_email(&t.db, "RANA@EXAMPLE.ORG")
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert_eq!(accounts::active_admins(&t.db).await.unwrap(), 0);
}

async fn repeated_failures_lock_an_account(t: TestDb) {
    let u = user(&t, "a@example.org", Role::Editor).await;
    for n in 1..=LOCK_AFTER_FAILURES {
        let attempt = sessions::count_account_attempt(&t.db, u.id, now())
            .await
            .unwrap();
        assert_eq!(
            attempt,
            AccountAttempt::Counted {
                last: n == LOCK_AFTER_FAILURES
            }
        );
    }
    let u2 = accounts::user(&t.db, u.id).await.unwrap().unwrap();
    assert!(u2.is_locked(now()), "locked as the last attempt is counted");
    assert!(matches!(
        sessions::count_account_attempt(&t.db, u.id, now())
            .await
            .unwrap(),
        AccountAttempt::Locked(_)
    ));
    assert!(!u2.is_locked(now() + accounts::LOCK_FOR + Duration::seconds(1)));
    // After the lock, one attempt locks it again unless it succeeds.
    let later = now() + accounts::LOCK_FOR + Duration::seconds(1);
    assert_eq!(
        sessions::count_account_attempt(&t.db, u.id, later)
            .await
            .unwrap(),
        AccountAttempt::Counted { last: true }
    );
    session(&t, &u, "hash-ok").await;
    let u3 = accounts::user(&t.db, u.id).await.unwrap().unwrap();
    assert_eq!(u3.failed_logins, 0);
    assert!(!u3.is_locked(later));
}

/// Parallel attempts each see their own count: no two requests read the
/// same number, so a limit holds however many arrive at once.
async fn attempts_are_counted_atomically(t: TestDb) {
    let u = user(&t, "a@example.org", Role::Editor).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let db = t.db.clone();
            tokio::spawn(async move { sessions::count_account_attempt(&db, u.id, now()).await })
        })
        .collect();
    let mut counted = 0;
    for task in tasks {
        if let AccountAttempt::Counted { .. } = task.await.unwrap().unwrap() {
            counted += 1;
        }
    }
    assert_eq!(counted, LOCK_AFTER_FAILURES);
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let db = t.db.clone();
            tokio::spawn(async move {
                limits::count_attempt(&db, "sign-in", "client", Duration::minutes(15), now()).await
            })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap().unwrap().attempts);
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=30).collect::<Vec<i64>>());
    // A new window starts from one; a release forgets.
    let c = limits::count_attempt(
        &t.db,
        "sign-in",
        "client",
        Duration::minutes(15),
        now() + Duration::minutes(15),
    )
    .await
    .unwrap();
    assert_eq!(
        (c.attempts, c.window_ends),
        (1, now() + Duration::minutes(30))
    );
    limits::forget(&t.db, "sign-in", "client").await.unwrap();
    let c = limits::count_attempt(&t.db, "sign-in", "client", Duration::minutes(15), now())
        .await
        .unwrap();
    assert_eq!(c.attempts, 1);
}

async fn session(t: &TestDb, u: &accounts::User, hash: &str) {
    session_until(t, u, hash, now() + Duration::days(14), "Firefox").await
}

async fn session_until(
    t: &TestDb,
    u: &accounts::User,
    hash: &str,
    end: DateTime<Utc>,
    agent: &str,
) {
    let csrf = format!("csrf-{hash}");
    let new = sessions::NewSession {
        token_hash: hash,
        user: u.id,
        csrf_token: &csrf,
        expires_at: end,
        user_agent: agent,
        ip_prefix: "203.0.113.0",
    };
    sessions::sign_in(&t.db, &new, None, "password", now(), &cli())
        .await
        .unwrap();
}

async fn sessions_expire_and_can_be_ended(t: TestDb) {
    let u = user(&t, "a@example.org", Role::Editor).await;
    let end = now() + Duration::days(14);
    session_until(&t, &u, "hash-1", end, "Firefox").await;
    session_until(&t, &u, "hash-2", end, "Chromium").await;
    let s = sessions::session(&t.db, "hash-1", now() + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.user.id, u.id);
    assert_eq!(s.csrf_token, "csrf-hash-1");
    assert!(
        sessions::session(&t.db, "hash-1", end)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        sessions::session(&t.db, "nope", now())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        sessions::sessions_of(&t.db, &u, now()).await.unwrap().len(),
        2
    );
    // Another user cannot end this user's session.
    let other = accounts::create_user(
        &t.db,
        "b@example.org",
        "Omar Aziz",
        Role::Author,
        "x",
        now(),
        &cli(),
    )
    .await
    .unwrap();
    assert!(
        !sessions::end_session(&t.db, other.id, "hash-2")
            .await
            .unwrap()
    );
    assert_eq!(
        sessions::end_other_sessions(&t.db, u.id, Some("hash-1"), now(), &cli())
            .await
            .unwrap(),
        1
    );
    assert!(
        sessions::session(&t.db, "hash-2", now())
            .await
            .unwrap()
            .is_none()
    );
    // A new password ends every other session; disabling ends them all.
    session(&t, &u, "hash-3").await;
    accounts::set_password(&t.db, u.id, "new-hash", Some("hash-1"), now(), &cli())
        .await
        .unwrap();
    assert!(
        sessions::session(&t.db, "hash-3", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        sessions::session(&t.db, "hash-1", now())
            .await
            .unwrap()
            .is_some()
    );
    accounts::set_disabled(&t.db, u.id, true, now(), &cli())
        .await
        .unwrap();
    assert!(
        sessions::session(&t.db, "hash-1", now())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        sessions::sweep_expired(&t.db, end + Duration::days(2))
            .await
            .unwrap(),
        0
    );
}

async fn reset_links_are_single_use_and_rate_limited(t: TestDb) {
    let u = user(&t, "a@example.org", Role::Author).await;
    let valid = Duration::hours(1);
    let gap = Duration::minutes(5);
    let mail = dateline_db::mail::NewMail {
        kind: "password_reset".into(),
        to: "a@example.org".into(),
        to_name: String::new(),
        subject: "Reset".into(),
        text: "link".into(),
        html: "<p>link</p>".into(),
        subscriber_id: None,
    };
    assert!(
        accounts::create_password_reset(&t.db, u.id, "r1", now(), valid, gap, &mail, &cli())
            .await
            .unwrap()
    );
    assert!(
        !accounts::create_password_reset(
            &t.db,
            u.id,
            "r2",
            now() + Duration::minutes(1),
            valid,
            gap,
            &mail,
            &cli()
        )
        .await
        .unwrap()
    );
    let queued = dateline_db::mail::messages_to(&t.db, "a@example.org")
        .await
        .unwrap();
    assert_eq!(
        queued.len(),
        1,
        "one mail for the one link made: {queued:?}"
    );
    assert_eq!(queued[0].kind, "password_reset");
    assert_eq!(
        accounts::password_reset_user(&t.db, "r1", now())
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert!(
        accounts::password_reset_user(&t.db, "r1", now() + valid)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    accounts::set_password(&t.db, u.id, "h", None, now(), &cli())
        .await
        .unwrap();
    assert!(
        accounts::password_reset_user(&t.db, "r1", now())
            .await
            .unwrap()
            .is_none(),
        "used up by the new password"
    );
}

async fn tokens_act_as_their_user_until_revoked(t: TestDb) {
    let admin = user(&t, "admin@example.org", Role::Admin).await;
    let id = tokens::create_token(
        &t.db,
        "CI",
        "dl_abcd",
        "token-hash",
        admin.id,
        now(),
        &cli(),
    )
    .await
    .unwrap();
    assert_eq!(
        tokens::token_user(&t.db, "token-hash", now())
            .await
            .unwrap()
            .unwrap(),
        (id, admin.clone())
    );
    let listed = tokens::tokens(&t.db).await.unwrap();
    assert_eq!(listed[0].name, "CI");
    assert_eq!(listed[0].last_used_at, Some(now()));
    assert!(
        tokens::revoke_token(&t.db, id, now(), &cli())
            .await
            .unwrap()
    );
    assert!(
        tokens::token_user(&t.db, "token-hash", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !tokens::revoke_token(&t.db, id, now(), &cli())
            .await
            .unwrap()
    );
    assert!(
        tokens::token_user(&t.db, "nope", now())
            .await
            .unwrap()
            .is_none()
    );
}

async fn media_records_its_widths(t: TestDb) {
    let m = media::record(
        &t.db,
        &media::NewMedia {
            path: "/media/uploads/2026/11/1-river-1600.jpg".into(),
            original_name: "river.jpg".into(),
            content_type: "image/jpeg".into(),
            width: 1600,
            height: 900,
            bytes: 123_456,
            variants: vec![
                media::Variant {
                    width: 480,
                    path: "/media/uploads/2026/11/1-river-480.jpg".into(),
                },
                media::Variant {
                    width: 1600,
                    path: "/media/uploads/2026/11/1-river-1600.jpg".into(),
                },
            ],
        },
        None,
        now(),
    )
    .await
    .unwrap();
    let again = media::by_path(&t.db, "/media/uploads/2026/11/1-river-1600.jpg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, m);
    assert_eq!(again.variants.len(), 2);
    assert_eq!(media::recent(&t.db, 10).await.unwrap().len(), 1);
}

both_databases!(
    attempts_are_counted_atomically,
    users_are_unique_by_email_and_get_a_byline,
    repeated_failures_lock_an_account,
    sessions_expire_and_can_be_ended,
    reset_links_are_single_use_and_rate_limited,
    tokens_act_as_their_user_until_revoked,
    media_records_its_widths,
);
