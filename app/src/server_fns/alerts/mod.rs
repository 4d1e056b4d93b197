//! Alerts: escalation mail recipients, the caller's notification switch, webhooks and the
//! delivery log.

mod add_webhook;
mod delete_webhook;
mod get_alerts;
mod retry_delivery;
mod rotate_webhook_secret;
mod save_recipients;
mod set_notifications;
mod test_webhook;

pub use add_webhook::*;
pub use delete_webhook::*;
pub use get_alerts::*;
pub use retry_delivery::*;
pub use rotate_webhook_secret::*;
pub use save_recipients::*;
pub use set_notifications::*;
pub use test_webhook::*;
