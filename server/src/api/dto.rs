//! Response shapes only the REST API uses (sign-up and sign-in, the widget and SDK endpoints,
//! one-time secrets). Shapes that dashboard pages render as well live in `app::dto`, which both
//! this API and the pages share; conversions from `domain` are here, next to their types.

use app::dto::*;
use chrono::{DateTime, Utc};
use domain::accounts::{MembershipInfo, NewSession, SignupOutcome, UserInfo};
use domain::team::CreatedInvite;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An organisation with its public widget key (sign-up response).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrgKeyDto {
    /// The organisation's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The public key the widget is embedded with.
    pub widget_key: String,
}

/// `POST /auth/signup` → 201.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignupResponse {
    /// The session token (`Authorization: Bearer …`).
    pub token: String,
    /// The new account.
    pub user: UserDto,
    /// Its first organisation, of which it is the owner.
    pub organization: OrgKeyDto,
}

/// `POST /auth/login` → 200.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// The session token (`Authorization: Bearer …`).
    pub token: String,
    /// Who signed in.
    pub user: UserDto,
}

/// `GET /me`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeResponse {
    /// Who is signed in.
    pub user: UserDto,
    /// Every organisation they belong to, with their role in it.
    pub memberships: Vec<MembershipDto>,
}

/// `POST /orgs/{id}/invites` → 201; `token` is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InviteCreatedDto {
    /// The invite's id.
    pub id: Uuid,
    /// Who is invited (the invite only works for this address).
    pub email: String,
    /// `owner`, `admin` or `agent`.
    pub role: String,
    /// The single-use token of the invite link (shown this once).
    pub token: String,
    /// When the link stops working (7 days).
    pub expires_at: DateTime<Utc>,
}

/// How the widget looks and behaves, from the organisation's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WidgetConfigDto {
    /// The organisation's name, shown in the widget's header.
    pub company_name: String,
    /// The widget's colour (`#rrggbb`).
    pub primary_color: String,
    /// `bottom-right` or `bottom-left`.
    pub position: String,
    /// Ask for a name and email before the first message.
    pub require_contact: bool,
    /// Ask a visitor without an email for one when the conversation is handed off.
    #[serde(default)]
    pub ask_contact_at_handoff: bool,
    /// The first message the visitor sees.
    pub greeting: String,
    /// Whether "Talk to a human" is offered (not in AI-only mode).
    pub show_escalation_cta: bool,
    /// The label of 👍.
    pub positive_feedback_label: String,
    /// The label of "Talk to a human".
    pub request_help_label: String,
    /// The proactive nudge: text (empty = off), `delay` / `scroll` / `idle`, and its threshold.
    pub proactive_message: String,
    /// What opens the proactive nudge: `none`, `time` or `scroll`.
    pub proactive_trigger: String,
    /// Seconds (or percent scrolled) before the nudge shows.
    pub proactive_after: u32,
    /// Whether the team is in, by its office hours; absent (null) when none are set.
    #[serde(default)]
    pub office_hours: Option<TeamHoursDto>,
}

/// The team's availability for a visitor waiting for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeamHoursDto {
    /// Within office hours now.
    pub open: bool,
    /// Outside them: when the team is back (the next opening).
    pub back_at: Option<DateTime<Utc>>,
}

/// `POST /widget/session`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WidgetSessionDto {
    /// The visitor's token: `Authorization: Bearer …` on the other widget calls.
    pub visitor_token: String,
    /// The open conversation, if the visitor has one.
    pub conversation_id: Option<Uuid>,
    /// The organisation's widget settings.
    pub config: WidgetConfigDto,
    /// The open conversation's messages, oldest first.
    pub messages: Vec<MessageDto>,
}

/// `POST /widget/messages` and `/widget/escalate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TurnDto {
    /// The conversation the turn belongs to.
    pub conversation_id: Uuid,
    /// Where the conversation is after the turn.
    pub status: ConversationStatus,
    /// The AI's answer or the hand-off notice; `null` while a person has the conversation.
    pub reply: Option<MessageDto>,
}

/// `GET /widget/messages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WidgetMessagesDto {
    /// The visitor's open conversation, if any.
    pub conversation_id: Option<Uuid>,
    /// Where it is (`ai` when there is none).
    pub status: ConversationStatus,
    /// Its messages, oldest first (after `?after=` when given).
    pub messages: Vec<MessageDto>,
}

/// A new endpoint, or a rotated secret: the secret is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookSecretDto {
    /// The webhook's id.
    pub id: Uuid,
    /// Where events are posted.
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// The signing secret (HMAC-SHA256 of the body), shown this once.
    pub secret: String,
}

/// The caller's alert preferences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotificationsDto {
    /// Whether escalation mails reach this person.
    pub notify_escalations: bool,
}

/// A conversation with its transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConversationDetailDto {
    /// The conversation as the inbox lists it.
    #[serde(flatten)]
    pub summary: ConversationSummaryDto,
    /// Its transcript, oldest first, with each agent's name.
    pub messages: Vec<AgentMessageDto>,
}

/// A new project or a rotated key: the secret key is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedbackSecretDto {
    /// The public id sites pass to `IteratoService.init`.
    pub project_id: String,
    /// The project's name.
    pub name: String,
    /// The secret key for `POST /fetchFeedbacks`, shown this once.
    pub secret_key: String,
}

impl From<SignupOutcome> for SignupResponse {
    fn from(o: SignupOutcome) -> Self {
        Self {
            token: o.token,
            user: o.user.into(),
            organization: OrgKeyDto {
                id: o.organization.id,
                name: o.organization.name,
                widget_key: o.organization.widget_key,
            },
        }
    }
}

impl From<NewSession> for LoginResponse {
    fn from(s: NewSession) -> Self {
        Self { token: s.token, user: s.user.into() }
    }
}

impl MeResponse {
    /// Builds the `/me` body.
    pub fn new(user: UserInfo, memberships: Vec<MembershipInfo>) -> Self {
        Self { user: user.into(), memberships: memberships.into_iter().map(Into::into).collect() }
    }
}

impl From<CreatedInvite> for InviteCreatedDto {
    fn from(c: CreatedInvite) -> Self {
        Self {
            id: c.invite.id,
            email: c.invite.email,
            role: c.invite.role.as_str().into(),
            token: c.token,
            expires_at: c.invite.expires_at,
        }
    }
}

impl From<domain::conversation::WidgetConfig> for WidgetConfigDto {
    fn from(c: domain::conversation::WidgetConfig) -> Self {
        Self {
            company_name: c.company_name,
            primary_color: c.primary_color,
            position: c.position,
            require_contact: c.require_contact,
            ask_contact_at_handoff: c.ask_contact_at_handoff,
            greeting: c.greeting,
            show_escalation_cta: c.show_escalation_cta,
            positive_feedback_label: c.positive_feedback_label,
            request_help_label: c.request_help_label,
            proactive_message: c.proactive_message,
            proactive_trigger: c.proactive_trigger,
            proactive_after: c.proactive_after,
            office_hours: c.office_hours.map(|h| TeamHoursDto { open: h.open, back_at: h.back_at }),
        }
    }
}

impl From<domain::conversation::WidgetSession> for WidgetSessionDto {
    fn from(s: domain::conversation::WidgetSession) -> Self {
        Self {
            visitor_token: s.visitor_token,
            conversation_id: s.conversation_id,
            config: s.config.into(),
            messages: s.messages.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<domain::conversation::TurnOutcome> for TurnDto {
    fn from(t: domain::conversation::TurnOutcome) -> Self {
        Self { conversation_id: t.conversation_id, status: t.status.into(), reply: t.reply.map(Into::into) }
    }
}

impl From<domain::alerts::webhooks::NewWebhook> for WebhookSecretDto {
    fn from(n: domain::alerts::webhooks::NewWebhook) -> Self {
        Self { id: n.webhook.id, url: n.webhook.url, events: n.webhook.events, secret: n.secret }
    }
}

impl From<domain::inbox::ConversationDetail> for ConversationDetailDto {
    fn from(d: domain::inbox::ConversationDetail) -> Self {
        Self { summary: d.summary.into(), messages: d.messages.into_iter().map(Into::into).collect() }
    }
}

impl From<domain::feedback::ProjectSecret> for FeedbackSecretDto {
    fn from(s: domain::feedback::ProjectSecret) -> Self {
        Self { project_id: s.project.project_id, name: s.project.name, secret_key: s.secret_key }
    }
}

/// Who did something (an audit entry's actor, who deleted a trash item).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ActorRefDto {
    /// The person's id.
    pub id: Uuid,
    /// Their email address.
    pub email: String,
}

impl From<domain::privacy::ActorRef> for ActorRefDto {
    fn from(a: domain::privacy::ActorRef) -> Self {
        Self { id: a.id, email: a.email }
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditLogEntryDto {
    /// `settings.update`, `widget_key.rotate`, `member.role`, `trash`, `restore`, `erase`, `export`, …
    pub action: String,
    /// `null` for the system (retention, purges).
    pub actor: Option<ActorRefDto>,
    /// What was acted on, in words; an erasure names no id.
    pub target: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl From<domain::privacy::AuditEntry> for AuditLogEntryDto {
    fn from(e: domain::privacy::AuditEntry) -> Self {
        Self { action: e.action, actor: e.actor.map(Into::into), target: e.target, at: e.at }
    }
}

/// A deleted item that can still be restored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrashItemDto {
    /// What the item is.
    pub kind: TrashKind,
    /// The item's own id (it keeps it when restored).
    pub id: Uuid,
    /// Its title (a document's, a conversation's first words, …).
    pub title: String,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
    /// Who deleted it.
    pub deleted_by: Option<ActorRefDto>,
    /// When it is erased for good.
    pub purge_at: DateTime<Utc>,
}

impl From<domain::privacy::TrashEntry> for TrashItemDto {
    fn from(t: domain::privacy::TrashEntry) -> Self {
        Self {
            kind: t.kind.into(),
            id: t.id,
            title: t.title,
            deleted_at: t.deleted_at,
            deleted_by: t.deleted_by.map(Into::into),
            purge_at: t.purge_at,
        }
    }
}

/// What a restore brought back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RestoredDto {
    /// The item that is back.
    pub restored: TrashRefDto,
}

/// A trash item by kind and id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrashRefDto {
    /// What the item is.
    pub kind: TrashKind,
    /// Its id.
    pub id: Uuid,
}

/// An export job, with its download link once ready.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExportDto {
    /// The job.
    #[serde(flatten)]
    pub job: ExportJobDto,
    /// `GET` it (same authentication) once `status` is `ready`.
    pub download_url: Option<String>,
}

impl ExportDto {
    /// The job of `org_id`, with its download link when ready.
    pub fn new(org_id: Uuid, job: domain::privacy::ExportJob) -> Self {
        let download_url = (job.status == domain::privacy::ExportStatus::Ready)
            .then(|| format!("/api/v1/orgs/{org_id}/exports/{}/download", job.id));
        Self { job: job.into(), download_url }
    }
}

/// A conversation's tags, alphabetically.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TagsDto {
    /// The tags.
    pub tags: Vec<String>,
}

/// A rotated widget key (the old one stops working at once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WidgetKeyDto {
    /// The new widget key.
    pub widget_key: String,
}

/// A webhook's new signing secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RotatedSecretDto {
    /// The webhook.
    pub id: Uuid,
    /// Its new signing secret.
    pub secret: String,
}

/// A plain acknowledgement: `{"status": "ok"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OkDto {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

impl Default for OkDto {
    fn default() -> Self {
        Self { status: "ok".to_owned() }
    }
}
