//! Two-factor sign-in through the router, with real codes computed here
//! from the secret the set-up page shows.

use crate::accounts::{PASSWORD, cookie_pair, login_form, set_cookie, sign_in};
use crate::support::{Browser, Resp, TestApp};
use axum::http::{Method, StatusCode};
use chrono::Utc;
use dateline_core::Role;
use dateline_core::totp::{code_at, step_at};
use dateline_db::audit::{self, Filter};
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

/// Signs in with the password and returns the browser, when no code is
/// asked for.
async fn browser_by_password(app: &TestApp, email: &str) -> Browser {
    let r = sign_in(app, email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let cookie = cookie_pair(set_cookie(&r, "dateline_session").expect("signed in"));
    let page = app.get_with("/admin/account", &[("cookie", &cookie)]).await;
    let csrf = page.attrs("form.sign-out input[name=_csrf]", "value")[0].clone();
    let user = dateline_db::accounts::user_by_email(&app.db.db, email)
        .await
        .unwrap()
        .unwrap();
    Browser { cookie, csrf, user }
}

/// Sets two-factor sign-in up for `b`: returns the secret and the recovery
/// codes shown.
async fn turn_on(app: &TestApp, b: &Browser) -> (Vec<u8>, Vec<String>) {
    let setup = app.get_as(b, "/admin/account/two-factor").await;
    assert_eq!(setup.status, StatusCode::OK);
    let shown = setup.select("code.secret")[0].replace(' ', "");
    let uri = setup.attrs("a[href^='otpauth://']", "href")[0].clone();
    assert!(uri.contains(&format!("secret={shown}")), "{uri}");
    assert!(uri.contains("issuer="));
    assert_eq!(setup.select(".qr svg").len(), 1, "a QR code inline");
    let secret = data_encoding::BASE32_NOPAD
        .decode(shown.as_bytes())
        .unwrap();
    // The same secret until confirmed.
    let again = app.get_as(b, "/admin/account/two-factor").await;
    assert_eq!(again.select("code.secret")[0].replace(' ', ""), shown);
    // A wrong first code keeps it off.
    let wrong = app
        .post_as(b, "/admin/account/two-factor", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains("not right"));
    let code = code_at(&secret, step_at(Utc::now().timestamp()));
    let on = app
        .post_as(b, "/admin/account/two-factor", &[("code", &code)])
        .await;
    assert_eq!(on.status, StatusCode::CREATED, "{}", on.text());
    let codes = on.select(".recovery-codes code");
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// The password step: returns the code step's cookie.
async fn password_step(app: &TestApp, email: &str, password: &str) -> String {
    let r = sign_in(app, email, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), "/admin/login/code");
    assert!(set_cookie(&r, "dateline_session").is_none(), "not yet");
    let step = set_cookie(&r, "dateline_signin").expect("a code step");
    assert!(step.contains("HttpOnly") && step.contains("Path=/admin/login"));
    cookie_pair(step)
}

async fn code_step(app: &TestApp, step: &str, code: &str) -> Resp {
    let (csrf_cookie, token) = login_form(app).await;
    app.post_form(
        "/admin/login/code",
        &[("_csrf", &token), ("code", code)],
        &[("cookie", &format!("{csrf_cookie}; {step}"))],
    )
    .await
}

fn now_step() -> i64 {
    step_at(Utc::now().timestamp())
}

/// The last time step whose code was accepted for `email`.
async fn last_step(app: &TestApp, email: &str) -> i64 {
    dateline_db::accounts::user_by_email(&app.db.db, email)
        .await
        .unwrap()
        .unwrap()
        .totp_last_step
        .unwrap()
}

async fn signing_in_asks_for_a_code_once_on(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    let b = browser_by_password(&app, "rana@newsroom.test").await;
    let (secret, recovery) = turn_on(&app, &b).await;
    let account = app.get_as(&b, "/admin/account").await;
    assert!(account.text().contains("10 recovery codes left"));

    // The password alone no longer signs in.
    let step = password_step(&app, "rana@newsroom.test", PASSWORD).await;
    let page = app
        .get_with("/admin/login/code", &[("cookie", &step)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.attrs("#code", "autocomplete"), ["one-time-code"]);
    let wrong = code_step(&app, &step, "123456").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The code that turned it on was used: each code works once.
    let confirmed = last_step(&app, "rana@newsroom.test").await;
    let used = code_step(&app, &step, &code_at(&secret, confirmed)).await;
    assert_eq!(used.status, StatusCode::UNAUTHORIZED, "a code works once");
    // The next step's code is accepted (one step either side).
    let next = code_at(&secret, confirmed + 1);
    let ok = code_step(&app, &step, &next).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert_eq!(ok.header("location"), "/admin/articles");
    let session = cookie_pair(set_cookie(&ok, "dateline_session").expect("signed in"));
    assert_eq!(
        app.get_with("/admin/articles", &[("cookie", &session)])
            .await
            .status,
        StatusCode::OK
    );
    // The step is used up with the sign-in.
    let replay = code_step(&app, &step, &code_at(&secret, now_step() - 1)).await;
    assert_eq!(replay.status, StatusCode::SEE_OTHER);
    assert_eq!(
        replay.header("location"),
        "/admin/login?notice=code-step-over"
    );

    // A recovery code works once, typed any way.
    let step = password_step(&app, "rana@newsroom.test", PASSWORD).await;
    let typed = recovery[3].to_uppercase().replace('-', " ");
    let ok = code_step(&app, &step, &typed).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    assert!(set_cookie(&ok, "dateline_session").is_some());
    let step = password_step(&app, "rana@newsroom.test", PASSWORD).await;
    let again = code_step(&app, &step, &recovery[3]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let recorded = audit::entries(
        &app.db.db,
        &Filter {
            action: Some("two_factor".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let actions: Vec<&str> = recorded.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["two_factor.recovery_code_used", "two_factor.enabled"]
    );
    assert!(recorded[0].summary.contains("9 recovery codes left"));
    // No secret or code in the log.
    let all = audit::entries(&app.db.db, &Filter::default(), 200)
        .await
        .unwrap();
    let shown = data_encoding::BASE32_NOPAD.encode(&secret);
    for e in &all {
        assert!(!e.summary.contains(&shown) && !e.summary.contains(&recovery[3]));
    }
}

/// The code step counts its attempts first: five wrong codes and it is over,
/// the account locked like after wrong passwords.
async fn wrong_codes_are_limited(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user("omar@newsroom.test", "Omar Aziz", Role::Author, PASSWORD)
        .await;
    let b = browser_by_password(&app, "omar@newsroom.test").await;
    let (secret, _) = turn_on(&app, &b).await;
    let step = password_step(&app, "omar@newsroom.test", PASSWORD).await;
    let answers = futures_util::future::join_all(
        (0..8).map(|i| code_step(&app, &step, if i % 2 == 0 { "111111" } else { "222222" })),
    )
    .await;
    assert!(answers.iter().all(|r| r.status != StatusCode::OK));
    let right = code_step(&app, &step, &code_at(&secret, now_step() + 1)).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    assert_eq!(
        right.header("location"),
        "/admin/login?notice=code-step-over"
    );
    assert!(set_cookie(&right, "dateline_session").is_none());
    let user = dateline_db::accounts::user_by_email(&app.db.db, "omar@newsroom.test")
        .await
        .unwrap()
        .unwrap();
    assert!(user.is_locked(Utc::now()), "the account counts codes too");
}

/// A reset link sets a password and signs nobody in: the code is still
/// asked for. Turning it off needs the password and a code.
async fn a_reset_does_not_skip_the_code_and_off_needs_both(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user(
        "layla@newsroom.test",
        "Layla Hassan",
        Role::Author,
        PASSWORD,
    )
    .await;
    let b = browser_by_password(&app, "layla@newsroom.test").await;
    let (secret, recovery) = turn_on(&app, &b).await;
    let form = app.get("/admin/forgot").await;
    let cookie = cookie_pair(set_cookie(&form, "dateline_csrf").unwrap());
    let token = form.attrs("input[name=_csrf]", "value")[0].clone();
    app.post_form(
        "/admin/forgot",
        &[("_csrf", &token), ("email", "layla@newsroom.test")],
        &[("cookie", &cookie)],
    )
    .await;
    let mail = app.outbox().await.pop().unwrap();
    let path = mail
        .split_whitespace()
        .find(|w| w.starts_with("http://news.test/admin/reset/"))
        .unwrap()
        .trim_start_matches("http://news.test")
        .to_owned();
    let new_password = "a river at dawn, slowly";
    let r = app
        .post_form(
            &path,
            &[
                ("_csrf", &token),
                ("password", new_password),
                ("confirm", new_password),
            ],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&r, "dateline_session").is_none());
    password_step(&app, "layla@newsroom.test", new_password).await;

    let b = Browser {
        cookie: {
            let step = password_step(&app, "layla@newsroom.test", new_password).await;
            let next = last_step(&app, "layla@newsroom.test").await + 1;
            let ok = code_step(&app, &step, &code_at(&secret, next)).await;
            cookie_pair(set_cookie(&ok, "dateline_session").unwrap())
        },
        ..b
    };
    let page = app.get_as(&b, "/admin/account").await;
    let b = Browser {
        csrf: page.attrs("form.sign-out input[name=_csrf]", "value")[0].clone(),
        ..b
    };
    let no_code = app
        .post_as(
            &b,
            "/admin/account/two-factor/disable",
            &[("password", new_password), ("code", "000000")],
        )
        .await;
    assert_eq!(no_code.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_password = app
        .post_as(
            &b,
            "/admin/account/two-factor/disable",
            &[
                ("password", PASSWORD),
                ("code", &code_at(&secret, now_step() - 1)),
            ],
        )
        .await;
    assert_eq!(no_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_password.text().contains("password is not right"));
    let off = app
        .post_as(
            &b,
            "/admin/account/two-factor/disable",
            &[("password", new_password), ("code", &recovery[0])],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.text());
    let r = sign_in(&app, "layla@newsroom.test", new_password).await;
    assert_eq!(
        r.header("location"),
        "/admin/articles",
        "password alone again"
    );
}

/// Admins reset another's second factor (audited); the site may require it
/// of admins, who are then sent to set it up first; API tokens are not
/// affected; the CLI's reset is in the binary's tests.
async fn admins_reset_it_and_may_be_required_to_have_it(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    let editor = browser_by_password(&app, "rana@newsroom.test").await;
    turn_on(&app, &editor).await;
    let admin = app.browser(Role::Admin).await;
    let users = app.get_as(&admin, "/admin/users").await;
    assert!(users.text().contains("two-factor"));
    let r = app
        .post_as(
            &admin,
            &format!("/admin/users/{}/two-factor-reset", editor.user.id),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = sign_in(&app, "rana@newsroom.test", PASSWORD).await;
    assert_eq!(r.header("location"), "/admin/articles", "no code asked now");
    let reset = audit::entries(
        &app.db.db,
        &Filter {
            action: Some("two_factor.reset".into()),
            ..Default::default()
        },
        5,
    )
    .await
    .unwrap();
    assert_eq!(reset.len(), 1);
    assert_eq!(reset[0].actor_id, Some(admin.user.id));
    assert_eq!(reset[0].object_id, Some(editor.user.id.0));
    // An editor may not reset anyone's.
    let r = app
        .post_as(
            &editor,
            &format!("/admin/users/{}/two-factor-reset", admin.user.id),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Required for admins: this admin has none, and is sent to set it up.
    let settings = app.get_as(&admin, "/admin/settings").await;
    let mut fields: Vec<(String, String)> = [
        "title",
        "description",
        "language",
        "per_page",
        "digest_hour",
        "digest_weekday",
    ]
    .iter()
    .map(|n| {
        let v = settings
            .attrs(&format!("[name={n}]"), "value")
            .pop()
            .unwrap_or_else(|| "1".into());
        ((*n).to_owned(), v)
    })
    .collect();
    fields.push(("require_admin_two_factor".into(), "on".into()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = app.post_as(&admin, "/admin/settings", &borrowed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    for path in ["/admin/articles", "/admin/users", "/admin/settings"] {
        let r = app.get_as(&admin, path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            r.header("location"),
            "/admin/account/two-factor?notice=two-factor-required"
        );
    }
    let posted = app
        .post_as(&admin, "/admin/sections", &[("name", "Sneaked in")])
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert!(
        posted
            .header("location")
            .starts_with("/admin/account/two-factor")
    );
    let setup = app
        .get_as(
            &admin,
            "/admin/account/two-factor?notice=two-factor-required",
        )
        .await;
    assert_eq!(setup.status, StatusCode::OK);
    assert!(setup.text().contains("before anything else"));
    // Editors are not admins: on they go.
    assert_eq!(
        app.get_as(&editor, "/admin/articles").await.status,
        StatusCode::OK
    );
    // The admin API keeps working for the admin's token.
    let token = app.token(&admin.user).await;
    let me = app.api(Method::GET, "/api/v1/admin/me", &token, None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["two_factor"], false);
    // Once set up, the admin goes on.
    turn_on(&app, &admin).await;
    assert_eq!(
        app.get_as(&admin, "/admin/users").await.status,
        StatusCode::OK
    );
    let changed = audit::entries(
        &app.db.db,
        &Filter {
            action: Some("settings.changed".into()),
            ..Default::default()
        },
        5,
    )
    .await
    .unwrap();
    assert!(changed[0].summary.contains("require_admin_two_factor"));
    // Through the API too, an admin resets a second factor.
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/admin/users/{}/two-factor", admin.user.id),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["two_factor"], false);
}

both_databases!(
    signing_in_asks_for_a_code_once_on,
    wrong_codes_are_limited,
    a_reset_does_not_skip_the_code_and_off_needs_both,
    admins_reset_it_and_may_be_required_to_have_it,
);
