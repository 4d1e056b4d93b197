use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Marks the conversation resolved; the visitor's next message starts a new one with the AI.
#[server]
pub async fn resolve_conversation(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.resolve_conversation(&actor, org_id, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
