use leptos::prelude::*;

use crate::error::AppError;

/// "Forgot password?": mails a reset link when the address has an account. The page says the
/// same either way, so it tells no one who has an account.
#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    ctx.spend_auth_attempt().await?;
    ctx.services.request_password_reset(&email).await?;
    // Without JavaScript the form posts and comes back here; the query says it was sent.
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Sets the new password from a reset link, signs in here (every other session is signed out)
/// and goes to the dashboard.
#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    ctx.spend_auth_attempt().await?;
    let session = ctx.services.reset_password(&token, &password).await?;
    set_cookie(session_cookie::set(session_cookie::SESSION, &session.token, ctx.secure_cookies));
    leptos_axum::redirect("/dashboard");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, set_cookie};
}
