use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Puts a resolved conversation back in the human queue.
#[server]
pub async fn reopen_conversation(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.reopen_conversation(&actor, org_id, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
