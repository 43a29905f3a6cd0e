//! Accounts: users, sessions, lockout, password resets, API tokens, media.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dateline_core::{Role, UserId};
use dateline_db::accounts::{self, LOCK_AFTER_FAILURES};
use dateline_db::testing::TestDb;
use dateline_db::{DbError, both_databases, media, people};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

async fn user(t: &TestDb, email: &str, role: Role) -> accounts::User {
    accounts::create_user(&t.db, email, "Rana Haddad", role, "$argon2id$fake", now())
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
    for _ in 0..LOCK_AFTER_FAILURES - 1 {
        accounts::record_failed_login(&t.db, u.id, now())
            .await
            .unwrap();
    }
    let u1 = accounts::user(&t.db, u.id).await.unwrap().unwrap();
    assert!(!u1.is_locked(now()));
    accounts::record_failed_login(&t.db, u.id, now())
        .await
        .unwrap();
    let u2 = accounts::user(&t.db, u.id).await.unwrap().unwrap();
    assert!(u2.is_locked(now()));
    assert!(!u2.is_locked(now() + accounts::LOCK_FOR + Duration::seconds(1)));
    accounts::record_successful_login(&t.db, u.id)
        .await
        .unwrap();
    let u3 = accounts::user(&t.db, u.id).await.unwrap().unwrap();
    assert_eq!(u3.failed_logins, 0);
    assert!(!u3.is_locked(now()));
}

async fn sessions_expire_and_can_be_ended(t: TestDb) {
    let u = user(&t, "a@example.org", Role::Editor).await;
    let end = now() + Duration::days(14);
    accounts::create_session(
        &t.db,
        "hash-1",
        u.id,
        "csrf-1",
        now(),
        end,
        "Firefox",
        "203.0.113.0",
    )
    .await
    .unwrap();
    accounts::create_session(
        &t.db,
        "hash-2",
        u.id,
        "csrf-2",
        now(),
        end,
        "Chromium",
        "203.0.113.0",
    )
    .await
    .unwrap();
    let s = accounts::session(&t.db, "hash-1", now() + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.user.id, u.id);
    assert_eq!(s.csrf_token, "csrf-1");
    assert!(
        accounts::session(&t.db, "hash-1", end)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        accounts::session(&t.db, "nope", now())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        accounts::sessions_of(&t.db, &u, now()).await.unwrap().len(),
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
    )
    .await
    .unwrap();
    assert!(
        !accounts::end_session(&t.db, other.id, "hash-2")
            .await
            .unwrap()
    );
    assert_eq!(
        accounts::end_other_sessions(&t.db, u.id, Some("hash-1"))
            .await
            .unwrap(),
        1
    );
    assert!(
        accounts::session(&t.db, "hash-2", now())
            .await
            .unwrap()
            .is_none()
    );
    // A new password ends every other session; disabling ends them all.
    accounts::create_session(&t.db, "hash-3", u.id, "c", now(), end, "", "")
        .await
        .unwrap();
    accounts::set_password(&t.db, u.id, "new-hash", Some("hash-1"), now())
        .await
        .unwrap();
    assert!(
        accounts::session(&t.db, "hash-3", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        accounts::session(&t.db, "hash-1", now())
            .await
            .unwrap()
            .is_some()
    );
    accounts::set_disabled(&t.db, u.id, true, now())
        .await
        .unwrap();
    assert!(
        accounts::session(&t.db, "hash-1", now())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        accounts::sweep_expired(&t.db, end + Duration::days(2))
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
        accounts::create_password_reset(&t.db, u.id, "r1", now(), valid, gap, &mail)
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
            &mail
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
    accounts::set_password(&t.db, u.id, "h", None, now())
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
    let id = accounts::create_token(
        &t.db,
        "CI",
        "dl_abcd",
        "token-hash",
        admin.id,
        admin.id,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        accounts::token_user(&t.db, "token-hash", now())
            .await
            .unwrap()
            .unwrap()
            .id,
        admin.id
    );
    let listed = accounts::tokens(&t.db).await.unwrap();
    assert_eq!(listed[0].name, "CI");
    assert_eq!(listed[0].last_used_at, Some(now()));
    assert!(accounts::revoke_token(&t.db, id, now()).await.unwrap());
    assert!(
        accounts::token_user(&t.db, "token-hash", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(!accounts::revoke_token(&t.db, id, now()).await.unwrap());
    assert!(
        accounts::token_user(&t.db, "nope", now())
            .await
            .unwrap()
            .is_none()
    );
    let _ = UserId(0);
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
    users_are_unique_by_email_and_get_a_byline,
    repeated_failures_lock_an_account,
    sessions_expire_and_can_be_ended,
    reset_links_are_single_use_and_rate_limited,
    tokens_act_as_their_user_until_revoked,
    media_records_its_widths,
);
