use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Replaces the project's secret key and shows the new one once. The old key stops working at
/// once, so the form asks for a confirming tick (`confirm`).
#[server]
pub async fn rotate_feedback_key(org_id: Uuid, project_id: String, confirm: Option<String>) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    if confirm.is_none() {
        return Err(
            DomainError::invalid("confirm", "tick the box to confirm: the old key stops working at once").into()
        );
    }
    let rotated = ctx.services.rotate_feedback_secret(&actor, org_id, &project_id).await?;
    let reveal = ctx.services.stash_secret(&actor, &rotated.secret_key).await?;
    leptos_axum::redirect(&format!("/dashboard/feedback/{}?reveal={reveal}", rotated.project.project_id));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use domain::DomainError;

    pub use crate::ssr::{context, require_actor};
}
