use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// The line a member pastes into their site: the widget loader from this server's public URL
/// (`ITEROCHAT_PUBLIC_URL`, else the address it listens on) with the organisation's widget key.
#[server]
pub async fn widget_snippet(org_id: Uuid) -> Result<String, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, _role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    let server = ctx.services.alerts.public_url.trim_end_matches('/');
    Ok(format!("<script src=\"{server}/widget.js\" data-widget-key=\"{}\" async></script>", org.widget_key))
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
