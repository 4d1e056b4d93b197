use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::FeedbackProjectsPageDto;
use crate::error::AppError;

/// The organisation's feedback projects with their events and counts (any member).
#[server]
pub async fn get_feedback_projects(org_id: Uuid) -> Result<FeedbackProjectsPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    let projects = ctx.services.list_feedback_projects(&actor, org_id).await?;
    Ok(FeedbackProjectsPageDto {
        organization: OrgRefDto { id: org.id, name: org.name },
        can_manage: role.can_manage_knowledge(),
        projects: projects.into_iter().map(Into::into).collect(),
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::dto::OrgRefDto;
    pub use crate::ssr::{context, require_actor};
}
