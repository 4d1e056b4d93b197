use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Gives a webhook a new secret and returns to the page with it shown once.
#[server]
pub async fn rotate_webhook_secret(org_id: Uuid, webhook_id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let secret = ctx.services.rotate_webhook_secret(&actor, org_id, webhook_id).await?;
    let reveal = ctx.services.stash_secret(&actor, &secret).await?;
    leptos_axum::redirect(&format!("/dashboard/alerts?webhook={webhook_id}&reveal={reveal}"));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
