//! `dateline serve` on SQLite and on PostgreSQL: it serves, follows changes
//! made by other processes, and stops cleanly on SIGTERM.

use crate::support::{Server, fixtures, run, stderr};
use dateline_db::Backend;
use dateline_db::testing::TestDb;
use std::time::{Duration, Instant};

async fn serves_follows_other_processes_and_stops_cleanly(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(test_db.child_url()),
    };
    let mut db_args: Vec<&str> = vec!["--data-dir", data];
    if let Some(u) = &url {
        db_args.extend(["--database", u.as_str()]);
    }

    let mut server = Server::start(dir.path(), url.as_deref()).await;
    let home = server.get("/").await;
    assert_eq!(home.status(), 200);
    assert!(
        home.text()
            .await
            .unwrap()
            .contains("Nothing has been published yet")
    );

    // Another process publishes; the running server shows it within seconds.
    let mut args = vec!["article", "add"];
    let file = fixtures().join("01-port-strike.md");
    args.push(file.to_str().unwrap());
    args.extend(db_args.iter().copied());
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = server.get("/").await.text().await.unwrap();
        if body.contains("Dockworkers end a nine-day strike") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new article never appeared:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let article = server.get("/basra-port-strike-ends").await;
    assert_eq!(article.status(), 200);
    let gz = reqwest::Client::new()
        .get(format!("{}/basra-port-strike-ends", server.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");

    assert!(
        server.terminate(),
        "serve did not exit cleanly on SIGTERM:\n{}",
        server.log()
    );
    let log = server.log();
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_serves_follows_other_processes_and_stops_cleanly() {
    serves_follows_other_processes_and_stops_cleanly(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serves_follows_other_processes_and_stops_cleanly() {
    serves_follows_other_processes_and_stops_cleanly(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structured_logs_are_json_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(crate::support::bin())
        .args([
            "--log-format",
            "json",
            "migrate",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .env("DATELINE_LOG", "debug")
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("a JSON log line");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert!(
        v["level"].is_string() && v["timestamp"].is_string(),
        "{line}"
    );
}

/// Metrics are served on their own listener only; the public one answers
/// 404 for `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_have_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let mut server =
        Server::start_with(dir.path(), None, &["--metrics-listen", &metrics_addr]).await;
    server.get("/").await;
    assert_eq!(server.get("/metrics").await.status(), 404);
    let scraped = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("dateline_http_requests_total"), "{text}");
    assert!(server.terminate(), "{}", server.log());
}
