use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::InboxPageDto;
use crate::error::AppError;

/// The inbox of `org_id`: one page (from the cursor `after`, empty for the newest) of conversations
/// with `status` (default unresolved) matching `q` and `tag`, and the last 30 days' stats.
#[server]
pub async fn get_inbox(
    org_id: Uuid,
    status: String,
    q: String,
    tag: String,
    after: String,
) -> Result<InboxPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let status = if status.is_empty() { "unresolved".to_owned() } else { status };
    let filter = StatusFilter::parse(&status)?;
    let page = PageRequest::parse(None, Some(&after))?;
    let conversations = ctx.services.list_conversations(&actor, org_id, filter, Some(&q), Some(&tag), page).await?;
    let stats = ctx.services.stats(&actor, org_id, 30).await?;
    Ok(InboxPageDto {
        status,
        q,
        tag,
        after,
        next: conversations.next.map(|c| c.encode()),
        conversations: conversations.items.into_iter().map(Into::into).collect(),
        stats: stats.into(),
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
    pub use domain::inbox::StatusFilter;
    pub use domain::pagination::PageRequest;
}
