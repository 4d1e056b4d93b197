//! Structured logs via `tracing`; `RUST_LOG` filters (default: info for our crates).

use tracing_subscriber::EnvFilter;

/// What is logged without `RUST_LOG`. (`sea_orm` at debug would log statements with their
/// values: visitors' words among them.)
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,tower_http=info";

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = if json_logs(std::env::var("ITEROCHAT_LOG_FORMAT").ok().as_deref()) {
        // One JSON object per line: the event's fields, and the request span (with its id).
        builder.json().with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.try_init()
    };
}

/// `ITEROCHAT_LOG_FORMAT`: `json` for one JSON object per line; anything else (or unset) is the
/// human format.
fn json_logs(format: Option<&str>) -> bool {
    format.is_some_and(|f| f.trim().eq_ignore_ascii_case("json"))
}
