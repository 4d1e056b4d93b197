use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Sends an agent reply to the visitor (claiming an unclaimed conversation). Into a
/// conversation a colleague holds, only once the agent ticked "Reply anyway" (`confirm`): the
/// dashboard asks first. (The REST API, used by integrations, does not ask.)
#[server]
pub async fn reply_to_conversation(
    org_id: Uuid,
    id: Uuid,
    text: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let confirmed = confirm.as_deref().is_some_and(|v| !v.is_empty() && v != "false");
    let held = if confirmed { HeldReply::Send } else { HeldReply::AskFirst };
    ctx.services.agent_reply_with(&actor, org_id, id, &text, held).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use domain::inbox::HeldReply;

    pub use crate::ssr::{context, require_actor};
}
