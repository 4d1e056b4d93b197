use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Selects which organisation the dashboard shows (only one the caller belongs to).
#[server]
pub async fn switch_organization(org_id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.organization_for_member(actor.user.id, org_id).await?;
    set_cookie(session_cookie::set(session_cookie::CURRENT_ORG, &org_id.to_string(), ctx.secure_cookies));
    leptos_axum::redirect("/dashboard");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, require_actor, set_cookie};
}
