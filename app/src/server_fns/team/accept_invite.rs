use leptos::prelude::*;

use crate::error::AppError;

/// Accepts an invite as the signed-in invitee and opens that organisation in the dashboard.
#[server]
pub async fn accept_invite(token: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let membership = ctx.services.accept_invite(&actor, &token).await?;
    set_cookie(session_cookie::set(
        session_cookie::CURRENT_ORG,
        &membership.organization_id.to_string(),
        ctx.secure_cookies,
    ));
    leptos_axum::redirect("/dashboard");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, require_actor, set_cookie};
}
