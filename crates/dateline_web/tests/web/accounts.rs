//! Signing in and out, sessions, CSRF, lockout, password resets.

use crate::support::{Resp, TestApp};
use axum::http::{Method, StatusCode};
use dateline_core::Role;
use dateline_db::accounts;
use dateline_db::both_databases;
use dateline_db::testing::TestDb;

pub(crate) const PASSWORD: &str = "tigris morning bread";

/// The value of a Set-Cookie named `name`, and its attributes.
pub(crate) fn set_cookie<'a>(r: &'a Resp, name: &str) -> Option<&'a str> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

pub(crate) fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// Opens the sign-in form: the CSRF cookie and the form's token.
pub(crate) async fn login_form(app: &TestApp) -> (String, String) {
    let r = app.get("/admin/login").await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = cookie_pair(set_cookie(&r, "dateline_csrf").expect("a CSRF cookie"));
    let token = r.attrs("input[name=_csrf]", "value")[0].clone();
    (cookie, token)
}

pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str) -> Resp {
    let (cookie, token) = login_form(app).await;
    app.post_form(
        "/admin/login",
        &[
            ("_csrf", &token),
            ("email", email),
            ("password", password),
            ("next", "/admin/articles"),
        ],
        &[("cookie", &cookie)],
    )
    .await
}

async fn signing_in_and_out(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    // A page of the newsroom sends strangers to the sign-in form, and back.
    let r = app.get("/admin/articles?status=draft").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.header("location"),
        "/admin/login?next=%2Fadmin%2Farticles%3Fstatus%3Ddraft"
    );

    let r = sign_in(&app, "RANA@newsroom.test", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), "/admin/articles");
    let session = set_cookie(&r, "dateline_session")
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(
            session.contains(attribute),
            "{attribute} missing from {session}"
        );
    }
    assert!(!session.contains("Secure"), "the test site is plain http");
    let cookie = cookie_pair(&session);
    let page = app
        .get_with("/admin/articles", &[("cookie", &cookie)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), "no-store");
    let csrf = page.attrs("form.sign-out input[name=_csrf]", "value")[0].clone();

    let out = app
        .post_form("/admin/logout", &[("_csrf", &csrf)], &[("cookie", &cookie)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&out, "dateline_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get_with("/admin/articles", &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::SEE_OTHER,
        "the session is gone"
    );

    // No open redirect after signing in.
    let (c, t) = login_form(&app).await;
    let r = app
        .post_form(
            "/admin/login",
            &[
                ("_csrf", &t),
                ("email", "rana@newsroom.test"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
            &[("cookie", &c)],
        )
        .await;
    assert_eq!(r.header("location"), "/admin");
}

async fn secure_cookies_on_https(db: TestDb) {
    let app = TestApp::with_base(db, "https://news.example").await;
    app.user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    let r = sign_in(&app, "rana@newsroom.test", PASSWORD).await;
    assert!(
        set_cookie(&r, "dateline_session")
            .unwrap()
            .contains("Secure")
    );
}

async fn wrong_passwords_lock_the_account_and_the_address(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user("rana@newsroom.test", "Rana Haddad", Role::Editor, PASSWORD)
        .await;
    let r = sign_in(&app, "rana@newsroom.test", "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.select(".form-error")[0].contains("do not match"));
    assert_eq!(
        r.attrs("#email", "value"),
        ["rana@newsroom.test"],
        "the form keeps the address"
    );
    let unknown = sign_in(&app, "nobody@newsroom.test", "whatever it is").await;
    assert_eq!(
        unknown.select(".form-error"),
        r.select(".form-error"),
        "no hint of which accounts exist"
    );
    for _ in 0..4 {
        sign_in(&app, "rana@newsroom.test", "still wrong").await;
    }
    // Locked: even the right password does not open it now.
    let locked = sign_in(&app, "rana@newsroom.test", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(locked.select(".form-error")[0].contains("locks for 15 minutes"));
    let user = accounts::user_by_email(&app.db.db, "rana@newsroom.test")
        .await
        .unwrap()
        .unwrap();
    assert!(user.is_locked(chrono::Utc::now()));
    // Too many failures from one address: that address waits.
    for _ in 0..4 {
        sign_in(&app, "nobody@newsroom.test", "guess").await;
    }
    let limited = sign_in(&app, "someone@newsroom.test", "guess").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").parse::<u64>().unwrap() > 0);
    assert!(limited.text().contains("Too many failed sign-ins"));
}

async fn csrf_is_required_on_every_state_changing_form(db: TestDb) {
    let app = TestApp::new(db).await;
    let editor = app.browser(Role::Admin).await;
    let other = app.browser(Role::Admin).await;
    let paths = [
        "/admin/logout",
        "/admin/sections",
        "/admin/settings",
        "/admin/users",
        "/admin/tokens",
        "/admin/account/sessions/end-others",
        "/admin/preview/body",
    ];
    for path in paths {
        for token in ["", other.csrf.as_str()] {
            let r = app
                .post_form(
                    path,
                    &[("_csrf", token), ("name", "x")],
                    &[("cookie", &editor.cookie)],
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{path} with token {token:?}"
            );
            assert!(r.text().contains("nothing was saved"));
        }
    }
    // Multipart forms too.
    let (ct, body) = crate::support::multipart(&[("_csrf", "wrong"), ("headline", "Sneaky")], &[]);
    let req = axum::http::Request::post("/admin/articles/new")
        .header("cookie", &editor.cookie)
        .header("content-type", ct)
        .body(axum::body::Body::from(body))
        .unwrap();
    assert_eq!(app.request(req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        dateline_db::articles::list(
            &app.db.db,
            &Default::default(),
            dateline_db::views::PageRequest::new(1, 10)
        )
        .await
        .unwrap()
        .total,
        0
    );
    // A right token from another site's page is refused too.
    let r = app
        .post_form(
            "/admin/sections",
            &[("_csrf", &editor.csrf), ("name", "Elsewhere")],
            &[
                ("cookie", &editor.cookie),
                ("origin", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_form(
            "/admin/sections",
            &[("_csrf", &editor.csrf), ("name", "Here")],
            &[("cookie", &editor.cookie), ("origin", "http://news.test")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The sign-in form needs its cookie.
    let (_, token) = login_form(&app).await;
    let r = app
        .post_form(
            "/admin/login",
            &[("_csrf", &token), ("email", "a@b.c"), ("password", "x")],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The admin API does not take cookies at all.
    let r = app
        .get_with("/api/v1/admin/me", &[("cookie", &editor.cookie)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn sessions_end_when_they_should(db: TestDb) {
    let app = TestApp::new(db).await;
    let admin = app.browser(Role::Admin).await;
    let user = app
        .user("omar@newsroom.test", "Omar Aziz", Role::Author, PASSWORD)
        .await;
    let first = cookie_pair(
        set_cookie(
            &sign_in(&app, "omar@newsroom.test", PASSWORD).await,
            "dateline_session",
        )
        .unwrap(),
    );
    let second = cookie_pair(
        set_cookie(
            &sign_in(&app, "omar@newsroom.test", PASSWORD).await,
            "dateline_session",
        )
        .unwrap(),
    );
    let account = app.get_with("/admin/account", &[("cookie", &first)]).await;
    assert_eq!(
        account.select("tbody tr").len(),
        2,
        "both sessions are listed"
    );
    let csrf = account.attrs("form.sign-out input[name=_csrf]", "value")[0].clone();

    // Changing the password signs out the other session, not this one.
    let r = app
        .post_form(
            "/admin/account/password",
            &[
                ("_csrf", &csrf),
                ("current", "wrong"),
                ("password", "a new long secret"),
                ("confirm", "a new long secret"),
            ],
            &[("cookie", &first)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("current password is not right"));
    let r = app
        .post_form(
            "/admin/account/password",
            &[
                ("_csrf", &csrf),
                ("current", PASSWORD),
                ("password", "short"),
                ("confirm", "short"),
            ],
            &[("cookie", &first)],
        )
        .await;
    assert!(r.text().contains("at least 10 characters"));
    let r = app
        .post_form(
            "/admin/account/password",
            &[
                ("_csrf", &csrf),
                ("current", PASSWORD),
                ("password", "a new long secret"),
                ("confirm", "a new long secret"),
            ],
            &[("cookie", &first)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_with("/admin/account", &[("cookie", &first)])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get_with("/admin/account", &[("cookie", &second)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, "omar@newsroom.test", "a new long secret")
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // An admin disabling the account ends its sessions.
    let r = app
        .post_as(&admin, &format!("/admin/users/{}/disable", user.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_with("/admin/account", &[("cookie", &first)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, "omar@newsroom.test", "a new long secret")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The last admin cannot be demoted or disabled.
    let r = app
        .post_as(
            &admin,
            &format!("/admin/users/{}", admin.user.id),
            &[("name", "Admin"), ("role", "editor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("last active admin"));
}

async fn a_forgotten_password_is_reset_by_mail(db: TestDb) {
    let app = TestApp::new(db).await;
    app.user(
        "layla@newsroom.test",
        "Layla Hassan",
        Role::Author,
        PASSWORD,
    )
    .await;
    let form = app.get("/admin/forgot").await;
    let cookie = cookie_pair(set_cookie(&form, "dateline_csrf").unwrap());
    let token = form.attrs("input[name=_csrf]", "value")[0].clone();
    let known = app
        .post_form(
            "/admin/forgot",
            &[("_csrf", &token), ("email", "layla@newsroom.test")],
            &[("cookie", &cookie)],
        )
        .await;
    let unknown = app
        .post_form(
            "/admin/forgot",
            &[("_csrf", &token), ("email", "ghost@newsroom.test")],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(
        known.select("main p[role=status]")[0].replace("layla@newsroom.test", "X"),
        unknown.select("main p[role=status]")[0].replace("ghost@newsroom.test", "X")
    );
    let mails = app.outbox().await;
    assert_eq!(mails.len(), 1, "one mail, to the account that exists");
    let mail = &mails[0];
    assert!(
        mail.contains("To: \"Layla Hassan\" <layla@newsroom.test>")
            || mail.contains("To: Layla Hassan <layla@newsroom.test>"),
        "{mail}"
    );
    assert!(mail.contains("Content-Type: multipart/alternative"));
    let link = mail
        .split_whitespace()
        .find(|w| w.starts_with("http://news.test/admin/reset/"))
        .expect("a link")
        .to_owned();
    let path = link.trim_start_matches("http://news.test");
    // Asking again at once sends nothing more.
    app.post_form(
        "/admin/forgot",
        &[("_csrf", &token), ("email", "layla@newsroom.test")],
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(app.outbox().await.len(), 1);

    let page = app.get_with(path, &[("cookie", &cookie)]).await;
    assert_eq!(page.status, StatusCode::OK);
    let r = app
        .post_form(
            path,
            &[
                ("_csrf", &token),
                ("password", "a brand new secret"),
                ("confirm", "not the same"),
            ],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("not the same"), "{}", r.text());
    let r = app
        .post_form(
            path,
            &[
                ("_csrf", &token),
                ("password", "a brand new secret"),
                ("confirm", "a brand new secret"),
            ],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        sign_in(&app, "layla@newsroom.test", "a brand new secret")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        sign_in(&app, "layla@newsroom.test", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = app.get_with(path, &[("cookie", &cookie)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "a link works once");
    assert!(again.text().contains("expired or was already used"));
}

async fn admins_invite_and_tokens_work_until_revoked(db: TestDb) {
    let app = TestApp::new(db).await;
    let admin = app.browser(Role::Admin).await;
    let r = app
        .post_as(
            &admin,
            "/admin/users",
            &[
                ("name", "Sami Noor"),
                ("email", "not-an-address"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.attrs("#name", "value"),
        ["Sami Noor"],
        "the form stays filled in: {}",
        r.text()
    );
    assert!(r.select("#email-error")[0].contains("email address"));
    let r = app
        .post_as(
            &admin,
            "/admin/users",
            &[
                ("name", "Sami Noor"),
                ("email", "sami@newsroom.test"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        app.outbox()
            .await
            .last()
            .unwrap()
            .contains("sami@newsroom.test")
    );
    let r = app
        .post_as(
            &admin,
            "/admin/users",
            &[
                ("name", "Sami Twice"),
                ("email", "SAMI@newsroom.test"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    let r = app
        .post_as(
            &admin,
            "/admin/tokens",
            &[("name", "Mobile app"), ("user", &admin.user.id.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.attrs(".created-token input", "value")[0].clone();
    assert!(token.starts_with("dl_"));
    assert_eq!(
        app.api(Method::GET, "/api/v1/admin/me", &token, None)
            .await
            .json()["email"],
        admin.user.email.as_str()
    );
    let listed = app.get_as(&admin, "/admin/tokens").await;
    assert!(
        !listed.text().contains(&token),
        "the secret is shown once only"
    );
    let id = dateline_db::tokens::tokens(&app.db.db).await.unwrap()[0].id;
    app.post_as(&admin, &format!("/admin/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(
        app.api(Method::GET, "/api/v1/admin/me", &token, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

both_databases!(
    signing_in_and_out,
    secure_cookies_on_https,
    wrong_passwords_lock_the_account_and_the_address,
    csrf_is_required_on_every_state_changing_form,
    sessions_end_when_they_should,
    a_forgotten_password_is_reset_by_mail,
    admins_invite_and_tokens_work_until_revoked,
);
