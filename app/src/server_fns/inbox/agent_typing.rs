use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// The agent is typing a reply: the visitor and colleagues see "Ana is typing…" (nothing is
/// stored). The reply box calls it at most every 3 s while the agent types.
#[server]
pub async fn agent_typing(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.agent_typing(&actor, org_id, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
