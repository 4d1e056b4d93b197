use leptos::prelude::*;

use crate::error::AppError;

/// Revokes the session (the token stops working everywhere) and clears the cookie.
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    if let Some(actor) = current_actor().await? {
        ctx.services.logout(&actor).await?;
    }
    set_cookie(session_cookie::clear(session_cookie::SESSION, ctx.secure_cookies));
    leptos_axum::redirect("/login");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, current_actor, set_cookie};
}
