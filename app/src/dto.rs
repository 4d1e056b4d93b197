//! Shapes that cross the wire and that dashboard pages use: server-fn results, and the REST
//! responses pages render too (their schemas are in the OpenAPI description; REST-only shapes
//! live in `server::api::dto`). They compile
//! for WASM, so they hold plain data only; conversions from `domain` live in `crate::ssr`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A closed set that crosses the wire as one of a few lowercase names: the enum, its
/// `as_str()` (the wire name, also used as a CSS class) and `Display`. `domain` has the stored
/// counterpart; `crate::ssr` maps one onto the other.
macro_rules! wire_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        // `rename_all` at the enum (not a per-variant `rename = $wire`, which the OpenAPI derive
        // does not read through the macro): the wire names are the variants in snake_case, and
        // the `wire_names_are_what_serde_writes` test holds `as_str` to the same.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Where a conversation is: with the AI, waiting for the team, with an agent, or done.
    pub enum ConversationStatus {
        /// The AI answers.
        Ai = "ai",
        /// Handed to the team, waiting for someone to claim it; the AI is silent.
        Escalated = "escalated",
        /// An agent has it.
        Claimed = "claimed",
        /// Done; the visitor's next message starts a new conversation.
        Resolved = "resolved",
    }
}

impl ConversationStatus {
    /// An agent may claim it (it is not with anyone and not done).
    pub fn claimable(self) -> bool {
        matches!(self, Self::Ai | Self::Escalated)
    }
}

wire_enum! {
    /// Who wrote a message.
    pub enum MessageRole {
        Visitor = "visitor",
        Ai = "ai",
        Agent = "agent",
        /// The product itself ("Ana joined the conversation").
        System = "system",
    }
}

wire_enum! {
    /// Where a document is in ingestion.
    pub enum DocumentStatus {
        Processing = "processing",
        Ready = "ready",
        Failed = "failed",
    }
}

wire_enum! {
    /// What an outbox delivery is.
    pub enum DeliveryKind {
        Email = "email",
        Webhook = "webhook",
    }
}

wire_enum! {
    /// Where an outbox delivery is.
    pub enum DeliveryStatus {
        Pending = "pending",
        Delivered = "delivered",
        /// Out of attempts, or refused for good; an admin may retry it.
        Dead = "dead",
    }
}

wire_enum! {
    /// Who said a line of a feedback conversation.
    pub enum FeedbackTurnRole {
        /// The SDK's follow-up question.
        Ai = "ai",
        /// The person giving feedback.
        User = "user",
    }
}

wire_enum! {
    /// Where a data export is.
    pub enum ExportStatus {
        Running = "running",
        Ready = "ready",
        Failed = "failed",
    }
}

wire_enum! {
    /// What a trash entry is.
    pub enum TrashKind {
        Document = "document",
        Conversation = "conversation",
        SavedReply = "saved_reply",
        FeedbackProject = "feedback_project",
    }
}

/// A person, as others see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

/// An organisation reference inside a membership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrgRefDto {
    pub id: Uuid,
    pub name: String,
}

/// One membership of the signed-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MembershipDto {
    pub organization: OrgRefDto,
    /// `owner`, `admin` or `agent`.
    pub role: String,
}

/// `GET /orgs/{id}`: the organisation with its settings object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrganizationDto {
    pub id: Uuid,
    pub name: String,
    pub widget_key: String,
    pub settings: serde_json::Value,
}

/// A pending invite in lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InviteDto {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
}

/// What an invite link shows before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitePreviewDto {
    pub organization: OrgRefDto,
    pub email: String,
    pub role: String,
    pub expired: bool,
    pub accepted: bool,
}

/// A member in the team list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberDto {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

/// The dashboard's view of who is signed in and which organisation is selected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionDto {
    pub user: UserDto,
    pub memberships: Vec<MembershipDto>,
    /// The selected organisation (cookie), or the first membership; `None` with no memberships.
    pub current: Option<MembershipDto>,
    /// What the person may do in the selected organisation (decided by `domain`'s role rules).
    pub can_manage_team: bool,
    pub can_manage_knowledge: bool,
}

/// A member row on the team page, with what the viewer may do to it (decided in `domain`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamMemberRow {
    pub member: MemberDto,
    /// Roles the viewer may give this member (empty: no role change allowed).
    pub assignable_roles: Vec<String>,
    pub can_remove: bool,
}

/// Everything the team page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamPageDto {
    pub organization: OrgRefDto,
    pub my_role: String,
    pub members: Vec<TeamMemberRow>,
    pub invites: Vec<InviteDto>,
    /// Roles the viewer may invite as.
    pub invitable_roles: Vec<String>,
    /// This server's public address: invite links are shown absolute, ready to paste.
    pub public_url: String,
}

/// A knowledge-base document (`content` only in detail responses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DocumentDto {
    pub id: Uuid,
    pub title: String,
    pub status: DocumentStatus,
    /// Passages of the current version (planned while processing).
    pub chunk_count: i32,
    /// Passages embedded so far; equals `chunk_count` once ready.
    pub chunks_done: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub source_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// One retrieved passage: what the AI would read for a question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchHitDto {
    pub document_id: Uuid,
    pub title: String,
    pub heading: String,
    pub text: String,
    /// Cosine similarity between question and passage, in [0, 1].
    pub score: f32,
    pub source_url: Option<String>,
}

/// What the AI would do with a test question, asked as a new conversation's first message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TrialDto {
    /// It would answer with `reply`, quoting the document `source`.
    Answers { reply: String, source: String },
    /// It would hand the conversation to the team (`reason` is an escalation reason code).
    HandsOff { reason: String, reply: String },
    /// AI-only: it would say it cannot help, and hand nothing off.
    DeclinesAlone { reason: String, reply: String },
}

/// The "Test a question" box: the verdict, and the passages retrieval returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TestQuestionDto {
    pub trial: TrialDto,
    pub hits: Vec<SearchHitDto>,
}

/// A conversation message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageDto {
    pub id: Uuid,
    pub role: MessageRole,
    pub text: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citations: Option<Vec<CitationDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The first name of the agent who wrote an `agent` message, or who joined on a `system`
    /// line ("Ana joined the conversation").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// A source an AI answer quotes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CitationDto {
    pub document_id: Uuid,
    pub title: String,
    /// The document's public page, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
}

/// One email or webhook delivery from the outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryDto {
    /// Also the idempotency id the receiver sees (`X-Iterochat-Delivery`).
    pub id: Uuid,
    pub kind: DeliveryKind,
    pub event: String,
    pub webhook_id: Option<Uuid>,
    /// Email address or webhook URL.
    pub target: String,
    /// Webhook: the JSON body sent. Email: `{subject, text}`.
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A webhook endpoint with its recent deliveries (never its secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDto {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub deliveries: Vec<DeliveryDto>,
}

/// The settings page (owners and admins): the widget, the AI and human support.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SettingsPageDto {
    pub organization: OrgRefDto,
    pub widget_key: String,
    pub company_name: String,
    pub primary_color: String,
    pub position: String,
    pub greeting: String,
    pub require_contact: bool,
    pub ask_contact_at_handoff: bool,
    pub proactive_message: String,
    pub proactive_trigger: String,
    pub proactive_after: u32,
    /// Sites the widget works on (origins); empty = any.
    pub allowed_origins: Vec<String>,
    pub ai_only_mode: bool,
    pub contact_route: String,
    pub ai_instructions: String,
    /// Wire names of the reasons that hand off on their own (`refund`, `complaint`, …).
    pub escalation_reasons: Vec<String>,
    /// `answer_more`, `balanced` or `escalate_more`.
    pub confidence: String,
    pub show_escalation_cta: bool,
    pub positive_feedback_label: String,
    pub request_help_label: String,
    pub confirmation_message: String,
    /// Extra hand-off mail recipients (owners always get them).
    pub escalation_recipients: Vec<String>,
    /// Listed outside addresses that have not opened their confirmation link yet.
    #[serde(default)]
    pub pending_recipients: Vec<String>,
    /// Office hours: IANA time zone (empty = none) and Monday-first day spans ("09:00-17:00").
    #[serde(default)]
    pub office_hours_time_zone: String,
    #[serde(default)]
    pub office_hours_days: Vec<String>,
}

/// The alerts page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertsPageDto {
    pub organization: OrgRefDto,
    /// A new or rotated webhook secret, on the one page view after it was made.
    pub revealed_secret: Option<String>,
    /// Owners and admins manage recipients and webhooks and see the mail log.
    pub can_manage: bool,
    /// The caller's own switch (for every organisation).
    pub notify_escalations: bool,
    /// Whether the caller is on this organisation's mail list (an owner or a listed recipient).
    pub on_mail_list: bool,
    /// The folder mails are written to when no SMTP server is configured.
    pub mails_written_to: Option<String>,
    pub webhooks: Vec<WebhookDto>,
    pub mails: Vec<DeliveryDto>,
}

/// A contact in the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactDto {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One inbox row, plus who claimed it by name and timestamps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationSummaryDto {
    pub id: Uuid,
    pub status: ConversationStatus,
    pub escalation_reason: Option<String>,
    pub handoff_summary: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub claimed_by: Option<Uuid>,
    pub claimed_by_name: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub last_message: Option<String>,
    pub message_count: i64,
    pub contact: Option<ContactDto>,
    /// What the visitor said about themselves that names another contact: unverified until an
    /// agent merges it (`POST …/merge-contact`).
    #[serde(default)]
    pub claimed: Option<ContactDto>,
    /// Who to call the visitor: the contact's name or email, else "Visitor from Berlin · Chrome
    /// on Windows" (the browser's time zone and `User-Agent`; "Anonymous visitor" when unknown).
    #[serde(default)]
    pub visitor_label: String,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A message as agents see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AgentMessageDto {
    #[serde(flatten)]
    pub message: MessageDto,
    /// The agent who wrote an `agent` message.
    pub author_name: Option<String>,
}

/// Escalations on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayCountDto {
    pub date: chrono::NaiveDate,
    pub escalations: i64,
}

/// Human-support stats, plus escalations per day for the chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatsDto {
    pub days: i64,
    pub total_conversations: i64,
    pub total_escalations: i64,
    pub unresolved: i64,
    pub resolution_rate: f64,
    pub escalation_rate: f64,
    pub avg_hours_to_resolve: f64,
    pub per_day: Vec<DayCountDto>,
}

/// The inbox page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InboxPageDto {
    /// The filter shown (`unresolved` by default).
    pub status: String,
    pub q: String,
    pub tag: String,
    /// The cursor this page starts at (empty: the newest).
    pub after: String,
    /// The next (older) page's cursor, when there is one.
    pub next: Option<String>,
    pub conversations: Vec<ConversationSummaryDto>,
    /// The last 30 days.
    pub stats: StatsDto,
}

/// One transcript line for the agent view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TranscriptEntryDto {
    pub message: AgentMessageDto,
    /// AI answers rendered from Markdown (sanitised).
    pub html: Option<String>,
}

/// The conversation page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConversationViewDto {
    /// The signed-in agent.
    pub me: Uuid,
    /// Whether they may delete or erase it (owners and admins).
    pub can_delete: bool,
    pub conversation: ConversationSummaryDto,
    pub messages: Vec<TranscriptEntryDto>,
}

/// A saved reply (canned response).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SavedReplyDto {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

/// Saved replies, and whether the caller may manage them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SavedRepliesDto {
    pub replies: Vec<SavedReplyDto>,
    pub can_manage: bool,
}

/// An event of a feedback project, with its feedback counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackEventDto {
    pub event_id: String,
    pub name: String,
    pub question: Option<String>,
    pub positive: i64,
    pub negative: i64,
    pub created_at: DateTime<Utc>,
}

/// A feedback project (never with its secret key; `secret_hint` is its last four characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackProjectDto {
    pub project_id: String,
    pub name: String,
    pub secret_hint: String,
    pub created_at: DateTime<Utc>,
    pub events: Vec<FeedbackEventDto>,
}

/// One line of a feedback conversation (`role`: `ai` or `user`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackTurnDto {
    pub role: FeedbackTurnRole,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// One feedback with its diagnostics, as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackDto {
    pub id: String,
    pub event_id: String,
    pub event_name: String,
    pub tags: Vec<String>,
    /// `positive` or `negative`.
    pub reaction: String,
    pub user_info: serde_json::Value,
    pub console_log: serde_json::Value,
    pub browser: String,
    pub connectivity: serde_json::Value,
    pub ip_details: serde_json::Value,
    pub language: String,
    pub conversation: Vec<FeedbackTurnDto>,
    pub conversation_summary: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A page of a project's feedback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackPageDto {
    pub items: Vec<FeedbackDto>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// The feedback projects page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackProjectsPageDto {
    pub organization: OrgRefDto,
    /// Owners and admins create projects and events and rotate keys.
    pub can_manage: bool,
    pub projects: Vec<FeedbackProjectDto>,
}

/// One project's page: its events, the filtered feedback, and where the SDK is served from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackProjectPageDto {
    pub organization: OrgRefDto,
    pub can_manage: bool,
    pub project: FeedbackProjectDto,
    pub feedback: FeedbackPageDto,
    /// The server's public URL, for the embed snippet.
    pub public_url: String,
    /// A new or rotated secret key, on the one page view after it was made.
    pub revealed_secret: Option<String>,
}

/// An export job on the Data & privacy page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportJobDto {
    pub id: Uuid,
    pub status: ExportStatus,
    /// 0..1.
    pub progress: f32,
    /// Whose data, when it is one contact's export.
    pub contact_id: Option<Uuid>,
    pub bytes: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A deleted item waiting in the trash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrashEntryDto {
    pub kind: TrashKind,
    pub id: Uuid,
    pub title: String,
    pub deleted_at: DateTime<Utc>,
    pub deleted_by: Option<String>,
    pub purge_at: DateTime<Utc>,
}

/// A contact in the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactRowDto {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub conversation_count: i64,
}

/// A line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntryDto {
    pub action: String,
    pub actor: Option<String>,
    pub target: String,
    pub at: DateTime<Utc>,
}

/// The Data & privacy page (owners and admins; the audit log for owners only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PrivacyPageDto {
    pub organization: OrgRefDto,
    pub trash_days: u32,
    pub retention_days: u32,
    pub exports: Vec<ExportJobDto>,
    pub trash: Vec<TrashEntryDto>,
    /// The contact search the page shows (`q`), and its results.
    pub contact_query: String,
    pub contacts: Vec<ContactRowDto>,
    /// `None` for admins (owners only).
    pub audit: Option<Vec<AuditEntryDto>>,
}

/// One month on the Usage page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsageMonthDto {
    /// `YYYY-MM`.
    pub month: String,
    pub conversations: i64,
    pub visitor_messages: i64,
    pub ai_answers: i64,
    pub escalations: i64,
    pub ai_resolved: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    pub llm_calls: i64,
    pub embedding_calls: i64,
    pub embedding_inputs: i64,
}

/// The Usage page: months newest first, and the knowledge base's size now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UsagePageDto {
    pub organization: OrgRefDto,
    pub months: Vec<UsageMonthDto>,
    pub documents: i64,
    pub chunks: i64,
}

/// The install page: how to embed the widget, and the first-run checklist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InstallPageDto {
    pub organization: OrgRefDto,
    /// The server's public URL, no trailing slash.
    pub server: String,
    pub widget_key: String,
    pub primary_color: String,
    pub company_name: String,
    pub position: String,
    pub documents_ready: i64,
    /// When and where a page on another site last opened the widget.
    pub widget_seen_at: Option<DateTime<Utc>>,
    pub widget_seen_origin: Option<String>,
    pub conversations: i64,
    pub teammates: i64,
}

#[cfg(test)]
mod wire_enum_tests {
    use super::*;

    fn check<T: Serialize + Copy + std::fmt::Display>(all: &[T]) {
        for v in all {
            assert_eq!(serde_json::to_value(v).expect("json"), serde_json::json!(v.to_string()));
        }
    }

    #[test]
    fn wire_names_are_what_serde_writes() {
        check(ConversationStatus::ALL);
        check(MessageRole::ALL);
        check(DocumentStatus::ALL);
        check(DeliveryKind::ALL);
        check(DeliveryStatus::ALL);
        check(FeedbackTurnRole::ALL);
        check(ExportStatus::ALL);
        check(TrashKind::ALL);
    }
}
