use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Tags the conversation (any member).
#[server]
pub async fn add_conversation_tag(org_id: Uuid, id: Uuid, tag: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.add_tag(&actor, org_id, id, &tag).await?;
    Ok(())
}

/// Removes a tag from the conversation (any member).
#[server]
pub async fn remove_conversation_tag(org_id: Uuid, id: Uuid, tag: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.remove_tag(&actor, org_id, id, &tag).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
