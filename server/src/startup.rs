//! Building the application: database, migrations, router, listener.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use app::{App, shell};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::configuration::Settings;
use crate::state::AppState;

/// A bound, ready-to-serve application. Binding happens in [`Application::build`], so the port
/// is known (tests bind port 0) before serving starts.
pub struct Application {
    listener: TcpListener,
    router: Router,
    services: domain::Services,
    events: domain::events::EventListener,
    limits: crate::rate_limit::Limits,
    draining: Arc<std::sync::atomic::AtomicBool>,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// `GET /metrics`, when `ITEROCHAT_METRICS_ADDR` is set.
    metrics: Option<(TcpListener, Router)>,
}

impl Application {
    /// Connects to `database_url`, runs migrations, loads the embedding provider, builds the
    /// router and binds the listener.
    pub async fn build(settings: Settings, database_url: &str) -> anyhow::Result<Self> {
        let embedder = domain::embeddings::from_config(&settings.embedding_config()).await.context(
            "loading the embedding provider (run `make setup` for the local model, or check OPENAI_BASE_URL, \
             OPENAI_API_KEY and ITEROCHAT_EMBEDDING_MODEL)",
        )?;
        Self::build_with_embedder(settings, database_url, embedder).await
    }

    /// [`Application::build`] with an embedder the caller already loaded (tests share one).
    pub async fn build_with_embedder(
        settings: Settings,
        database_url: &str,
        embedder: domain::embeddings::SharedEmbedder,
    ) -> anyhow::Result<Self> {
        let db = connect(database_url).await?;
        ensure_pgvector(&db).await?;
        migrate(&db, Some(embedder.as_ref())).await?;
        let chat = match settings.chat_config() {
            Some(config) => {
                let chat = domain::llm::ChatModel::new(&config)
                    .context("configuring the chat model (check OPENAI_BASE_URL and OPENAI_API_KEY)")?;
                tracing::info!(
                    model = chat.model(),
                    "answers come from the chat model, checked by the grounding guard"
                );
                Some(chat)
            }
            None => {
                tracing::info!("no chat server configured: answers are extractive (quoted from the knowledge base)");
                None
            }
        };
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("binding {} (set ITEROCHAT_ADDR to another address)", settings.addr))?;
        let alerts = settings.alert_settings(settings.public_url(listener.local_addr()?))?;
        match alerts.mailer.outbox_dir() {
            Some(dir) => {
                tracing::info!(dir = %dir.display(), "no SMTP configured: alert mails are written as .eml files")
            }
            None => tracing::info!(mailer = ?alerts.mailer, "alert mails go through SMTP"),
        }
        let mut services = domain::Services::new(db, embedder).with_chat_model(chat).with_alerts(alerts);
        services.knowledge_quota = settings.knowledge_quota;
        let services = services.with_exports_dir(settings.data_dir.join("exports"));
        // Listening before serving: no event published by a request can be missed.
        let events =
            services.listen_for_events().await.context("listening for live events (LISTEN iterochat_events)")?;
        let mut leptos_options =
            leptos::config::get_configuration(None).context("reading the Leptos site configuration")?.leptos_options;
        leptos_options.site_addr = listener.local_addr()?;
        leptos_options.output_name = "iterochat".into();
        let state = AppState {
            leptos_options,
            services: services.clone(),
            limits: crate::rate_limit::Limits::new(&settings.rate_limits),
            connections: crate::rate_limit::Connections::new(settings.connections.clone()),
            draining: Arc::default(),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            settings: Arc::new(settings),
        };
        let draining = state.draining.clone();
        let stopping = state.stopping.clone();
        let limits = state.limits.clone();
        let metrics = match state.settings.metrics_addr {
            Some(addr) => {
                crate::metrics::handle();
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the metrics listener on {addr} (ITEROCHAT_METRICS_ADDR)"))?;
                tracing::info!(addr = %listener.local_addr()?, "metrics at /metrics");
                Some((listener, crate::metrics::router(state.clone())))
            }
            None => None,
        };
        let mut router = router(state);
        if metrics.is_some() {
            router = router.layer(axum::middleware::from_fn(crate::metrics::track));
        }
        Ok(Self { listener, router, services, events, limits, draining, stopping, metrics })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The metrics listener's port, when metrics are on.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok()).map(|a| a.port())
    }

    /// The domain services (tests use them to arrange data).
    pub fn services(&self) -> &domain::Services {
        &self.services
    }

    /// Set to make `/readyz` answer 503 (shutdown sets it; tests set it to see the drain).
    pub fn draining(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.draining.clone()
    }

    /// The public budgets (tests read how many keys they remember).
    pub fn limits(&self) -> &crate::rate_limit::Limits {
        &self.limits
    }

    /// Serves (and runs the ingestion and outbox workers) until `shutdown` resolves, then finishes
    /// in-flight requests.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let mut outbox_stop = stop_rx.clone();
        let mut events_stop = stop_rx.clone();
        let _events = AbortOnDrop(tokio::spawn(self.services.clone().run_event_listener(self.events, async move {
            let _ = events_stop.wait_for(|stop| *stop).await;
        })));
        let mut worker = AbortOnDrop(tokio::spawn(self.services.clone().run_ingestion(async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        })));
        let mut outbox = AbortOnDrop(tokio::spawn(self.services.clone().run_outbox(async move {
            let _ = outbox_stop.wait_for(|stop| *stop).await;
        })));
        let _privacy = AbortOnDrop(self.services.spawn_privacy_worker());
        let _metrics = self.metrics.map(|(listener, router)| {
            AbortOnDrop(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }))
        });
        let draining = self.draining.clone();
        let stopping = self.stopping.clone();
        let served = crate::serve::serve(self.listener, self.router, async move {
            shutdown.await;
            // Not ready first, so a load balancer stops sending new visitors here, and open
            // widget streams told to reconnect (elsewhere); then in-flight requests finish.
            draining.store(true, std::sync::atomic::Ordering::Release);
            stopping.send_replace(true);
            tokio::time::sleep(DRAIN_GRACE).await;
            let _ = stop_tx.send(true);
        })
        .await;
        let _ = (&mut worker.0).await;
        let _ = (&mut outbox.0).await;
        served
    }
}

/// Aborts a background task when the server future is dropped, so nothing outlives the server.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The advisory-lock key under which instances migrate (any fixed number; "iterochat").
const MIGRATION_LOCK: i64 = 0x6974_6572_6f63_6874;

/// Runs pending migrations (and creates the vector index of `embedder`'s model) exactly once,
/// however many instances start together: each takes the same transaction-level advisory lock,
/// so the first migrates while the others wait, then find nothing left to do. A failure rolls
/// the whole step back.
pub async fn migrate(
    db: &DatabaseConnection,
    embedder: Option<&dyn domain::embeddings::Embedder>,
) -> anyhow::Result<()> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await.context("starting the migration transaction")?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await
        .context("waiting for the migration lock (another instance is migrating)")?;
    Migrator::up(&txn, None).await.context("running database migrations")?;
    if let Some(embedder) = embedder {
        domain::knowledge::retrieval::ensure_vector_index(&txn, embedder)
            .await
            .context("creating the vector index for the embedding model")?;
    }
    txn.commit().await.context("committing the migrations")?;
    Ok(())
}

/// The full router: health, REST API, Leptos pages and server fns, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let budget_state = state.clone();
    let auth_budget = app::ssr::AuthBudget(Arc::new(move |parts: &axum::http::request::Parts| {
        let ip = crate::client_ip::ClientIp::of(parts, &budget_state);
        budget_state.spend_auth_attempt(&ip).map_err(|over| over.retry_after.as_secs().max(1))
    }));
    let context = app::ssr::ServerContext {
        services: state.services.clone(),
        secure_cookies: state.settings.secure_cookies,
        auth_budget: Some(auth_budget),
    };
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/widget.js", get(crate::widget_assets::loader))
        .route("/favicon.ico", get(favicon))
        .route("/favicon.svg", get(favicon))
        .route("/preview", get(crate::widget_assets::preview))
        .route("/alerts/confirm/{token}", get(api::confirm_recipient))
        .route("/widget/{file}", get(crate::widget_assets::asset))
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg_files(&options))
        .nest("/api/v1", api::router())
        .merge(api::openapi::docs_router())
        .nest("/sdk/v1", api::sdk_router())
        .route("/sdk/iterato.js", get(crate::widget_assets::sdk_loader))
        .route("/fetchFeedbacks", axum::routing::post(api::feedback::fetch_feedbacks))
        .route(
            "/dashboard/knowledge/upload",
            axum::routing::post(crate::dashboard_upload::upload).layer(DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context.clone());
                provide_context(app::ssr::RevealMemo::default());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        // Brotli or gzip for whatever the client accepts: pages, JSON, the dashboard and widget
        // bundles. Not event streams (tower-http's default predicate leaves them and bodies
        // under 32 bytes alone). Quality 5: about gzip's speed with most of brotli's gain.
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::compression::CompressionLevel::Precise(5)),
        )
        // Every response: no MIME sniffing, and no page address sent to other sites.
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn(crate::same_origin::same_origin_only))
        // Spans name the path, never the query: a widget stream's ticket, an invite's token or
        // a search never reach the logs. Each carries the request's id (`x-request-id`: the
        // proxy's, or a new one), which the response echoes.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(tower_http::request_id::MakeRequestUuid))
        .with_state(state)
}

/// The dashboard's bundle (`/pkg`): the brotli or gzip copy `iterochat precompress` wrote at
/// build time when the browser accepts it (the response compression skips what is encoded
/// already), else the file as it is. The names carry no hash, so each load revalidates
/// (`no-cache`): an unchanged file costs a 304, a new build is seen at once.
fn pkg_files(
    options: &leptos::config::LeptosOptions,
) -> tower_http::set_header::SetResponseHeader<tower_http::services::ServeDir, axum::http::HeaderValue> {
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let stale = crate::precompress::remove_stale(&dir);
    if stale > 0 {
        tracing::info!(stale, "removed compressed copies older than their bundle (run `iterochat precompress`)");
    }
    tower_http::set_header::SetResponseHeader::overriding(
        tower_http::services::ServeDir::new(dir).precompressed_br().precompressed_gzip(),
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    )
}

/// How long an instance answers `/readyz` with 503 before it stops accepting connections.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Readiness: 200 `{"status":"ready"}` when the database answers, migrations are current and the
/// live-event `LISTEN` is connected (the embedding model is loaded before the server binds);
/// 503 with the reason otherwise, and from the moment shutdown begins.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: may a load balancer send traffic here",
    responses(
        (status = 200, description = "`{\"status\": \"ready\"}`", body = Object),
        (status = 503, description = "`{\"status\": reason}`: `migrations pending`, `database unavailable`, `live events not connected` or `shutting down`", body = Object)
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    use migrations::MigratorTrait as _;
    let not_ready =
        |why: &str| (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": why })));
    if state.draining.load(std::sync::atomic::Ordering::Acquire) {
        return not_ready("shutting down");
    }
    match Migrator::get_pending_migrations(&state.services.db).await {
        Ok(pending) if pending.is_empty() => {}
        Ok(_) => return not_ready("migrations pending"),
        Err(_) => return not_ready("database unavailable"),
    }
    if !state.services.events_listening() {
        return not_ready("live events not connected");
    }
    (axum::http::StatusCode::OK, axum::Json(serde_json::json!({ "status": "ready" })))
}

/// The dashboard's icon: a chat bubble on the brand's blue. The pages link it as SVG; browsers that
/// ask for `/favicon.ico` on their own get the same bytes instead of a rendered 404 page.
pub const FAVICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 24 24\">\
<rect width=\"24\" height=\"24\" rx=\"6\" fill=\"#3b82f6\"/><path d=\"M6 7h12v8H10l-4 3.5z\" fill=\"#fff\"/></svg>";

async fn favicon() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
}

/// Liveness: the process and its database answer.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness",
    responses(
        (status = 200, description = "`{\"status\": \"ok\"}`", body = Object),
        (status = 500, description = "The database does not answer", body = crate::api::error::ErrorBody)
    )
)]
pub(crate) async fn healthz(
    State(state): State<AppState>,
) -> Result<axum::Json<serde_json::Value>, api::error::ApiError> {
    state.services.db.execute_unprepared("SELECT 1").await.map_err(|e| api::error::ApiError::Domain(e.into()))?;
    Ok(axum::Json(serde_json::json!({ "status": "ok" })))
}

/// A connection pool to `url`.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(20)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await.context("connecting to Postgres (check DATABASE_URL)")
}

async fn ensure_pgvector(db: &DatabaseConnection) -> anyhow::Result<()> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'vector'",
        ))
        .await?;
    let available: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    if available == 0 {
        bail!(
            "this Postgres has no pgvector extension; install pgvector (for example your distribution's \
             postgresql-NN-pgvector package) or unset DATABASE_URL to use the embedded Postgres"
        );
    }
    Ok(())
}

/// Creates database `name` on the server at `admin_url` if it does not exist yet.
pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let db = connect(admin_url).await?;
    let exists = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?
        .is_some();
    if !exists {
        db.execute_unprepared(&format!("CREATE DATABASE \"{}\"", name.replace('"', ""))).await?;
    }
    db.close().await?;
    Ok(())
}

/// Raises this process's soft limit of open files to its hard limit (every live widget stream
/// or dashboard socket holds one; many shells and systemd units start at 1,024). Returns the
/// soft limit in force afterwards; a refusal leaves the old one, with a warning.
pub fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 0;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            tracing::info!(from = limit.rlim_cur, to = raised.rlim_cur, "raised the open-files limit");
            return raised.rlim_cur;
        }
        tracing::warn!(limit = limit.rlim_cur, "could not raise the open-files limit; live connections cap near it");
    }
    limit.rlim_cur
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_limit() {
        let mut before = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: reading this process's limit into a local struct.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut before) }, 0);
        // Start low, as a default shell would.
        let low = libc::rlimit { rlim_cur: 256.min(before.rlim_max), rlim_max: before.rlim_max };
        // SAFETY: lowering our own soft limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &low) }, 0);
        assert_eq!(super::raise_open_files_limit(), before.rlim_max);
        let mut after = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: as above.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut after) }, 0);
        assert_eq!(after.rlim_cur, before.rlim_max);
    }
}
