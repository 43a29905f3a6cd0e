//! Running the real binary: commands, and a server that is stopped (SIGTERM)
//! when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dateline")
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures")
}

/// Runs `dateline ARGS` to the end.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("DATELINE_DATA_DIR")
        .env_remove("DATELINE_DATABASE_URL")
        .env_remove("DATELINE_CONFIG")
        .env("DATELINE_LOG", "warn")
        .output()
        .expect("the binary runs")
}

/// Runs `dateline ARGS` with `input` on its standard input.
pub fn run_with_input(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .env_remove("DATELINE_DATA_DIR")
        .env_remove("DATELINE_DATABASE_URL")
        .env_remove("DATELINE_CONFIG")
        .env("DATELINE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().expect("the binary ends")
}

/// Makes a newsroom account with `dateline user add` in the data directory
/// `data`; fails the test if the command fails.
pub fn add_user(data: &str, email: &str, name: &str, role: &str, password: &str) {
    let o = run_with_input(
        &[
            "user",
            "add",
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
            "--password-stdin",
            "--data-dir",
            data,
        ],
        &format!("{password}\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `dateline serve` in the background. Stopping it fails the test when a
/// browser reported a Content-Security-Policy violation to it.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    log: PathBuf,
    /// Violations already looked at (`take_csp_violations`).
    csp_seen: usize,
}

/// What the server logs for each violation a browser reports.
const CSP_VIOLATION: &str = "content security policy violation";

impl Server {
    /// Starts a server on `data_dir` (and `database`, when given) and waits
    /// until `/readyz` answers.
    pub async fn start(data_dir: &Path, database: Option<&str>) -> Self {
        Self::start_with(data_dir, database, &[]).await
    }

    /// Like `start`, with more flags.
    pub async fn start_with(data_dir: &Path, database: Option<&str>, extra: &[&str]) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = data_dir.join(format!("serve-{port}.log"));
        let mut cmd = Command::new(bin());
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .env("DATELINE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        if let Some(db) = database {
            cmd.arg("--database").arg(db);
        }
        cmd.args(extra);
        let child = cmd.spawn().expect("serve starts");
        let server = Self {
            child: Some(child),
            base,
            log,
            csp_seen: 0,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not become ready:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The Content-Security-Policy violations browsers reported, one line
    /// each, from the log.
    fn csp_violations(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(CSP_VIOLATION))
            .skip(self.csp_seen)
            .map(str::to_owned)
            .collect()
    }

    /// The violations reported so far, which no longer fail the test (for
    /// a test of the check itself). Waits a moment for reports on their way.
    pub async fn take_csp_violations(&mut self) -> Vec<String> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let found = self.csp_violations();
        self.csp_seen += found.len();
        found
    }

    /// Fails the test if a browser reported a violation.
    fn assert_no_csp_violations(&self) {
        // Reports sent just before the browser closed may still be arriving.
        std::thread::sleep(Duration::from_millis(300));
        let found = self.csp_violations();
        assert!(
            found.is_empty(),
            "the browser reported Content-Security-Policy violations:\n{}",
            found.join("\n")
        );
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("request")
    }

    /// Sends SIGTERM and waits for the process to end; returns whether it
    /// exited cleanly.
    pub fn terminate(&mut self) -> bool {
        self.assert_no_csp_violations();
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if !std::thread::panicking() {
                self.assert_no_csp_violations();
            }
        }
    }
}
