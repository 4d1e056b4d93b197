use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Creates a project and opens its page with the secret key shown once (see `domain::reveal`).
#[server]
pub async fn create_feedback_project(org_id: Uuid, name: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let created = ctx.services.create_feedback_project(&actor, org_id, &name).await?;
    let reveal = ctx.services.stash_secret(&actor, &created.secret_key).await?;
    leptos_axum::redirect(&format!("/dashboard/feedback/{}?reveal={reveal}", created.project.project_id));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
