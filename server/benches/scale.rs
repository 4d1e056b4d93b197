//! `make bench` (scale-out): visitor turns per second with one, two and three server instances
//! (separate `iterochat` processes with `DATABASE_URL`) on one Postgres, as behind a load
//! balancer: each visitor opens their session on one instance and asks on the next. Figures
//! printed, never asserted, with the CPU seconds the instances and Postgres used, which says
//! where the bottleneck is. On a machine with few cores every instance and Postgres share them:
//! more instances then add no capacity, and the figure shows it.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use server::embedded_postgres::EmbeddedPostgres;

const VISITORS: usize = 240;
const AT_ONCE: usize = 48;
const QUESTIONS: [&str; 2] = ["How long does delivery to Spain take?", "Which payment methods do you accept?"];

fn main() -> anyhow::Result<()> {
    support::with_postgres("scale", |pg, dir| Box::pin(run(pg, dir)))
}

async fn run(pg: &EmbeddedPostgres, data: &Path) -> anyhow::Result<()> {
    server::startup::ensure_database(&pg.url("postgres"), "bench_scale").await?;
    let url = pg.url("bench_scale");
    let client = reqwest::Client::builder().pool_max_idle_per_host(AT_ONCE).build()?;

    // The knowledge base, through the first instance's API.
    let (mut seeder, base) = support::start_binary(&url, &data.join("seed"))?;
    let key = seed(&client, &base).await?;
    let _ = seeder.kill();
    let _ = seeder.wait();

    println!("scale-out: {VISITORS} visitors, {AT_ONCE} at a time, {} questions each", QUESTIONS.len());
    println!("instances  turns/s  p50 ms  p95 ms  failed  CPU s: instances / postgres");
    for n in 1..=3 {
        let mut children = Vec::new();
        let mut bases = Vec::new();
        for i in 0..n {
            let (child, base) = support::start_binary(&url, &data.join(format!("instance-{n}-{i}")))?;
            children.push(child);
            bases.push(base);
        }
        // Every instance answers once before the clock starts (model and examples warm).
        for base in &bases {
            visit(&client, base, base, &key, 0).await;
        }
        let cpu = |children: &[std::process::Child]| {
            (children.iter().map(|c| cpu_seconds(c.id(), false)).sum::<f64>(), postgres_cpu_seconds(pg))
        };
        let before = cpu(&children);
        let start = Instant::now();
        let results: Vec<Vec<(bool, Duration)>> = futures_util::stream::iter(1..=VISITORS)
            .map(|i| visit(&client, &bases[i % n], &bases[(i + 1) % n], &key, i))
            .buffer_unordered(AT_ONCE)
            .collect()
            .await;
        let elapsed = start.elapsed();
        let after = cpu(&children);
        let mut times: Vec<Duration> = results.iter().flatten().filter(|(ok, _)| *ok).map(|(_, d)| *d).collect();
        times.sort();
        let failed = results.iter().flatten().filter(|(ok, _)| !ok).count();
        println!(
            "{n:>9}  {:>7.1}  {:>6.0}  {:>6.0}  {failed:>6}  {:.1} / {:.1}",
            times.len() as f64 / elapsed.as_secs_f64(),
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            after.0 - before.0,
            after.1 - before.1,
        );
        for mut child in children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    println!(
        "(cores here: {}; every instance and Postgres share them)",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    Ok(())
}

/// Signs up an owner, adds three documents, waits until they are searchable; the widget key.
async fn seed(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let signup: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&serde_json::json!({"email": "scale@example.com", "password": "correct horse battery",
            "name": "Bench Owner", "organization_name": "Scale Outfitters"}))
        .send()
        .await?
        .json()
        .await?;
    let token = signup["token"].as_str().ok_or_else(|| anyhow::anyhow!("signup: {signup}"))?;
    let org = signup["organization"]["id"].as_str().ok_or_else(|| anyhow::anyhow!("signup: {signup}"))?;
    let mut ids = Vec::new();
    for (title, content) in support::DOCUMENTS {
        let doc: serde_json::Value = client
            .post(format!("{base}/api/v1/orgs/{org}/documents"))
            .bearer_auth(token)
            .json(&serde_json::json!({"title": title, "content": content}))
            .send()
            .await?
            .json()
            .await?;
        ids.push(doc["id"].as_str().unwrap_or_default().to_owned());
    }
    for id in ids {
        loop {
            let doc: serde_json::Value = client
                .get(format!("{base}/api/v1/orgs/{org}/documents/{id}"))
                .bearer_auth(token)
                .send()
                .await?
                .json()
                .await?;
            if doc["status"] == "ready" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(signup["organization"]["widget_key"].as_str().unwrap_or_default().to_owned())
}

/// One visitor: a session on `first`, the questions on `second`; each turn's success and time.
async fn visit(client: &reqwest::Client, first: &str, second: &str, key: &str, i: usize) -> Vec<(bool, Duration)> {
    let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    let session = client
        .post(format!("{first}/api/v1/widget/session"))
        .header("X-Forwarded-For", &ip)
        .json(&serde_json::json!({"widget_key": key}))
        .send()
        .await;
    let token = match session {
        Ok(r) => r.json::<serde_json::Value>().await.ok().and_then(|v| v["visitor_token"].as_str().map(str::to_owned)),
        Err(_) => None,
    };
    let Some(token) = token else { return vec![(false, Duration::ZERO)] };
    let mut out = Vec::new();
    for question in QUESTIONS {
        let start = Instant::now();
        let ok = client
            .post(format!("{second}/api/v1/widget/messages"))
            .header("X-Forwarded-For", &ip)
            .bearer_auth(&token)
            .json(&serde_json::json!({"text": question}))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        out.push((ok, start.elapsed()));
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// CPU seconds (user + system) process `pid` used; with `children`, also its reaped children's.
fn cpu_seconds(pid: u32, children: bool) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which may hold spaces): state is field 3; utime 14, stime 15,
    // cutime 16, cstime 17.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let ticks = field(14) + field(15) + if children { field(16) + field(17) } else { 0.0 };
    ticks / 100.0
}

/// The Postgres cluster's CPU seconds: the postmaster with its reaped children, and every live
/// backend.
fn postgres_cpu_seconds(pg: &EmbeddedPostgres) -> f64 {
    let Some(postmaster) = pg.pid() else { return 0.0 };
    let backends: f64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| parent_of(*pid) == Some(postmaster))
        .map(|pid| cpu_seconds(pid, false))
        .sum();
    cpu_seconds(postmaster, true) + backends
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}
