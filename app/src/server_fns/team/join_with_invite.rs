use leptos::prelude::*;

use crate::error::AppError;

/// Creates the invitee's account from the invite link, joins the organisation and signs in.
#[server]
pub async fn join_with_invite(token: String, name: String, password: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    ctx.spend_auth_attempt().await?;
    let preview = ctx.services.invite_preview(&token).await?;
    let session = ctx.services.signup_with_invite(&token, &name, &password).await?;
    set_cookie(session_cookie::set(session_cookie::SESSION, &session.token, ctx.secure_cookies));
    set_cookie(session_cookie::set(
        session_cookie::CURRENT_ORG,
        &preview.organization_id.to_string(),
        ctx.secure_cookies,
    ));
    leptos_axum::redirect("/dashboard");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::session_cookie;
    pub use crate::ssr::{context, set_cookie};
}
