use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_answers_ok_once_migrations_ran() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn unknown_api_routes_are_json_404s() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/does-not-exist", None).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().is_some_and(|m| m.contains("not found")), "{body}");
}

#[tokio::test]
async fn the_pgvector_extension_is_installed_by_the_first_migration() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let row = app
        .services
        .db
        .query_one_raw(Statement::from_string(
            app.services.db.get_database_backend(),
            "SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector AS d",
        ))
        .await
        .expect("vector query")
        .expect("a row");
    let distance: f64 = row.try_get("", "d").expect("distance");
    assert!(distance > 0.0 && distance < 0.1, "cosine distance {distance}");
}

/// Three instances started together on a fresh database: one migrates under the advisory lock,
/// the others wait and then serve; none fails, and the schema is current.
#[tokio::test]
async fn instances_started_together_on_a_fresh_database_all_start_and_migrate_once() {
    use migrations::MigratorTrait as _;
    let db = crate::helpers::TestDb::create_empty().await;
    let embedder = crate::helpers::local_embedder().await;
    let start = || server::startup::Application::build_with_embedder(TestApp::settings(), &db.url, embedder.clone());
    let (a, b, c) = tokio::join!(start(), start(), start());
    for (which, app) in [("first", a), ("second", b), ("third", c)] {
        if let Err(e) = app {
            panic!("the {which} instance failed to start: {e:#}");
        }
    }
    let conn = server::startup::connect(&db.url).await.expect("connect");
    let pending = migrations::Migrator::get_pending_migrations(&conn).await.expect("migrations table");
    assert!(pending.is_empty(), "{} pending", pending.len());
    let applied = migrations::Migrator::get_applied_migrations(&conn).await.expect("applied");
    assert_eq!(applied.len(), migrations::Migrator::migrations().len(), "each migration applied exactly once");
}

/// Readiness is not liveness: `/readyz` answers 503 with the reason while migrations are behind
/// and from the moment shutdown begins; `/healthz` stays 200.
#[tokio::test]
async fn readyz_is_ready_and_refuses_while_behind_on_migrations_or_draining() {
    use migrations::MigratorTrait as _;
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, serde_json::json!({"status": "ready"}));

    migrations::Migrator::down(&app.services.db, Some(1)).await.expect("roll the newest migration back");
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (503, Some("migrations pending")), "{body}");
    assert_eq!(app.get("/healthz", None).await.0, 200, "alive all the same");
    migrations::Migrator::up(&app.services.db, None).await.expect("migrate again");
    assert_eq!(app.get("/readyz", None).await.0, 200);

    app.draining.store(true, std::sync::atomic::Ordering::Release);
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (503, Some("shutting down")), "{body}");
    assert_eq!(app.get("/healthz", None).await.0, 200);
}

#[tokio::test]
async fn the_favicon_is_served_so_no_page_asks_for_a_missing_file() {
    let app = TestApp::spawn().await;
    for path in ["/favicon.ico", "/favicon.svg"] {
        let response = app.client.get(format!("{}{path}", app.address)).send().await.expect("favicon");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], "image/svg+xml", "{path}");
        assert!(response.text().await.expect("body").starts_with("<svg"), "{path}");
    }
}

/// Shutdown begins: `/readyz` answers 503 at once and every open widget stream gets a last
/// `reconnect` event and ends, so visitors move to an instance that stays.
#[tokio::test]
async fn on_shutdown_widget_streams_are_told_to_reconnect_and_readiness_drops() {
    use futures_util::StreamExt as _;
    let (app, _, stop) = TestApp::spawn_stoppable(TestApp::settings()).await;
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let (_, session) =
        app.post("/api/v1/widget/session", None, serde_json::json!({"widget_key": org["widget_key"]})).await;
    let token = session["visitor_token"].as_str().expect("token");
    let stream = app.client.get(app.stream_url(token).await).send().await.expect("stream");
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();

    stop.send(()).expect("stop");
    let mut received = String::new();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(chunk) = body.next().await {
            received.push_str(&String::from_utf8_lossy(&chunk.expect("bytes")));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ends with the drain, not with the last connection: {received}");
    assert!(received.trim_end().ends_with("event: reconnect\ndata: {}"), "{received:?}");
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (503, Some("shutting down")), "{body}");
}

/// `ITEROCHAT_METRICS_ADDR` opens a second listener with `GET /metrics` in the Prometheus text
/// format: requests by route template (never by raw path), visitor turns by outcome,
/// escalations by reason, rate-limit refusals, the outbox backlog and open streams. The public
/// listener does not serve it.
#[tokio::test]
async fn metrics_are_served_on_their_own_listener_by_route_template() {
    let mut settings = TestApp::settings();
    settings.metrics_addr = Some("127.0.0.1:0".parse().expect("addr"));
    settings.rate_limits.per_visitor = 3;
    let (app, port, _stop) = TestApp::spawn_stoppable(settings).await;
    let port = port.expect("the metrics listener is on");
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let (_, session) =
        app.post("/api/v1/widget/session", None, serde_json::json!({"widget_key": org["widget_key"]})).await;
    let token = session["visitor_token"].as_str().expect("token");
    let (status, turn) =
        app.post("/api/v1/widget/messages", Some(token), serde_json::json!({"text": "I want a refund"})).await;
    assert_eq!((status.as_u16(), turn["status"].as_str()), (200, Some("escalated")), "{turn}");
    // Over the visitor's budget (3 a minute here).
    let mut refused = false;
    for _ in 0..4 {
        refused |= app.get("/api/v1/widget/messages", Some(token)).await.0 == 429;
    }
    assert!(refused);

    let response = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.expect("metrics");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("type").starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.expect("text");
    let org_id = owner.org_id.as_str();
    for expected in [
        "iterochat_http_requests_total{method=\"POST\",route=\"/api/v1/auth/signup\",status=\"201\"}",
        "iterochat_http_requests_total{method=\"GET\",route=\"/api/v1/orgs/{org_id}\",status=\"200\"}",
        "iterochat_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/widget/messages\",le=\"",
        "iterochat_visitor_turns_total{outcome=\"escalated\"}",
        "iterochat_visitor_turn_seconds_count{outcome=\"escalated\"}",
        "iterochat_escalations_total{reason=\"refund\"}",
        "iterochat_rate_limited_total{budget=\"visitor\"}",
        "iterochat_embedding_seconds_count",
        "iterochat_outbox_pending{kind=\"email\"}",
        "iterochat_outbox_oldest_pending_seconds{kind=\"webhook\"}",
        "iterochat_ingestion_queue",
        "iterochat_live_connections",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    assert!(!text.contains(org_id), "ids never become labels");
    let (status, _) = app.get("/metrics", None).await;
    assert_eq!(status, 404, "not on the public listener");
}
