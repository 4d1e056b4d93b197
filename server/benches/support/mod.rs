//! Set-up several benches share.
#![allow(dead_code, reason = "each bench uses part of the set-up")]

use domain::Services;
use domain::accounts::{Actor, SignupInput, SignupOutcome};

/// Signs up `email` as the owner of a new organisation called `organization`: the outcome (token,
/// organisation and its widget key) and the owner as an actor.
pub async fn owner(services: &Services, email: &str, organization: &str) -> anyhow::Result<(SignupOutcome, Actor)> {
    let outcome = services
        .signup(SignupInput {
            email: email.into(),
            password: "correct horse battery".into(),
            name: "Bench Owner".into(),
            organization_name: organization.into(),
        })
        .await?;
    let actor = services.authenticate(&outcome.token).await?;
    Ok((outcome, actor))
}

/// A small outdoor shop's knowledge base: (title, Markdown).
pub const DOCUMENTS: [(&str, &str); 3] = [
    (
        "Delivery",
        "# Delivery\n\n| Country | Time |\n|---|---|\n| Spain | 4 to 5 working days |\n| Norway | 6 to 8 working days |",
    ),
    ("Payment", "# Payment\n\nWe accept Visa, Mastercard, Apple Pay and PayPal."),
    ("Returns", "# Returns\n\nUnused items can be returned within 30 days. Used tents cannot be returned."),
];

/// Starts the `iterochat` binary on `database_url` with its data in `data` (a process of its
/// own, as in production) and waits for it to listen; the child and its base URL.
pub fn start_binary(database_url: &str, data: &std::path::Path) -> anyhow::Result<(std::process::Child, String)> {
    use std::io::BufRead as _;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let model = domain::embeddings::LocalModel::default();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_iterochat"))
        .env("DATABASE_URL", database_url)
        .env("ITEROCHAT_DATA_DIR", data)
        .env("ITEROCHAT_ADDR", "127.0.0.1:0")
        .env("ITEROCHAT_TRUSTED_PROXIES", "127.0.0.1")
        .env("ITEROCHAT_MODEL_DIR", root.join(".tools/models").join(model.name()))
        .env("LEPTOS_OUTPUT_NAME", "iterochat")
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some(url) = line.strip_prefix("Iterochat listening on ") {
            // Keep reading (and dropping) its output, so a full pipe never blocks it.
            std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
            return Ok((child, url.trim().to_owned()));
        }
    }
    let _ = child.kill();
    anyhow::bail!("the server binary did not start")
}

/// Runs `run` on a multi-threaded runtime beside a private Postgres (fsync off, 200
/// connections) in a temporary folder, which it also gets; Postgres stops afterwards whatever
/// `run` returned.
pub fn with_postgres(
    name: &str,
    run: impl for<'a> FnOnce(
        &'a server::embedded_postgres::EmbeddedPostgres,
        &'a std::path::Path,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>>,
) -> anyhow::Result<()> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::Builder::new().prefix(&format!("iterochat-bench-{name}-")).tempdir()?;
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let pg = server::embedded_postgres::EmbeddedPostgres::start(
        dir.path(),
        &root.join(".tools/postgres"),
        &[("fsync", "off"), ("max_connections", "200")],
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(run(&pg, dir.path()));
    drop(rt);
    pg.stop()?;
    result
}
