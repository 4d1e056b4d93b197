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
