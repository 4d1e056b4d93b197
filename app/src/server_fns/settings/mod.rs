//! Settings: how the widget looks and greets, how the AI behaves, and how visitors reach a
//! person. Owners and admins only; every save is a partial update through
//! `Services::update_settings`, whose validation errors come back as form errors and leave the
//! stored settings untouched.

// A server function takes one argument per field of the plain HTML form that posts to it (the
// pages work without JavaScript), and the lint fires inside the code `#[server]` generates.
#![allow(clippy::too_many_arguments, reason = "one argument per form field; the lint fires in generated code")]

use leptos::prelude::*;
use uuid::Uuid;

use crate::dto::SettingsPageDto;
use crate::error::AppError;

/// The settings page of `org_id`; agents get 403.
#[server]
pub async fn get_settings(org_id: Uuid) -> Result<SettingsPageDto, AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let (org, role) = ctx.services.organization_for_member(actor.user.id, org_id).await?;
    if !role.can_manage_knowledge() {
        return Err(AppError::Forbidden("only owners and admins can change settings".into()));
    }
    let s = org.settings;
    Ok(SettingsPageDto {
        organization: OrgRefDto { id: org.id, name: org.name },
        widget_key: org.widget_key,
        company_name: s.company_name,
        primary_color: s.primary_color,
        position: s.position,
        greeting: s.greeting,
        require_contact: s.require_contact,
        ask_contact_at_handoff: s.ask_contact_at_handoff,
        proactive_message: s.proactive_message,
        proactive_trigger: s.proactive_trigger,
        proactive_after: s.proactive_after,
        allowed_origins: s.allowed_origins,
        ai_only_mode: s.ai_only_mode,
        contact_route: s.contact_route,
        ai_instructions: s.ai_instructions,
        escalation_reasons: s.escalation_reasons.iter().map(|r| r.as_str().to_owned()).collect(),
        confidence: s.confidence.as_str().to_owned(),
        show_escalation_cta: s.show_escalation_cta,
        positive_feedback_label: s.positive_feedback_label,
        request_help_label: s.request_help_label,
        confirmation_message: s.confirmation_message,
        escalation_recipients: s.escalation_recipients,
        pending_recipients: ctx.services.pending_alert_recipients(org.id).await?,
        office_hours_time_zone: s.office_hours.time_zone,
        office_hours_days: s.office_hours.days.to_vec(),
    })
}

/// A checkbox of a plain HTML form: present ("on") when ticked, absent otherwise.
#[cfg(feature = "ssr")]
fn ticked(field: &Option<String>) -> bool {
    field.as_deref().is_some_and(|v| !v.is_empty() && v != "false")
}

/// Settings → Widget.
#[server]
pub async fn save_widget_settings(
    org_id: Uuid,
    company_name: String,
    primary_color: String,
    position: String,
    greeting: String,
    require_contact: Option<String>,
    proactive_message: String,
    proactive_trigger: String,
    proactive_after: String,
    allowed_origins: String,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let proactive_after = proactive_after.trim().parse::<u32>().map_err(|_| AppError::Invalid {
        field: "proactive_after".into(),
        message: "the nudge's timing must be a whole number (seconds, or percent scrolled)".into(),
    })?;
    let patch = OrgSettingsPatch {
        company_name: Some(company_name),
        primary_color: Some(primary_color.trim().to_owned()),
        position: Some(position),
        greeting: Some(greeting),
        require_contact: Some(ticked(&require_contact)),
        proactive_message: Some(proactive_message),
        proactive_trigger: Some(proactive_trigger),
        proactive_after: Some(proactive_after),
        allowed_origins: Some(
            allowed_origins.split_whitespace().flat_map(|s| s.split(',')).map(str::to_owned).collect(),
        ),
        ..Default::default()
    };
    ctx.services.update_settings(actor.user.id, org_id, patch).await?;
    Ok(())
}

/// Settings → AI.
#[server]
pub async fn save_ai_settings(
    org_id: Uuid,
    ai_only_mode: Option<String>,
    contact_route: String,
    ai_instructions: String,
    reason_refund: Option<String>,
    reason_complaint: Option<String>,
    reason_account: Option<String>,
    reason_requested: Option<String>,
    reason_low_confidence: Option<String>,
    confidence: String,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let confidence =
        Confidence::ALL.into_iter().find(|c| c.as_str() == confidence.trim()).ok_or_else(|| AppError::Invalid {
            field: "confidence".into(),
            message: "choose answer more, balanced or escalate more".into(),
        })?;
    let patch = OrgSettingsPatch {
        ai_only_mode: Some(ticked(&ai_only_mode)),
        contact_route: Some(contact_route),
        ai_instructions: Some(ai_instructions),
        confidence: Some(confidence),
        escalation_reasons: Some(
            [
                (EscalationReason::Refund, &reason_refund),
                (EscalationReason::Complaint, &reason_complaint),
                (EscalationReason::Account, &reason_account),
                (EscalationReason::Requested, &reason_requested),
                (EscalationReason::LowConfidence, &reason_low_confidence),
            ]
            .into_iter()
            .filter(|(_, on)| ticked(on))
            .map(|(reason, _)| reason)
            .collect(),
        ),
        ..Default::default()
    };
    ctx.services.update_settings(actor.user.id, org_id, patch).await?;
    Ok(())
}

/// Settings → Human support.
#[server]
pub async fn save_support_settings(
    org_id: Uuid,
    show_escalation_cta: Option<String>,
    ask_contact_at_handoff: Option<String>,
    positive_feedback_label: String,
    request_help_label: String,
    confirmation_message: String,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let patch = OrgSettingsPatch {
        show_escalation_cta: Some(ticked(&show_escalation_cta)),
        ask_contact_at_handoff: Some(ticked(&ask_contact_at_handoff)),
        positive_feedback_label: Some(positive_feedback_label),
        request_help_label: Some(request_help_label),
        confirmation_message: Some(confirmation_message),
        ..Default::default()
    };
    ctx.services.update_settings(actor.user.id, org_id, patch).await?;
    Ok(())
}

/// Settings → Human support → Office hours: a time zone and each weekday's hours (empty =
/// closed; no time zone and no hours = none).
#[server]
pub async fn save_office_hours(
    org_id: Uuid,
    time_zone: String,
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    let patch = OrgSettingsPatch {
        office_hours: Some(OfficeHours {
            time_zone,
            days: [monday, tuesday, wednesday, thursday, friday, saturday, sunday],
        }),
        ..Default::default()
    };
    ctx.services.update_settings(actor.user.id, org_id, patch).await?;
    Ok(())
}

/// Gives the widget a new key once the owner confirmed that the old snippet stops working.
#[server]
pub async fn rotate_widget_key(org_id: Uuid, confirm: Option<String>) -> Result<(), AppError> {
    use ssr::*;
    let ctx = context()?;
    let actor = require_actor().await?;
    if !ticked(&confirm) {
        return Err(AppError::Invalid {
            field: "confirm".into(),
            message: "tick the box to confirm that the old snippet stops working".into(),
        });
    }
    ctx.services.rotate_widget_key(&actor, org_id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::dto::OrgRefDto;
    pub use crate::ssr::{context, require_actor};
    pub use domain::conversation::escalation::EscalationReason;
    pub use domain::office_hours::OfficeHours;
    pub use domain::organizations::{Confidence, OrgSettingsPatch};
}
