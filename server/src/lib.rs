#![warn(missing_docs)]
//! The `iterochat` server as a library, so integration tests run the real application.

pub mod api;
pub mod backup;
pub mod client_ip;
pub mod configuration;
pub mod dashboard_upload;
pub mod embedded_postgres;
pub mod metrics;
pub mod precompress;
pub mod rate_limit;
pub mod same_origin;
pub mod serve;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod widget_assets;
