use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::InstallPageDto;
use crate::error::AppError;

/// The install page of `org_id` (owners and admins): the embed code with this server's public
/// URL and the first-run checklist, from real state.
#[server]
pub async fn get_install_page(org_id: Uuid) -> Result<InstallPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, progress) = ctx.services.setup_progress(&actor, org_id).await?;
    let settings = domain::organizations::Organization::from(org.clone()).settings;
    Ok(InstallPageDto {
        organization: OrgRefDto { id: org.id, name: org.name.clone() },
        server: ctx.services.alerts.public_url.trim_end_matches('/').to_owned(),
        widget_key: org.widget_key,
        primary_color: settings.primary_color,
        company_name: if settings.company_name.is_empty() { org.name } else { settings.company_name },
        position: settings.position,
        documents_ready: progress.documents_ready,
        widget_seen_at: org.widget_seen_at.map(Into::into),
        widget_seen_origin: org.widget_seen_origin,
        conversations: progress.conversations,
        teammates: progress.teammates,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::dto::OrgRefDto;
    pub use crate::ssr::{context, require_actor};
}
