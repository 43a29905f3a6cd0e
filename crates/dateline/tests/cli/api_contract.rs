//! The APIs against their own contract: schemathesis (PyPI; `scripts/test`
//! installs the pinned version and sets DATELINE_SCHEMATHESIS) reads
//! `/api/openapi.json` from a real `dateline serve` with the demo newsroom,
//! and sends generated requests, valid and not, to every public operation
//! and, with an admin's API token, every admin one. Each answer must be no
//! 5xx, have a status the document lists, the content type and body it
//! describes, and the admin operations must refuse requests without the
//! token. Bounded in examples per operation and in time; loopback only.

use crate::support::{Server, run_with_input, stderr, stdout};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generated requests per operation and phase.
const EXAMPLES: &str = "20";
/// Schemathesis stops itself after this long.
const MAX_SECONDS: u64 = 180;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth";

fn schemathesis() -> String {
    std::env::var("DATELINE_SCHEMATHESIS").unwrap_or_else(|_| {
        let local = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/schemathesis/bin/schemathesis");
        assert!(
            local.exists(),
            "schemathesis is missing: run scripts/test, or set DATELINE_SCHEMATHESIS to its `schemathesis` command"
        );
        local.to_string_lossy().into_owned()
    })
}

/// Runs `dateline ARGS` with `input`, fails the test if it fails, and
/// returns the number printed after `marker` ("(user 2)", "Created token 2").
fn created_id(args: &[&str], input: &str, marker: &str) -> (String, String) {
    let o = run_with_input(args, input);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let out = stdout(&o);
    let id = out
        .split_once(marker)
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("no id after {marker:?} in {out}"));
    (id, out)
}

fn account(data: &str, email: &str, role: &str) -> String {
    created_id(
        &[
            "user",
            "add",
            "--email",
            email,
            "--name",
            role,
            "--role",
            role,
            "--password-stdin",
            "--data-dir",
            data,
        ],
        "a long enough password\n",
        "(user ",
    )
    .0
}

/// A token acting as `email`: its id and its secret.
fn token(data: &str, email: &str) -> (String, String) {
    let (id, out) = created_id(
        &[
            "user",
            "token",
            email,
            "--name",
            "API contract",
            "--data-dir",
            data,
        ],
        "",
        "Created token ",
    );
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("Token (shown once): "))
        .unwrap_or_else(|| panic!("no token in {out}"))
        .to_owned();
    (id, secret)
}

/// Ids of what the demo newsroom holds, by kind, read through the admin
/// API, so that generated requests reach real things half of the time.
async fn known_ids(server: &Server, secret: &str) -> Vec<(&'static str, Vec<i64>)> {
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for (kind, path, list) in [
        ("article", "/api/v1/admin/articles?per_page=100", "articles"),
        ("section", "/api/v1/admin/sections", "items"),
        ("tag", "/api/v1/admin/tags", "items"),
        ("author", "/api/v1/admin/authors", "authors"),
        (
            "comment",
            "/api/v1/admin/comments?status=approved",
            "comments",
        ),
    ] {
        let doc: serde_json::Value = client
            .get(format!("{}{path}", server.base))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<i64> = doc[list]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {doc}"))
            .iter()
            .filter_map(|item| item["id"].as_i64())
            .collect();
        assert!(!ids.is_empty(), "the demo newsroom has no {kind}: {doc}");
        out.push((kind, ids));
    }
    out
}

/// The run's settings. Path ids come half of the time from what the demo
/// newsroom holds. Destructive operations on people and tokens act on a
/// spare account and a spare token, so the run keeps its own admin token;
/// deleting the demo's articles, sections and tags, and changing its
/// settings, are part of what is tested.
fn config(ids: &[(&str, Vec<i64>)], spare_user: &str, spare_token: &str) -> String {
    let mut toml = String::new();
    for (kind, values) in ids {
        let values: Vec<String> = values.iter().map(i64::to_string).collect();
        toml.push_str(&format!(
            "[dictionaries.{kind}]\nvalues = [{}]\n\n",
            values.join(", ")
        ));
    }
    let pinned = [
        (
            "DELETE",
            "/api/v1/admin/tokens/{id}",
            spare_token.to_owned(),
        ),
        ("PUT", "/api/v1/admin/users/{id}", spare_user.to_owned()),
    ];
    for (method, path, id) in pinned {
        toml.push_str(&format!(
            "[[operations]]\ninclude-path = \"{path}\"\ninclude-method = \"{method}\"\nparameters = {{ \"path.id\" = {id} }}\n\n"
        ));
    }
    let real = [
        ("article", "^/api/v1/(admin/)?articles/\\{id\\}"),
        ("section", "^/api/v1/admin/sections/\\{id\\}"),
        ("tag", "^/api/v1/admin/tags/\\{id\\}"),
        ("author", "^/api/v1/admin/authors/\\{id\\}"),
        ("comment", "^/api/v1/(admin/)?comments/\\{id\\}"),
    ];
    for (kind, path) in real {
        toml.push_str(&format!(
            "[[operations]]\ninclude-path-regex = '{path}'\nparameters = {{ \"path.id\" = {{ dictionary = \"{kind}\", probability = 0.5 }} }}\n\n"
        ));
    }
    toml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_operation_keeps_its_contract() {
    let st = schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let o = crate::support::run(&["demo", "--data-dir", data]);
    assert!(o.status.success(), "{}", stderr(&o));
    account(data, "admin@example.org", "admin");
    let spare_user = account(data, "spare@example.org", "editor");
    let (_, secret) = token(data, "admin@example.org");
    let (spare_token, _) = token(data, "spare@example.org");
    let server = Server::start(dir.path(), None).await;
    let ids = known_ids(&server, &secret).await;
    let config_file = dir.path().join("schemathesis.toml");
    std::fs::write(&config_file, config(&ids, &spare_user, &spare_token)).unwrap();

    let report = dir.path().join("report");
    let started = Instant::now();
    let mut child = Command::new(&st)
        // Where it keeps its cache: the test's own folder, not the repository.
        .current_dir(dir.path())
        .arg("--config-file")
        .arg(&config_file)
        .args([
            "run",
            &format!("{}/api/openapi.json", server.base),
            "--header",
            &format!("Authorization: Bearer {secret}"),
            "--checks",
            CHECKS,
            "--max-examples",
            EXAMPLES,
            "--max-time",
            &MAX_SECONDS.to_string(),
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
        ])
        .arg(&report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("schemathesis starts");
    // Schemathesis stops itself at MAX_SECONDS; this is the backstop.
    let deadline = started + Duration::from_secs(MAX_SECONDS + 180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("schemathesis ran past its time limit");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    println!("{out}\n(took {:.0?})", started.elapsed());
    assert!(
        o.status.success(),
        "schemathesis found the API breaking its contract (above); the server's log:\n{}\n{}",
        server.log(),
        String::from_utf8_lossy(&o.stderr)
    );
    let operations = operation_count(&server).await;
    assert!(
        out.contains(&format!("Tested: {operations}")),
        "not every one of the {operations} operations was tested:\n{out}"
    );
}

async fn operation_count(server: &Server) -> usize {
    let doc: serde_json::Value = server.get("/api/openapi.json").await.json().await.unwrap();
    doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum()
}
