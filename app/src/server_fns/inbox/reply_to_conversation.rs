use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Sends an agent reply to the visitor (claiming an unclaimed conversation).
#[server]
pub async fn reply_to_conversation(org_id: Uuid, id: Uuid, text: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.agent_reply(&actor, org_id, id, &text).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
