use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Claims the conversation for the caller (a teammate holding it → a form error naming them).
#[server]
pub async fn claim_conversation(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.claim_conversation(&actor, org_id, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
