use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Invites `email` as `role` and returns to the team page with the one-time invite link shown.
#[server]
pub async fn invite_member(org_id: Uuid, email: String, role: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let role = domain::Role::parse(&role)?;
    let created = ctx.services.invite(&actor, org_id, &email, role).await?;
    // The token is shown once; carrying it in the inviter's own URL works with and without JS.
    leptos_axum::redirect(&format!("/dashboard/team?invite_token={}", created.token));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
