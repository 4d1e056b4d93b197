use leptos::prelude::*;

use crate::error::AppError;

/// Turns the caller's escalation mails on (`on = "true"`) or off, in every organisation.
#[server]
pub async fn set_notifications(on: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.set_escalation_notifications(&actor, on == "true").await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
