use leptos::prelude::*;

use crate::error::AppError;

/// Creates an account and its first organisation, signs in (cookie) and opens the dashboard.
#[server]
pub async fn sign_up(name: String, email: String, password: String, organization_name: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    ctx.spend_auth_attempt().await?;
    let outcome =
        ctx.services.signup(domain::accounts::SignupInput { email, password, name, organization_name }).await?;
    set_cookie(session_cookie::set(session_cookie::SESSION, &outcome.token, ctx.secure_cookies));
    set_cookie(session_cookie::set(
        session_cookie::CURRENT_ORG,
        &outcome.organization.id.to_string(),
        ctx.secure_cookies,
    ));
    leptos_axum::redirect("/dashboard/install");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, set_cookie};
}
