use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::TeamPageDto;
use crate::error::AppError;

/// The team page of `org_id`: members, pending invites and what the caller may change.
#[server]
pub async fn get_team(org_id: Uuid) -> Result<TeamPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let view = ctx.services.team_view(&actor, org_id).await?;
    Ok(TeamPageDto {
        organization: OrgRefDto { id: view.organization_id, name: view.organization_name },
        my_role: view.my_role.as_str().into(),
        members: view
            .members
            .into_iter()
            .map(|(member, roles, can_remove)| TeamMemberRow {
                member: member.into(),
                assignable_roles: roles.into_iter().map(|r| r.as_str().to_owned()).collect(),
                can_remove,
            })
            .collect(),
        invites: view.invites.into_iter().map(Into::into).collect(),
        invitable_roles: view.invitable_roles.into_iter().map(|r| r.as_str().to_owned()).collect(),
        public_url: ctx.services.alerts.public_url.trim_end_matches('/').to_owned(),
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::dto::{OrgRefDto, TeamMemberRow};
    pub use crate::ssr::{context, require_actor};
}
