//! Escalation alerts: emails and signed webhooks, delivered from a durable outbox.
//!
//! - **Enqueue** ([`enqueue_escalation`], [`enqueue_event`]): outbox rows are written in the same
//!   transaction as the change they announce, so an escalation without its alerts cannot exist.
//! - **Deliver** ([`delivery`]): a worker claims due rows with `FOR UPDATE SKIP LOCKED` and a
//!   lease, sends them, and records the outcome. Failures retry with exponential backoff up to
//!   `max_attempts`, then the row is `dead` until someone presses "retry". A crash mid-send
//!   leaves the row due again once its lease ends: delivery is at-least-once, and every delivery
//!   carries the row's id as its idempotency key.
//! - **Recipients:** the organisation's owners always, plus its `escalation_recipients`, deduplicated
//!   case-insensitively; nobody whose "notify me of escalations" switch is off.

pub mod delivery;
pub mod mail;
pub mod recipients;
pub mod webhooks;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::accounts::Actor;
use crate::conversation::escalation::EscalationReason;
use crate::entities::outbox;
pub use crate::entities::outbox::{DeliveryKind, DeliveryStatus};
use crate::organizations::Organization;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::{DomainError, DomainResult, Services};

pub use mail::{Mailer, SmtpConfig, SmtpTls};

/// Events webhooks can subscribe to.
pub const EVENTS: &[&str] = &[ESCALATED, RESOLVED, MESSAGE_CREATED];
pub const ESCALATED: &str = "conversation.escalated";
pub const RESOLVED: &str = "conversation.resolved";
pub const MESSAGE_CREATED: &str = "message.created";
/// The event "Send test" delivers.
pub const TEST_EVENT: &str = "webhook.test";
/// The mail that brings an invite's link to the invitee (mail only, never a webhook).
pub const INVITED: &str = "member.invited";
/// The mail that brings a password-reset link (a person's own: in no organisation's log).
pub const PASSWORD_RESET: &str = "account.password_reset";
/// The one mail an address gets when escalation mails to it stop for the hour.
pub const ALERTS_PAUSED: &str = "alerts.paused";
/// Escalations an organisation mails about per hour: anonymous visitors cause them, so a
/// flood of hand-offs cannot turn the alert list into a mail cannon.
pub const ESCALATION_MAILS_PER_HOUR: i64 = 60;
/// Escalation mails one address gets from one organisation per hour.
pub const MAILS_PER_RECIPIENT_PER_HOUR: i64 = 20;

/// How alerts are delivered; from the server's settings.
#[derive(Clone, Debug)]
pub struct AlertSettings {
    /// Base of the deep links in mails (the dashboard's URL).
    pub public_url: String,
    pub mailer: Mailer,
    /// Let webhooks target loopback and private addresses (tests, intranets).
    pub allow_private_webhooks: bool,
    /// Wait before the first retry; doubled per attempt (capped at six hours).
    pub retry_base: Duration,
    /// Attempts before an item is dead.
    pub max_attempts: i32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            mailer: Mailer::Files { dir: "./.data/mail".into(), from: mail::DEFAULT_FROM.into() },
            allow_private_webhooks: false,
            retry_base: Duration::from_secs(30),
            max_attempts: 10,
        }
    }
}

/// One outbox item as the dashboard shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub kind: DeliveryKind,
    pub event: String,
    pub webhook_id: Option<Uuid>,
    pub target: String,
    pub payload: Value,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<outbox::Model> for Delivery {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            event: m.event,
            webhook_id: m.webhook_id,
            target: m.target,
            payload: m.payload,
            status: m.status,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            next_attempt_at: m.next_attempt_at.into(),
            last_status: m.last_status,
            last_error: m.last_error,
            delivered_at: m.delivered_at.map(Into::into),
            created_at: m.created_at.into(),
        }
    }
}

/// What an escalation alert says.
#[derive(Clone, Debug)]
pub struct EscalationAlert<'a> {
    pub organization: &'a Organization,
    pub conversation_id: Uuid,
    pub visitor_id: Uuid,
    pub escalated_at: DateTime<Utc>,
    pub reason: EscalationReason,
    pub summary: &'a str,
    pub last_message: &'a str,
    pub message_count: usize,
}

/// Writes the escalation's mails and webhook deliveries into the outbox (inside the caller's
/// transaction).
pub async fn enqueue_escalation(
    db: &impl ConnectionTrait,
    settings: &AlertSettings,
    alert: &EscalationAlert<'_>,
) -> DomainResult<()> {
    let org = alert.organization;
    let data = json!({
        "conversation_id": alert.conversation_id,
        "session_id": alert.visitor_id,
        "organization_id": org.id,
        "escalated_at": alert.escalated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "last_message": alert.last_message,
        "message_count": alert.message_count,
        "reason": alert.reason.as_str(),
        "summary": alert.summary,
    });
    enqueue_event(db, settings, org.id, ESCALATED, data).await?;
    let mail = mail::escalation_mail(settings, alert);
    let mailed = MailedThisHour::read(db, org.id).await?;
    for recipient in escalation_recipients(db, org).await? {
        let (to_recipient, paused) = mailed.to(&recipient);
        if mailed.escalations >= ESCALATION_MAILS_PER_HOUR || to_recipient >= MAILS_PER_RECIPIENT_PER_HOUR {
            // Over the cap: one line says so (once an hour), the escalations stay in the inbox.
            if paused == 0 {
                let payload = mail::alerts_paused_mail(settings, org);
                insert(db, settings, NewDelivery::mail(Some(org.id), ALERTS_PAUSED, &recipient, payload)).await?;
            }
            continue;
        }
        let delivery = NewDelivery {
            organization_id: Some(org.id),
            kind: DeliveryKind::Email,
            event: ESCALATED,
            webhook_id: None,
            target: &recipient,
            payload: mail.clone(),
            conversation_id: Some(alert.conversation_id),
        };
        insert(db, settings, delivery).await?;
    }
    Ok(())
}

/// An organisation's escalation mails of the last hour, read once per escalation: how many
/// escalations it mailed about, and per address (lower case) the escalation mails and "alerts
/// paused" notices sent there.
struct MailedThisHour {
    escalations: i64,
    by_address: std::collections::HashMap<String, (i64, i64)>,
}

impl MailedThisHour {
    async fn read(db: &impl ConnectionTrait, org_id: Uuid) -> DomainResult<Self> {
        use sea_orm::FromQueryResult;
        #[derive(FromQueryResult)]
        struct Row {
            address: String,
            escalations: i64,
            to_address: i64,
            paused: i64,
        }
        let rows = Row::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT lower(target) AS address, \
                    (SELECT count(DISTINCT conversation_id) FROM outbox WHERE organization_id = $1 \
                       AND kind = $4 AND event = $2 AND created_at > now() - interval '1 hour') AS escalations, \
                    count(*) FILTER (WHERE event = $2) AS to_address, \
                    count(*) FILTER (WHERE event = $3) AS paused \
             FROM outbox WHERE organization_id = $1 AND kind = $4 AND event IN ($2, $3) \
               AND created_at > now() - interval '1 hour' \
             GROUP BY lower(target)",
            [org_id.into(), ESCALATED.into(), ALERTS_PAUSED.into(), DeliveryKind::Email.into()],
        ))
        .all(db)
        .await?;
        Ok(Self {
            escalations: rows.first().map_or(0, |r| r.escalations),
            by_address: rows.into_iter().map(|r| (r.address, (r.to_address, r.paused))).collect(),
        })
    }

    /// `(escalation mails, paused notices)` sent to `address` this hour.
    fn to(&self, address: &str) -> (i64, i64) {
        self.by_address.get(&address.to_lowercase()).copied().unwrap_or((0, 0))
    }
}

/// What an invite mail says.
#[derive(Clone, Debug)]
pub struct InviteMail<'a> {
    pub organization_id: Uuid,
    pub organization_name: &'a str,
    pub inviter: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    /// The invite's secret: the mail is the only other place the link is shown.
    pub token: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Writes the invite's mail into the outbox (inside the caller's transaction).
pub async fn enqueue_invite(
    db: &impl ConnectionTrait,
    settings: &AlertSettings,
    invite: &InviteMail<'_>,
) -> DomainResult<()> {
    let payload = mail::invite_mail(settings, invite);
    insert(db, settings, NewDelivery::mail(Some(invite.organization_id), INVITED, invite.email, payload))
        .await
        .map(|_| ())
}

/// What a password-reset mail says.
#[derive(Clone, Debug)]
pub struct ResetMail<'a> {
    pub email: &'a str,
    pub name: &'a str,
    /// The link's secret; only its hash is stored with the reset.
    pub token: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Writes a password-reset mail into the outbox (inside the caller's transaction).
pub async fn enqueue_password_reset(
    db: &impl ConnectionTrait,
    settings: &AlertSettings,
    reset: &ResetMail<'_>,
) -> DomainResult<()> {
    let payload = mail::password_reset_mail(settings, reset);
    insert(db, settings, NewDelivery::mail(None, PASSWORD_RESET, reset.email, payload)).await.map(|_| ())
}

/// Writes one delivery of `event` per webhook of the organisation subscribed to it.
pub async fn enqueue_event(
    db: &impl ConnectionTrait,
    settings: &AlertSettings,
    organization_id: Uuid,
    event: &str,
    data: Value,
) -> DomainResult<()> {
    let hooks = crate::entities::webhook::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&crate::entities::webhook::Column::OrganizationId, organization_id))
        .all(db)
        .await?;
    let conversation_id = data["conversation_id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
    for hook in hooks.into_iter().filter(|h| webhooks::subscribed(&h.events, event)) {
        let body = json!({"event": event, "data": data});
        let delivery = NewDelivery {
            organization_id: Some(organization_id),
            kind: DeliveryKind::Webhook,
            event,
            webhook_id: Some(hook.id),
            target: &hook.url,
            payload: body,
            conversation_id,
        };
        insert(db, settings, delivery).await?;
    }
    Ok(())
}

/// One delivery to write into the outbox.
pub(super) struct NewDelivery<'a> {
    pub(super) organization_id: Option<Uuid>,
    pub(super) kind: DeliveryKind,
    pub(super) event: &'a str,
    pub(super) webhook_id: Option<Uuid>,
    pub(super) target: &'a str,
    pub(super) payload: Value,
    /// The conversation it is about; erasing the conversation deletes the delivery.
    pub(super) conversation_id: Option<Uuid>,
}

impl<'a> NewDelivery<'a> {
    /// A mail about no conversation (an invite, a password reset).
    fn mail(organization_id: Option<Uuid>, event: &'a str, to: &'a str, payload: Value) -> Self {
        Self {
            organization_id,
            kind: DeliveryKind::Email,
            event,
            webhook_id: None,
            target: to,
            payload,
            conversation_id: None,
        }
    }
}

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    settings: &AlertSettings,
    d: NewDelivery<'_>,
) -> DomainResult<Uuid> {
    use sea_orm::{ActiveModelTrait, Set};
    let id = Uuid::new_v4();
    outbox::ActiveModel {
        id: Set(id),
        organization_id: Set(d.organization_id),
        kind: Set(d.kind),
        event: Set(d.event.to_owned()),
        webhook_id: Set(d.webhook_id),
        target: Set(d.target.to_owned()),
        payload: Set(d.payload),
        max_attempts: Set(settings.max_attempts),
        conversation_id: Set(d.conversation_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Owners (always) and configured recipients, deduplicated case-insensitively, minus everyone
/// who switched escalation mails off.
async fn escalation_recipients(db: &impl ConnectionTrait, org: &Organization) -> DomainResult<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT lower(u.email) AS email, u.notify_escalations AS notify, m.role = $3 AS owner, \
                    m.role IS NOT NULL AS member \
             FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.organization_id = $1 \
             WHERE m.role = $3 OR lower(u.email) IN (SELECT lower(value) FROM jsonb_array_elements_text($2))",
            [org.id.into(), json!(org.settings.escalation_recipients).into(), crate::Role::Owner.into()],
        ))
        .await?;
    let mut muted = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut members = Vec::new();
    for row in &rows {
        let email: String = row.try_get("", "email")?;
        if row.try_get::<Option<bool>>("", "member")?.unwrap_or(false) {
            members.push(email.clone());
        }
        if !row.try_get::<bool>("", "notify")? {
            muted.push(email);
        } else if row.try_get::<Option<bool>>("", "owner")?.unwrap_or(false) {
            out.push(email);
        }
    }
    // Listed addresses: members', and outside ones once they confirmed (recipients.rs).
    let confirmed = recipients::confirmed(db, org.id).await?;
    out.extend(
        org.settings
            .escalation_recipients
            .iter()
            .map(|e| e.to_lowercase())
            .filter(|e| members.contains(e) || confirmed.contains(e)),
    );
    out.sort();
    out.dedup();
    out.retain(|e| !muted.contains(e));
    Ok(out)
}

impl Services {
    /// The organisation's recent deliveries (emails and webhooks), newest first; owners/admins.
    pub async fn list_deliveries(
        &self,
        actor: &Actor,
        org_id: Uuid,
        kind: Option<DeliveryKind>,
        page: PageRequest,
    ) -> DomainResult<Page<Delivery>> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage alerts and webhooks")?;
        let mut query =
            outbox::Entity::find().filter(sea_orm::ColumnTrait::eq(&outbox::Column::OrganizationId, org_id));
        if let Some(kind) = kind {
            query = query.filter(sea_orm::ColumnTrait::eq(&outbox::Column::Kind, kind));
        }
        let rows = page.select(query, outbox::Column::CreatedAt, outbox::Column::Id).all(&self.db).await?;
        let rows: Vec<Delivery> = rows.into_iter().map(Into::into).collect();
        Ok(page.page(rows, |d| Cursor { at: d.created_at, id: d.id }))
    }

    /// Puts a dead (or failing) delivery back in the queue for an immediate attempt.
    pub async fn retry_delivery(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<Delivery> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage alerts and webhooks")?;
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE outbox SET status = $3, next_attempt_at = now(), \
                 max_attempts = GREATEST(max_attempts, attempts + 1) \
                 WHERE id = $1 AND organization_id = $2 AND status <> $4 RETURNING id",
                [id.into(), org_id.into(), DeliveryStatus::Pending.into(), DeliveryStatus::Delivered.into()],
            ))
            .await?;
        if row.is_none() {
            let exists = outbox::Entity::find_by_id(id)
                .filter(sea_orm::ColumnTrait::eq(&outbox::Column::OrganizationId, org_id))
                .one(&self.db)
                .await?;
            return match exists {
                Some(_) => Err(DomainError::Conflict("this delivery already succeeded".into())),
                None => Err(DomainError::NotFound("delivery")),
            };
        }
        self.wake_outbox();
        Ok(outbox::Entity::find_by_id(id).one(&self.db).await?.ok_or(DomainError::NotFound("delivery"))?.into())
    }

    /// Turns the caller's escalation mails on or off (in every organisation).
    pub async fn set_escalation_notifications(&self, actor: &Actor, on: bool) -> DomainResult<()> {
        crate::entities::user::Entity::update_many()
            .col_expr(crate::entities::user::Column::NotifyEscalations, sea_orm::sea_query::Expr::value(on))
            .filter(sea_orm::ColumnTrait::eq(&crate::entities::user::Column::Id, actor.user.id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Whether the caller receives escalation mails (where they are on the list).
    pub async fn escalation_notifications(&self, actor: &Actor) -> DomainResult<bool> {
        let user = crate::entities::user::Entity::find_by_id(actor.user.id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("user"))?;
        Ok(user.notify_escalations)
    }

    /// Whether the caller is on `org_id`'s escalation mail list: its owners, and the recipients
    /// listed under Settings → Human support. Others see escalations in the inbox only.
    pub async fn on_escalation_mail_list(&self, actor: &Actor, org_id: Uuid) -> DomainResult<bool> {
        let (org, role) = self.organization_for_member(actor.user.id, org_id).await?;
        Ok(role == crate::roles::Role::Owner
            || org.settings.escalation_recipients.iter().any(|r| r.eq_ignore_ascii_case(&actor.user.email)))
    }
}
