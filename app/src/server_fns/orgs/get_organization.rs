use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::OrganizationDto;
use crate::error::AppError;

/// One organisation the caller belongs to, with settings and widget key.
#[server]
pub async fn get_organization(org_id: Uuid) -> Result<OrganizationDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, _role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    Ok(org.into())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
}
