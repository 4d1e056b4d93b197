use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Confirms that the visitor's unverified details are the stored contact they name: links the
/// visitor to it (logged). Any member of the organisation.
#[server]
pub async fn merge_claimed_contact(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.merge_claimed_contact(&actor, org_id, id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
