//! The knowledge base through the REST API: ingestion, retrieval quality, isolation, providers,
//! restarts and bad input, on real Postgres + pgvector with the real local model.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::embeddings::{Embedder, EmbeddingError, SharedEmbedder};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::corpus::{DOCUMENTS, QUESTIONS};
use crate::helpers::{Account, TestApp, local_embedder};

/// Creates a document and returns its id.
async fn create(app: &TestApp, who: &Account, title: &str, content: &str) -> String {
    let (status, body) = app
        .post(
            &format!("/api/v1/orgs/{}/documents", who.org_id),
            Some(&who.token),
            json!({"title": title, "content": content}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "processing");
    body["id"].as_str().expect("id").to_owned()
}

/// Polls until the document is `ready`.
async fn ready(app: &TestApp, who: &Account, id: &str) -> Value {
    crate::helpers::document_ready(app, who, id).await
}

async fn search(app: &TestApp, who: &Account, query: &str) -> Vec<Value> {
    let (status, hits) = app
        .post(&format!("/api/v1/orgs/{}/search", who.org_id), Some(&who.token), json!({"query": query, "limit": 5}))
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    hits.as_array().expect("array").clone()
}

async fn ingest_corpus(app: &TestApp, who: &Account) {
    let mut ids = Vec::new();
    for (title, content) in DOCUMENTS {
        ids.push(create(app, who, title, content).await);
    }
    for id in ids {
        ready(app, who, &id).await;
    }
}

#[tokio::test]
async fn questions_worded_differently_find_the_right_document_in_the_top_three() {
    let app = TestApp::spawn().await;
    let owner = app.signup("kb@example.com").await;
    ingest_corpus(&app, &owner).await;

    let mut misses = Vec::new();
    for (question, expected) in QUESTIONS {
        let hits = search(&app, &owner, question).await;
        let mut top3: Vec<&str> = Vec::new();
        for title in hits.iter().filter_map(|h| h["title"].as_str()) {
            if !top3.contains(&title) && top3.len() < 3 {
                top3.push(title);
            }
        }
        if !top3.contains(expected) {
            misses.push(format!("{question:?} → {top3:?} (wanted {expected:?})"));
        }
        for hit in &hits {
            let score = hit["score"].as_f64().expect("score");
            assert!((0.0..=1.0).contains(&score), "calibrated score in [0, 1]: {hit}");
        }
    }
    assert!(misses.is_empty(), "{} of {} questions missed:\n{}", misses.len(), QUESTIONS.len(), misses.join("\n"));
}

#[tokio::test]
async fn relevant_passages_score_higher_than_unrelated_questions() {
    let app = TestApp::spawn().await;
    let owner = app.signup("kb@example.com").await;
    ingest_corpus(&app, &owner).await;
    let relevant = search(&app, &owner, "How long does standard delivery take?").await;
    let unrelated = search(&app, &owner, "What is the boiling point of mercury on Venus?").await;
    let best = |hits: &[Value]| hits.first().and_then(|h| h["score"].as_f64()).unwrap_or(0.0);
    assert!(best(&relevant) > best(&unrelated) + 0.2, "relevant {} vs unrelated {}", best(&relevant), best(&unrelated));
}

#[tokio::test]
async fn documents_show_chunks_and_keep_their_headings() {
    let app = TestApp::spawn().await;
    let owner = app.signup("kb@example.com").await;
    let (title, content) = DOCUMENTS[0];
    let id = create(&app, &owner, title, content).await;
    let doc = ready(&app, &owner, &id).await;
    assert!(doc["chunk_count"].as_i64().is_some_and(|n| n >= 3), "{doc}");
    assert_eq!(doc["chunks_done"], doc["chunk_count"]);
    let hits = search(&app, &owner, "express next day delivery price").await;
    assert_eq!(hits[0]["heading"], "Shipping and delivery › Delivery times", "{:?}", hits[0]);
    let cap = domain::knowledge::retrieval::PER_DOCUMENT as usize;
    assert!(hits.len() <= cap, "at most {cap} passages per document: {hits:?}");
    let (_, list) = app.get(&format!("/api/v1/orgs/{}/documents", owner.org_id), Some(&owner.token)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(list[0].get("content").is_none(), "lists leave the content out");
}

#[tokio::test]
async fn editing_re_embeds_and_deleting_removes_passages() {
    let app = TestApp::spawn().await;
    let owner = app.signup("kb@example.com").await;
    let id = create(&app, &owner, "Pets", "Our office welcomes dogs on Fridays.").await;
    ready(&app, &owner, &id).await;
    assert_eq!(
        search(&app, &owner, "Can I bring my dog to the office?").await[0]["text"],
        "Our office welcomes dogs on Fridays."
    );

    let path = format!("/api/v1/orgs/{}/documents/{id}", owner.org_id);
    let (status, doc) = app
        .call(
            Method::PUT,
            &path,
            Some(&owner.token),
            Some(json!({"title": "Pets", "content": "Cats are allowed in the office on Mondays."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["status"], "processing");
    ready(&app, &owner, &id).await;
    let hits = search(&app, &owner, "pets in the office").await;
    assert_eq!(hits.len(), 1, "old passages are gone: {hits:?}");
    assert_eq!(hits[0]["text"], "Cats are allowed in the office on Mondays.");

    let (status, _) = app.call(Method::DELETE, &path, Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(search(&app, &owner, "pets in the office").await.is_empty());
    let (status, _) = app.get(&path, Some(&owner.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_organisation_never_retrieves_or_touches_another_organisations_documents() {
    let app = TestApp::spawn().await;
    let a = app.signup("a@a.example").await;
    let b = app.signup("b@b.example").await;
    let secret = create(&app, &a, "Secret pricing", "Our wholesale price for the Hub is 41 euros.").await;
    ready(&app, &a, &secret).await;
    let public = create(&app, &b, "Opening hours", "We are open every day from nine to five.").await;
    ready(&app, &b, &public).await;

    for q in ["wholesale price of the Hub", "What is the secret pricing?", "41 euros"] {
        let hits = search(&app, &b, q).await;
        assert!(hits.iter().all(|h| h["document_id"] != secret.as_str()), "{q}: {hits:?}");
    }
    let path = format!("/api/v1/orgs/{}/documents/{secret}", b.org_id);
    for (method, body) in
        [(Method::GET, None), (Method::PUT, Some(json!({"title": "x", "content": "y"}))), (Method::DELETE, None)]
    {
        let (status, _) = app.call(method, &path, Some(&b.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another org's id inside my org");
    }
    for (method, suffix, body) in [
        (Method::GET, "documents".to_owned(), None),
        (Method::POST, "documents".to_owned(), Some(json!({"title": "x", "content": "y"}))),
        (Method::GET, format!("documents/{secret}"), None),
        (Method::POST, "search".to_owned(), Some(json!({"query": "price"}))),
    ] {
        let (status, _) = app.call(method, &format!("/api/v1/orgs/{}/{suffix}", a.org_id), Some(&b.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{suffix} of another org");
    }
    let doc = ready(&app, &a, &secret).await;
    assert_eq!(doc["title"], "Secret pricing", "untouched");
}

#[tokio::test]
async fn agents_cannot_manage_or_search_the_knowledge_base() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let admin = app.add_member(&owner, &owner.org_id, "admin@example.com", "admin").await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let id = create(&app, &admin, "Admins may write", "Admins can manage documents.").await;
    let org = &owner.org_id;
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/orgs/{org}/documents"), None),
        (Method::POST, format!("/api/v1/orgs/{org}/documents"), Some(json!({"title": "x", "content": "y"}))),
        (Method::GET, format!("/api/v1/orgs/{org}/documents/{id}"), None),
        (Method::DELETE, format!("/api/v1/orgs/{org}/documents/{id}"), None),
        (Method::POST, format!("/api/v1/orgs/{org}/search"), Some(json!({"query": "x"}))),
    ] {
        let (status, _) = app.call(method.clone(), &path, Some(&agent.token), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn bad_documents_get_clear_errors_and_store_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signup("kb@example.com").await;
    let docs = format!("/api/v1/orgs/{}/documents", owner.org_id);

    let (status, body) = app.post(&docs, Some(&owner.token), json!({"title": "Empty", "content": "   "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "content");
    let (status, body) = app.post(&docs, Some(&owner.token), json!({"title": "", "content": "text"})).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("title")));
    let five_mb = "word ".repeat(1024 * 1024);
    let (status, body) = app.post(&docs, Some(&owner.token), json!({"title": "Huge", "content": five_mb})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().is_some_and(|m| m.contains("MB")), "{body}");

    let upload = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        app.client
            .post(format!("{docs}/upload").replace("/api", &format!("{}/api", app.address)))
            .bearer_auth(&owner.token)
            .multipart(form)
            .send()
    };
    for (name, bytes, expected) in [
        ("photo.png", vec![0x89, 0x50, 0x4e, 0x47], StatusCode::UNPROCESSABLE_ENTITY),
        ("binary.txt", vec![0x41, 0x00, 0x42, 0x00], StatusCode::UNPROCESSABLE_ENTITY),
        ("latin1.md", vec![0x63, 0x61, 0x66, 0xe9, 0x0a], StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let resp = upload(name, bytes).await.expect("upload");
        assert_eq!(resp.status(), expected, "{name}");
        let body: Value = resp.json().await.expect("json");
        assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {body}");
    }
    let (_, list) = app.get(&docs, Some(&owner.token)).await;
    assert_eq!(list, json!([]), "nothing was stored");

    let resp = upload("faq.html", b"<h1>FAQ</h1><p>We answer within a day.</p><script>x()</script>".to_vec())
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["title"], "FAQ", "titled after its first heading");
    let doc = ready(&app, &owner, body["id"].as_str().expect("id")).await;
    assert_eq!(doc["content"], "# FAQ\n\nWe answer within a day.");
}

/// Wraps the real model but takes its time, so ingestion can be interrupted half-way.
#[derive(Debug)]
struct SlowEmbedder(SharedEmbedder);

#[async_trait::async_trait]
impl Embedder for SlowEmbedder {
    fn model_id(&self) -> &str {
        self.0.model_id()
    }
    fn dimensions(&self) -> usize {
        self.0.dimensions()
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        tokio::time::sleep(Duration::from_millis(400)).await;
        self.0.embed(texts).await
    }
}

#[tokio::test]
async fn a_restart_during_ingestion_finishes_the_document() {
    let slow: SharedEmbedder = Arc::new(SlowEmbedder(local_embedder().await));
    let mut first = TestApp::spawn_on(Arc::new(crate::helpers::TestDb::create().await), slow).await;
    let owner = first.signup("kb@example.com").await;
    // About 40 passages: three embedding batches, each slowed down to 400 ms.
    let long: String = (1..=500).map(|i| format!("Fact number {i} is about topic {i}. ")).collect();
    let id = create(&first, &owner, "Many facts", &long).await;

    // Wait until part of it is embedded (progress is visible), then kill the server.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, doc) = first.get(&format!("/api/v1/orgs/{}/documents/{id}", owner.org_id), Some(&owner.token)).await;
        if doc["chunks_done"].as_i64().unwrap_or(0) > 0 {
            assert_eq!(doc["status"], "processing");
            assert!(doc["chunks_done"].as_i64() < doc["chunk_count"].as_i64(), "{doc}");
            break;
        }
        assert!(Instant::now() < deadline, "ingestion never started: {doc}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill();

    let second = TestApp::spawn_on(first.db.clone(), local_embedder().await).await;
    let doc = ready(&second, &owner, &id).await;
    assert_eq!(doc["chunks_done"], doc["chunk_count"]);
    let hits = search(&second, &owner, "Tell me fact number 77").await;
    assert!(hits.iter().take(3).any(|h| h["text"].as_str().is_some_and(|t| t.contains("Fact number 77 "))), "{hits:?}");
}

#[tokio::test]
async fn error_codes_and_model_numbers_find_the_passage_that_names_them() {
    let app = TestApp::spawn().await;
    let owner = app.signup("kb@example.com").await;
    ingest_corpus(&app, &owner).await;
    let id =
        create(&app, &owner, "Status lights", "A red light with code E1047 means the hub lost its network connection.")
            .await;
    ready(&app, &owner, &id).await;
    let hits = search(&app, &owner, "what is E1047").await;
    assert_eq!(hits[0]["document_id"], id.as_str(), "{hits:?}");
}

#[tokio::test]
async fn documents_list_in_pages_with_a_next_link_and_every_document_once() {
    let app = TestApp::spawn().await;
    let owner = app.signup("pages@docs.example").await;
    let mut made = Vec::new();
    for i in 0..3 {
        made.push(create(&app, &owner, &format!("Doc {i}"), &format!("Body number {i}.")).await);
    }
    let mut path = Some(format!("/api/v1/orgs/{}/documents?limit=2", owner.org_id));
    let mut seen = Vec::new();
    while let Some(p) = path.take() {
        let resp =
            app.client.get(format!("{}{p}", app.address)).bearer_auth(&owner.token).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::OK);
        path = resp
            .headers()
            .get("link")
            .map(|l| l.to_str().expect("ascii").trim_start_matches('<').split('>').next().expect("url").to_owned());
        let body: Value = resp.json().await.expect("json");
        assert!(body.as_array().expect("array").len() <= 2);
        seen.extend(body.as_array().expect("array").iter().map(|d| d["id"].as_str().expect("id").to_owned()));
        assert!(seen.len() <= 3, "no page repeats: {seen:?}");
    }
    made.reverse();
    assert_eq!(seen, made, "newest first, each once");
}
