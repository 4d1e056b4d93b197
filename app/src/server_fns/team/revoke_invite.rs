use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Withdraws a pending invite; its link stops working.
#[server]
pub async fn revoke_invite(org_id: Uuid, invite_id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.revoke_invite(&actor, org_id, invite_id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
