use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Puts a dead or failing delivery back in the queue for an immediate attempt.
#[server]
pub async fn retry_delivery(org_id: Uuid, delivery_id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.retry_delivery(&actor, org_id, delivery_id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
