use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Removes a webhook and its pending deliveries.
#[server]
pub async fn delete_webhook(org_id: Uuid, webhook_id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.delete_webhook(&actor, org_id, webhook_id).await?;
    leptos_axum::redirect("/dashboard/alerts");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
