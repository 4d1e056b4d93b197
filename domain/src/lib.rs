//! Iterochat's server-only core: entities, services and the rules they enforce.
//!
//! Web layers (REST handlers in `server`, server fns in `app`) parse input, authenticate, call one
//! service here and map [`DomainError`] to a response. Every rule — who may do what, which
//! organisation a row belongs to — lives here once, so both layers behave the same.

pub mod accounts;
pub mod alerts;
pub mod conversation;
pub mod demo;
pub mod embeddings;
pub mod entities;
pub mod error;
pub mod events;
pub mod feedback;
pub mod inbox;
pub mod knowledge;
pub mod llm;
pub mod markdown;
pub mod office_hours;
pub mod organizations;
pub mod pagination;
pub mod password_reset;
pub mod privacy;
pub mod reveal;
pub mod roles;
pub mod team;
pub mod tokens;
pub mod validation;

pub use entities::{conversation::ConversationStatus, message::MessageRole};
pub use error::{DomainError, DomainResult};
pub use roles::Role;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::embeddings::SharedEmbedder;

/// Handle to everything the services need; cheap to clone (everything inside is shared).
#[derive(Clone, Debug)]
pub struct Services {
    /// The connection pool; every query goes through it.
    pub db: DatabaseConnection,
    /// The active embedding provider (local model or OpenAI-compatible server).
    pub embedder: SharedEmbedder,
    /// The chat model, when an OpenAI-compatible server is configured; `None` → extractive answers.
    pub chat: Option<Arc<llm::ChatModel>>,
    /// The extractive answerer's confidence operating point.
    pub answer_policy: conversation::answer::AnswerPolicy,
    /// How alerts are delivered (mail transport, links, webhook policy, retries).
    pub alerts: Arc<alerts::AlertSettings>,
    /// How much knowledge one organisation may store.
    pub knowledge_quota: knowledge::KnowledgeQuota,
    /// Failed sign-ins per account.
    pub login_failures: Arc<accounts::LoginFailures>,
    /// Wakes the ingestion worker when a document needs embedding.
    ingest_wakeup: Arc<tokio::sync::Notify>,
    /// Wakes the outbox worker when a delivery is queued.
    outbox_wakeup: Arc<tokio::sync::Notify>,
    /// Webhook deliveries (no redirects: a 3xx is a failed delivery).
    http: reqwest::Client,
    /// Live events for widgets and dashboards (see [`events`]).
    events: tokio::sync::broadcast::Sender<events::ConversationEvent>,
    /// Whether events go through Postgres NOTIFY (a listener is running).
    fanout_via_postgres: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the `LISTEN` connection is up (readiness).
    events_listening: Arc<std::sync::atomic::AtomicBool>,
    /// Model calls per organisation, waiting to be added to the usage figures.
    pub usage_counters: Arc<privacy::UsageCounters>,
    /// Where export archives are written (`ITEROCHAT_DATA_DIR/exports` in the server).
    exports_dir: Arc<std::path::PathBuf>,
}

impl Services {
    /// Wraps an open pool (migrations already run) and the embedding provider.
    pub fn new(db: DatabaseConnection, embedder: SharedEmbedder) -> Self {
        let (events, _) = tokio::sync::broadcast::channel(1024);
        let http = alerts::webhooks::delivery_client(false, alerts::webhooks::system_lookup());
        let answer_policy = conversation::answer::AnswerPolicy::calibrated(embedder.calibration());
        Self {
            db,
            embedder,
            chat: None,
            answer_policy,
            login_failures: Arc::default(),
            knowledge_quota: knowledge::KnowledgeQuota::default(),
            alerts: Arc::new(alerts::AlertSettings::default()),
            ingest_wakeup: Arc::new(tokio::sync::Notify::new()),
            outbox_wakeup: Arc::new(tokio::sync::Notify::new()),
            http,
            events,
            fanout_via_postgres: Arc::default(),
            events_listening: Arc::default(),
            usage_counters: Arc::default(),
            exports_dir: Arc::new(std::env::temp_dir().join("iterochat-exports")),
        }
    }

    /// Writes export archives under `dir`.
    pub fn with_exports_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.exports_dir = Arc::new(dir);
        self
    }

    /// Delivers alerts with these settings.
    pub fn with_alerts(mut self, alerts: alerts::AlertSettings) -> Self {
        self.http = alerts::webhooks::delivery_client(alerts.allow_private_webhooks, alerts::webhooks::system_lookup());
        self.alerts = Arc::new(alerts);
        self
    }

    /// Answers (and writes hand-off summaries) with this chat model.
    pub fn with_chat_model(mut self, chat: Option<llm::ChatModel>) -> Self {
        self.chat = chat.map(Arc::new);
        self
    }
}
