//! Structured logs via `tracing`; `RUST_LOG` filters (default: info for our crates).

use tracing_subscriber::EnvFilter;

/// What is logged without `RUST_LOG`. (`sea_orm` at debug would log statements with their
/// values: visitors' words among them.)
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,tower_http=info";

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
