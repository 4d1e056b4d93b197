//! The agents' side of conversations: the inbox list and search, a conversation with its
//! transcript, claim, reply, resolve, reopen, the transcript CSV and the human-support stats.
//!
//! Every member of the organisation (owner, admin, agent) may work the inbox. Every query here
//! is scoped by organisation; a conversation of another organisation is `NotFound`.
//!
//! State machine (`status`):
//! - `ai` → `escalated` (the AI hands off; [`crate::conversation`]) or → `claimed` (an agent
//!   takes over a conversation the AI was handling);
//! - `escalated` → `claimed` (claim; of two racing claims exactly one wins, the other gets
//!   `Conflict` naming the holder);
//! - `ai` / `escalated` / `claimed` → `resolved` (resolve); `resolved` → `escalated` (reopen:
//!   back in the human queue, unclaimed). The AI never speaks in `escalated` or `claimed`.
//! - An agent replying to an `ai` or `escalated` conversation claims it.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

pub mod saved;

pub use saved::{SavedReply, normalise_tag};

use crate::accounts::Actor;
use crate::conversation::{ConversationEvent, Message, MessageRow, Notice};
use crate::organizations::member_role;
use crate::{DomainError, DomainResult, Services};

/// Most conversations one list returns.
const LIST_LIMIT: i64 = 200;
/// Longest agent reply.
pub const MAX_REPLY_CHARS: usize = 4000;

/// Whether a reply into a conversation a colleague holds goes out at once or needs the agent's
/// confirmation first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldReply {
    Send,
    AskFirst,
}

/// Which conversations the inbox shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// `escalated` or `claimed`: waiting for or with a person.
    Unresolved,
    Escalated,
    Claimed,
    Resolved,
    All,
}

impl StatusFilter {
    /// Parses the `status` query parameter.
    pub fn parse(value: &str) -> DomainResult<Self> {
        Ok(match value.trim() {
            "unresolved" => Self::Unresolved,
            "escalated" => Self::Escalated,
            "claimed" => Self::Claimed,
            "resolved" => Self::Resolved,
            "all" | "" => Self::All,
            other => {
                return Err(DomainError::invalid(
                    "status",
                    format!("'{other}' is not one of unresolved, escalated, claimed, resolved, all"),
                ));
            }
        })
    }

    fn statuses(self) -> &'static [&'static str] {
        match self {
            Self::Unresolved => &["escalated", "claimed"],
            Self::Escalated => &["escalated"],
            Self::Claimed => &["claimed"],
            Self::Resolved => &["resolved"],
            Self::All => &["ai", "escalated", "claimed", "resolved"],
        }
    }
}

/// A contact as the inbox shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactInfo {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One row of the inbox.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationSummary {
    pub id: Uuid,
    pub status: String,
    pub escalation_reason: Option<String>,
    pub handoff_summary: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub claimed_by: Option<Uuid>,
    pub claimed_by_name: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub language: Option<String>,
    /// The visitor's latest words (what an agent needs first), not the AI's reply.
    pub last_message: Option<String>,
    pub message_count: i64,
    pub contact: Option<ContactInfo>,
    /// What the visitor said about themselves that names another contact: unverified until an
    /// agent merges it ([`Services::merge_claimed_contact`]).
    pub claimed: Option<ContactInfo>,
    /// Who to call the visitor: the contact's name or email, else their unverified claim
    /// ("Ana García (unverified)"), else where and on what they write
    /// from ("Visitor from Berlin · Chrome on Windows", [`crate::conversation::device`]).
    pub visitor_label: String,
    /// Tags, alphabetically.
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A conversation with its transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub messages: Vec<AgentMessage>,
}

/// A message as agents see it: who wrote it, too.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentMessage {
    pub message: Message,
    /// The agent who wrote an `agent` message.
    pub author_name: Option<String>,
}

/// Human-support figures over a window of days (the REST API's `stats`).
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    pub days: i64,
    /// Conversations started in the window.
    pub total_conversations: i64,
    /// Conversations escalated in the window.
    pub total_escalations: i64,
    /// Of those, still escalated or claimed.
    pub unresolved: i64,
    /// Resolved / escalated (0 when nothing escalated).
    pub resolution_rate: f64,
    /// Escalated / started (0 when nothing started).
    pub escalation_rate: f64,
    /// Mean hours from escalation to resolution of those resolved (0 when none).
    pub avg_hours_to_resolve: f64,
    /// Escalations per day, oldest first, one entry per day of the window.
    pub per_day: Vec<(NaiveDate, i64)>,
}

const SUMMARY_SELECT: &str = "\
SELECT c.id, c.status, c.escalation_reason, c.handoff_summary, c.escalated_at, c.claimed_by,
       u.name AS claimed_by_name, c.resolved_at, c.language, c.created_at, c.updated_at,
       (SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'visitor'
         ORDER BY m.created_at DESC LIMIT 1) AS last_message,
       (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count,
       (SELECT coalesce(jsonb_agg(t.tag ORDER BY t.tag), '[]'::jsonb) FROM conversation_tags t WHERE t.conversation_id = c.id) AS tags,
       ct.id AS contact_id, ct.name AS contact_name, ct.email AS contact_email, ct.phone AS contact_phone,
       v.browser AS visitor_browser, v.time_zone AS visitor_time_zone,
       v.claimed_name AS visitor_claimed_name, v.claimed_email AS visitor_claimed_email
FROM conversations c
JOIN visitors v ON v.id = c.visitor_id
LEFT JOIN contacts ct ON ct.id = v.contact_id
LEFT JOIN users u ON u.id = c.claimed_by";

fn summary_from_row(r: &QueryResult) -> Result<ConversationSummary, sea_orm::DbErr> {
    let contact_id: Option<Uuid> = r.try_get("", "contact_id")?;
    let tags: serde_json::Value = r.try_get("", "tags")?;
    let contact = match contact_id {
        Some(_) => Some(ContactInfo {
            name: r.try_get("", "contact_name")?,
            email: r.try_get("", "contact_email")?,
            phone: r.try_get("", "contact_phone")?,
        }),
        None => None,
    };
    let browser: Option<String> = r.try_get("", "visitor_browser")?;
    let time_zone: Option<String> = r.try_get("", "visitor_time_zone")?;
    let claimed_email: Option<String> = r.try_get("", "visitor_claimed_email")?;
    let claimed = claimed_email
        .map(|email| -> Result<ContactInfo, sea_orm::DbErr> {
            Ok(ContactInfo { name: r.try_get("", "visitor_claimed_name")?, email: Some(email), phone: None })
        })
        .transpose()?;
    let known = |c: &ContactInfo| c.name.clone().filter(|n| !n.is_empty()).or_else(|| c.email.clone());
    let visitor_label = contact
        .as_ref()
        .and_then(known)
        .or_else(|| claimed.as_ref().and_then(known).map(|who| format!("{who} (unverified)")))
        .unwrap_or_else(|| crate::conversation::device::anonymous_label(time_zone.as_deref(), browser.as_deref()));
    Ok(ConversationSummary {
        id: r.try_get("", "id")?,
        status: r.try_get("", "status")?,
        escalation_reason: r.try_get("", "escalation_reason")?,
        handoff_summary: r.try_get("", "handoff_summary")?,
        escalated_at: r.try_get("", "escalated_at")?,
        claimed_by: r.try_get("", "claimed_by")?,
        claimed_by_name: r.try_get("", "claimed_by_name")?,
        resolved_at: r.try_get("", "resolved_at")?,
        language: r.try_get("", "language")?,
        last_message: r.try_get("", "last_message")?,
        message_count: r.try_get("", "message_count")?,
        contact,
        claimed,
        visitor_label,
        tags: serde_json::from_value(tags).unwrap_or_default(),
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

/// `text` as a `LIKE` pattern matching it literally anywhere.
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Services {
    /// The inbox: conversations of `org_id` with `filter`, matching `q` (in any message, or the
    /// contact's name or email) and carrying `tag` when given, most recently active first.
    pub async fn list_conversations(
        &self,
        actor: &Actor,
        org_id: Uuid,
        filter: StatusFilter,
        q: Option<&str>,
        tag: Option<&str>,
    ) -> DomainResult<Vec<ConversationSummary>> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let tag = match tag.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(normalise_tag(t)?),
            None => None,
        };
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        if q.is_some_and(|q| q.chars().count() > 200) {
            return Err(DomainError::invalid("q", "must be at most 200 characters"));
        }
        let statuses = json!(filter.statuses());
        let sql = format!(
            "{SUMMARY_SELECT}
             WHERE c.organization_id = $1
               AND c.status IN (SELECT jsonb_array_elements_text($2))
               AND ($3::text IS NULL
                    OR ct.name ILIKE $3 OR ct.email ILIKE $3
                    OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.text ILIKE $3))
               AND ($4::text IS NULL
                    OR EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = $4))
             ORDER BY c.updated_at DESC
             LIMIT {LIST_LIMIT}"
        );
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [org_id.into(), statuses.into(), q.map(contains_pattern).into(), tag.into()],
            ))
            .await?;
        Ok(rows.iter().map(summary_from_row).collect::<Result<_, _>>()?)
    }

    /// One conversation of `org_id` with its transcript.
    pub async fn get_conversation(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<ConversationDetail> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let summary = self.conversation_summary(&self.db, org_id, id).await?;
        let rows = MessageRow::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "{} WHERE m.conversation_id = $1 AND m.organization_id = $2 ORDER BY m.created_at",
                MessageRow::SELECT
            ),
            [id.into(), org_id.into()],
        ))
        .all(&self.db)
        .await?;
        let messages =
            rows.into_iter().map(|r| AgentMessage { message: r.message(), author_name: r.author_name }).collect();
        Ok(ConversationDetail { summary, messages })
    }

    /// Takes the conversation: `Conflict` naming the holder when another agent has it, or when
    /// it is resolved.
    pub async fn claim_conversation(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<ConversationSummary> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let txn = self.db.begin().await?;
        let claimed = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations c SET status = 'claimed', claimed_by = $3, claimed_at = now(), updated_at = now() \
                 FROM (SELECT id, status = 'claimed' AND claimed_by = $3 AS already FROM conversations \
                       WHERE id = $1 FOR UPDATE) o \
                 WHERE c.id = o.id AND c.organization_id = $2 \
                   AND (c.status IN ('ai', 'escalated') OR (c.status = 'claimed' AND c.claimed_by = $3)) \
                 RETURNING c.visitor_id, o.already",
                [id.into(), org_id.into(), actor.user.id.into()],
            ))
            .await?;
        let Some(row) = claimed else {
            let current = self.conversation_summary(&txn, org_id, id).await?;
            txn.rollback().await?;
            return Err(match current.status.as_str() {
                "resolved" => DomainError::Conflict("this conversation is resolved; reopen it first".into()),
                _ => DomainError::Conflict(format!(
                    "{} already claimed this conversation",
                    current.claimed_by_name.as_deref().unwrap_or("another agent")
                )),
            });
        };
        let visitor_id: Uuid = row.try_get("", "visitor_id")?;
        let already: bool = row.try_get("", "already")?;
        let joined = if already {
            None
        } else {
            let conv = crate::conversation::find_conversation(&txn, org_id, id).await?;
            self.insert_joined(&txn, &conv, actor).await?
        };
        let summary = self.conversation_summary(&txn, org_id, id).await?;
        txn.commit().await?;
        self.wake_outbox();
        self.emit_status(org_id, visitor_id, id, "claimed").await;
        if let Some(joined) = joined {
            self.announce_message(org_id, visitor_id, id, joined.id).await;
        }
        Ok(summary)
    }

    /// An agent's reply, delivered to the visitor's widget. Claims an `ai` or `escalated`
    /// conversation for the replying agent; a resolved one must be reopened first.
    /// An agent is typing a reply: the visitor and the colleagues see "Ana is typing…" for a few
    /// seconds. Nothing is stored. Members only; not in a resolved conversation.
    pub async fn agent_typing(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let conv = crate::conversation::find_conversation(&self.db, org_id, id).await?;
        if conv.status == "resolved" {
            return Ok(());
        }
        let name = crate::conversation::first_name(&actor.user.name).unwrap_or_else(|| "An agent".to_owned());
        self.emit(crate::events::ConversationEvent::Typing {
            organization_id: org_id,
            visitor_id: conv.visitor_id,
            conversation_id: id,
            agent: Some(crate::events::TypingAgent { id: actor.user.id, name }),
        })
        .await;
        Ok(())
    }

    pub async fn agent_reply(&self, actor: &Actor, org_id: Uuid, id: Uuid, text: &str) -> DomainResult<AgentMessage> {
        self.agent_reply_with(actor, org_id, id, text, HeldReply::Send).await
    }

    /// [`Services::agent_reply`], where a conversation a colleague holds may first need the
    /// agent's confirmation (the dashboard asks; integrations through REST do not).
    pub async fn agent_reply_with(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        text: &str,
        held: HeldReply,
    ) -> DomainResult<AgentMessage> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid("text", "is empty"));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(DomainError::invalid("text", format!("must be at most {MAX_REPLY_CHARS} characters")));
        }
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DomainError::invalid("text", "must not contain control characters"));
        }
        let conv = crate::conversation::find_conversation(&self.db, org_id, id).await?;
        if conv.status == "resolved" {
            return Err(DomainError::Conflict("this conversation is resolved; reopen it to reply".into()));
        }
        if let (HeldReply::AskFirst, Some(holder)) = (held, conv.claimed_by.filter(|by| *by != actor.user.id))
            && conv.status == "claimed"
        {
            let name = <crate::entities::user::Entity as sea_orm::EntityTrait>::find_by_id(holder)
                .one(&self.db)
                .await?
                .map_or_else(|| "A colleague".to_owned(), |u| u.name);
            return Err(DomainError::invalid(
                "confirm",
                format!("{name} holds this conversation; tick \"Reply anyway\" to send yours too"),
            ));
        }
        let txn = self.db.begin().await?;
        let took = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations SET status = 'claimed', claimed_by = $2, claimed_at = now() \
                 WHERE id = $1 AND status IN ('ai', 'escalated')",
                [id.into(), actor.user.id.into()],
            ))
            .await?
            .rows_affected()
            > 0;
        // Taking the conversation over says so to the visitor first.
        let joined = if took { self.insert_joined(&txn, &conv, actor).await? } else { None };
        let message = crate::conversation::insert_agent_message(&txn, &self.alerts, &conv, actor.user.id, text).await?;
        txn.commit().await?;
        self.wake_outbox();
        if took {
            self.emit_status(org_id, conv.visitor_id, id, "claimed").await;
        }
        for added in joined.iter().chain([&message]) {
            self.announce_message(org_id, conv.visitor_id, id, added.id).await;
        }
        Ok(AgentMessage { message, author_name: Some(actor.user.name.clone()) })
    }

    /// "Ana joined the conversation", when `actor` takes `conv` over (inside the caller's
    /// transaction).
    async fn insert_joined(
        &self,
        txn: &impl ConnectionTrait,
        conv: &crate::entities::conversation::Model,
        actor: &Actor,
    ) -> DomainResult<Option<Message>> {
        let joined = Notice::Joined { agent_id: actor.user.id, agent_name: &actor.user.name };
        crate::conversation::insert_notice(txn, &self.alerts, conv, joined).await
    }

    /// Tells the visitor's widget and the dashboards that a message was added.
    async fn announce_message(&self, org_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, message_id: Uuid) {
        self.emit(ConversationEvent::MessageAdded { organization_id: org_id, visitor_id, conversation_id, message_id })
            .await;
    }

    /// Closes the conversation (from any open status); resolving a resolved one changes nothing.
    /// The visitor's next message starts a new conversation with the AI.
    pub async fn resolve_conversation(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
    ) -> DomainResult<ConversationSummary> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let txn = self.db.begin().await?;
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations SET status = 'resolved', resolved_at = now(), updated_at = now() \
                 WHERE id = $1 AND organization_id = $2 AND status <> 'resolved' RETURNING visitor_id, resolved_at",
                [id.into(), org_id.into()],
            ))
            .await?;
        let Some(row) = row else {
            let current = self.conversation_summary(&txn, org_id, id).await?;
            txn.rollback().await?;
            return Ok(current);
        };
        let visitor_id: Uuid = row.try_get("", "visitor_id")?;
        let resolved_at: DateTime<Utc> = row.try_get("", "resolved_at")?;
        let data = json!({
            "conversation_id": id,
            "session_id": visitor_id,
            "organization_id": org_id,
            "resolved_at": resolved_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "resolved_by": actor.user.id,
        });
        crate::alerts::enqueue_event(&txn, &self.alerts, org_id, crate::alerts::RESOLVED, data).await?;
        let conv = crate::conversation::find_conversation(&txn, org_id, id).await?;
        let note = crate::conversation::insert_notice(&txn, &self.alerts, &conv, Notice::Resolved).await?;
        let summary = self.conversation_summary(&txn, org_id, id).await?;
        txn.commit().await?;
        self.wake_outbox();
        self.emit_status(org_id, visitor_id, id, "resolved").await;
        if let Some(note) = note {
            self.announce_message(org_id, visitor_id, id, note.id).await;
        }
        Ok(summary)
    }

    /// Puts a resolved conversation back in the human queue (unclaimed).
    pub async fn reopen_conversation(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
    ) -> DomainResult<ConversationSummary> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations SET status = 'escalated', resolved_at = NULL, claimed_by = NULL, claimed_at = NULL, \
                 escalated_at = coalesce(escalated_at, now()), \
                 escalation_reason = coalesce(escalation_reason, 'requested'), updated_at = now() \
                 WHERE id = $1 AND organization_id = $2 AND status = 'resolved' RETURNING visitor_id",
                [id.into(), org_id.into()],
            ))
            .await?;
        let current = self.conversation_summary(&self.db, org_id, id).await?;
        match row {
            Some(row) => {
                self.emit_status(org_id, row.try_get("", "visitor_id")?, id, "escalated").await;
                Ok(current)
            }
            None => Err(DomainError::Conflict(format!(
                "only a resolved conversation can be reopened; this one is {}",
                current.status
            ))),
        }
    }

    /// The transcript as CSV: `time,role,author,text,sources`.
    pub async fn transcript_csv(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<String> {
        let detail = self.get_conversation(actor, org_id, id).await?;
        let mut out = String::from("time,role,author,text,sources\r\n");
        for m in &detail.messages {
            let sources: Vec<String> = m.message.citations.iter().flatten().map(|c| c.title.clone()).collect();
            let row = [
                m.message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                m.message.role.clone(),
                m.author_name.clone().unwrap_or_default(),
                m.message.text.clone(),
                sources.join("; "),
            ];
            out.push_str(&csv_row(&row));
        }
        Ok(out)
    }

    /// The filtered inbox as CSV.
    pub async fn conversations_csv(
        &self,
        actor: &Actor,
        org_id: Uuid,
        filter: StatusFilter,
        q: Option<&str>,
        tag: Option<&str>,
    ) -> DomainResult<String> {
        let list = self.list_conversations(actor, org_id, filter, q, tag).await?;
        let mut out = String::from(
            "id,status,escalation_reason,escalated_at,claimed_by,contact_name,contact_email,message_count,tags,last_message,handoff_summary\r\n",
        );
        for c in &list {
            let contact = c.contact.clone();
            let row = [
                c.id.to_string(),
                c.status.clone(),
                c.escalation_reason.clone().unwrap_or_default(),
                c.escalated_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default(),
                c.claimed_by_name.clone().unwrap_or_default(),
                contact.as_ref().and_then(|c| c.name.clone()).unwrap_or_default(),
                contact.as_ref().and_then(|c| c.email.clone()).unwrap_or_default(),
                c.message_count.to_string(),
                c.tags.join("; "),
                c.last_message.clone().unwrap_or_default(),
                c.handoff_summary.clone().unwrap_or_default(),
            ];
            out.push_str(&csv_row(&row));
        }
        Ok(out)
    }

    /// Human-support stats over the last `days` days (1–365), computed in SQL.
    pub async fn stats(&self, actor: &Actor, org_id: Uuid, days: i64) -> DomainResult<Stats> {
        member_role(&self.db, org_id, actor.user.id).await?;
        if !(1..=365).contains(&days) {
            return Err(DomainError::invalid("days", "must be between 1 and 365"));
        }
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH window_start AS (SELECT now() - make_interval(days => $2::int) AS since) \
                 SELECT \
                   (SELECT count(*) FROM conversations, window_start WHERE organization_id = $1 AND created_at >= since) AS conversations, \
                   count(*) AS escalations, \
                   count(*) FILTER (WHERE status IN ('escalated', 'claimed')) AS unresolved, \
                   count(*) FILTER (WHERE status = 'resolved') AS resolved, \
                   coalesce(avg(extract(epoch FROM resolved_at - escalated_at) / 3600.0) \
                            FILTER (WHERE status = 'resolved' AND resolved_at IS NOT NULL), 0)::float8 AS avg_hours \
                 FROM conversations, window_start \
                 WHERE organization_id = $1 AND escalated_at >= since",
                [org_id.into(), (days as i32).into()],
            ))
            .await?
            .ok_or_else(|| DomainError::Internal("stats returned no row".into()))?;
        let conversations: i64 = row.try_get("", "conversations")?;
        let escalations: i64 = row.try_get("", "escalations")?;
        let resolved: i64 = row.try_get("", "resolved")?;
        let per_day_rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT d::date AS day, count(c.id) AS n \
                 FROM generate_series((now() - make_interval(days => $2::int - 1))::date, now()::date, '1 day') d \
                 LEFT JOIN conversations c ON c.organization_id = $1 AND c.escalated_at::date = d::date \
                 GROUP BY d ORDER BY d",
                [org_id.into(), (days as i32).into()],
            ))
            .await?;
        let ratio = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Ok(Stats {
            days,
            total_conversations: conversations,
            total_escalations: escalations,
            unresolved: row.try_get("", "unresolved")?,
            resolution_rate: ratio(resolved, escalations),
            escalation_rate: ratio(escalations, conversations),
            avg_hours_to_resolve: row.try_get("", "avg_hours")?,
            per_day: per_day_rows
                .iter()
                .map(|r| Ok((r.try_get::<NaiveDate>("", "day")?, r.try_get::<i64>("", "n")?)))
                .collect::<Result<_, sea_orm::DbErr>>()?,
        })
    }

    async fn conversation_summary(
        &self,
        db: &impl ConnectionTrait,
        org_id: Uuid,
        id: Uuid,
    ) -> DomainResult<ConversationSummary> {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("{SUMMARY_SELECT} WHERE c.id = $1 AND c.organization_id = $2"),
                [id.into(), org_id.into()],
            ))
            .await?
            .ok_or(DomainError::NotFound("conversation"))?;
        Ok(summary_from_row(&row)?)
    }

    async fn emit_status(&self, organization_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, status: &str) {
        let status = status.to_owned();
        self.emit(ConversationEvent::StatusChanged { organization_id, visitor_id, conversation_id, status }).await;
    }
}

/// One CSV line (RFC 4180: every cell quoted, quotes doubled, CRLF). Cells a spreadsheet would
/// run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading `'`.
pub fn csv_row(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|cell| {
            let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            let cell = if risky { format!("'{cell}") } else { cell.clone() };
            format!("\"{}\"", cell.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal RFC 4180 reader, to prove the writer round-trips.
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => cell.push(c),
                (false, '"') => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut cell)),
                (false, '\r') => {}
                (false, '\n') => {
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => cell.push(c),
            }
        }
        rows
    }

    #[test]
    fn nasty_text_round_trips_and_formulas_are_defused() {
        let nasty = [
            "plain".to_owned(),
            "comma, \"quotes\" and\nnew lines\r\nhere".to_owned(),
            "=HYPERLINK(\"http://evil\")".to_owned(),
            "+1 555".to_owned(),
            "-2".to_owned(),
            "@SUM(A1)".to_owned(),
            String::new(),
        ];
        let rows = parse_csv(&csv_row(&nasty));
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row[0], "plain");
        assert_eq!(row[1], "comma, \"quotes\" and\nnew lines\r\nhere");
        assert_eq!(row[2], "'=HYPERLINK(\"http://evil\")");
        assert_eq!((row[3].as_str(), row[4].as_str(), row[5].as_str()), ("'+1 555", "'-2", "'@SUM(A1)"));
        assert_eq!(row[6], "");
    }

    #[test]
    fn status_filters_parse_and_refuse_unknown_values() {
        assert_eq!(StatusFilter::parse("unresolved").expect("ok"), StatusFilter::Unresolved);
        assert_eq!(StatusFilter::parse("").expect("ok"), StatusFilter::All);
        assert!(StatusFilter::parse("open").is_err());
        assert_eq!(contains_pattern("50%_off"), "%50\\%\\_off%");
    }
}
