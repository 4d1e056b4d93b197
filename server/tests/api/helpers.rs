//! `TestApp`: the real application on port 0 with its own database cloned from a migrated
//! template, plus typed helpers for the REST API.
//!
//! Postgres: `DATABASE_URL` (any server with pgvector) if set, else one embedded cluster per test
//! binary under `target/test-pg`, started on a thread that lives as long as the process (the
//! kernel stops Postgres when the test process exits). Leftover test databases are swept once
//! per run; each test's database is dropped `WITH (FORCE)` when its `TestApp` drops.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use domain::embeddings::{EmbeddingConfig, LocalModel, SharedEmbedder};

use migrations::{Migrator, MigratorTrait};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use server::configuration::Settings;
use server::embedded_postgres::EmbeddedPostgres;
use server::startup::Application;
use uuid::Uuid;

const TEMPLATE: &str = "iterochat_test_template";

/// Where the shared cluster lives and how to reach it.
struct Cluster {
    /// URL of the maintenance database (`postgres`), ending right before the database name.
    base: String,
    query: String,
}

impl Cluster {
    fn url(&self, db: &str) -> String {
        format!("{}{db}{}", self.base, self.query)
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The in-process embedding model tests run: the product's default unless
/// `ITEROCHAT_LOCAL_MODEL` names another.
pub fn local_model() -> LocalModel {
    std::env::var("ITEROCHAT_LOCAL_MODEL")
        .ok()
        .map(|name| LocalModel::from_name(&name).expect("ITEROCHAT_LOCAL_MODEL names a local model"))
        .unwrap_or_default()
}

/// The folder the setup step puts the local models in, one sub-folder per model.
pub fn models_dir() -> PathBuf {
    workspace_root().join(".tools/models")
}

/// That model's folder, as the setup step fills it.
pub fn model_dir() -> PathBuf {
    std::env::var_os("ITEROCHAT_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| models_dir().join(local_model().name()))
}

/// The Postgres install the embedded cluster runs from.
pub fn postgres_install() -> PathBuf {
    std::env::var_os("ITEROCHAT_POSTGRES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/postgres"))
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            let parsed = reqwest::Url::parse(&url).expect("DATABASE_URL is a URL");
            let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
            let mut base = parsed.clone();
            base.set_query(None);
            base.set_path("/");
            return Cluster { base: base.to_string(), query };
        }
        let (tx, rx) = std::sync::mpsc::channel();
        // This thread never ends, so PR_SET_PDEATHSIG fires only when the process exits.
        std::thread::spawn(move || {
            let dir = workspace_root().join("target/test-pg");
            let started = EmbeddedPostgres::start(
                &dir,
                &postgres_install(),
                &[("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off")],
            );
            match started {
                Ok(pg) => {
                    let url = pg.url("postgres");
                    tx.send(Ok(url)).ok();
                    let _keep = pg;
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    tx.send(Err(format!("{e:#}"))).ok();
                }
            }
        });
        let url = rx.recv().expect("postgres thread").unwrap_or_else(|e| panic!("starting the test Postgres: {e}"));
        // postgres://postgres@localhost/postgres?host=<socket dir>&port=5432
        let (user, rest) = url.split_once("@localhost/").expect("embedded url shape");
        let (_db, query) = rest.split_once('?').expect("embedded url has a query");
        Cluster { base: format!("{user}@localhost/"), query: format!("?{query}") }
    })
}

/// Builds the migrated template once per test process and sweeps leftovers of earlier runs.
async fn template() -> &'static str {
    static READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let admin = Database::connect(cluster().url("postgres")).await.expect("connect to postgres");
            let leftovers = admin
                .query_all_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT datname FROM pg_database WHERE datname LIKE 'test\\_%' OR datname = '{TEMPLATE}'"),
                ))
                .await
                .expect("list databases");
            for row in leftovers {
                let name: String = row.try_get("", "datname").expect("datname");
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .expect("drop");
            }
            admin.execute_unprepared(&format!("CREATE DATABASE \"{TEMPLATE}\"")).await.expect("create template");
            let db = Database::connect(cluster().url(TEMPLATE)).await.expect("connect to template");
            Migrator::up(&db, None).await.expect("migrate template");
            db.close().await.expect("close template");
            admin.close().await.ok();
        })
        .await;
    TEMPLATE
}

/// A database of its own, cloned from the template; dropped with the guard.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// An empty database (no migrations run), dropped with the guard.
    pub async fn create_empty() -> Self {
        template().await; // clears leftovers of earlier runs first
        let name = format!("test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(cluster().url("postgres")).await.expect("connect");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create empty database");
        admin.close().await.ok();
        let url = cluster().url(&name);
        Self { name, url }
    }

    pub async fn create() -> Self {
        let template = template().await;
        let name = format!("test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(cluster().url("postgres")).await.expect("connect");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = cluster().url(&name);
        Self { name, url }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let url = cluster().url("postgres");
        // A fresh runtime on its own thread: Drop cannot await, and the test's runtime may be gone.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// The local embedder, loaded once per test process.
pub async fn local_embedder() -> SharedEmbedder {
    static EMBEDDER: tokio::sync::OnceCell<SharedEmbedder> = tokio::sync::OnceCell::const_new();
    EMBEDDER
        .get_or_init(|| async {
            domain::embeddings::from_config(&EmbeddingConfig::Local { model: local_model(), model_dir: model_dir() })
                .await
                .expect("load the local model")
        })
        .await
        .clone()
}

/// Polls a document until it is `ready` (a minute at most) and returns it.
pub async fn document_ready(app: &TestApp, who: &Account, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let (status, doc) = app.get(&format!("/api/v1/orgs/{}/documents/{id}", who.org_id), Some(&who.token)).await;
        assert_eq!(status, StatusCode::OK, "{doc}");
        match doc["status"].as_str() {
            Some("ready") => return doc,
            Some("failed") => panic!("ingestion failed: {doc}"),
            _ if std::time::Instant::now() > deadline => panic!("document never became ready: {doc}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

/// Signs up, ingests `documents` (waiting until each is ready) and returns the owner and the
/// organisation's widget key.
pub async fn organisation_with(app: &TestApp, email: &str, documents: &[(&str, &str)]) -> (Account, String) {
    let owner = app.signup(email).await;
    let mut ids = Vec::new();
    for (title, content) in documents {
        let (status, doc) = app
            .post(
                &format!("/api/v1/orgs/{}/documents", owner.org_id),
                Some(&owner.token),
                serde_json::json!({"title": title, "content": content}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        ids.push(doc["id"].as_str().expect("id").to_owned());
    }
    for id in ids {
        document_ready(app, &owner, &id).await;
    }
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    (owner, org["widget_key"].as_str().expect("widget key").to_owned())
}

/// A new widget visitor of `widget_key`: their visitor token.
pub async fn visitor_session(app: &TestApp, widget_key: &str) -> String {
    let (status, body) = app.post("/api/v1/widget/session", None, serde_json::json!({"widget_key": widget_key})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["visitor_token"].as_str().expect("token").to_owned()
}

/// One visitor message through the widget API; the turn's body (asserted 200).
pub async fn visitor_says(app: &TestApp, token: &str, text: &str) -> Value {
    let (status, body) = app.post("/api/v1/widget/messages", Some(token), serde_json::json!({"text": text})).await;
    assert_eq!(status, StatusCode::OK, "{text}: {body}");
    body
}

/// The running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub services: domain::Services,
    /// The server's public budgets.
    pub limits: server::rate_limit::Limits,
    /// Makes `/readyz` answer 503, as shutdown does.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Shared with a restarted app on the same database; dropped last.
    pub db: Arc<TestDb>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A signed-up person: their token, ids and first organisation.
#[derive(Clone, Debug)]
pub struct Account {
    pub token: String,
    pub user_id: String,
    pub email: String,
    pub org_id: String,
}

impl TestApp {
    /// Starts the real application on a free port with a fresh database and the local model.
    pub async fn spawn() -> Self {
        Self::spawn_on(Arc::new(TestDb::create().await), local_embedder().await).await
    }

    /// Starts the application on an existing test database with the given embedder.
    pub async fn spawn_on(db: Arc<TestDb>, embedder: SharedEmbedder) -> Self {
        server::telemetry::init();
        let app = Application::build_with_embedder(Self::settings(), &db.url, embedder).await.expect("build app");
        Self::serve(app, db)
    }

    /// Starts the application exactly as production does, embedding provider from `settings`.
    pub async fn spawn_with_settings(db: Arc<TestDb>, settings: Settings) -> Self {
        server::telemetry::init();
        let app = Application::build(settings, &db.url).await.expect("build app");
        Self::serve(app, db)
    }

    /// Starts the application on a fresh database with the local embedder and `settings` (for
    /// example a chat server to answer through).
    pub async fn spawn_configured(settings: Settings) -> Self {
        Self::spawn_configured_on(Arc::new(TestDb::create().await), settings).await
    }

    /// [`TestApp::spawn_configured`] on an existing test database (a restart).
    pub async fn spawn_configured_on(db: Arc<TestDb>, settings: Settings) -> Self {
        server::telemetry::init();
        let app = Application::build_with_embedder(settings, &db.url, local_embedder().await).await.expect("build app");
        Self::serve(app, db)
    }

    /// Test settings: port 0, data (alert mails) in a folder of this test process, everything
    /// else default.
    pub fn settings() -> Settings {
        Settings {
            addr: "127.0.0.1:0".parse().expect("addr"),
            data_dir: std::env::temp_dir().join(format!("iterochat-tests-{}", std::process::id())),
            ..Settings::default()
        }
    }

    /// The data folder [`TestApp::settings`] gives every app of this process.
    pub fn settings_data_dir(&self) -> std::path::PathBuf {
        Self::settings().data_dir
    }

    /// [`TestApp::spawn_configured`] whose server begins its shutdown (as on SIGTERM) when the
    /// returned sender is used or dropped; also the metrics port, if `settings` turn them on.
    pub async fn spawn_stoppable(settings: Settings) -> (Self, Option<u16>, tokio::sync::oneshot::Sender<()>) {
        server::telemetry::init();
        let db = Arc::new(TestDb::create().await);
        let app = Application::build_with_embedder(settings, &db.url, local_embedder().await).await.expect("build app");
        let metrics = app.metrics_port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Self::serve_until(app, db, async move {
            let _ = stopped.await;
        });
        (app, metrics, stop)
    }

    fn serve(app: Application, db: Arc<TestDb>) -> Self {
        Self::serve_until(app, db, std::future::pending())
    }

    fn serve_until(app: Application, db: Arc<TestDb>, shutdown: impl Future<Output = ()> + Send + 'static) -> Self {
        let address = format!("http://127.0.0.1:{}", app.port());
        let services = app.services().clone();
        let limits = app.limits().clone();
        let draining = app.draining();
        let server = tokio::spawn(async move {
            let _ = app.run_until_stopped(shutdown).await;
        });
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { address, client, services, limits, draining, db, server: Some(server) }
    }

    /// Stops the server and its ingestion worker at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Changes `owner`'s organisation's settings (`PATCH …/settings`); asserts it was accepted.
    pub async fn patch_settings(&self, owner: &Account, changes: Value) -> Value {
        let path = format!("/api/v1/orgs/{}/settings", owner.org_id);
        let (status, body) = self.call(Method::PATCH, &path, Some(&owner.token), Some(changes)).await;
        assert_eq!(status, StatusCode::OK, "settings refused: {body}");
        body
    }

    /// Sends `body` (if any) as JSON with an optional bearer token; returns status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// The visitor's live-stream URL, with a fresh single-use ticket.
    pub async fn stream_url(&self, visitor_token: &str) -> String {
        let (status, body) = self.call(Method::POST, "/api/v1/widget/stream-ticket", Some(visitor_token), None).await;
        assert_eq!(status, StatusCode::OK, "stream ticket: {body}");
        format!("{}/api/v1/widget/stream?ticket={}", self.address, body["ticket"].as_str().expect("ticket"))
    }

    /// Signs up `email` with a fresh organisation named after them.
    pub async fn signup(&self, email: &str) -> Account {
        let (status, body) = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": email, "password": "correct horse battery", "name": "Test Person", "organization_name": format!("Org of {email}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "signup failed: {body}");
        Account {
            token: body["token"].as_str().expect("token").to_owned(),
            user_id: body["user"]["id"].as_str().expect("user id").to_owned(),
            email: email.to_owned(),
            org_id: body["organization"]["id"].as_str().expect("org id").to_owned(),
        }
    }

    /// Invites `email` into `org_id` as `role` (by `inviter`) and has them sign up and accept.
    pub async fn add_member(&self, inviter: &Account, org_id: &str, email: &str, role: &str) -> Account {
        let (status, invite) = self
            .post(
                &format!("/api/v1/orgs/{org_id}/invites"),
                Some(&inviter.token),
                json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "invite failed: {invite}");
        let mut person = self.signup(email).await;
        let (status, body) = self
            .post(
                &format!("/api/v1/invites/{}/accept", invite["token"].as_str().expect("token")),
                Some(&person.token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "accept failed: {body}");
        person.org_id = org_id.to_owned();
        person
    }
}

/// A mail as a reader sees it: folded headers unfolded, the quoted-printable body decoded.
pub fn readable_mail(mail: &str) -> String {
    let text = mail.replace("\r\n", "\n").replace("=\n", "").replace("\n ", " ");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every mail written to the `.eml` outbox for `to`, as a reader sees it.
pub fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(app.settings_data_dir().join("mail")) else { return Vec::new() };
    entries
        .flatten()
        .map(|entry| readable_mail(&std::fs::read_to_string(entry.path()).unwrap_or_default()))
        .filter(|mail| mail.contains(&format!("To: {to}")))
        .collect()
}

/// The first mail to `to` that `wanted` accepts, waiting up to 30 s for the outbox to deliver it.
pub async fn wait_for_mail(app: &TestApp, to: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(mail) = mails_to(app, to).into_iter().find(|m| wanted(m)) {
            return mail;
        }
        assert!(std::time::Instant::now() < deadline, "no such mail to {to}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
