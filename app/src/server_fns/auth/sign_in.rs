use leptos::prelude::*;

use crate::error::AppError;

/// Checks credentials, sets the session cookie and goes to `next` (same-site paths only).
#[server]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    ctx.spend_auth_attempt().await?;
    let session = ctx.services.login(&email, &password).await?;
    set_cookie(session_cookie::set(session_cookie::SESSION, &session.token, ctx.secure_cookies));
    leptos_axum::redirect(&safe_next(next));
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, safe_next, set_cookie};
}
