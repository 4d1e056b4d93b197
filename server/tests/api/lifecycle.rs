//! The embedded Postgres lifecycle, through the real `iterochat` binary.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{local_model, model_dir, postgres_install};

struct Server {
    child: Child,
    url: String,
}

fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("iterochat-lifecycle-").tempdir().expect("tempdir");
    // The unprivileged postgres user (when tests run as root) must be able to reach it.
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    dir
}

fn command(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iterochat"));
    cmd.env_remove("DATABASE_URL")
        .env("ITEROCHAT_DATA_DIR", data)
        .env("ITEROCHAT_ADDR", "127.0.0.1:0")
        .env("ITEROCHAT_POSTGRES_DIR", postgres_install())
        .env("ITEROCHAT_LOCAL_MODEL", local_model().name())
        .env("ITEROCHAT_MODEL_DIR", model_dir())
        .env("LEPTOS_OUTPUT_NAME", "iterochat")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the binary and waits for its "listening on" line.
fn start(data: &Path) -> Server {
    let mut child = command(data).spawn().expect("spawn iterochat");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("Iterochat listening on ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(url) => Server { child, url },
        Err(_) => {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("server did not start: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

fn healthy(url: &str) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    rt.block_on(async {
        reqwest::get(format!("{url}/healthz")).await.map(|r| r.status().is_success()).unwrap_or(false)
    })
}

/// The postmaster's pid from the (possibly relocated) data directory.
fn postmaster_pid(data: &Path) -> i32 {
    let pgdata: PathBuf = std::fs::read_link(data.join("pg")).unwrap_or_else(|_| data.join("pg"));
    let text = std::fs::read_to_string(pgdata.join("postmaster.pid")).expect("postmaster.pid while running");
    text.lines().next().and_then(|l| l.trim().parse().ok()).expect("pid")
}

fn alive(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.split_whitespace().nth(2) == Some("Z"))
}

fn wait_gone(pid: i32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: plain kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

#[test]
fn sigterm_stops_the_server_and_its_postgres() {
    let data = data_dir();
    let mut server = start(data.path());
    assert!(healthy(&server.url));
    let pg = postmaster_pid(data.path());
    assert!(alive(pg));

    signal(&server.child, libc::SIGTERM);
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "graceful exit, got {status}");
    assert!(wait_gone(pg, Duration::from_secs(5)), "no orphan postgres after the server exits");
}

#[test]
fn a_killed_server_takes_postgres_down_and_the_next_start_recovers() {
    let data = data_dir();
    let mut server = start(data.path());
    let pg = postmaster_pid(data.path());
    signal(&server.child, libc::SIGKILL);
    server.child.wait().expect("wait");
    assert!(wait_gone(pg, Duration::from_secs(30)), "the kernel's parent-death signal stopped postgres");

    let mut again = start(data.path());
    assert!(healthy(&again.url), "restart after a killed server works");
    signal(&again.child, libc::SIGTERM);
    again.child.wait().expect("wait");
}

#[test]
fn a_stale_pid_file_after_a_hard_crash_is_recovered() {
    let data = data_dir();
    let mut server = start(data.path());
    let pg = postmaster_pid(data.path());
    // Both die at once, as in a power cut: postmaster.pid stays behind.
    // SAFETY: kill(2) on the postgres we started.
    unsafe {
        libc::kill(pg, libc::SIGKILL);
    }
    signal(&server.child, libc::SIGKILL);
    server.child.wait().expect("wait");
    assert!(wait_gone(pg, Duration::from_secs(10)));

    let again = start(data.path());
    assert!(healthy(&again.url), "restart with a stale postmaster.pid works");
    signal(&again.child, libc::SIGTERM);
    let out = again.child.wait_with_output().expect("wait");
    let log = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = log.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
    assert!(out.status.success(), "graceful exit, got {}; the server's last lines:\n{}", out.status, tail.join("\n"));
}

#[test]
fn a_second_server_on_the_same_data_dir_fails_clearly() {
    let data = data_dir();
    let mut first = start(data.path());
    let second = command(data.path()).output().expect("run second");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already using the data dir"), "stderr: {stderr}");
    assert!(healthy(&first.url), "the first server is unharmed");
    signal(&first.child, libc::SIGTERM);
    first.child.wait().expect("wait");
}

#[tokio::test]
async fn the_demo_organisation_is_seeded_once_with_a_help_centre_its_widget_answers_from() {
    let app = crate::helpers::TestApp::spawn().await;
    let first = app.services.seed_demo().await.expect("seed");
    let again = app.services.seed_demo().await.expect("seed again");
    assert_eq!(first.widget_key, again.widget_key, "seeding is idempotent");
    assert_eq!(first.feedback_project_id, again.feedback_project_id, "one demo feedback project");
    assert!(first.feedback_secret.is_some() && again.feedback_secret.is_none(), "the key is shown once");
    let (status, login) = app
        .post("/api/v1/auth/login", None, serde_json::json!({"email": first.email, "password": first.password}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{login}");
    let token = login["token"].as_str().expect("token").to_owned();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    let org_id = me["memberships"][0]["organization"]["id"].as_str().expect("org").to_owned();
    let (_, docs) = app.get(&format!("/api/v1/orgs/{org_id}/documents"), Some(&token)).await;
    let docs = docs.as_array().expect("documents").clone();
    assert_eq!(docs.len(), 3, "three demo documents, not six");
    let account =
        crate::helpers::Account { token, user_id: String::new(), email: first.email.clone(), org_id: org_id.clone() };
    for doc in &docs {
        crate::helpers::document_ready(&app, &account, doc["id"].as_str().expect("id")).await;
    }
    let (_, session) =
        app.post("/api/v1/widget/session", None, serde_json::json!({"widget_key": first.widget_key})).await;
    let visitor = session["visitor_token"].as_str().expect("visitor token");
    let (_, turn) = app
        .post(
            "/api/v1/widget/messages",
            Some(visitor),
            serde_json::json!({"text": "How much does express delivery cost?"}),
        )
        .await;
    assert_eq!(turn["status"], "ai", "{turn}");
    assert!(turn["reply"]["text"].as_str().is_some_and(|t| t.contains("9 euros")), "{turn}");

    // The demo checkout page's feedback project knows its event, and its printed key works.
    let (_, config) = app.get(&format!("/sdk/v1/projects/{}", first.feedback_project_id), None).await;
    assert_eq!(config["events"][0]["event_id"], "checkout-success", "{config}");
    let (status, feedbacks) = app
        .post(
            "/fetchFeedbacks",
            first.feedback_secret.as_deref(),
            serde_json::json!({"project_id": first.feedback_project_id}),
        )
        .await;
    assert_eq!((status, feedbacks), (reqwest::StatusCode::OK, serde_json::json!({})));
}

/// `iterochat migrate --check` exits 1 listing what is pending on a fresh database;
/// `iterochat migrate` applies it and exits; the check then passes; an unknown command is refused
/// with the usage.
#[test]
fn the_migrate_command_checks_applies_and_checks_again() {
    let data = data_dir();
    let run = |args: &[&str]| {
        let out = command(data.path()).args(args).output().expect("run iterochat");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, _) = run(&["migrate", "--check"]);
    assert_eq!(code, Some(1), "a fresh database is behind: {stdout}");
    assert!(stdout.contains("pending: m20261121_080000_enable_vector"), "{stdout}");
    let (code, stdout, stderr) = run(&["migrate"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("migrations are up to date"), "{stdout}");
    let (code, stdout, _) = run(&["migrate", "--check"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("the database is up to date"), "{stdout}");
    let (code, _, stderr) = run(&["serve-everything"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("usage: iterochat") && !stderr.contains("backtrace"), "{stderr}");
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("iterochat backup FILE") && stdout.contains("iterochat restore FILE"), "{stdout}");
}

/// What an operator does to keep their data or move it to a managed Postgres: `iterochat
/// backup` beside the running server, `iterochat restore` into a new data dir (the same sign-in
/// and data work there) or into an empty database at `DATABASE_URL`; never over existing data.
#[test]
fn a_backup_taken_while_serving_restores_into_a_new_data_dir_and_into_a_managed_postgres() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let run = |data: &Path, args: &[&str], database_url: Option<&str>| {
        let mut cmd = command(data);
        if let Some(url) = database_url {
            cmd.env("DATABASE_URL", url);
        }
        let out = cmd.args(args).output().expect("run iterochat");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), text)
    };
    let first = data_dir();
    let mut server = start(first.path());
    let client = reqwest::Client::new();
    let signup = serde_json::json!({"email": "keep@example.com", "password": "correct horse battery",
        "name": "Kim", "organization_name": "Kept Lamps"});
    let status = rt.block_on(async {
        client.post(format!("{}/api/v1/auth/signup", server.url)).json(&signup).send().await.expect("signup").status()
    });
    assert!(status.is_success(), "{status}");

    // Taken while the server serves, from its own cluster.
    let archive = tempfile::tempdir().expect("tempdir");
    let file = archive.path().join("iterochat.dump");
    let (code, out) = run(first.path(), &["backup", file.to_str().expect("path")], None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("backed up the database"), "{out}");
    assert!(std::fs::metadata(&file).expect("archive").len() > 10_000);
    assert!(healthy(&server.url), "the server kept serving");
    signal(&server.child, libc::SIGTERM);
    server.child.wait().expect("wait");

    // Into a new data dir: the same account signs in and finds its organisation.
    let second = data_dir();
    let (code, out) = run(second.path(), &["restore", file.to_str().expect("path")], None);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(second.path(), &["restore", file.to_str().expect("path")], None);
    assert_ne!(code, Some(0), "a restore never lands on existing data");
    assert!(out.contains("restore into an empty database"), "{out}");
    let mut restored = start(second.path());
    let orgs = rt.block_on(async {
        let login = serde_json::json!({"email": "keep@example.com", "password": "correct horse battery"});
        let resp = client.post(format!("{}/api/v1/auth/login", restored.url)).json(&login).send().await.expect("login");
        assert!(resp.status().is_success(), "{}", resp.status());
        let token = resp.json::<serde_json::Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
        let me = client.get(format!("{}/api/v1/me", restored.url)).bearer_auth(token).send().await.expect("me");
        me.json::<serde_json::Value>().await.expect("json")
    });
    assert_eq!(orgs["memberships"][0]["organization"]["name"], "Kept Lamps", "{orgs}");
    signal(&restored.child, libc::SIGTERM);
    restored.child.wait().expect("wait");

    // Into an empty database elsewhere (a managed Postgres): restored and current.
    let managed = rt.block_on(crate::helpers::TestDb::create_empty());
    let (code, out) = run(second.path(), &["restore", file.to_str().expect("path")], Some(&managed.url));
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(second.path(), &["migrate", "--check"], Some(&managed.url));
    assert_eq!(code, Some(0), "{out}");

    // A backup that cannot be written leaves nothing behind and says so.
    let (code, out) = run(second.path(), &["backup", "/nonexistent-dir/x.dump"], Some(&managed.url));
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("pg_dump failed"), "{out}");
}

/// `ITEROCHAT_LOG_FORMAT=json`: every log line is one JSON object (level, message, fields), and
/// lines logged while serving a request carry that request's id.
#[test]
fn json_logs_are_one_object_per_line_with_the_request_id() {
    let data = data_dir();
    let mut child = command(data.path()).env("ITEROCHAT_LOG_FORMAT", "json").spawn().expect("spawn iterochat");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let url = loop {
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("a line before the server listens");
        if let Some(url) = line.strip_prefix("Iterochat listening on ") {
            break url.trim().to_owned();
        }
        lines.push(line);
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let signup = serde_json::json!({"email": "json@example.com", "password": "correct horse battery",
        "name": "Jo", "organization_name": "Json Lamps"});
    let response = rt.block_on(async {
        reqwest::Client::new().post(format!("{url}/api/v1/auth/signup")).json(&signup).send().await.expect("signup")
    });
    let request_id = response.headers()["x-request-id"].to_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !lines.iter().any(|l| l.contains("signed up")) && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
    }
    signal(&child, libc::SIGTERM);
    child.wait().expect("wait");
    let logs: Vec<serde_json::Value> =
        lines.iter().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    assert!(logs.iter().all(|l| l["level"].is_string() && l["fields"]["message"].is_string()), "{logs:#?}");
    let signed_up = logs.iter().find(|l| l["fields"]["message"] == "signed up").expect("the sign-up is logged");
    assert_eq!(signed_up["span"]["id"], request_id.as_str(), "{signed_up}");
    assert_eq!(signed_up["span"]["path"], "/api/v1/auth/signup", "{signed_up}");
}
