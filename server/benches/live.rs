//! `make bench`: live-update latency. 500 dashboards hold a WebSocket to one server; visitors
//! write one message at a time; for every message and every dashboard, the time from sending the
//! visitor's message to that dashboard receiving its `visitor_message` event. Printed, never
//! asserted. The clock starts before the HTTP request, so figures include the request itself;
//! clients and server share the same two cores.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::embeddings::{Embedder, EmbeddingError};
use futures_util::StreamExt as _;
use server::configuration::Settings;
use server::embedded_postgres::EmbeddedPostgres;
use server::startup::Application;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const DASHBOARDS: usize = 500;
const MESSAGES: usize = 40;

/// A constant embedder: the benchmark needs no model (nothing is retrieved; every message
/// escalates, which is the path that produces the most events).
#[derive(Debug)]
struct Constant;

#[async_trait::async_trait]
impl Embedder for Constant {
    fn model_id(&self) -> &str {
        "bench:constant-8"
    }
    fn dimensions(&self) -> usize {
        8
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        Ok(texts.iter().map(|_| vec![1.0 / 8f32.sqrt(); 8]).collect())
    }
}

fn main() -> anyhow::Result<()> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::Builder::new().prefix("iterochat-bench-live-").tempdir()?;
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let pg = EmbeddedPostgres::start(dir.path(), &root.join(".tools/postgres"), &[("fsync", "off")])?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(run(&pg, dir.path()));
    drop(rt);
    pg.stop()?;
    result
}

async fn run(pg: &EmbeddedPostgres, data: &std::path::Path) -> anyhow::Result<()> {
    server::startup::ensure_database(&pg.url("postgres"), "bench_live").await?;
    let settings = Settings { addr: "127.0.0.1:0".parse()?, data_dir: data.join("data"), ..Settings::default() };
    let app = Application::build_with_embedder(settings, &pg.url("bench_live"), Arc::new(Constant)).await?;
    let base = format!("127.0.0.1:{}", app.port());
    let services = app.services().clone();
    tokio::spawn(async move { app.run_until_stopped(std::future::pending()).await });

    let (owner, _) = support::owner(&services, "bench@example.com", "Bench").await?;
    let org = owner.organization.id;

    // The dashboards: each reports when it sees a visitor_message event.
    let (tx, mut rx) = mpsc::unbounded_channel::<Instant>();
    for _ in 0..DASHBOARDS {
        let url = format!("ws://{base}/api/v1/orgs/{org}/live?token={}", owner.token);
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message
                    && text.contains("\"visitor_message\"")
                {
                    let _ = tx.send(Instant::now());
                }
            }
        });
    }
    let client = reqwest::Client::new();
    let mut latencies: Vec<Duration> = Vec::with_capacity(DASHBOARDS * MESSAGES);
    for i in 0..MESSAGES + 5 {
        let session = services.widget_session(&owner.organization.widget_key, None, None, &Default::default()).await?;
        let start = Instant::now();
        let response = client
            .post(format!("http://{base}/api/v1/widget/messages"))
            .bearer_auth(&session.visitor_token)
            .json(&serde_json::json!({"text": format!("Question number {i} about my order")}))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "the message was refused: {}", response.status());
        let mut arrivals = Vec::with_capacity(DASHBOARDS);
        while arrivals.len() < DASHBOARDS {
            let at = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("dashboards closed"))?;
            arrivals.push(at.duration_since(start));
        }
        // The first five are warm-up.
        if i >= 5 {
            latencies.extend(arrivals);
        }
    }
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
    println!("\n== Live updates: {DASHBOARDS} dashboards on one server, {MESSAGES} visitor messages");
    println!(
        "visitor message sent → event on every dashboard: p50 {:.1} ms / p99 {:.1} ms / max {:.1} ms ({} deliveries)",
        pct(0.50),
        pct(0.99),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        latencies.len()
    );
    Ok(())
}
