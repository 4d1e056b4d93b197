//! `make bench`: the public surface under load. Figures printed, never asserted.
//!
//! 1. **Chat load:** 1,000 visitors from distinct addresses (through a trusted proxy, as behind a
//!    load balancer), 100 at a time, each opening a session, giving contact details and asking 3
//!    questions of a small knowledge base with the local model: messages/s, latency p50/p95/p99,
//!    non-2xx responses by status, and whether every accepted message is stored exactly once.
//! 2. **Idle streams:** 10,000 widget SSE streams held open for 60 s against the server binary in a
//!    process of its own (on the same database): the server's memory per stream, and `/healthz`
//!    p99 meanwhile.
//! 3. **Login flood:** 2,000 concurrent wrong-password sign-ins from distinct addresses: peak
//!    memory and visitor-message p95 during the flood against idle.
//!
//! Apart from the idle streams, clients and server share one process and the machine's cores, so
//! those memory figures include the clients' side of each connection.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use server::configuration::Settings;
use server::embedded_postgres::EmbeddedPostgres;
use server::startup::Application;

const VISITORS: usize = 1_000;
const AT_ONCE: usize = 100;
const QUESTIONS: [&str; 3] = [
    "How long does delivery to Spain take?",
    "Which payment methods do you accept?",
    "Can I return a tent I used once?",
];
/// Streams held at once: the server binary runs in a process of its own, so the client ends
/// (here) and the server ends (there) each take 10,000 of the 20,000 file descriptors a
/// process may hold on the project's machine.
const STREAMS: usize = 10_000;
/// How long the streams are held.
const HOLD: Duration = Duration::from_secs(60);
const FLOOD: usize = 2_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> anyhow::Result<()> {
    support::with_postgres("load", |pg, dir| Box::pin(run(pg, dir)))
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    rss_of("self")
}

/// Resident memory of process `pid` ("self" for this one), in KiB.
fn rss_of(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn client_address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

async fn run(pg: &EmbeddedPostgres, data: &std::path::Path) -> anyhow::Result<()> {
    server::startup::ensure_database(&pg.url("postgres"), "bench_load").await?;
    let mut settings = Settings { addr: "127.0.0.1:0".parse()?, data_dir: data.join("data"), ..Settings::default() };
    settings.trusted_proxies = server::client_ip::TrustedProxies::parse("127.0.0.1").map_err(anyhow::Error::msg)?;
    let embedder = domain::embeddings::from_config(&domain::embeddings::EmbeddingConfig::Local {
        model: domain::embeddings::LocalModel::default(),
        model_dir: root().join(".tools/models").join(domain::embeddings::LocalModel::default().name()),
    })
    .await?;
    let app = Application::build_with_embedder(settings, &pg.url("bench_load"), embedder).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let services = app.services().clone();
    tokio::spawn(async move { app.run_until_stopped(std::future::pending()).await });

    let (owner, actor) = support::owner(&services, "bench@example.com", "Bench Outfitters").await?;
    for (title, content) in support::DOCUMENTS {
        let input = domain::knowledge::DocumentInput { title: title.into(), content: content.into(), source_url: None };
        services.create_document(&actor, owner.organization.id, input).await?;
    }
    while services.ingest_pending().await? > 0 {}
    services.intent_index().await?;
    let key = owner.organization.widget_key.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(AT_ONCE).build()?;

    // `--only idle` (or `chat`, `flood`) runs one of the three.
    let args: Vec<String> = std::env::args().collect();
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map(String::as_str);
    let runs = |name: &str| only.is_none_or(|o| o == name);
    if runs("chat") {
        chat_load(&client, &base, &key, &services).await?;
    }
    if runs("idle") {
        let (mut separate, separate_base) = support::start_binary(&pg.url("bench_load"), &data.join("separate"))?;
        let streams = idle_streams(&separate_base, &key, separate.id()).await;
        let _ = separate.kill();
        let _ = separate.wait();
        streams?;
    }
    if runs("flood") {
        login_flood(&client, &base, &key).await?;
    }
    Ok(())
}

/// One visitor's whole visit; returns each request's (status, latency) and the messages accepted.
async fn visit(client: &reqwest::Client, base: &str, key: &str, i: usize) -> (Vec<(u16, Duration)>, usize) {
    let ip = client_address(i);
    let mut out = Vec::new();
    let timed = |req: reqwest::RequestBuilder| async move {
        let start = Instant::now();
        let resp = req.send().await;
        let status = resp.as_ref().map_or(0, |r| r.status().as_u16());
        let body = match resp {
            Ok(r) => r.json::<serde_json::Value>().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        };
        (status, start.elapsed(), body)
    };
    let (status, took, session) = timed(
        client
            .post(format!("{base}/api/v1/widget/session"))
            .header("X-Forwarded-For", &ip)
            .json(&serde_json::json!({"widget_key": key})),
    )
    .await;
    out.push((status, took));
    let Some(token) = session["visitor_token"].as_str().map(str::to_owned) else { return (out, 0) };
    let (status, took, _) = timed(
        client
            .post(format!("{base}/api/v1/widget/contact"))
            .header("X-Forwarded-For", &ip)
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": format!("Visitor {i}"), "email": format!("visitor{i}@example.com")})),
    )
    .await;
    out.push((status, took));
    let mut accepted = 0;
    for question in QUESTIONS {
        let (status, took, _) = timed(
            client
                .post(format!("{base}/api/v1/widget/messages"))
                .header("X-Forwarded-For", &ip)
                .bearer_auth(&token)
                .json(&serde_json::json!({"text": question, "client_id": uuid::Uuid::new_v4()})),
        )
        .await;
        out.push((status, took));
        if (200..300).contains(&status) {
            accepted += 1;
        }
    }
    (out, accepted)
}

async fn chat_load(client: &reqwest::Client, base: &str, key: &str, services: &domain::Services) -> anyhow::Result<()> {
    let start = Instant::now();
    let results: Vec<(Vec<(u16, Duration)>, usize)> = futures_util::stream::iter(0..VISITORS)
        .map(|i| visit(client, base, key, i))
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let elapsed = start.elapsed();
    let mut latencies: Vec<Duration> = results.iter().flat_map(|(r, _)| r.iter().map(|(_, d)| *d)).collect();
    latencies.sort();
    let mut failures: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, _) in results.iter().flat_map(|(r, _)| r.iter()) {
        if !(200..300).contains(status) {
            *failures.entry(*status).or_default() += 1;
        }
    }
    let accepted: usize = results.iter().map(|(_, n)| n).sum();
    #[derive(sea_orm::FromQueryResult)]
    struct Count {
        n: i64,
    }
    use sea_orm::FromQueryResult as _;
    let stored = Count::find_by_statement(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        "SELECT count(*) AS n FROM messages WHERE role = 'visitor'",
    ))
    .one(&services.db)
    .await?
    .map_or(0, |c| c.n);
    println!("\n== Chat load: {VISITORS} visitors from distinct addresses, {AT_ONCE} at a time");
    println!(
        "requests {} in {:.1} s; visitor messages {:.0}/s; latency p50 {:.0} ms / p95 {:.0} ms / p99 {:.0} ms",
        latencies.len(),
        elapsed.as_secs_f64(),
        accepted as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99)
    );
    println!("non-2xx by status: {failures:?} (0 = connection error)");
    println!(
        "accepted visitor messages {accepted}, stored {stored}: {}",
        if stored as usize == accepted { "each exactly once" } else { "MISMATCH" }
    );
    Ok(())
}

/// The server binary on the same database, in a process of its own; returns it and its URL.
async fn idle_streams(base: &str, key: &str, server_pid: u32) -> anyhow::Result<()> {
    // Sessions first (from distinct addresses), then the streams.
    let client = reqwest::Client::new();
    let tokens: Vec<String> = futures_util::stream::iter(0..STREAMS)
        .map(|i| {
            let client = client.clone();
            async move {
                let resp = client
                    .post(format!("{base}/api/v1/widget/session"))
                    .header("X-Forwarded-For", client_address(100_000 + i))
                    .json(&serde_json::json!({"widget_key": key}))
                    .send()
                    .await
                    .ok()?;
                let body: serde_json::Value = resp.json().await.ok()?;
                body["visitor_token"].as_str().map(str::to_owned)
            }
        })
        .buffer_unordered(AT_ONCE)
        .filter_map(|t| async move { t })
        .collect()
        .await;
    let server = server_pid.to_string();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_of(&server);
    // One connection per stream (a streaming response keeps its connection), from the
    // visitor's own address.
    let mut held = Vec::with_capacity(tokens.len());
    for (n, chunk) in tokens.chunks(200).enumerate() {
        let opened = futures_util::future::join_all(chunk.iter().enumerate().map(|(i, token)| {
            let client = client.clone();
            async move {
                let from = client_address(100_000 + n * 200 + i);
                let ticket: serde_json::Value = client
                    .post(format!("{base}/api/v1/widget/stream-ticket"))
                    .bearer_auth(token)
                    .header("X-Forwarded-For", from.clone())
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                let resp = client
                    .get(format!("{base}/api/v1/widget/stream?ticket={}", ticket["ticket"].as_str()?))
                    .header("X-Forwarded-For", from)
                    .send()
                    .await
                    .ok()?;
                resp.status().is_success().then_some(resp)
            }
        }))
        .await;
        held.extend(opened.into_iter().flatten());
    }
    // Held for a minute (four keep-alive comments each), /healthz asked ten times a second
    // meanwhile; memory is read at the end.
    let health = reqwest::Client::new();
    let mut probes = Vec::new();
    let held_since = Instant::now();
    while held_since.elapsed() < HOLD {
        let start = Instant::now();
        health.get(format!("{base}/healthz")).send().await?.error_for_status()?;
        probes.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = rss_of(&server);
    probes.sort();
    println!(
        "\n== Idle streams: {} widget streams held open for {} s (of {STREAMS} asked)",
        held.len(),
        HOLD.as_secs()
    );
    println!(
        "server memory {:.1} KiB per stream (server process RSS {} → {} MiB); /healthz p50 {:.1} ms / p99 {:.1} ms",
        after.saturating_sub(before) as f64 / held.len().max(1) as f64,
        before / 1024,
        after / 1024,
        percentile(&probes, 0.50),
        percentile(&probes, 0.99)
    );
    drop(held);
    Ok(())
}

async fn login_flood(client: &reqwest::Client, base: &str, key: &str) -> anyhow::Result<()> {
    // A visitor asking questions, idle and during the flood.
    let probe = |label: &'static str| {
        let client = client.clone();
        let (base, key) = (base.to_owned(), key.to_owned());
        async move {
            let mut times = Vec::new();
            for i in 0..20 {
                let (results, _) =
                    visit(&client, &base, &key, 200_000 + i + if label == "flood" { 1000 } else { 0 }).await;
                times.extend(results.iter().skip(2).map(|(_, d)| *d));
            }
            times.sort();
            times
        }
    };
    let idle = probe("idle").await;
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(rss_kib()));
    let watcher = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let before = rss_kib();
    let flood = {
        let client = client.clone();
        let base = base.to_owned();
        tokio::spawn(async move {
            futures_util::stream::iter(0..FLOOD)
                .map(|i| {
                    let client = client.clone();
                    let base = base.clone();
                    async move {
                        client
                            .post(format!("{base}/api/v1/auth/login"))
                            .header("X-Forwarded-For", client_address(300_000 + i))
                            .json(&serde_json::json!({"email": format!("user{i}@example.com"), "password": "wrong guess"}))
                            .send()
                            .await
                            .map(|r| r.status().as_u16())
                            .unwrap_or(0)
                    }
                })
                .buffer_unordered(FLOOD)
                .collect::<Vec<u16>>()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = probe("flood").await;
    let statuses = flood.await?;
    watcher.abort();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for s in statuses {
        *by_status.entry(s).or_default() += 1;
    }
    println!("\n== Login flood: {FLOOD} concurrent wrong-password sign-ins from distinct addresses");
    println!(
        "peak RSS {} MiB (from {} MiB); visitor message p95 idle {:.0} ms, during the flood {:.0} ms; responses {by_status:?}",
        peak.load(std::sync::atomic::Ordering::Relaxed) / 1024,
        before / 1024,
        percentile(&idle, 0.95),
        percentile(&during, 0.95)
    );
    Ok(())
}
