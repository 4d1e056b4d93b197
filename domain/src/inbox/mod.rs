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

mod actions;
mod csv;
pub mod saved;
mod stats;

pub use csv::csv_row;
pub use saved::{SavedReply, normalise_tag};

use crate::accounts::Actor;
use crate::conversation::{ConversationEvent, Message, MessageRow, Notice};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::{ConversationStatus, DomainError, DomainResult, Services};

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

    fn statuses(self) -> &'static [ConversationStatus] {
        use ConversationStatus as S;
        match self {
            Self::Unresolved => &[S::Escalated, S::Claimed],
            Self::Escalated => &[S::Escalated],
            Self::Claimed => &[S::Claimed],
            Self::Resolved => &[S::Resolved],
            Self::All => &[S::Ai, S::Escalated, S::Claimed, S::Resolved],
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
    pub status: ConversationStatus,
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
       (SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'visitor' -- MessageRole::Visitor
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
    /// contact's name or email) and carrying `tag` when given, most recently active first; one
    /// page of them (`page`), with the cursor of the next.
    pub async fn list_conversations(
        &self,
        actor: &Actor,
        org_id: Uuid,
        filter: StatusFilter,
        q: Option<&str>,
        tag: Option<&str>,
        page: PageRequest,
    ) -> DomainResult<Page<ConversationSummary>> {
        self.membership(actor, org_id).await?;
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
               AND ($5::timestamptz IS NULL OR (c.updated_at, c.id) < ($5, $6))
             ORDER BY c.updated_at DESC, c.id DESC
             LIMIT $7"
        );
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [
                    org_id.into(),
                    statuses.into(),
                    q.map(contains_pattern).into(),
                    tag.into(),
                    page.after.map(|c| c.at).into(),
                    page.after.map(|c| c.id).into(),
                    page.fetch().into(),
                ],
            ))
            .await?;
        let rows = rows.iter().map(summary_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(page.page(rows, |c| Cursor { at: c.updated_at, id: c.id }))
    }

    /// One conversation of `org_id` with its transcript.
    pub async fn get_conversation(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<ConversationDetail> {
        self.membership(actor, org_id).await?;
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
