use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::InboxPageDto;
use crate::error::AppError;

/// The inbox of `org_id`: conversations with `status` (default unresolved) matching `q` and `tag`, and
/// the last 30 days' stats.
#[server]
pub async fn get_inbox(org_id: Uuid, status: String, q: String, tag: String) -> Result<InboxPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let status = if status.is_empty() { "unresolved".to_owned() } else { status };
    let filter = StatusFilter::parse(&status)?;
    let conversations = ctx.services.list_conversations(&actor, org_id, filter, Some(&q), Some(&tag)).await?;
    let stats = ctx.services.stats(&actor, org_id, 30).await?;
    Ok(InboxPageDto {
        status,
        q,
        tag,
        conversations: conversations.into_iter().map(Into::into).collect(),
        stats: stats.into(),
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
    pub use domain::inbox::StatusFilter;
}
