use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Moves a feedback project to the trash (with its events and feedback); its SDK key stops
/// working until it is restored from Data & privacy. The form asks for a confirming tick.
#[server]
pub async fn delete_feedback_project(
    org_id: Uuid,
    project_id: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    if confirm.is_none() {
        return Err(DomainError::invalid(
            "confirm",
            "tick the box to confirm: the project's key stops working until it is restored",
        )
        .into());
    }
    ctx.services.delete_feedback_project(&actor, org_id, &project_id).await?;
    leptos_axum::redirect("/dashboard/feedback");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use domain::DomainError;

    pub use crate::ssr::{context, require_actor};
}
