//! Sign-in limits under parallel requests (issue 12, finding 4), the bound
//! on argon2 runs, and `next` after signing in.

use crate::accounts::{PASSWORD, cookie_pair, login_form, set_cookie, sign_in};
use crate::support::{Resp, TestApp};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use dateline_core::Role;
use dateline_db::accounts::LOCK_AFTER_FAILURES;
use dateline_db::audit::{self, Filter};
use dateline_db::both_databases;
use dateline_db::testing::TestDb;
use std::net::SocketAddr;

/// Posts the sign-in form as a browser at `ip` (with the form's cookie and
/// token from `form`).
async fn sign_in_from(
    app: &TestApp,
    form: &(String, String),
    ip: &str,
    email: &str,
    password: &str,
) -> Resp {
    let body = serde_urlencoded::to_string([
        ("_csrf", form.1.as_str()),
        ("email", email),
        ("password", password),
        ("next", "/admin/articles"),
    ])
    .unwrap();
    let mut req = Request::post("/admin/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &form.0)
        .body(Body::from(body))
        .unwrap();
    let peer: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    app.request(req).await
}

/// Thirty wrong guesses sent at once from one address: before, every one
/// was let through to argon2 (failures were counted after it), so a right
/// guess among them signed in. Now each is counted first: ten from one
/// address are checked at most, five passwords of one account, and the
/// account is locked for the right password too.
async fn parallel_guesses_are_counted_before_any_is_checked(db: TestDb) {
    let app = TestApp::new(db).await;
    let rana = app
        .user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    let form = login_form(&app).await;
    let guesses: Vec<String> = (0..30).map(|i| format!("guess number {i}")).collect();
    let answers = futures_util::future::join_all(
        guesses
            .iter()
            .map(|g| sign_in_from(&app, &form, "198.51.100.7", "rana@newsroom.test", g)),
    )
    .await;
    let limited = answers
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let refused = answers
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(
        (limited, refused),
        (20, 10),
        "ten attempts from one address, however many arrive at once"
    );
    // From another address the right password finds the account locked.
    let right = sign_in_from(&app, &form, "203.0.113.9", "rana@newsroom.test", PASSWORD).await;
    assert_eq!(right.status, StatusCode::UNAUTHORIZED, "{}", right.text());
    assert!(
        set_cookie(&right, "dateline_session").is_none(),
        "not signed in"
    );
    // Exactly as many passwords were checked as the account allows.
    let failures = audit::entries(
        &app.db.db,
        &Filter {
            action: Some("sign_in.failed".into()),
            object_id: Some(rana.id.0),
            ..Default::default()
        },
        100,
    )
    .await
    .unwrap();
    let checked = failures
        .iter()
        .filter(|e| e.summary.ends_with("wrong password"))
        .count();
    assert_eq!(checked as i64, LOCK_AFTER_FAILURES);
    assert!(
        failures
            .iter()
            .all(|e| e.actor_kind == "visitor" && !e.client.is_empty())
    );
    let locked = audit::entries(
        &app.db.db,
        &Filter {
            action: Some("sign_in.locked".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(locked.len(), 1, "one lockout recorded");
    let throttled = audit::entries(
        &app.db.db,
        &Filter {
            action: Some("sign_in.throttled".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(throttled.len(), 1, "the address's limit recorded once");
}

/// Sign-ins of many accounts at once never run more argon2 checks at a time
/// than the server has turns for; each is answered (signed in, or "busy"
/// with a Retry-After), none fails.
async fn password_checks_wait_for_a_turn(db: TestDb) {
    let app = TestApp::new(db).await;
    let mut people = Vec::new();
    for i in 0..24 {
        let email = format!("reporter{i}@newsroom.test");
        app.user(&email, &format!("Reporter {i}"), Role::Author, PASSWORD)
            .await;
        people.push(email);
    }
    let form = login_form(&app).await;
    let (app_ref, form_ref) = (&app, &form);
    let answers = futures_util::future::join_all(people.iter().enumerate().map(|(i, email)| {
        let ip = format!("198.51.100.{}", i + 1);
        async move { sign_in_from(app_ref, form_ref, &ip, email, PASSWORD).await }
    }))
    .await;
    for r in &answers {
        match r.status {
            StatusCode::SEE_OTHER => assert!(set_cookie(r, "dateline_session").is_some()),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(r.header("retry-after").parse::<u64>().unwrap() > 0)
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    let hashing = &app.state.hashing;
    assert!(hashing.peak() >= 1);
    assert!(
        hashing.peak() <= hashing.concurrent(),
        "{} argon2 runs at once with {} turns",
        hashing.peak(),
        hashing.concurrent()
    );
}

/// A `next` with a line break used to split the redirect's header after the
/// session was made (a 500); now it is checked first and falls back.
async fn next_is_checked_before_signing_in(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    for bad in [
        "/admin\r\nSet-Cookie: planted=1",
        "/admin\nx",
        "https://evil.example/",
        "/\\evil.example",
        "//evil.example",
    ] {
        let (cookie, token) = login_form(&app).await;
        let r = app
            .post_form(
                "/admin/login",
                &[
                    ("_csrf", &token),
                    ("email", "rana@newsroom.test"),
                    ("password", PASSWORD),
                    ("next", bad),
                ],
                &[("cookie", &cookie)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{bad:?}: {}", r.text());
        assert_eq!(r.header("location"), "/admin", "{bad:?}");
        assert!(set_cookie(&r, "planted").is_none());
        // Already signed in, the form sends on at once, just as safely.
        let session = cookie_pair(set_cookie(&r, "dateline_session").unwrap());
        let q = serde_urlencoded::to_string([("next", bad)]).unwrap();
        let again = app
            .get_with(&format!("/admin/login?{q}"), &[("cookie", &session)])
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(again.header("location"), "/admin");
    }
    // A path on the site is kept.
    let r = sign_in(&app, "rana@newsroom.test", PASSWORD).await;
    assert_eq!(r.header("location"), "/admin/articles");
}

/// A stolen session cannot guess the password faster than the sign-in form:
/// the account page's password checks are counted the same way.
async fn the_current_password_is_counted_too(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    let r = sign_in(&app, "rana@newsroom.test", PASSWORD).await;
    let cookie = cookie_pair(set_cookie(&r, "dateline_session").unwrap());
    let page = app.get_with("/admin/account", &[("cookie", &cookie)]).await;
    let csrf = page.attrs("form.sign-out input[name=_csrf]", "value")[0].clone();
    let change = |current: &'static str| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_form(
                "/admin/account/password",
                &[
                    ("_csrf", csrf.as_str()),
                    ("current", current),
                    ("password", "a new password entirely"),
                    ("confirm", "a new password entirely"),
                ],
                &[("cookie", cookie.as_str())],
            )
            .await
        }
    };
    let wrong = futures_util::future::join_all((0..8).map(|_| change("not my password"))).await;
    assert!(wrong.iter().all(|r| r.status != StatusCode::SEE_OTHER));
    let right = change(PASSWORD).await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        right.text()
    );
    assert!(right.text().contains("Too many wrong passwords"));
}

both_databases!(
    the_current_password_is_counted_too,
    parallel_guesses_are_counted_before_any_is_checked,
    password_checks_wait_for_a_turn,
    next_is_checked_before_signing_in,
);
