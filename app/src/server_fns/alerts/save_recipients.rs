use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;

/// Replaces the extra escalation recipients with the addresses in `recipients` (one per line or
/// separated by commas); owners always get the mails. Invalid addresses → a form error, and the
/// stored list is untouched.
#[server]
pub async fn save_recipients(org_id: Uuid, recipients: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let list: Vec<String> =
        recipients.split(['\n', ',', ';']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let patch = OrgSettingsPatch { escalation_recipients: Some(list), ..Default::default() };
    ctx.services.update_settings(actor.user.id, org_id, patch).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::ssr::{context, require_actor};
    pub use domain::organizations::OrgSettingsPatch;
}
