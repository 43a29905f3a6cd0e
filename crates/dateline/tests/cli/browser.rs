//! End to end in headless Chromium, over WebDriver: a reader opens the front
//! page, follows an article, and sees its dateline, byline, credit line, and,
//! in the Arabic translation, a right-to-left page. Pages are also audited
//! with axe-core for accessibility.
//!
//! The browser helpers here are shared by every browser test, and with them
//! the Content-Security-Policy check: the browser reports whatever the
//! policy blocks to the server (`report-uri`), whose log `Server::terminate`
//! reads, failing the test; with JavaScript on, a listener installed before
//! each page's own scripts also records them, and an audited page lists
//! them beside axe's findings.

use crate::support::{Server, fixtures, free_port, run, stderr};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver and the browser it started, stopped when dropped, even when
/// a test fails halfway (the browser is found by its own profile folder).
pub(crate) struct Driver {
    child: Child,
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.profile.as_os_str())
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn browser() -> (Driver, Client) {
    browser_with(true).await
}

/// A headless Chromium session; with `javascript` false, pages run no script,
/// as for a reader who turned it off.
pub(crate) async fn browser_with(javascript: bool) -> (Driver, Client) {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: run scripts/test, which installs chromium and chromium-driver"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap().keep();
    let driver = Driver {
        child,
        profile: profile.clone(),
    };
    let prefs = if javascript {
        serde_json::json!({})
    } else {
        serde_json::json!({ "profile.managed_default_content_settings.javascript": 2 })
    };
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "prefs": prefs,
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                // No smooth scrolling: WebDriver clicks where an element is
                // once scrolled to, not where an animation has got to.
                "--force-prefers-reduced-motion",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(map) => map,
        _ => unreachable!(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => {
                if javascript {
                    report_csp_violations(&client).await;
                }
                return (driver, client);
            }
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "cannot start a browser session: {e}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Runs in every page before its own scripts and records each
/// Content-Security-Policy violation on it, for `csp_violations`.
const CSP_LISTENER: &str = r#"
(() => {
  const seen = [];
  Object.defineProperty(window, '__cspViolations', { value: seen });
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
      ' on ' + e.documentURI + (e.sourceFile ? ' (' + e.sourceFile + ':' + e.lineNumber + ')' : '') +
      (e.sample ? ': ' + e.sample : ''));
  });
})();
"#;

/// A Chrome DevTools command, through chromedriver.
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// Installs `CSP_LISTENER` in every document this tab loads from now on.
async fn report_csp_violations(client: &Client) {
    client
        .issue_cmd(DevTools {
            cmd: "Page.addScriptToEvaluateOnNewDocument",
            params: serde_json::json!({ "source": CSP_LISTENER }),
        })
        .await
        .expect("the CSP listener is installed");
}

/// The Content-Security-Policy violations the current page has had.
pub(crate) async fn csp_violations(client: &Client) -> Vec<String> {
    let seen = client
        .execute("return window.__cspViolations || [];", vec![])
        .await
        .unwrap_or_default();
    serde_json::from_value(seen).unwrap_or_default()
}

/// Types `value` into the field with this id, replacing what was there.
pub(crate) async fn fill(client: &Client, id: &str, value: &str) {
    let field = client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.ok();
    field
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
}

/// Fills in and sends the sign-in form, then waits until the browser has
/// left the sign-in page (`wait_to_leave`).
pub(crate) async fn submit_sign_in(client: &Client, email: &str, password: &str) {
    fill(client, "email", email).await;
    fill(client, "password", password).await;
    click(client, "main form button[type=submit]").await;
    wait_to_leave(client, "/admin/login").await;
}

/// After a form on the page at `path` was sent, waits until the browser has
/// left that page (argon2 takes a while on a loaded machine, and the page a
/// form leads to may share elements with the form's page, so waiting for an
/// element can return before the answer came); a refused form stays there
/// with its error, which the caller's assertions then report.
pub(crate) async fn wait_to_leave(client: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let url = client.current_url().await.unwrap();
        let refused = !client
            .find_all(Locator::Css("main [role=alert], main .error"))
            .await
            .unwrap()
            .is_empty();
        if url.path() != path || refused {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the element a CSS selector finds.
pub(crate) async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

pub(crate) async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// The direction the browser lays the article out in.
async fn story_direction(client: &Client) -> String {
    let v = client
        .execute(
            "return getComputedStyle(document.querySelector('article.story')).direction",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_owned()
}

pub(crate) fn axe_source() -> Option<String> {
    let path = std::env::var("DATELINE_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.tools/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(path).ok()
}

/// Runs axe-core on the current page; returns its violations of moderate
/// impact and above as "rule (impact): target" lines, and the page's
/// Content-Security-Policy violations as "csp: …" lines.
pub(crate) async fn accessibility_violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.expect("axe loads");
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations
                    .filter(v => ['moderate', 'serious', 'critical'].includes(v.impact))
                    .flatMap(v => v.nodes.map(n =>
                        v.id + ' (' + v.impact + '): ' + n.target.join(' ')))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe runs");
    let mut found: Vec<String> = serde_json::from_value(result).unwrap_or_default();
    found.extend(
        csp_violations(client)
            .await
            .into_iter()
            .map(|v| format!("csp: {v}")),
    );
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_follows_an_article_and_its_translation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = run(&[
        "article",
        "add",
        fixtures().join("01-port-strike.md").to_str().unwrap(),
        fixtures().join("02-port-strike-ar.md").to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut server = Server::start(dir.path(), None).await;
    let (_driver, client) = browser().await;
    client.set_ua("Dateline end-to-end test").await.ok();
    let axe = axe_source()
        .expect("axe-core is missing: run scripts/test, or set DATELINE_AXE_JS to axe.min.js");

    client.goto(&server.base).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "Dateline");
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "front page"
    );

    // Follow the English report from the front page.
    client
        .find(Locator::LinkText(
            "Dockworkers end a nine-day strike at Basra's main port",
        ))
        .await
        .expect("the article is on the front page")
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_url(&url::Url::parse(&format!("{}/basra-port-strike-ends", server.base)).unwrap())
        .await
        .unwrap();
    assert_eq!(
        text(&client, "h1").await,
        "Dockworkers end a nine-day strike at Basra's main port"
    );
    assert_eq!(
        text(&client, ".story-body .dateline").await,
        "BASRA, IRAQ.",
        "the dateline is set in capitals by the stylesheet"
    );
    assert!(
        text(&client, ".story-body p")
            .await
            .starts_with("BASRA, IRAQ. — Cranes at the northern quay")
    );
    assert_eq!(
        text(&client, ".story-meta .byline").await,
        "By Rana Haddad and Omar Aziz"
    );
    assert_eq!(
        text(&client, ".credit-line").await,
        "Original report: Shatt al-Arab Daily, translated from Arabic by Layla Hassan."
    );
    let direction = story_direction(&client).await;
    assert_eq!(direction, "ltr");
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "article page"
    );

    // Then its Arabic translation: a right-to-left page.
    client
        .find(Locator::Css(".translations a[hreflang=ar]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_url(&url::Url::parse(&format!("{}/basra-port-strike-ends-ar", server.base)).unwrap())
        .await
        .unwrap();
    assert_eq!(
        text(&client, "h1").await,
        "عمال الرصيف ينهون إضرابًا دام تسعة أيام في ميناء البصرة"
    );
    let direction = story_direction(&client).await;
    assert_eq!(direction, "rtl");
    // In a right-to-left block the headline starts at the right edge.
    let edges = client
        .execute(
            "const h = document.querySelector('h1').getBoundingClientRect();
             const a = document.querySelector('article.story').getBoundingClientRect();
             return [Math.round(a.right - h.right), Math.round(h.left - a.left)];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        edges[0], 0,
        "the Arabic headline is not aligned right: {edges}"
    );
    assert_eq!(
        text(&client, ".story-body .dateline").await,
        "البصرة، العراق."
    );
    assert_eq!(text(&client, ".story-meta .byline").await, "بقلم رنا حداد");
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "Arabic article page"
    );

    // Search, as a reader would use it, without JavaScript doing anything.
    client.goto(&server.base).await.unwrap();
    let search = client.find(Locator::Id("site-search-q")).await.unwrap();
    search.send_keys("dockworkers").await.unwrap();
    client
        .find(Locator::Css(".site-search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css(".list-count"))
        .await
        .unwrap();
    assert_eq!(
        text(&client, ".list-count").await,
        "1 result for “dockworkers”"
    );
    assert_eq!(
        accessibility_violations(&client, &axe).await,
        Vec::<String>::new(),
        "search page"
    );

    client.close().await.unwrap();
    assert!(
        server.terminate(),
        "serve did not exit cleanly:\n{}",
        server.log()
    );
}
