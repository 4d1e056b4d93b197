use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Replaces the project's secret key and shows the new one once; the old key stops working.
#[server]
pub async fn rotate_feedback_key(org_id: Uuid, project_id: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let rotated = ctx.services.rotate_feedback_secret(&actor, org_id, &project_id).await?;
    leptos_axum::redirect(&format!("/dashboard/feedback/{}?secret={}", rotated.project.project_id, rotated.secret_key));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
