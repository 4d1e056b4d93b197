use leptos::prelude::*;

use crate::dto::SessionDto;
use crate::error::AppError;

/// Who is signed in, their organisations and the selected one; `None` when signed out.
#[server]
pub async fn get_session() -> Result<Option<SessionDto>, AppError> {
    use ssr::*;
    let ctx = context()?;
    let Some(actor) = current_actor().await? else { return Ok(None) };
    let (memberships, current) = selected_membership(&ctx, &actor).await?;
    let role = current.as_ref().map(|m| m.role);
    Ok(Some(SessionDto {
        user: actor.user.into(),
        memberships: memberships.into_iter().map(Into::into).collect(),
        current: current.map(Into::into),
        can_manage_team: role.is_some_and(|r| r.can_manage_team()),
        can_manage_knowledge: role.is_some_and(|r| r.can_manage_knowledge()),
    }))
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, current_actor, selected_membership};
}
