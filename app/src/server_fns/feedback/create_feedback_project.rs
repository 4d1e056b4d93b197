use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Creates a project and opens its page with the secret key shown once.
#[server]
pub async fn create_feedback_project(org_id: Uuid, name: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let created = ctx.services.create_feedback_project(&actor, org_id, &name).await?;
    leptos_axum::redirect(&format!("/dashboard/feedback/{}?secret={}", created.project.project_id, created.secret_key));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
