//! Prometheus metrics on a listener of their own (`ITEROCHAT_METRICS_ADDR`; unset = off).
//!
//! Code anywhere (`domain` included, which has no web types) records through the `metrics`
//! facade; this module installs the process's recorder, times every HTTP request by its route
//! template, and answers `GET /metrics` in the Prometheus text format after reading the figures
//! that live in the database or in this instance's state (outbox backlog, ingestion queue, open
//! live connections). The names and labels are listed in the README ("Metrics").

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{FromQueryResult, Statement};

use crate::state::AppState;

/// Histogram buckets (seconds) for request, turn, embedding and model times.
const BUCKETS: [f64; 13] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use. (One per process: the instances of a test
/// process share it, as the routes of one server do.)
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics shows only what reaches this one");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("iterochat_http_requests_total", "HTTP requests by method, route template and status");
    describe_histogram!(
        "iterochat_http_request_duration_seconds",
        Unit::Seconds,
        "Time to the response's head, by method and route template"
    );
    describe_counter!("iterochat_visitor_turns_total", "Visitor messages by outcome");
    describe_histogram!("iterochat_visitor_turn_seconds", Unit::Seconds, "Time of one visitor turn, by outcome");
    describe_counter!("iterochat_escalations_total", "Conversations handed to the team, by reason");
    describe_histogram!("iterochat_embedding_seconds", Unit::Seconds, "Time to embed a visitor's question");
    describe_histogram!("iterochat_llm_seconds", Unit::Seconds, "Time of one chat-model completion");
    describe_counter!("iterochat_llm_errors_total", "Chat-model completions that failed, by kind");
    describe_counter!("iterochat_rate_limited_total", "Requests refused over a rate-limit budget, by budget");
    describe_gauge!("iterochat_live_connections", "Open widget streams and dashboard sockets on this instance");
    describe_gauge!("iterochat_outbox_pending", "Mails and webhooks waiting to be delivered, by kind");
    describe_gauge!(
        "iterochat_outbox_oldest_pending_seconds",
        Unit::Seconds,
        "Age of the oldest undelivered mail or webhook, by kind"
    );
    describe_gauge!("iterochat_ingestion_queue", "Documents waiting to be (re)indexed");
}

/// Times a request and counts it by its route template (never its path: ids and tokens would
/// make every request a series of its own). Pages and files outside the API share one label.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("other", |m| m.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("iterochat_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("iterochat_http_requests_total", "method" => method, "route" => route, "status" => status)
        .increment(1);
    response
}

#[derive(FromQueryResult)]
struct Backlog {
    kind: String,
    pending: i64,
    oldest_seconds: f64,
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// `GET /metrics`: the Prometheus text format.
async fn render(State(state): State<AppState>) -> Response {
    let db = &state.services.db;
    let backend = db.get_database_backend();
    metrics::gauge!("iterochat_live_connections").set(state.connections.open_now() as f64);
    let backlog = Backlog::find_by_statement(Statement::from_string(
        backend,
        "SELECT kind, count(*) AS pending, \
         COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_seconds \
         FROM outbox WHERE status = 'pending' GROUP BY kind",
    ))
    .all(db)
    .await;
    let queue = Count::find_by_statement(Statement::from_string(
        backend,
        "SELECT count(*) AS n FROM documents WHERE status = 'processing' AND deleted_at IS NULL",
    ))
    .one(db)
    .await;
    match (backlog, queue) {
        (Ok(backlog), Ok(queue)) => {
            // A kind with nothing pending reads 0, not its last figure.
            for kind in ["email", "webhook"] {
                let row = backlog.iter().find(|b| b.kind == kind);
                metrics::gauge!("iterochat_outbox_pending", "kind" => kind).set(row.map_or(0.0, |r| r.pending as f64));
                metrics::gauge!("iterochat_outbox_oldest_pending_seconds", "kind" => kind)
                    .set(row.map_or(0.0, |r| r.oldest_seconds));
            }
            metrics::gauge!("iterochat_ingestion_queue").set(queue.map_or(0.0, |q| q.n as f64));
        }
        (Err(e), _) | (_, Err(e)) => tracing::warn!(error = %e, "metrics: could not read the database's figures"),
    }
    let handle = handle();
    handle.run_upkeep();
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

/// The metrics listener's routes.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(render)).with_state(state)
}
