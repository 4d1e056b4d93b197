use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Removes a member from the organisation, within the caller's rights.
#[server]
pub async fn remove_member(org_id: Uuid, user_id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.remove_member(&actor, org_id, user_id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
