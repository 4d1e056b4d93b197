use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Gives a member another role, within the caller's rights.
#[server]
pub async fn change_member_role(org_id: Uuid, user_id: Uuid, role: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let role = domain::Role::parse(&role)?;
    ctx.services.change_role(&actor, org_id, user_id, role).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
