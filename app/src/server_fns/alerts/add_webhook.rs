use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Adds a webhook for the ticked events and returns to the page with its secret shown once.
/// Each event is a checkbox (present = ticked), so the form works without JavaScript.
#[server]
pub async fn add_webhook(
    org_id: Uuid,
    url: String,
    escalated: Option<String>,
    resolved: Option<String>,
    message_created: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let events: Vec<String> = [(escalated, ESCALATED), (resolved, RESOLVED), (message_created, MESSAGE_CREATED)]
        .into_iter()
        .filter(|(ticked, _)| ticked.is_some())
        .map(|(_, event)| event.to_owned())
        .collect();
    let created = ctx.services.create_webhook(&actor, org_id, &url, &events).await?;
    let reveal = ctx.services.stash_secret(&actor, &created.secret).await?;
    leptos_axum::redirect(&format!("/dashboard/alerts?webhook={}&reveal={reveal}", created.webhook.id));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
    pub use domain::alerts::{ESCALATED, MESSAGE_CREATED, RESOLVED};
}
