//! Shared state handed to every handler and, as Leptos context, to every server fn.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::configuration::Settings;

/// Cheap to clone: every field is reference-counted.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Site root, output name and addresses for SSR and static files.
    pub leptos_options: LeptosOptions,
    /// Domain services (database pool inside).
    pub services: domain::Services,
    /// The settings the server booted with.
    pub settings: Arc<Settings>,
    /// Every public budget (requests per minute).
    pub limits: crate::rate_limit::Limits,
    /// Live connections held open (SSE streams, dashboard sockets).
    pub connections: crate::rate_limit::Connections,
    /// Set when shutdown begins: `/readyz` answers 503 so load balancers drain this instance.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Turns `true` when shutdown begins: open widget streams send a last `reconnect` event and
    /// end, so visitors move to another instance at once.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// Spends one password attempt (sign-in, sign-up, invite-join; REST or server fn) of the
    /// client network's budget.
    pub fn spend_auth_attempt(&self, ip: &crate::client_ip::ClientIp) -> Result<(), crate::rate_limit::OverBudget> {
        self.limits.check(crate::rate_limit::Budget::AuthPerIp, ip.key())
    }
}
