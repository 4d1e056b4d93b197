use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Queues a `webhook.test` delivery ("Send test"); it shows up in the webhook's log.
#[server]
pub async fn test_webhook(org_id: Uuid, webhook_id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.test_webhook(&actor, org_id, webhook_id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
