//! Two-factor sign-in end to end in headless Chromium: an admin sets it up
//! from the account page (reading the key as a person would copy it into an
//! app), keeps the recovery codes, signs out, and signs in again with the
//! password and then the app's code. Each page is audited with axe-core.

use crate::browser::{
    accessibility_violations, axe_source, browser_with, click, fill, submit_sign_in, text,
    wait_to_leave,
};
use crate::comments::wait_for;
use crate::support::{Server, add_user};
use dateline_core::totp::{code_at, step_at};
use fantoccini::Locator;

const PASSWORD: &str = "river lantern granite";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_turns_on_two_factor_sign_in_and_signs_in_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    add_user(
        data,
        "admin@newsroom.test",
        "Rana Haddad",
        "admin",
        PASSWORD,
    );
    let mut server = Server::start(dir.path(), None).await;
    let base = server.base.clone();
    let (_driver, client) = browser_with(true).await;
    let axe = axe_source().expect("axe-core is missing: run scripts/test");
    let path = |c: &fantoccini::Client| {
        let c = c.clone();
        async move { c.current_url().await.unwrap().path().to_owned() }
    };

    client.goto(&format!("{base}/admin/login")).await.unwrap();
    submit_sign_in(&client, "admin@newsroom.test", PASSWORD).await;
    wait_for(&client, "table.articles, main p").await;
    client.goto(&format!("{base}/admin/account")).await.unwrap();
    click(&client, "a[href='/admin/account/two-factor']").await;
    wait_for(&client, ".qr svg").await;
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "the set-up page"
    );
    let key = text(&client, "code.secret").await.replace(' ', "");
    let secret = data_encoding::BASE32_NOPAD.decode(key.as_bytes()).unwrap();
    let now = || step_at(chrono::Utc::now().timestamp());
    fill(&client, "setup-code", &code_at(&secret, now())).await;
    click(&client, "main form button[type=submit]").await;
    wait_for(&client, ".recovery-codes code").await;
    let codes = client
        .find_all(Locator::Css(".recovery-codes code"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "the recovery codes"
    );

    click(&client, "form.sign-out button").await;
    wait_for(&client, "#email").await;
    submit_sign_in(&client, "admin@newsroom.test", PASSWORD).await;
    wait_for(&client, "#code").await;
    assert_eq!(path(&client).await, "/admin/login/code");
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "the code page"
    );
    // The code used to turn it on does not work again; the next one does.
    fill(&client, "code", &code_at(&secret, now() + 1)).await;
    click(&client, "main form button[type=submit]").await;
    wait_to_leave(&client, "/admin/login/code").await;
    wait_for(&client, "table.articles, main p").await;
    assert_eq!(path(&client).await, "/admin/articles");
    client.goto(&format!("{base}/admin/audit")).await.unwrap();
    let log = text(&client, "table.audit").await;
    for action in ["sign_in.succeeded", "two_factor.enabled"] {
        assert!(log.contains(action), "{action} missing from {log}");
    }
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "the audit log"
    );
    assert!(server.terminate(), "{}", server.log());
}
