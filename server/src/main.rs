//! `iterochat`: the whole server in one binary. See the README for configuration.

use anyhow::Context;
use secrecy::ExposeSecret as _;
use server::configuration::Settings;
use server::embedded_postgres::EmbeddedPostgres;
use server::startup::{Application, ensure_database};
use server::telemetry;

/// What the binary was asked to do: serve (no arguments), `migrate [--check]`, `backup FILE`,
/// `restore FILE`, or `precompress <site root>` (a build step).
enum Command {
    Serve,
    Migrate { check: bool },
    Backup { file: std::path::PathBuf },
    Restore { file: std::path::PathBuf },
    Precompress { dir: std::path::PathBuf },
    Help,
}

const USAGE: &str = "usage: iterochat                 serve (configuration in the environment, see the README)
       iterochat migrate         run pending database migrations, then exit
       iterochat migrate --check exit 1 when the database is behind this binary
       iterochat backup FILE     write a consistent archive of the database to FILE (pg_dump custom format)
       iterochat restore FILE    load an archive into an empty database (a new ITEROCHAT_DATA_DIR, or DATABASE_URL)
       iterochat precompress DIR write .br and .gz copies of the bundles (a build step)";

fn command() -> Option<Command> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    Some(match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => Command::Serve,
        ["migrate"] => Command::Migrate { check: false },
        ["migrate", "--check"] => Command::Migrate { check: true },
        ["backup", file] => Command::Backup { file: file.into() },
        ["restore", file] => Command::Restore { file: file.into() },
        ["precompress", dir] => Command::Precompress { dir: dir.into() },
        ["help" | "--help" | "-h"] => Command::Help,
        _ => return None,
    })
}

fn main() -> anyhow::Result<()> {
    telemetry::init();
    let Some(command) = command() else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    if let Command::Help = command {
        println!("{USAGE}");
        return Ok(());
    }
    if let Command::Precompress { dir } = &command {
        let r = server::precompress::precompress(dir).with_context(|| format!("compressing {}", dir.display()))?;
        println!(
            "precompressed {} files: {} KB → {} KB brotli, {} KB gzip",
            r.files,
            r.bytes / 1024,
            r.brotli_bytes / 1024,
            r.gzip_bytes / 1024
        );
        return Ok(());
    }
    server::startup::raise_open_files_limit();
    let settings = Settings::load()?;
    // A backup of the embedded database while the server runs reads from that server's cluster.
    if let (Command::Backup { file }, None) = (&command, &settings.database_url)
        && let Some(url) = EmbeddedPostgres::running_url(&settings.data_dir, "iterochat")
    {
        return backup(&url, &settings, file);
    }
    // Started on the main thread, which lives until exit: the kernel stops Postgres if it dies.
    let embedded = match &settings.database_url {
        Some(_) => None,
        None => Some(EmbeddedPostgres::start(&settings.data_dir, &settings.postgres_dir, &[])?),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = match command {
        Command::Serve => runtime.block_on(serve(settings, embedded.as_ref())),
        Command::Migrate { check } => runtime.block_on(migrate(settings, embedded.as_ref(), check)),
        Command::Backup { file } => {
            runtime.block_on(database_url(&settings, embedded.as_ref())).and_then(|url| backup(&url, &settings, &file))
        }
        Command::Restore { file } => runtime.block_on(async {
            let url = database_url(&settings, embedded.as_ref()).await?;
            server::backup::restore(&url, &settings.postgres_dir, &file).await?;
            println!("restored {}; the next start runs any newer migrations", file.display());
            Ok(())
        }),
        Command::Precompress { .. } | Command::Help => Ok(()),
    };
    drop(runtime); // closes the pool before Postgres stops
    if let Some(pg) = embedded {
        pg.stop()?;
    }
    result
}

fn backup(url: &str, settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let bytes = server::backup::backup(url, &settings.postgres_dir, file)?;
    println!("backed up the database to {} ({} KB)", file.display(), bytes.div_ceil(1024));
    Ok(())
}

/// The database URL: `DATABASE_URL`, or the embedded Postgres's `iterochat` database.
async fn database_url(settings: &Settings, embedded: Option<&EmbeddedPostgres>) -> anyhow::Result<String> {
    Ok(match (&settings.database_url, embedded) {
        (Some(url), _) => {
            tracing::info!("using the Postgres at DATABASE_URL");
            url.expose_secret().to_owned()
        }
        (None, Some(pg)) => {
            ensure_database(&pg.url("postgres"), "iterochat").await?;
            pg.url("iterochat")
        }
        (None, None) => unreachable!("main starts the embedded Postgres when DATABASE_URL is unset"),
    })
}

/// `iterochat migrate [--check]`: migrations alone, for deploy pipelines (under the same lock as
/// a starting server); with `--check`, exits non-zero when the database is behind.
async fn migrate(settings: Settings, embedded: Option<&EmbeddedPostgres>, check: bool) -> anyhow::Result<()> {
    use migrations::MigratorTrait as _;
    let url = database_url(&settings, embedded).await?;
    let db = server::startup::connect(&url).await?;
    if check {
        let pending = migrations::Migrator::get_pending_migrations(&db).await.context("reading applied migrations")?;
        if pending.is_empty() {
            println!("the database is up to date");
            return Ok(());
        }
        for m in &pending {
            println!("pending: {}", m.name());
        }
        anyhow::bail!("the database is {} migration(s) behind; run `iterochat migrate`", pending.len());
    }
    server::startup::migrate(&db, None).await?;
    println!("migrations are up to date");
    Ok(())
}

async fn serve(settings: Settings, embedded: Option<&EmbeddedPostgres>) -> anyhow::Result<()> {
    let url = database_url(&settings, embedded).await?;
    let seed = settings.seed_demo;
    let app = Application::build(settings.clone(), &url).await?;
    // The escalation classifier's labelled examples are embedded once per process; doing it now,
    // in the background, keeps those few seconds off the first visitor's turn.
    let warm = app.services().clone();
    tokio::spawn(async move {
        if let Err(e) = warm.intent_index().await {
            tracing::warn!(error = %e, "could not embed the escalation examples; they are retried on first use");
        }
    });
    let base = settings.public_url(std::net::SocketAddr::from((settings.addr.ip(), app.port())));
    if seed {
        let demo = app.services().seed_demo().await.context("seeding the demo organisation")?;
        println!("\n  Iterochat is running.\n");
        println!("  Dashboard:  {base}/login");
        println!("  Login:      {}  /  {}", demo.email, demo.password);
        println!("  Org:        {} (widget key {})", demo.organization_name, demo.widget_key);
        match &demo.feedback_secret {
            Some(secret) => println!("  Feedback:   project {} / secret key {secret}", demo.feedback_project_id),
            None => println!(
                "  Feedback:   project {} (its secret key was printed on the first start; rotate it on the dashboard)",
                demo.feedback_project_id
            ),
        }
        if let Some(addr) = settings.demo_addr {
            let demo_site = server::widget_assets::DemoSite {
                server: base.clone(),
                widget_key: demo.widget_key.clone(),
                feedback_project: demo.feedback_project_id.clone(),
            };
            serve_demo_site(addr, demo_site).await?;
            println!("  Demo site:  http://{addr}/  (a customer page on another origin, with the widget)");
            println!("              http://{addr}/feedback  (a checkout page with the feedback SDK)");
        }
        if let Some(addr) = settings.metrics_addr {
            println!("  Metrics:    http://{addr}/metrics  (Prometheus)");
        }
        println!();
    } else {
        println!("Iterochat listening on {base}");
        if let Some(addr) = settings.demo_addr {
            let demo_site = server::widget_assets::DemoSite {
                server: base.clone(),
                widget_key: String::new(),
                feedback_project: String::new(),
            };
            serve_demo_site(addr, demo_site).await?;
            println!("Demo site on http://{addr}/?key=<widget key>");
        }
    }
    app.run_until_stopped(shutdown_signal()).await?;
    tracing::info!("server stopped");
    Ok(())
}

/// Serves the demo customer site (another origin) in the background.
async fn serve_demo_site(addr: std::net::SocketAddr, demo: server::widget_assets::DemoSite) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the demo site on {addr} (set ITEROCHAT_DEMO_ADDR)"))?;
    let site = server::widget_assets::demo_site(demo);
    tokio::spawn(async move { axum::serve(listener, site).await });
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down");
}
