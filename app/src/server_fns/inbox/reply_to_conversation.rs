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
    if !confirmed {
        let held = ctx.services.get_conversation(&actor, org_id, id).await?.summary;
        if held.status == "claimed" && held.claimed_by.is_some_and(|by| by != actor.user.id) {
            let name = held.claimed_by_name.unwrap_or_else(|| "A colleague".into());
            return Err(AppError::Invalid {
                field: "confirm".into(),
                message: format!("{name} holds this conversation; tick \"Reply anyway\" to send yours too"),
            });
        }
    }
    ctx.services.agent_reply(&actor, org_id, id, &text).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
