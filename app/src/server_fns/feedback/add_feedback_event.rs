use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Adds an event (`event_id` is what the site passes to `IteratoService.collect`).
#[server]
pub async fn add_feedback_event(
    org_id: Uuid,
    project_id: String,
    event_id: String,
    name: String,
    question: String,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.create_feedback_event(&actor, org_id, &project_id, &event_id, &name, Some(&question)).await?;
    leptos_axum::redirect(&format!("/dashboard/feedback/{project_id}"));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
