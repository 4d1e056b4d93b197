//! What browsers send: the SDK's project lookup (`init`), new feedback (`collect` → 👍/👎) and
//! the answers of a 👎 conversation. Public and unauthenticated, so everything is capped and
//! cleaned here: a 10 MB console log is cut to the last entries, never stored whole, and the IP
//! is the one the server saw, never one the client claims.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::dialogue::{self, MAX_ANSWER_CHARS, MAX_ANSWERS, Next, ToastTexts};
use super::{Reaction, Turn, TurnRole, new_feedback_id};
use crate::conversation::language::{self, Language};
use crate::llm::Speaker;
use crate::{DomainError, DomainResult, Services, tokens};

/// Console entries kept per feedback (the SDK sends at most this many).
pub const MAX_CONSOLE_ENTRIES: usize = 50;
/// Longest console message kept, in characters.
pub const MAX_CONSOLE_MESSAGE_CHARS: usize = 2000;
/// Largest `user_info`, serialised: the SDK allows 16,384 characters of JSON, which is at most
/// three times as many UTF-8 bytes.
pub const MAX_USER_INFO_BYTES: usize = 3 * 16 * 1024;
/// Most tags on one feedback, and the longest tag.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 64;

/// A project as the SDK sees it: its events and the toast's texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdkProject {
    pub project_id: String,
    /// `(event_id, question)`; the question is the event's own or the default one. (Event names
    /// stay on the dashboard: anyone can read this.)
    pub events: Vec<(String, String)>,
    pub texts: ToastTexts,
}

/// New feedback as the SDK posts it (already parsed, not yet cleaned).
#[derive(Clone, Debug, Default)]
pub struct Submission {
    pub project_id: String,
    pub event_id: String,
    pub tags: Value,
    pub reaction: String,
    pub user_info: Value,
    pub console_log: Value,
    pub browser: String,
    pub connectivity: Value,
    /// The browser's language tag (`es-ES`).
    pub language: String,
}

/// Stored feedback: its id, the token that continues its conversation, and what the AI says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    pub feedback_id: String,
    pub token: String,
    /// The AI's first question after a 👎; `None` after a 👍.
    pub reply: Option<String>,
    pub done: bool,
}

/// The AI's answer to one message of the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub reply: String,
    pub done: bool,
}

/// The language of a browser language tag (`pt-BR` → Portuguese); English when unknown.
pub fn language_of_tag(tag: &str) -> Language {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    Language::from_code(&primary).unwrap_or(Language::En)
}

/// Tags as a string or an array of strings: trimmed, blanks dropped, repeats removed; at most
/// [`MAX_TAGS`] of at most [`MAX_TAG_CHARS`] characters each.
pub fn clean_tags(tags: &Value) -> DomainResult<Vec<String>> {
    let raw: Vec<&Value> = match tags {
        Value::Null => Vec::new(),
        Value::String(_) => vec![tags],
        Value::Array(items) => items.iter().collect(),
        _ => return Err(DomainError::invalid("tags", "must be a string or an array of strings")),
    };
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let tag =
            tag.as_str().ok_or_else(|| DomainError::invalid("tags", "must be a string or an array of strings"))?;
        // Tabs and line breaks (which the SDK lets through) become spaces rather than a refusal
        // that would lose the feedback.
        let tag: String = tag.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let tag = tag.trim();
        if tag.is_empty() || out.iter().any(|t| t == tag) {
            continue;
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(DomainError::invalid("tags", format!("each tag must be at most {MAX_TAG_CHARS} characters")));
        }
        out.push(tag.to_owned());
    }
    if out.len() > MAX_TAGS {
        return Err(DomainError::invalid("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

/// The console log cut to its last [`MAX_CONSOLE_ENTRIES`] entries, each `{level, message, at}`
/// with the message clipped. Anything that is not an array is an empty log.
pub fn clean_console_log(log: &Value) -> Value {
    let Some(entries) = log.as_array() else { return json!([]) };
    let start = entries.len().saturating_sub(MAX_CONSOLE_ENTRIES);
    let cleaned: Vec<Value> = entries[start..]
        .iter()
        .map(|entry| {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or("");
            let level = match text("level") {
                l @ ("log" | "info" | "warn" | "error" | "debug") => l,
                _ => "log",
            };
            let message = match entry {
                Value::String(s) => s.as_str(),
                _ => text("message"),
            };
            json!({
                "level": level,
                "message": dialogue::clip(&without_nul(message), MAX_CONSOLE_MESSAGE_CHARS),
                "at": without_nul(text("at")).chars().take(40).collect::<String>(),
            })
        })
        .collect();
    Value::Array(cleaned)
}

/// `user_info` as `setUser` passed it: an object (or nothing), at most [`MAX_USER_INFO_BYTES`].
pub fn clean_user_info(info: &Value) -> DomainResult<Value> {
    match info {
        Value::Null => Ok(json!({})),
        Value::Object(_) if info.to_string().len() > MAX_USER_INFO_BYTES => {
            Err(DomainError::TooLarge(format!("user_info must be at most {} KB", MAX_USER_INFO_BYTES / 1024)))
        }
        Value::Object(_) => Ok(strip_nul(info.clone())),
        _ => Err(DomainError::invalid("user_info", "must be an object")),
    }
}

/// `text` without NUL characters, which Postgres cannot store in text or JSON.
pub fn without_nul(text: &str) -> String {
    text.replace('\0', "")
}

/// `value` with NUL characters removed from every string and key.
fn strip_nul(value: Value) -> Value {
    match value {
        Value::String(s) if s.contains('\0') => Value::String(without_nul(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nul).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (without_nul(&k), strip_nul(v))).collect()),
        other => other,
    }
}

/// The connectivity fields browsers give: `online`, `effective_type`, `downlink`, `rtt`.
pub fn clean_connectivity(value: &Value) -> Value {
    let mut out = Map::new();
    if let Some(online) = value.get("online").and_then(Value::as_bool) {
        out.insert("online".into(), online.into());
    }
    if let Some(kind) = value.get("effective_type").and_then(Value::as_str).filter(|k| k.len() <= 16) {
        out.insert("effective_type".into(), kind.into());
    }
    for key in ["downlink", "rtt"] {
        if let Some(n) = value.get(key).and_then(Value::as_f64).filter(|n| n.is_finite() && *n >= 0.0) {
            out.insert(key.into(), n.into());
        }
    }
    Value::Object(out)
}

/// What the server knows of the client's address: the IP of the connection.
pub fn ip_details(ip: Option<IpAddr>) -> Value {
    match ip {
        Some(ip) => json!({ "ip": ip.to_string() }),
        None => json!({}),
    }
}

impl Services {
    /// The project behind `IteratoService.init(project_id)`, with its events and the toast's
    /// texts in `language` (a browser language tag).
    pub async fn sdk_project(&self, project_id: &str, language: &str) -> DomainResult<SdkProject> {
        let texts = dialogue::toast_texts(language_of_tag(language));
        let project = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id, public_id FROM feedback_projects WHERE public_id = $1",
                [project_id.trim().into()],
            ))
            .await?
            .ok_or(DomainError::NotFound("project"))?;
        let id: Uuid = project.try_get("", "id")?;
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT event_key, question FROM feedback_events WHERE project_id = $1 ORDER BY created_at",
                [id.into()],
            ))
            .await?;
        let mut events = Vec::with_capacity(rows.len());
        for r in &rows {
            let question: Option<String> = r.try_get("", "question")?;
            events.push((r.try_get("", "event_key")?, question.unwrap_or_else(|| texts.question.to_owned())));
        }
        Ok(SdkProject { project_id: project.try_get("", "public_id")?, events, texts })
    }

    /// Stores a 👍 or 👎 for an event of a project. A 👎 opens a conversation: the reply is the
    /// AI's first question.
    pub async fn submit_feedback(&self, submission: Submission, ip: Option<IpAddr>) -> DomainResult<Started> {
        if submission.project_id.trim().is_empty() {
            return Err(DomainError::invalid("project_id", "is required"));
        }
        if !super::is_project_id(submission.project_id.trim()) {
            return Err(DomainError::NotFound("project"));
        }
        if submission.event_id.trim().is_empty() {
            return Err(DomainError::invalid("event_id", "is required"));
        }
        let reaction = Reaction::parse(submission.reaction.trim())
            .ok_or_else(|| DomainError::invalid("reaction", "must be \"positive\" or \"negative\""))?;
        let tags = clean_tags(&submission.tags)?;
        let user_info = clean_user_info(&submission.user_info)?;
        let event = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT e.id, e.name, p.id AS project, p.organization_id FROM feedback_events e \
                 JOIN feedback_projects p ON p.id = e.project_id WHERE p.public_id = $1 AND e.event_key = $2",
                [submission.project_id.trim().into(), submission.event_id.trim().into()],
            ))
            .await?
            .ok_or(DomainError::NotFound("event"))?;
        let event_name: String = event.try_get("", "name")?;
        let lang = language_of_tag(&submission.language);
        let now = Utc::now();
        let (reply, conversation, summary) = match reaction {
            Reaction::Positive => (None, Vec::new(), None),
            Reaction::Negative => {
                let question = dialogue::first_question(lang).to_owned();
                let turn = Turn { role: TurnRole::Ai, text: question.clone(), at: now };
                (Some(question), vec![turn], Some(dialogue::extractive_summary(&event_name, &[])))
            }
        };
        let token = tokens::random_token();
        let feedback_id = new_feedback_id(now);
        let browser: String = submission.browser.chars().filter(|c| !c.is_control()).take(512).collect();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO feedbacks (id, project_id, organization_id, event_id, tags, reaction, user_info, \
                 console_log, browser, connectivity, ip_details, language, conversation, conversation_summary, \
                 conversation_done, token_hash, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), $6, $7, $8, $9, $10, \
                 $11, $12, $13, $14, $15, $16, $17, $17)",
                [
                    feedback_id.clone().into(),
                    event.try_get::<Uuid>("", "project")?.into(),
                    event.try_get::<Uuid>("", "organization_id")?.into(),
                    event.try_get::<Uuid>("", "id")?.into(),
                    json!(tags).into(),
                    reaction.as_str().into(),
                    user_info.into(),
                    clean_console_log(&submission.console_log).into(),
                    browser.into(),
                    clean_connectivity(&submission.connectivity).into(),
                    ip_details(ip).into(),
                    lang.code().into(),
                    json!(conversation).into(),
                    summary.into(),
                    (reaction == Reaction::Positive).into(),
                    tokens::hash_token(&token).into(),
                    now.into(),
                ],
            ))
            .await?;
        Ok(Started { feedback_id, token, done: reply.is_none(), reply })
    }

    /// The user's answer in a 👎 conversation: stored with the AI's next question (or its
    /// closing line) and a fresh summary.
    pub async fn answer_feedback(&self, feedback_id: &str, token: &str, text: &str) -> DomainResult<Reply> {
        const DENIED: &str = "invalid feedback id or token";
        let text = without_nul(text);
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_ANSWER_CHARS {
            return Err(DomainError::invalid("text", format!("must be 1 to {MAX_ANSWER_CHARS} characters")));
        }
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT f.token_hash, f.conversation, f.conversation_done, f.language, e.name \
                 FROM feedbacks f JOIN feedback_events e ON e.id = f.event_id WHERE f.id = $1",
                [feedback_id.into()],
            ))
            .await?
            .ok_or(DomainError::Unauthorized(DENIED))?;
        let stored: String = row.try_get("", "token_hash")?;
        if stored != tokens::hash_token(token.trim()) {
            return Err(DomainError::Unauthorized(DENIED));
        }
        if row.try_get::<bool>("", "conversation_done")? {
            return Err(DomainError::conflict("this feedback conversation is over"));
        }
        let event_name: String = row.try_get("", "name")?;
        let mut turns: Vec<Turn> = serde_json::from_value(row.try_get("", "conversation")?)
            .map_err(|e| DomainError::internal_from("reading a stored feedback conversation", e))?;
        let seen = turns.len();
        let previous = Language::from_code(&row.try_get::<String>("", "language")?);
        let lang = language::detect(text, previous);
        let now = Utc::now();
        turns.push(Turn { role: TurnRole::User, text: text.to_owned(), at: now });
        let answers: Vec<String> = turns.iter().filter(|t| t.role == TurnRole::User).map(|t| t.text.clone()).collect();

        let next = if answers.len() >= MAX_ANSWERS {
            Next::Done(dialogue::closing(lang).to_owned())
        } else {
            match self.model_question(&event_name, lang, &turns).await {
                Some(next) => next,
                None => dialogue::next_without_model(&answers, lang),
            }
        };
        let summary = match self.model_summary(&event_name, &answers).await {
            Some(summary) => summary,
            None => dialogue::extractive_summary(&event_name, &answers),
        };
        let (reply, done) = match next {
            Next::Ask(q) => (q, false),
            Next::Done(closing) => (closing, true),
        };
        turns.push(Turn { role: TurnRole::Ai, text: reply.clone(), at: Utc::now() });
        // Guarded by the conversation's length, so two answers racing cannot both land.
        let updated = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE feedbacks SET conversation = $2, conversation_summary = $3, conversation_done = $4, \
                 language = $5, updated_at = now() \
                 WHERE id = $1 AND NOT conversation_done AND jsonb_array_length(conversation) = $6",
                [
                    feedback_id.into(),
                    json!(turns).into(),
                    summary.into(),
                    done.into(),
                    lang.code().into(),
                    (seen as i32).into(),
                ],
            ))
            .await?;
        if updated.rows_affected() == 0 {
            return Err(DomainError::conflict("another answer arrived first; reload the conversation"));
        }
        Ok(Reply { reply, done })
    }

    /// The chat model's next step, when one is configured and its output passes the checks:
    /// `DONE` closes, a short question asks; anything else (or a failure) is `None`.
    async fn model_question(&self, event_name: &str, lang: Language, turns: &[Turn]) -> Option<Next> {
        let chat = self.chat.as_ref()?;
        let mut messages = vec![(Speaker::System, dialogue::question_prompt(event_name, lang))];
        messages.extend(
            turns
                .iter()
                .map(|t| (if t.role == TurnRole::User { Speaker::User } else { Speaker::Assistant }, t.text.clone())),
        );
        let text = chat
            .complete(&messages, 120)
            .await
            .map_err(|e| tracing::warn!(error = %crate::error::Report(&e), "feedback question failed"))
            .ok()?;
        if text.trim().trim_matches('.').eq_ignore_ascii_case("done") {
            return Some(Next::Done(dialogue::closing(lang).to_owned()));
        }
        dialogue::checked_question(&text).map(Next::Ask)
    }

    /// The chat model's summary of the user's answers, when configured and well-formed.
    async fn model_summary(&self, event_name: &str, answers: &[String]) -> Option<String> {
        let chat = self.chat.as_ref()?;
        let said = answers.iter().map(|a| format!("- {a}")).collect::<Vec<_>>().join("\n");
        let messages = vec![
            (Speaker::System, dialogue::summary_prompt(event_name)),
            (Speaker::User, format!("The user's messages:\n{said}")),
        ];
        let text = chat
            .complete(&messages, 120)
            .await
            .map_err(|e| tracing::warn!(error = %crate::error::Report(&e), "feedback summary failed"))
            .ok()?;
        dialogue::checked_summary(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_language_tags_map_to_languages() {
        assert_eq!(language_of_tag("es-ES"), Language::Es);
        assert_eq!(language_of_tag("pt_BR"), Language::Pt);
        assert_eq!(language_of_tag("DE"), Language::De);
        assert_eq!(language_of_tag("ja-JP"), Language::En);
        assert_eq!(language_of_tag(""), Language::En);
    }

    #[test]
    fn tags_come_as_a_string_or_an_array() {
        assert_eq!(clean_tags(&json!("paid")).expect("test value"), vec!["paid"]);
        assert_eq!(
            clean_tags(&json!([" live-836 ", "interacted-with-chat", "", "live-836"])).expect("test value"),
            vec!["live-836", "interacted-with-chat"]
        );
        assert!(clean_tags(&Value::Null).expect("test value").is_empty());
        assert!(clean_tags(&json!(42)).is_err());
        assert!(clean_tags(&json!(["ok", 1])).is_err());
        assert_eq!(clean_tags(&json!(["a\tb"])).expect("test value"), vec!["a b"]);
        assert!(clean_tags(&json!(["x".repeat(65)])).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(clean_tags(&json!(many)).is_err());
    }

    #[test]
    fn a_huge_console_log_is_cut_to_its_last_entries() {
        let big = "x".repeat(10 * 1024 * 1024);
        let mut entries: Vec<Value> =
            (0..120).map(|i| json!({"level": "log", "message": format!("line {i}"), "at": "t"})).collect();
        entries.push(json!({"level": "error", "message": big, "at": "t"}));
        entries.push(json!("plain string"));
        entries.push(json!({"level": "<evil>", "message": 5}));
        let cut = clean_console_log(&Value::Array(entries));
        let list = cut.as_array().expect("test value");
        assert_eq!(list.len(), MAX_CONSOLE_ENTRIES);
        assert_eq!(list[0]["message"], "line 73");
        assert!(list[47]["message"].as_str().expect("test value").chars().count() <= MAX_CONSOLE_MESSAGE_CHARS);
        assert_eq!(list[48], json!({"level": "log", "message": "plain string", "at": ""}));
        assert_eq!(list[49]["level"], "log");
        assert!(cut.to_string().len() < 200 * 1024);
        assert_eq!(clean_console_log(&json!("nope")), json!([]));
        assert_eq!(clean_console_log(&json!([{"message": "a\0b"}]))[0]["message"], "ab");
    }

    #[test]
    fn user_info_must_be_a_small_object() {
        assert_eq!(clean_user_info(&Value::Null).expect("test value"), json!({}));
        let info = json!({"uid": "u1", "userName": "John", "plan": "Premium", "Features": ["Live"]});
        assert_eq!(clean_user_info(&info).expect("test value"), info);
        assert!(matches!(clean_user_info(&json!("john")), Err(DomainError::Invalid { .. })));
        assert!(matches!(clean_user_info(&json!({"x": "y".repeat(50_000)})), Err(DomainError::TooLarge(_))));
        // 16,384 characters of non-ASCII JSON (what the SDK allows) pass.
        assert!(clean_user_info(&json!({"name": "é".repeat(16_000)})).is_ok());
        assert_eq!(clean_user_info(&json!({"a\0": ["b\0c"]})).expect("test value"), json!({"a": ["bc"]}));
    }

    #[test]
    fn connectivity_keeps_known_fields_only() {
        let value = json!({"online": true, "effective_type": "4g", "downlink": 10.0, "rtt": -1, "ip": "6.6.6.6"});
        assert_eq!(clean_connectivity(&value), json!({"online": true, "effective_type": "4g", "downlink": 10.0}));
        assert_eq!(ip_details(Some("10.1.2.3".parse().expect("test value"))), json!({"ip": "10.1.2.3"}));
    }
}
