use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::ConversationViewDto;
use crate::error::AppError;

/// One conversation for the agent view: summary, transcript (AI answers rendered from Markdown,
/// sanitised) and who is looking.
#[server]
pub async fn get_conversation_view(org_id: Uuid, id: Uuid) -> Result<ConversationViewDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let detail = ctx.services.get_conversation(&actor, org_id, id).await?;
    let messages = detail
        .messages
        .into_iter()
        .map(|m| {
            let html =
                (m.message.role == domain::MessageRole::Ai).then(|| domain::markdown::to_safe_html(&m.message.text));
            TranscriptEntryDto { message: m.into(), html }
        })
        .collect();
    let role = ctx.services.membership(&actor, org_id).await?.role;
    Ok(ConversationViewDto {
        me: actor.user.id,
        can_delete: role.can_manage_knowledge(),
        conversation: detail.summary.into(),
        messages,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::dto::TranscriptEntryDto;
    pub use crate::ssr::{context, require_actor};
}
