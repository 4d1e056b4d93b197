use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::SavedRepliesDto;
use crate::error::AppError;

/// The organisation's saved replies, and whether the caller may manage them.
#[server]
pub async fn get_saved_replies(org_id: Uuid) -> Result<SavedRepliesDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (_, role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    let replies = ctx.services.list_saved_replies(&actor, org_id).await?;
    Ok(SavedRepliesDto {
        replies: replies.into_iter().map(Into::into).collect(),
        can_manage: role.can_manage_knowledge(),
    })
}

/// Adds a saved reply (owners and admins).
#[server]
pub async fn create_saved_reply(org_id: Uuid, title: String, body: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.create_saved_reply(&actor, org_id, &title, &body).await?;
    Ok(())
}

/// Changes a saved reply's title and text (owners and admins).
#[server]
pub async fn update_saved_reply(org_id: Uuid, id: Uuid, title: String, body: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.update_saved_reply(&actor, org_id, id, &title, &body).await?;
    Ok(())
}

/// Deletes a saved reply (owners and admins).
#[server]
pub async fn delete_saved_reply(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.delete_saved_reply(&actor, org_id, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
