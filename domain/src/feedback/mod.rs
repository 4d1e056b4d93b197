//! The feedback SDK (Iterato-compatible): projects, their events, and the feedback sites collect
//! with `IteratoService.collect`.
//!
//! - A **project** has a public id (`project-…`, what `init` takes) and a secret key (stored as
//!   SHA-256, shown once, rotatable) for `POST /fetchFeedbacks`. Owners and admins manage
//!   projects and events; every member reads feedback.
//! - An **event** is a moment a site asks for feedback (`checkout-success`); its id is chosen by
//!   the owner and unique in the project, with a display name and an optional toast question.
//! - A **feedback** is one reaction with its diagnostics; a 👎 starts a short conversation
//!   ([`dialogue`]) whose summary the team reads. Intake from browsers is in [`intake`].

pub mod dialogue;
mod events;
mod fetch;
pub mod intake;
mod listing;
mod projects;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QueryResult, Set,
    Statement, TransactionTrait, Value,
};
use serde_json::json;
use uuid::Uuid;

use crate::accounts::Actor;
use crate::entities::feedback_project;
use crate::{DomainError, DomainResult, Services, tokens};

/// Most projects per organisation.
const MAX_PROJECTS: i64 = 50;
/// Most events per project.
const MAX_EVENTS: i64 = 200;
/// Feedback per dashboard page.
pub const PAGE_SIZE: u64 = 25;
/// The last page a dashboard may ask for (keeps the offset arithmetic far from overflow).
const MAX_PAGE: u64 = 1_000_000;
/// Feedback returned by one `fetchFeedbacks` call unless `limit` says otherwise, and the most.
pub const FETCH_DEFAULT_LIMIT: u64 = 1000;
pub const FETCH_MAX_LIMIT: u64 = 10_000;
/// Most bytes of feedback (user info and summary, plus a fixed allowance per entry) one
/// `/fetchFeedbacks` response carries: the newest entries up to it (always at least one); older
/// ones are fetched with `before`.
pub const FETCH_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// 👍 or 👎. Stored as checked text in `feedbacks.reaction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Reaction {
    #[sea_orm(string_value = "positive")]
    Positive,
    #[sea_orm(string_value = "negative")]
    Negative,
}

impl Reaction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Positive => "positive",
            Self::Negative => "negative",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "positive" => Some(Self::Positive),
            "negative" => Some(Self::Negative),
            _ => None,
        }
    }
}

/// A project as the dashboard shows it (never with its secret).
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    /// The public id (`project-…`).
    pub project_id: String,
    pub name: String,
    /// The secret key's last four characters.
    pub secret_hint: String,
    pub created_at: DateTime<Utc>,
    pub events: Vec<Event>,
}

/// A new project, or a rotated key: the secret is in here this once.
#[derive(Clone, Debug)]
pub struct ProjectSecret {
    pub project: Project,
    pub secret_key: String,
}

/// An event of a project, with its feedback counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub event_id: String,
    pub name: String,
    pub question: Option<String>,
    pub positive: i64,
    pub negative: i64,
    pub created_at: DateTime<Utc>,
}

/// Who said a line of a feedback conversation (stored in the feedback's JSON as `ai`/`user`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnRole {
    /// The follow-up question the SDK asked.
    Ai,
    /// The person who gave the feedback.
    User,
}

/// One line of a feedback conversation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Turn {
    pub role: TurnRole,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// One feedback with everything stored about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    pub id: String,
    pub event_id: String,
    pub event_name: String,
    pub tags: Vec<String>,
    pub reaction: Reaction,
    pub user_info: serde_json::Value,
    pub console_log: serde_json::Value,
    pub browser: String,
    pub connectivity: serde_json::Value,
    pub ip_details: serde_json::Value,
    pub language: String,
    pub conversation: Vec<Turn>,
    pub summary: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Proof that a `/fetchFeedbacks` caller holds a project's secret key
/// ([`crate::Services::authenticate_fetch`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchGrant(Uuid);

/// What `POST /fetchFeedbacks` returns of one feedback.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackEntry {
    pub id: String,
    pub event_id: String,
    pub reaction: Reaction,
    pub user_info: serde_json::Value,
    pub summary: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl FeedbackEntry {
    /// The entry as the seed documents it (its fields and spelling; `conversation_summery` only
    /// for negative feedback).
    pub fn to_json(&self) -> serde_json::Value {
        let mut entry = json!({
            "event_id": self.event_id,
            "user_info": self.user_info,
            "reaction": self.reaction.as_str(),
            "created_at": iso_millis(self.created_at),
        });
        if self.reaction == Reaction::Negative {
            entry["conversation_summery"] = json!(self.summary.clone().unwrap_or_default());
        }
        entry
    }
}

/// ISO 8601 in UTC with milliseconds, as the seed shows: `2025-05-07T10:08:20.714Z`.
pub fn iso_millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Which feedback a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedbackFilter {
    pub event_id: Option<String>,
    pub tag: Option<String>,
    pub reaction: Option<Reaction>,
}

impl FeedbackFilter {
    /// A filter from optional query values: blanks mean "any"; a reaction must be `positive` or
    /// `negative`. The dashboard, the REST list and `fetchFeedbacks` all read filters this way.
    pub fn from_query(event_id: Option<String>, tag: Option<String>, reaction: Option<String>) -> DomainResult<Self> {
        let blank_to_none = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let reaction = match blank_to_none(reaction) {
            None => None,
            Some(r) => Some(
                Reaction::parse(&r)
                    .ok_or_else(|| DomainError::invalid("reaction", "must be \"positive\" or \"negative\""))?,
            ),
        };
        Ok(Self { event_id: blank_to_none(event_id), tag: blank_to_none(tag), reaction })
    }
}

/// A page of feedback for the dashboard.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackPage {
    pub items: Vec<Feedback>,
    /// Matching feedback in all pages.
    pub total: u64,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
}

/// Validates a project name: 1–80 characters, no control characters.
fn validate_name(field: &'static str, name: &str) -> DomainResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(DomainError::invalid(field, "must be 1 to 80 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(name.to_owned())
}

/// Validates an event id: 1–100 of letters, digits, `-`, `_`, `.` and `:` (it appears in site
/// code and in URLs).
pub fn validate_event_id(event_id: &str) -> DomainResult<String> {
    let id = event_id.trim();
    if id.is_empty() || id.len() > 100 {
        return Err(DomainError::invalid("event_id", "must be 1 to 100 characters"));
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')) {
        return Err(DomainError::invalid("event_id", "may contain letters, digits, '-', '_', '.' and ':' only"));
    }
    Ok(id.to_owned())
}

/// Whether `id` looks like a project id (`project-` and up to 56 letters, digits, `-` or `_`);
/// checked before an id from the public is used as a rate-limit key or looked up.
pub fn is_project_id(id: &str) -> bool {
    id.len() <= 64
        && id.strip_prefix("project-").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Whether `id` looks like a feedback id (milliseconds and random characters, at most 40).
pub fn is_feedback_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 40 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Validates an optional toast question: at most 200 characters; blank means none.
fn validate_question(question: Option<&str>) -> DomainResult<Option<String>> {
    let Some(q) = question.map(str::trim).filter(|q| !q.is_empty()) else { return Ok(None) };
    if q.chars().count() > 200 || q.chars().any(char::is_control) {
        return Err(DomainError::invalid("question", "must be at most 200 characters on one line"));
    }
    Ok(Some(q.to_owned()))
}

/// A new public project id: `project-` and ten lower-case letters or digits.
fn new_public_id() -> String {
    format!("project-{}", random_base36(10))
}

/// A new feedback id in Iterato's shape: the time in milliseconds, then 11 random characters,
/// so ids sort by creation time.
fn new_feedback_id(at: DateTime<Utc>) -> String {
    format!("{}{}", at.timestamp_millis(), random_base36(11))
}

fn random_base36(n: usize) -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..n).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// A new secret key: `isk_` and 256 random bits.
fn new_secret_key() -> String {
    format!("isk_{}", tokens::random_token())
}

fn hint(secret: &str) -> String {
    secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect()
}

fn event_from_row(r: &QueryResult) -> Result<Event, sea_orm::DbErr> {
    Ok(Event {
        event_id: r.try_get("", "event_key")?,
        name: r.try_get("", "name")?,
        question: r.try_get("", "question")?,
        positive: r.try_get("", "positive")?,
        negative: r.try_get("", "negative")?,
        created_at: r.try_get("", "created_at")?,
    })
}

pub(crate) fn feedback_from_row(r: &QueryResult) -> Result<Feedback, sea_orm::DbErr> {
    let tags: serde_json::Value = r.try_get("", "tags")?;
    let conversation: serde_json::Value = r.try_get("", "conversation")?;
    let reaction: String = r.try_get("", "reaction")?;
    Ok(Feedback {
        id: r.try_get("", "id")?,
        event_id: r.try_get("", "event_key")?,
        event_name: r.try_get("", "event_name")?,
        tags: serde_json::from_value(tags).unwrap_or_default(),
        reaction: Reaction::parse(&reaction).unwrap_or(Reaction::Negative),
        user_info: r.try_get("", "user_info")?,
        console_log: r.try_get("", "console_log")?,
        browser: r.try_get("", "browser")?,
        connectivity: r.try_get("", "connectivity")?,
        ip_details: r.try_get("", "ip_details")?,
        language: r.try_get("", "language")?,
        conversation: serde_json::from_value(conversation).unwrap_or_default(),
        summary: r.try_get("", "conversation_summary")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// The columns [`feedback_from_row`] reads, from `feedbacks f JOIN feedback_events e`.
pub(crate) const FEEDBACK_COLUMNS: &str = "f.id, e.event_key, e.name AS event_name, to_jsonb(f.tags) AS tags, \
     f.reaction, f.user_info, f.console_log, f.browser, f.connectivity, f.ip_details, f.language, f.conversation, \
     f.conversation_summary, f.created_at";

/// `AND …` conditions for `filter`, numbered from `$first`, and their values.
fn filter_sql(filter: &FeedbackFilter, first: usize) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(event) = &filter.event_id {
        values.push(event.clone().into());
        sql.push_str(&format!(" AND e.event_key = ${}", first + values.len() - 1));
    }
    if let Some(tag) = &filter.tag {
        values.push(tag.clone().into());
        sql.push_str(&format!(" AND f.tags @> ARRAY[${}]::text[]", first + values.len() - 1));
    }
    if let Some(reaction) = filter.reaction {
        values.push(reaction.as_str().into());
        sql.push_str(&format!(" AND f.reaction = ${}", first + values.len() - 1));
    }
    (sql, values)
}

impl Services {
    /// The project's internal id and its fields, if it belongs to `org_id`.
    async fn project_in_org(&self, org_id: Uuid, project_id: &str) -> DomainResult<(Uuid, Project)> {
        let row = feedback_project::Entity::find()
            .filter(feedback_project::Column::PublicId.eq(project_id))
            .filter(feedback_project::Column::OrganizationId.eq(org_id))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("project"))?;
        Ok((row.id, row.into()))
    }

    async fn project_events(&self, org_id: Uuid, project: Uuid) -> DomainResult<Vec<Event>> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT e.event_key, e.name, e.question, e.created_at, \
                 count(f.id) FILTER (WHERE f.reaction = $3) AS positive, \
                 count(f.id) FILTER (WHERE f.reaction = $4) AS negative \
                 FROM feedback_events e LEFT JOIN feedbacks f ON f.event_id = e.id \
                 WHERE e.project_id = $1 AND e.organization_id = $2 GROUP BY e.id ORDER BY e.created_at",
                [project.into(), org_id.into(), Reaction::Positive.into(), Reaction::Negative.into()],
            ))
            .await?;
        Ok(rows.iter().map(event_from_row).collect::<Result<_, _>>()?)
    }
}

impl From<feedback_project::Model> for Project {
    /// The project without its events (the caller adds them).
    fn from(m: feedback_project::Model) -> Self {
        Self {
            project_id: m.public_id,
            name: m.name,
            secret_hint: m.secret_hint,
            created_at: m.created_at.into(),
            events: Vec::new(),
        }
    }
}

/// Locks the parent row (`lock`, for `id`) and counts its children (`count`, a `count(*) AS n`):
/// inside `txn`, so a cap on the children holds against concurrent additions.
async fn locked_count(txn: &impl ConnectionTrait, lock: &str, count: &str, id: Uuid) -> DomainResult<i64> {
    txn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, lock, [id.into()])).await?;
    let row = txn.query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, count, [id.into()])).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_iterato_shapes() {
        let p = new_public_id();
        assert!(p.starts_with("project-") && p.len() == 18, "{p}");
        let at = DateTime::parse_from_rfc3339("2025-05-07T10:08:20.714Z").expect("test value").with_timezone(&Utc);
        let f = new_feedback_id(at);
        assert!(f.starts_with("1746612500714") && f.len() == 24, "{f}");
        assert!(new_secret_key().starts_with("isk_"));
        assert_eq!(hint("isk_abcdWXYZ"), "WXYZ");
    }

    #[test]
    fn public_ids_are_shape_checked() {
        assert!(is_project_id(&new_public_id()) && is_project_id("project-5woc8") && is_project_id("project-ms6djd"));
        assert!(
            !is_project_id("project-")
                && !is_project_id("5woc8")
                && !is_project_id(&format!("project-{}", "a".repeat(60)))
        );
        assert!(!is_project_id("project-a b") && !is_project_id("project-ä"));
        assert!(is_feedback_id(&new_feedback_id(Utc::now())) && !is_feedback_id("") && !is_feedback_id("a/b"));
    }

    #[test]
    fn timestamps_are_iso_utc_with_milliseconds() {
        let at = DateTime::parse_from_rfc3339("2025-05-07T12:08:20.714+02:00").expect("test value").with_timezone(&Utc);
        assert_eq!(iso_millis(at), "2025-05-07T10:08:20.714Z");
    }

    #[test]
    fn event_ids_are_checked() {
        assert_eq!(validate_event_id(" checkout-success ").expect("test value"), "checkout-success");
        assert!(validate_event_id("live-event-poiu82").is_ok());
        for bad in ["", "has space", "a/b", &"x".repeat(101), "<script>"] {
            assert!(validate_event_id(bad).is_err(), "{bad}");
        }
        assert_eq!(validate_question(Some("  ")).expect("test value"), None);
        assert!(validate_question(Some(&"q".repeat(201))).is_err());
    }

    #[test]
    fn only_negative_entries_carry_a_summary() {
        let mut f = FeedbackEntry {
            id: "1".into(),
            event_id: "checkout".into(),
            reaction: Reaction::Positive,
            user_info: json!({"uid": "u1"}),
            summary: Some("ignored".into()),
            created_at: Utc::now(),
        };
        assert!(f.to_json().get("conversation_summery").is_none());
        f.reaction = Reaction::Negative;
        assert_eq!(f.to_json()["conversation_summery"], "ignored");
        assert_eq!(f.to_json()["user_info"]["uid"], "u1");
    }

    #[test]
    fn filters_number_their_parameters() {
        let filter =
            FeedbackFilter { event_id: Some("e".into()), tag: Some("t".into()), reaction: Some(Reaction::Negative) };
        let (sql, values) = filter_sql(&filter, 3);
        assert_eq!(sql, " AND e.event_key = $3 AND f.tags @> ARRAY[$4]::text[] AND f.reaction = $5");
        assert_eq!(values.len(), 3);
        assert!(
            constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"a", b"ab")
        );
    }
}
