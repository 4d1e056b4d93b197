use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::FeedbackProjectPageDto;
use crate::error::AppError;

/// One project's page: events with counts and a page of feedback filtered by event, tag and
/// reaction (blank values mean "any"), and the key stashed under `reveal`, once.
#[server]
pub async fn get_feedback_project(
    org_id: Uuid,
    project_id: String,
    event: String,
    tag: String,
    reaction: String,
    page: u64,
    reveal: String,
) -> Result<FeedbackProjectPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    let project = ctx.services.feedback_project(&actor, org_id, &project_id).await?;
    let filter = FeedbackFilter::from_query(Some(event), Some(tag), Some(reaction))?;
    let feedback = ctx.services.list_feedback(&actor, org_id, &project_id, &filter, page).await?;
    let revealed_secret = take_revealed(&actor, &reveal).await?;
    Ok(FeedbackProjectPageDto {
        organization: OrgRefDto { id: org.id, name: org.name },
        can_manage: role.can_manage_knowledge(),
        project: project.into(),
        feedback: feedback.into(),
        public_url: ctx.services.alerts.public_url.trim_end_matches('/').to_owned(),
        revealed_secret,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use domain::feedback::FeedbackFilter;

    pub use crate::dto::OrgRefDto;
    pub use crate::ssr::{context, require_actor, take_revealed};
}
