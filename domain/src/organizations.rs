//! Organisations, their settings, and the membership check every org-scoped service starts with.
//!
//! Tenant isolation rule: a person who is not a member of an organisation gets `NotFound` for it
//! and for everything inside it, so its existence is never revealed.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::conversation::escalation::EscalationReason;
use crate::entities::{membership, organization};
use crate::office_hours::OfficeHours;
use crate::{DomainError, DomainResult, Role, Services, tokens, validation};

/// Most escalation-alert recipients an organisation may list (the owner is always added on top).
pub const MAX_ESCALATION_RECIPIENTS: usize = 10;
/// Longest AI instructions, in characters.
pub const MAX_AI_INSTRUCTIONS: usize = 2_000;
/// Most sites an organisation may allow its widget on.
pub const MAX_ALLOWED_ORIGINS: usize = 50;
/// Longest a deleted item stays in the trash, in days.
pub const MAX_TRASH_DAYS: u32 = 365;
/// Longest automatic retention period, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3_650;

/// Widget, escalation and AI behaviour of one organisation. Missing keys take these defaults,
/// so settings saved by an older version keep working.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// The AI answers everything itself and never hands off to humans.
    pub ai_only_mode: bool,
    /// Visitors must give name and email before their first message.
    pub require_contact: bool,
    /// A visitor the team has no email for is asked for one when the conversation is handed off
    /// (they may skip it), so the team can follow up after the tab closes.
    pub ask_contact_at_handoff: bool,
    /// Extra alert recipients (normalised lower-case, deduplicated, at most 10).
    pub escalation_recipients: Vec<String>,
    /// Shown to the visitor when the conversation is handed to a person.
    pub confirmation_message: String,
    /// Label of the 👍 button after AI replies.
    pub positive_feedback_label: String,
    /// Label of the "talk to a person" button after AI replies.
    pub request_help_label: String,
    /// Whether the widget shows those two buttons after every AI reply.
    pub show_escalation_cta: bool,
    /// Widget brand colour, `#rrggbb`.
    pub primary_color: String,
    /// Name shown in the widget header; empty means the organisation's name.
    pub company_name: String,
    /// `bottom-right` or `bottom-left`.
    pub position: String,
    /// First message the widget shows.
    pub greeting: String,
    /// How to reach the business outside the chat (an email, phone number or URL). AI-only mode
    /// offers it when the AI cannot help; empty → not offered.
    pub contact_route: String,
    /// The widget's proactive nudge ("Need help?"), shown at most once a day per visitor; empty
    /// = off.
    pub proactive_message: String,
    /// When the nudge shows: `delay` (seconds on the page), `scroll` (percent scrolled) or
    /// `idle` (seconds without activity).
    pub proactive_trigger: String,
    /// Seconds (delay, idle) or percent (scroll).
    pub proactive_after: u32,
    /// The sites (origins, `https://shop.example`) where the widget key works; empty = any.
    pub allowed_origins: Vec<String>,
    /// The organisation's own instructions for the chat model (persona, tone, extra rules), at
    /// most [`MAX_AI_INSTRUCTIONS`] characters; given below the grounding rules, never above.
    pub ai_instructions: String,
    /// Why a conversation may go to a person on its own (all by default). A reason that is off
    /// leaves the message with the AI: a refund question is answered from the knowledge base,
    /// and without `low_confidence` the AI says it does not know (with the contact route)
    /// instead of handing off. The visitor's own "talk to a person" button always hands off.
    pub escalation_reasons: Vec<EscalationReason>,
    /// When the AI answers on its own: the calibrated balance, or a little more or less often.
    pub confidence: Confidence,
    /// Days a deleted document, conversation, saved reply or feedback project stays in the
    /// trash before it is purged (1 to [`MAX_TRASH_DAYS`]).
    pub trash_days: u32,
    /// Conversations with no activity for this many days are erased automatically; 0 = keep
    /// them (at most [`MAX_RETENTION_DAYS`]).
    pub retention_days: u32,
    /// When the team is usually in; outside these hours a visitor waiting for a person is told
    /// when the team is back. None set = always.
    pub office_hours: OfficeHours,
}

/// An organisation's choice between answering more and escalating more (the least score of a
/// quoted unit moves by a step of the README's curve).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Answer somewhat less certain matches too; more answers, a few more wrong ones.
    AnswerMore,
    /// The operating point chosen with `make eval`.
    #[default]
    Balanced,
    /// Answer only clear matches; more questions go to a person.
    EscalateMore,
}

impl Confidence {
    pub const ALL: [Self; 3] = [Self::AnswerMore, Self::Balanced, Self::EscalateMore];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnswerMore => "answer_more",
            Self::Balanced => "balanced",
            Self::EscalateMore => "escalate_more",
        }
    }
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            ai_only_mode: false,
            require_contact: false,
            ask_contact_at_handoff: true,
            escalation_recipients: Vec::new(),
            confirmation_message: "Sent! The team will follow up soon.".into(),
            positive_feedback_label: "That answered my question 👍".into(),
            request_help_label: "Connect to an agent 👤".into(),
            show_escalation_cta: true,
            primary_color: "#3b82f6".into(),
            company_name: String::new(),
            position: "bottom-right".into(),
            greeting: "Hi! Ask us anything — we answer from our help centre.".into(),
            contact_route: String::new(),
            proactive_message: String::new(),
            proactive_trigger: "delay".into(),
            proactive_after: 30,
            allowed_origins: Vec::new(),
            ai_instructions: String::new(),
            escalation_reasons: EscalationReason::ALL.to_vec(),
            confidence: Confidence::Balanced,
            trash_days: 30,
            retention_days: 0,
            office_hours: OfficeHours::default(),
        }
    }
}

/// A partial update of [`OrgSettings`]: only the keys present change. Unknown keys are refused.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsPatch {
    pub ai_only_mode: Option<bool>,
    pub require_contact: Option<bool>,
    pub ask_contact_at_handoff: Option<bool>,
    pub escalation_recipients: Option<Vec<String>>,
    pub confirmation_message: Option<String>,
    pub positive_feedback_label: Option<String>,
    pub request_help_label: Option<String>,
    pub show_escalation_cta: Option<bool>,
    pub primary_color: Option<String>,
    pub company_name: Option<String>,
    pub position: Option<String>,
    pub greeting: Option<String>,
    pub contact_route: Option<String>,
    pub proactive_message: Option<String>,
    pub proactive_trigger: Option<String>,
    pub proactive_after: Option<u32>,
    pub allowed_origins: Option<Vec<String>>,
    pub ai_instructions: Option<String>,
    pub escalation_reasons: Option<Vec<EscalationReason>>,
    pub confidence: Option<Confidence>,
    pub trash_days: Option<u32>,
    pub retention_days: Option<u32>,
    pub office_hours: Option<OfficeHours>,
}

/// An organisation as its members see it.
#[derive(Clone, Debug, PartialEq)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub widget_key: String,
    pub settings: OrgSettings,
}

impl From<organization::Model> for Organization {
    fn from(m: organization::Model) -> Self {
        let settings = settings_of(&m);
        Self { id: m.id, name: m.name, widget_key: m.widget_key, settings }
    }
}

/// An organisation row's settings; unreadable ones (never written by this version) are the
/// defaults, with a warning.
pub(crate) fn settings_of(m: &organization::Model) -> OrgSettings {
    OrgSettings::deserialize(&m.settings).unwrap_or_else(|e| {
        tracing::warn!(organization_id = %m.id, error = %crate::error::Report(&e), "unreadable settings; using defaults");
        OrgSettings::default()
    })
}

impl Services {
    /// Creates another organisation; the caller becomes its owner.
    pub async fn create_organization(&self, user_id: Uuid, name: &str) -> DomainResult<Organization> {
        let name = validation::name("name", name)?;
        let txn = self.db.begin().await?;
        let org = insert_organization(&txn, &name, user_id).await?;
        txn.commit().await?;
        Ok(org)
    }

    /// The organisation, if the caller is a member (any role); otherwise `NotFound`.
    pub async fn organization_for_member(&self, user_id: Uuid, org_id: Uuid) -> DomainResult<(Organization, Role)> {
        let role = member_role(&self.db, org_id, user_id).await?;
        let org = organization::Entity::find_by_id(org_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("organization"))?;
        Ok((org.into(), role))
    }

    /// Applies a partial settings update (owners and admins). Every field is validated before
    /// anything is written, so a bad field leaves the stored settings untouched.
    pub async fn update_settings(
        &self,
        user_id: Uuid,
        org_id: Uuid,
        patch: OrgSettingsPatch,
    ) -> DomainResult<Organization> {
        let (org, role) = self.organization_for_member(user_id, org_id).await?;
        if !role.can_manage_knowledge() {
            return Err(DomainError::forbidden("only owners and admins can change settings"));
        }
        let before = org.settings.clone();
        let recipients_saved = patch.escalation_recipients.is_some();
        let settings = apply_patch(org.settings, patch)?;
        let changed = changed_fields(&before, &settings);
        let json = serde_json::to_value(&settings).map_err(|e| DomainError::internal_from("storing settings", e))?;
        let txn = self.db.begin().await?;
        let mut active = organization::ActiveModel { id: Set(org_id), ..Default::default() };
        active.settings = Set(json);
        let updated = active.update(&txn).await?;
        let updated_org: Organization = updated.clone().into();
        if recipients_saved {
            crate::alerts::recipients::request_confirmations(&txn, &self.alerts, &updated_org).await?;
        }
        if !changed.is_empty() {
            crate::privacy::audit(
                &txn,
                org_id,
                Some(user_id),
                crate::privacy::AuditAction::SettingsUpdate,
                &changed.join(", "),
            )
            .await?;
        }
        txn.commit().await?;
        if recipients_saved {
            self.wake_outbox();
        }
        Ok(updated_org)
    }
}

impl Services {
    /// Gives `org_id`'s widget a new key (owners and admins). The old key stops working at once:
    /// pages still carrying it get 404 until their snippet is updated; visitors' conversations
    /// are kept.
    pub async fn rotate_widget_key(&self, actor: &crate::accounts::Actor, org_id: Uuid) -> DomainResult<String> {
        self.membership(actor, org_id).await?.require(Role::Admin, "rotate the widget key")?;
        let key = tokens::public_key("wk");
        let txn = self.db.begin().await?;
        organization::ActiveModel { id: Set(org_id), widget_key: Set(key.clone()), ..Default::default() }
            .update(&txn)
            .await?;
        crate::privacy::audit(
            &txn,
            org_id,
            Some(actor.user.id),
            crate::privacy::AuditAction::WidgetKeyRotate,
            "widget key",
        )
        .await?;
        txn.commit().await?;
        tracing::info!(organization_id = %org_id, user_id = %actor.user.id, "widget key rotated");
        Ok(key)
    }

    /// The caller's membership of `org_id`: the one guard every organisation-scoped service
    /// starts with. Not a member → `NotFound("organization")` (another organisation's data does
    /// not exist for them); then [`Membership::require`] for what needs more than membership.
    pub async fn membership(&self, actor: &crate::accounts::Actor, org_id: Uuid) -> DomainResult<Membership> {
        let role = member_role(&self.db, org_id, actor.user.id).await?;
        Ok(Membership { org_id, user_id: actor.user.id, role })
    }
}

/// How far an organisation is with setting up (the install checklist).
#[derive(Clone, Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct SetupProgress {
    /// Documents ready to answer from.
    pub documents_ready: i64,
    /// Conversations so far (a test question counts).
    pub conversations: i64,
    /// Other members, and invites not yet accepted.
    pub teammates: i64,
}

impl Services {
    /// The organisation and its setup progress (owners and admins).
    pub async fn setup_progress(
        &self,
        actor: &crate::accounts::Actor,
        org_id: Uuid,
    ) -> DomainResult<(organization::Model, SetupProgress)> {
        use sea_orm::{DbBackend, FromQueryResult, Statement};
        self.membership(actor, org_id).await?.require(Role::Admin, "install the widget")?;
        let org = organization::Entity::find_by_id(org_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("organization"))?;
        let progress = SetupProgress::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT (SELECT count(*) FROM documents WHERE organization_id = $1 AND status = 'ready' \
                       AND deleted_at IS NULL) AS documents_ready, \
                    (SELECT count(*) FROM conversations WHERE organization_id = $1) AS conversations, \
                    (SELECT count(*) FROM memberships WHERE organization_id = $1) - 1 \
                      + (SELECT count(*) FROM invites WHERE organization_id = $1 AND accepted_at IS NULL \
                           AND expires_at > now()) AS teammates",
            [org_id.into()],
        ))
        .one(&self.db)
        .await?
        .unwrap_or(SetupProgress { documents_ready: 0, conversations: 0, teammates: 0 });
        Ok((org, progress))
    }
}

impl Services {
    /// Whether `actor` is an owner or admin of the organisation whose widget key is `widget_key`
    /// (the settings page's live preview may then show unsaved values).
    pub async fn may_preview(&self, actor: &crate::accounts::Actor, widget_key: &str) -> DomainResult<bool> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let Some(org) =
            organization::Entity::find().filter(organization::Column::WidgetKey.eq(widget_key)).one(&self.db).await?
        else {
            return Ok(false);
        };
        Ok(self.membership(actor, org.id).await.is_ok_and(|m| m.role.can_manage_knowledge()))
    }
}

/// The origin as the install checklist stores it.
fn seen_origin(origin: &str) -> String {
    origin.trim().chars().take(200).collect()
}

/// Whether the organisation's "widget seen" record is missing, an hour old, or for another site.
pub(crate) fn widget_seen_is_stale(org: &organization::Model, origin: &str) -> bool {
    let fresh = org.widget_seen_at.is_some_and(|at| Utc::now() - chrono::Duration::hours(1) < at);
    !fresh || org.widget_seen_origin.as_deref() != Some(seen_origin(origin).as_str())
}

/// Notes that a page on `origin` opened the organisation's widget (at most once an hour, or
/// when the site changes; the condition is checked again in the update, for racing sessions),
/// for the install checklist.
pub(crate) async fn note_widget_seen(db: &impl ConnectionTrait, org_id: Uuid, origin: &str) -> DomainResult<()> {
    use sea_orm::sea_query::{Condition, Expr};
    use sea_orm::{ColumnTrait, QueryFilter};
    let origin = seen_origin(origin);
    organization::Entity::update_many()
        .col_expr(organization::Column::WidgetSeenAt, Expr::value(Utc::now()))
        .col_expr(organization::Column::WidgetSeenOrigin, Expr::value(origin.clone()))
        .filter(organization::Column::Id.eq(org_id))
        .filter(
            Condition::any()
                .add(organization::Column::WidgetSeenAt.is_null())
                .add(organization::Column::WidgetSeenAt.lt(Utc::now() - chrono::Duration::hours(1)))
                .add(organization::Column::WidgetSeenOrigin.ne(origin)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// A person's membership of one organisation, checked: what [`Services::membership`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Membership {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
}

impl Membership {
    /// Passes when the role is at least `role`; otherwise `Forbidden`, saying who may `what`
    /// ("only owners and admins can manage the knowledge base").
    pub fn require(self, role: Role, what: &str) -> DomainResult<Self> {
        if self.role >= role {
            return Ok(self);
        }
        Err(DomainError::forbidden(match role {
            Role::Owner => format!("only owners can {what}"),
            Role::Admin => format!("only owners and admins can {what}"),
            Role::Agent => format!("only members can {what}"),
        }))
    }
}

/// The role of `user_id` in `org_id`; `NotFound("organization")` when not a member. Services
/// use [`Services::membership`]; this is for callers without an `Actor`.
pub(crate) async fn member_role(db: &impl ConnectionTrait, org_id: Uuid, user_id: Uuid) -> DomainResult<Role> {
    let found = membership::Entity::find_by_id((org_id, user_id)).one(db).await?;
    match found {
        Some(m) => Ok(m.role),
        None => Err(DomainError::NotFound("organization")),
    }
}

/// Inserts an organisation with default settings and makes `owner_id` its owner.
pub(crate) async fn insert_organization(
    db: &impl ConnectionTrait,
    name: &str,
    owner_id: Uuid,
) -> DomainResult<Organization> {
    let now = Utc::now();
    let settings =
        serde_json::to_value(OrgSettings::default()).map_err(|e| DomainError::internal_from("default settings", e))?;
    let org = organization::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        widget_key: Set(tokens::public_key("wk")),
        settings: Set(settings),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    membership::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(owner_id),
        role: Set(Role::Owner),
        created_at: Set(now.into()),
    }
    .insert(db)
    .await?;
    Ok(org.into())
}

/// Validates and merges a patch into current settings.
fn apply_patch(mut s: OrgSettings, p: OrgSettingsPatch) -> DomainResult<OrgSettings> {
    fn label(field: &'static str, value: String, max: usize) -> DomainResult<String> {
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(DomainError::invalid(field, "must not be empty"));
        }
        if value.chars().count() > max {
            return Err(DomainError::invalid(field, format!("must be at most {max} characters")));
        }
        Ok(value)
    }
    if let Some(v) = p.ai_only_mode {
        s.ai_only_mode = v;
    }
    if let Some(v) = p.require_contact {
        s.require_contact = v;
    }
    if let Some(v) = p.ask_contact_at_handoff {
        s.ask_contact_at_handoff = v;
    }
    if let Some(v) = p.show_escalation_cta {
        s.show_escalation_cta = v;
    }
    if let Some(list) = p.escalation_recipients {
        s.escalation_recipients = recipients(&list)?;
    }
    if let Some(v) = p.confirmation_message {
        s.confirmation_message = label("confirmation_message", v, 500)?;
    }
    if let Some(v) = p.positive_feedback_label {
        s.positive_feedback_label = label("positive_feedback_label", v, 80)?;
    }
    if let Some(v) = p.request_help_label {
        s.request_help_label = label("request_help_label", v, 80)?;
    }
    if let Some(v) = p.greeting {
        s.greeting = label("greeting", v, 500)?;
    }
    if let Some(v) = p.contact_route {
        let v = v.trim().to_owned();
        s.contact_route = if v.is_empty() { v } else { label("contact_route", v, 200)? };
        if s.contact_route.chars().any(char::is_control) {
            return Err(DomainError::invalid("contact_route", "must not contain control characters"));
        }
    }
    if let Some(v) = p.proactive_message {
        let v = v.trim().to_owned();
        s.proactive_message = if v.is_empty() { v } else { label("proactive_message", v, 200)? };
    }
    if let Some(v) = p.proactive_trigger {
        let v = v.trim().to_ascii_lowercase();
        if !["delay", "scroll", "idle"].contains(&v.as_str()) {
            return Err(DomainError::invalid("proactive_trigger", "must be delay, scroll or idle"));
        }
        s.proactive_trigger = v;
    }
    if let Some(v) = p.proactive_after {
        s.proactive_after = v;
    }
    let limit = if s.proactive_trigger == "scroll" { 100 } else { 3600 };
    if s.proactive_after > limit {
        return Err(DomainError::invalid(
            "proactive_after",
            if limit == 100 { "is a percentage of the page (0 to 100)" } else { "must be at most 3600 seconds" },
        ));
    }
    if let Some(v) = p.company_name {
        let v = v.trim().to_owned();
        s.company_name = if v.is_empty() { v } else { validation::name("company_name", &v)? };
    }
    if let Some(v) = p.primary_color {
        s.primary_color = color(&v)?;
    }
    if let Some(list) = p.allowed_origins {
        s.allowed_origins = origins(&list)?;
    }
    if let Some(v) = p.confidence {
        s.confidence = v;
    }
    if let Some(v) = p.office_hours {
        s.office_hours = OfficeHours::parse(&v.time_zone, &v.days)?;
    }
    if let Some(list) = p.escalation_reasons {
        // In the order of `EscalationReason::ALL`, each once.
        s.escalation_reasons = EscalationReason::ALL.into_iter().filter(|r| list.contains(r)).collect();
    }
    if let Some(v) = p.ai_instructions {
        let v = v.trim().replace("\r\n", "\n");
        if v.chars().count() > MAX_AI_INSTRUCTIONS {
            return Err(DomainError::invalid(
                "ai_instructions",
                format!("must be at most {MAX_AI_INSTRUCTIONS} characters"),
            ));
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DomainError::invalid("ai_instructions", "must not contain control characters"));
        }
        s.ai_instructions = v;
    }
    if let Some(v) = p.trash_days {
        if !(1..=MAX_TRASH_DAYS).contains(&v) {
            return Err(DomainError::invalid("trash_days", format!("must be 1 to {MAX_TRASH_DAYS} days")));
        }
        s.trash_days = v;
    }
    if let Some(v) = p.retention_days {
        if v > MAX_RETENTION_DAYS {
            return Err(DomainError::invalid(
                "retention_days",
                format!("must be at most {MAX_RETENTION_DAYS} days (0 keeps conversations)"),
            ));
        }
        s.retention_days = v;
    }
    if let Some(v) = p.position {
        let v = v.trim().to_ascii_lowercase();
        if v != "bottom-right" && v != "bottom-left" {
            return Err(DomainError::invalid("position", "must be bottom-right or bottom-left"));
        }
        s.position = v;
    }
    Ok(s)
}

/// The settings keys whose values differ between `before` and `after`, for the audit log.
fn changed_fields(before: &OrgSettings, after: &OrgSettings) -> Vec<String> {
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    a.iter().filter(|(k, v)| b.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect()
}

/// Normalises alert recipients: valid addresses only, deduplicated case-insensitively, ≤ 10.
pub fn recipients(list: &[String]) -> DomainResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in list {
        let email = validation::email("escalation_recipients", raw)?;
        if !out.contains(&email) {
            out.push(email);
        }
    }
    if out.len() > MAX_ESCALATION_RECIPIENTS {
        return Err(DomainError::invalid(
            "escalation_recipients",
            format!("at most {MAX_ESCALATION_RECIPIENTS} recipients (the owner is always notified on top)"),
        ));
    }
    Ok(out)
}

/// Normalises the sites a widget may run on to origins (`https://shop.example`,
/// `http://localhost:8080`): a scheme of http or https and a host, no path; deduplicated, at most
/// [`MAX_ALLOWED_ORIGINS`]. A bare host ("shop.example") means its https origin.
pub fn origins(list: &[String]) -> DomainResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for raw in list.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let with_scheme = if raw.contains("://") { raw.to_owned() } else { format!("https://{raw}") };
        let refuse = || {
            DomainError::invalid(
                "allowed_origins",
                format!("{raw} is not a site address like https://shop.example (scheme and host, no path)"),
            )
        };
        let url = url::Url::parse(&with_scheme).map_err(|_| refuse())?;
        let plain = url.path() == "/" && url.query().is_none() && url.fragment().is_none() && url.username().is_empty();
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || !plain {
            return Err(refuse());
        }
        let origin = url.origin().ascii_serialization();
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    if out.len() > MAX_ALLOWED_ORIGINS {
        return Err(DomainError::invalid("allowed_origins", format!("at most {MAX_ALLOWED_ORIGINS} sites")));
    }
    Ok(out)
}

impl OrgSettings {
    /// Whether `reason` hands a conversation to a person on its own.
    pub fn escalates(&self, reason: EscalationReason) -> bool {
        self.escalation_reasons.contains(&reason)
    }

    /// Whether a browser request from `origin` (its `Origin` header) may use this widget. Without
    /// an `Origin` header (not a browser page, which could send any header anyway) it may.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        match origin {
            Some(origin) if !self.allowed_origins.is_empty() => {
                let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
                self.allowed_origins.contains(&origin)
            }
            _ => true,
        }
    }
}

/// Accepts `#rgb` or `#rrggbb` (any case) and stores `#rrggbb` lower-case.
fn color(raw: &str) -> DomainResult<String> {
    let v = raw.trim().to_ascii_lowercase();
    let hex = v.strip_prefix('#').unwrap_or("");
    let ok = (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|c| c.is_ascii_hexdigit());
    if !ok {
        return Err(DomainError::invalid("primary_color", "must be a colour like #3b82f6"));
    }
    Ok(if hex.len() == 3 { format!("#{}", hex.chars().flat_map(|c| [c, c]).collect::<String>()) } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_sites_are_stored_as_origins_and_anything_else_is_refused() {
        let list = origins(&[
            "https://Shop.Example/".into(),
            "shop.example".into(),
            "http://localhost:8080".into(),
            " ".into(),
        ])
        .expect("valid");
        assert_eq!(list, vec!["https://shop.example".to_owned(), "http://localhost:8080".to_owned()]);
        for bad in ["ftp://shop.example", "https://shop.example/path", "https://", "javascript:alert(1)"] {
            let err = origins(&[bad.into()]).expect_err(bad);
            assert!(matches!(err, DomainError::Invalid { field: "allowed_origins", .. }), "{bad}: {err:?}");
        }
        let many: Vec<String> = (0..=MAX_ALLOWED_ORIGINS).map(|i| format!("https://s{i}.example")).collect();
        assert!(origins(&many).is_err());
    }

    #[test]
    fn a_widget_runs_on_its_allowed_sites_or_anywhere_when_none_are_listed() {
        let mut s = OrgSettings::default();
        assert!(s.allows_origin(Some("https://anyone.example")));
        s.allowed_origins = vec!["https://shop.example".into()];
        assert!(s.allows_origin(Some("https://shop.example")));
        assert!(s.allows_origin(Some("HTTPS://SHOP.EXAMPLE")));
        assert!(!s.allows_origin(Some("https://evil.example")));
        assert!(!s.allows_origin(Some("https://shop.example.evil.example")));
        assert!(!s.allows_origin(Some("null")));
        assert!(s.allows_origin(None), "no Origin header: not a browser page");
    }

    #[test]
    fn recipients_are_deduplicated_case_insensitively() {
        let list = recipients(&["A@x.com".into(), "a@X.com".into(), "b@y.org".into()]).expect("valid");
        assert_eq!(list, vec!["a@x.com".to_owned(), "b@y.org".to_owned()]);
    }

    #[test]
    fn eleven_recipients_are_refused_and_so_is_a_bad_one() {
        let eleven: Vec<String> = (0..11).map(|i| format!("p{i}@example.com")).collect();
        assert!(matches!(recipients(&eleven), Err(DomainError::Invalid { field: "escalation_recipients", .. })));
        assert!(recipients(&["not-an-address".into()]).is_err());
    }

    #[test]
    fn a_bad_field_leaves_settings_unchanged() {
        let before = OrgSettings::default();
        let patch =
            OrgSettingsPatch { ai_only_mode: Some(true), primary_color: Some("blue".into()), ..Default::default() };
        assert!(apply_patch(before.clone(), patch).is_err());
        let ok = apply_patch(before, OrgSettingsPatch { primary_color: Some("#ABC".into()), ..Default::default() });
        assert_eq!(ok.expect("valid").primary_color, "#aabbcc");
    }

    #[test]
    fn settings_saved_by_older_versions_take_defaults() {
        let s: OrgSettings = serde_json::from_value(serde_json::json!({"ai_only_mode": true})).expect("parses");
        assert!(s.ai_only_mode);
        assert_eq!(s.position, "bottom-right");
    }
}
