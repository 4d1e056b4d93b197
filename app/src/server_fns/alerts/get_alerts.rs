use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::AlertsPageDto;
use crate::error::AppError;

/// The alerts page of `org_id`: the caller's switch for everyone; recipients, webhooks and the
/// mail log for owners and admins; a new webhook secret stashed under `reveal`, once.
#[server]
pub async fn get_alerts(org_id: Uuid, reveal: String) -> Result<AlertsPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    let notify_escalations = ctx.services.escalation_notifications(&actor).await?;
    let on_mail_list = ctx.services.on_escalation_mail_list(&actor, org_id).await?;
    let can_manage = role.can_manage_knowledge();
    let (webhooks, mails) = if can_manage {
        let hooks = ctx.services.list_webhooks(&actor, org_id).await?;
        let mails = ctx
            .services
            .list_deliveries(&actor, org_id, Some(domain::alerts::DeliveryKind::Email), RECENT)
            .await?
            .items;
        (hooks.into_iter().map(Into::into).collect(), mails.into_iter().map(Into::into).collect())
    } else {
        (Vec::new(), Vec::new())
    };
    let revealed_secret = if can_manage { take_revealed(&actor, &reveal).await? } else { None };
    Ok(AlertsPageDto {
        organization: OrgRefDto { id: org.id, name: org.name },
        revealed_secret,
        can_manage,
        notify_escalations,
        on_mail_list,
        mails_written_to: ctx.services.alerts.mailer.outbox_dir().map(|d| d.display().to_string()),
        webhooks,
        mails,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::dto::OrgRefDto;
    /// The mails the alerts page shows: the latest.
    pub const RECENT: domain::pagination::PageRequest = domain::pagination::PageRequest::first(50);
    pub use crate::ssr::{context, require_actor, take_revealed};
}
