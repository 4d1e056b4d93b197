//! The `openai` embedding provider against an HTTP server inside the test that speaks the
//! OpenAI embeddings protocol, and re-embedding when the provider changes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb};

const DIMS: usize = 64;

/// What the fake server saw.
#[derive(Default)]
struct Seen {
    auth: Vec<String>,
    models: Vec<String>,
    inputs: usize,
}

/// A deterministic bag-of-words embedding: each word lands in one of 64 buckets.
fn embed(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIMS];
    for word in text.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
        let bucket = word.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) as usize % DIMS;
        v[bucket] += 1.0;
    }
    v[DIMS - 1] += 0.01; // never the zero vector
    v
}

async fn embeddings(State(seen): State<Arc<Mutex<Seen>>>, headers: HeaderMap, Json(req): Json<Value>) -> Json<Value> {
    let inputs: Vec<String> = req["input"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    {
        let mut seen = seen.lock().expect("lock");
        seen.auth.push(headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned());
        seen.models.push(req["model"].as_str().unwrap_or_default().to_owned());
        seen.inputs += inputs.len();
    }
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "embedding": embed(t), "index": i}))
        .collect();
    Json(
        json!({"object": "list", "data": data, "model": req["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}}),
    )
}

/// Starts the fake server; returns its `/v1` base URL and what it records.
async fn fake_openai() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = axum::Router::new().route("/v1/embeddings", post(embeddings)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (url, seen)
}

fn openai_settings(base_url: &str) -> server::configuration::Settings {
    let mut settings = TestApp::settings();
    settings.openai_base_url = Some(base_url.to_owned());
    settings.openai_api_key = Some("test-key".to_owned().into());
    settings.embedding_model = Some("fake-embed".to_owned());
    settings
}

async fn chunk_models(app: &TestApp) -> Vec<String> {
    let rows = app
        .services
        .db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, "SELECT DISTINCT model FROM chunks ORDER BY model"))
        .await
        .expect("query");
    rows.into_iter().map(|r| r.try_get::<String>("", "model").expect("model")).collect()
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_openai_provider_embeds_documents_and_questions_through_the_server() {
    let (url, seen) = fake_openai().await;
    let app = TestApp::spawn_with_settings(Arc::new(TestDb::create().await), openai_settings(&url)).await;
    assert_eq!(app.services.embedder.dimensions(), DIMS, "dimension learned from the server");
    let owner = app.signup("kb@example.com").await;
    let (status, doc) = app
        .post(
            &format!("/api/v1/orgs/{}/documents", owner.org_id),
            Some(&owner.token),
            json!({"title": "Parking", "content": "Visitors park in garage B next to the reception."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = doc["id"].as_str().expect("id").to_owned();
    wait_for("the document to be ready", async || {
        let (_, d) = app.get(&format!("/api/v1/orgs/{}/documents/{id}", owner.org_id), Some(&owner.token)).await;
        d["status"] == "ready"
    })
    .await;

    let (status, hits) = app
        .post(
            &format!("/api/v1/orgs/{}/search", owner.org_id),
            Some(&owner.token),
            json!({"query": "where do visitors park?"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    assert_eq!(hits[0]["document_id"], id.as_str());
    assert_eq!(chunk_models(&app).await, vec!["openai:fake-embed".to_owned()]);

    let seen = seen.lock().expect("lock");
    assert!(seen.auth.iter().all(|a| a == "Bearer test-key"), "{:?}", seen.auth);
    assert!(seen.models.iter().all(|m| m == "fake-embed"));
    assert!(seen.inputs >= 3, "probe + passage + question");
}

#[tokio::test]
async fn switching_the_embedding_provider_re_embeds_the_knowledge_base() {
    let (url, _seen) = fake_openai().await;
    let mut local = TestApp::spawn().await;
    let owner = local.signup("kb@example.com").await;
    let (_, doc) = local
        .post(
            &format!("/api/v1/orgs/{}/documents", owner.org_id),
            Some(&owner.token),
            json!({"title": "Parking", "content": "Visitors park in garage B next to the reception."}),
        )
        .await;
    let id = doc["id"].as_str().expect("id").to_owned();
    wait_for("local embedding", async || chunk_models(&local).await == vec!["local:all-MiniLM-L6-v2".to_owned()]).await;
    local.kill();

    let remote = TestApp::spawn_with_settings(local.db.clone(), openai_settings(&url)).await;
    wait_for("re-embedding with the new provider", async || {
        let (_, d) = remote.get(&format!("/api/v1/orgs/{}/documents/{id}", owner.org_id), Some(&owner.token)).await;
        d["status"] == "ready" && chunk_models(&remote).await == vec!["openai:fake-embed".to_owned()]
    })
    .await;
    let (_, hits) = remote
        .post(&format!("/api/v1/orgs/{}/search", owner.org_id), Some(&owner.token), json!({"query": "visitors park"}))
        .await;
    assert_eq!(hits[0]["document_id"], id.as_str());
}
