use leptos::prelude::*;

use crate::error::AppError;

/// Creates another organisation (the caller owns it) and switches the dashboard to it.
#[server]
pub async fn create_organization(name: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let org = ctx.services.create_organization(actor.user.id, &name).await?;
    set_cookie(session_cookie::set(session_cookie::CURRENT_ORG, &org.id.to_string(), ctx.secure_cookies));
    leptos_axum::redirect("/dashboard");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, require_actor, set_cookie};
}
