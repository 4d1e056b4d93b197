//! Data & privacy and usage (owners and admins; the audit log for owners): exports, the trash,
//! contacts and their erasure, retention, monthly usage. Every action is one `domain` call; forms
//! work without JavaScript (each redirects back to its page).

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::{PrivacyPageDto, UsagePageDto};
use crate::error::AppError;

/// The word an owner types to confirm a permanent erase.
pub const ERASE_CONFIRMATION: &str = "erase";

/// The Data & privacy page of `org_id`, with contacts matching `q`.
#[server]
pub async fn get_privacy_page(org_id: Uuid, q: Option<String>) -> Result<PrivacyPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    if !role.can_manage_knowledge() {
        return Err(AppError::Forbidden("only owners and admins can manage data and privacy".into()));
    }
    let contact_query = q.unwrap_or_default();
    let exports = ctx.services.recent_exports(&actor, org_id, 5).await?;
    let trash = ctx.services.trash(&actor, org_id).await?;
    let contacts = ctx.services.contacts(&actor, org_id, &contact_query, 50).await?;
    let audit = if role == domain::Role::Owner {
        Some(ctx.services.audit_log(&actor, org_id, RECENT).await?.items)
    } else {
        None
    };
    Ok(PrivacyPageDto {
        organization: OrgRefDto { id: org.id, name: org.name },
        trash_days: org.settings.trash_days,
        retention_days: org.settings.retention_days,
        exports: exports.into_iter().map(ExportJobDto::from).collect(),
        trash: trash
            .into_iter()
            .map(|t| TrashEntryDto {
                kind: t.kind.into(),
                id: t.id,
                title: t.title,
                deleted_at: t.deleted_at,
                deleted_by: t.deleted_by.map(|a| a.email),
                purge_at: t.purge_at,
            })
            .collect(),
        contact_query,
        contacts: contacts.into_iter().map(ContactRowDto::from).collect(),
        audit: audit.map(|log| {
            log.into_iter()
                .map(|e| AuditEntryDto {
                    action: e.action,
                    actor: e.actor.map(|a| a.email),
                    target: e.target,
                    at: e.at,
                })
                .collect()
        }),
    })
}

/// Starts an export of the organisation, or of one contact when `contact_id` is set.
#[server]
pub async fn start_export(org_id: Uuid, contact_id: Option<Uuid>) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.start_export(&actor, org_id, contact_id).await?;
    leptos_axum::redirect("/dashboard/privacy#exports");
    Ok(())
}

/// Brings a trashed item back.
#[server]
pub async fn restore_item(org_id: Uuid, kind: String, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let kind = domain::privacy::TrashKind::parse(&kind)?;
    ctx.services.restore_from_trash(&actor, org_id, kind, id).await?;
    leptos_axum::redirect("/dashboard/privacy#trash");
    Ok(())
}

/// The typed confirmation of a permanent erase.
#[cfg(feature = "ssr")]
fn confirmed(confirm: &str) -> Result<(), AppError> {
    if confirm.trim().eq_ignore_ascii_case(ERASE_CONFIRMATION) {
        Ok(())
    } else {
        Err(AppError::Invalid {
            field: "confirm".into(),
            message: format!("type \"{ERASE_CONFIRMATION}\" to confirm; this cannot be undone"),
        })
    }
}

/// Erases a contact and all their conversations, once confirmed.
#[server]
pub async fn erase_contact(org_id: Uuid, contact_id: Uuid, confirm: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    confirmed(&confirm)?;
    ctx.services.erase_contact(&actor, org_id, contact_id).await?;
    leptos_axum::redirect("/dashboard/privacy#contacts");
    Ok(())
}

/// Moves a conversation to the trash (from its page).
#[server]
pub async fn trash_conversation(org_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    ctx.services.trash_conversation(&actor, org_id, id).await?;
    leptos_axum::redirect("/dashboard/conversations");
    Ok(())
}

/// Erases a conversation for good, once confirmed (from its page).
#[server]
pub async fn erase_conversation(org_id: Uuid, id: Uuid, confirm: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    confirmed(&confirm)?;
    ctx.services.erase_conversation(&actor, org_id, id).await?;
    leptos_axum::redirect("/dashboard/conversations");
    Ok(())
}

/// How long the trash keeps items and conversations are kept.
#[server]
pub async fn save_retention(org_id: Uuid, trash_days: String, retention_days: String) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let number = |field: &str, value: &str| {
        value
            .trim()
            .parse::<u32>()
            .map_err(|_| AppError::Invalid { field: field.into(), message: "must be a whole number of days".into() })
    };
    let patch = OrgSettingsPatch {
        trash_days: Some(number("trash_days", &trash_days)?),
        retention_days: Some(if retention_days.trim().is_empty() {
            0
        } else {
            number("retention_days", &retention_days)?
        }),
        ..Default::default()
    };
    ctx.services.update_settings(actor.user.id, org_id, patch).await?;
    Ok(())
}

/// The Usage page of `org_id`: the last 12 months.
#[server]
pub async fn get_usage_page(org_id: Uuid) -> Result<UsagePageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, _) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    let months = ctx.services.usage(&actor, org_id, 12).await?;
    let (documents, chunks) = ctx.services.knowledge_size(&actor, org_id).await?;
    Ok(UsagePageDto {
        organization: OrgRefDto { id: org.id, name: org.name },
        months: months.into_iter().map(UsageMonthDto::from).collect(),
        documents,
        chunks,
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    /// The audit entries the page shows: the latest.
    pub const RECENT: domain::pagination::PageRequest = domain::pagination::PageRequest::first(50);
    pub use crate::dto::{AuditEntryDto, ContactRowDto, ExportJobDto, OrgRefDto, TrashEntryDto, UsageMonthDto};
    pub use crate::ssr::{context, require_actor};
    pub use domain::organizations::OrgSettingsPatch;
}
