//! The conversation engine: what the AI says to visitors, and when it steps aside.
//!
//! One visitor turn ([`Services::visitor_message`]):
//! 1. store the message; if a person has the conversation (escalated or claimed), the AI says
//!    **nothing** — enforced here, not in any UI;
//! 2. detect the language; every AI and system message is in it;
//! 3. decide escalation *before* answering, on the new message alone (rules, then the learned
//!    intent model and nearest labelled examples; see [`escalation`]);
//! 4. read the question ([`understanding`]): a follow-up ("And to Spain?") is resolved against
//!    the previous questions; its content words, named things and yes/no form are noted;
//! 5. retrieve, and decide whether a unit of the passages answers it ([`answer::choose`]): every
//!    named thing must be mentioned, and meaning plus shared words must clear the operating
//!    point; if not, escalate with `low_confidence`;
//! 6. compose the answer (extractive: the one or two units that answer, with "Yes"/"No" when the
//!    quote says so; or the chat model's, from the same passages and the recent turns);
//! 7. check it with the grounding guard; an unsupported answer is never sent.
//!
//! In AI-only mode (an organisation setting) the AI never hands off: it says it cannot help or
//! does not know instead. A resolved conversation is closed: the visitor's next message opens a
//! new one, so the AI never re-reads an old escalation into a loop.

pub mod answer;
pub mod contacts;
pub mod device;
pub mod escalation;
pub mod expectation;
pub mod glossary;
pub mod language;
mod messages;
pub mod prompt;
mod session;
pub mod stream_ticket;
mod summary;
pub mod thesaurus;
mod turn;
pub mod understanding;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use self::answer::Unanswerable;
use self::escalation::EscalationReason;
use self::language::{Language, Phrase, detect, phrase};
use self::prompt::ModelAnswer;
use self::understanding::Ellipsis;
use crate::entities::{conversation, message, organization, visitor};
use crate::knowledge::retrieval::Passage;
use crate::llm::{ChatModel, LlmError};
use crate::organizations::{OrgSettings, Organization};
use crate::{ConversationStatus, DomainError, DomainResult, MessageRole, Services, tokens};

/// Longest visitor message.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A document an AI answer is based on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    pub document_id: Uuid,
    pub title: String,
    /// The document's public page, when it has one (the widget links to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
}

impl Citation {
    /// The citation of a retrieved passage's document.
    pub fn of(p: &Passage) -> Self {
        Self { document_id: p.document_id, title: p.title.clone(), source_url: p.source_url.clone() }
    }
}

/// What a widget session learns of the visitor's browser, to name an anonymous visitor in the
/// inbox ([`device::anonymous_label`]).
#[derive(Clone, Debug, Default)]
pub struct VisitorClient {
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The time zone the browser reports (`Intl`), e.g. "Europe/Berlin".
    pub time_zone: Option<String>,
}

/// What the widget needs to render itself (the widget API's `config`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WidgetConfig {
    pub company_name: String,
    pub primary_color: String,
    pub position: String,
    pub require_contact: bool,
    /// Ask a visitor without an email for one at hand-off (never in AI-only mode).
    pub ask_contact_at_handoff: bool,
    pub greeting: String,
    pub show_escalation_cta: bool,
    pub positive_feedback_label: String,
    pub request_help_label: String,
    /// The proactive "Need help?" nudge: its text (empty = off), trigger and threshold.
    pub proactive_message: String,
    pub proactive_trigger: String,
    pub proactive_after: u32,
    /// Whether the team is in now, by its office hours (`None`: no office hours set).
    pub office_hours: Option<TeamHours>,
}

/// The team's availability as the widget shows it while a visitor waits for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TeamHours {
    pub open: bool,
    /// Outside office hours: the next opening.
    pub back_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST /widget/session`.
#[derive(Clone, Debug)]
pub struct WidgetSession {
    pub visitor_token: String,
    pub conversation_id: Option<Uuid>,
    pub config: WidgetConfig,
    pub messages: Vec<Message>,
}

/// The result of a visitor turn.
#[derive(Clone, Debug)]
pub struct TurnOutcome {
    pub conversation_id: Uuid,
    pub status: ConversationStatus,
    /// The AI's answer or the system's confirmation; `None` while a person has the conversation.
    pub reply: Option<Message>,
}

impl TurnOutcome {
    /// The turn's outcome in metrics: `answered` (an AI answer quoting the knowledge base),
    /// `not_answered` (the AI said it does not know or cannot help: AI-only mode), `escalated`
    /// (this turn handed the conversation to the team; the reason is in
    /// `iterochat_escalations_total`), `with_person` (a person has the conversation: no reply).
    pub fn metric_label(&self) -> &'static str {
        match &self.reply {
            None => "with_person",
            Some(_) if self.status == ConversationStatus::Escalated => "escalated",
            Some(reply) if reply.citations.as_ref().is_some_and(|c| !c.is_empty()) => "answered",
            Some(_) => "not_answered",
        }
    }
}

/// A visitor, authenticated by their widget token.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub contact_id: Option<Uuid>,
    /// From the visitor's contact.
    pub name: Option<String>,
    pub email: Option<String>,
}

pub use crate::events::ConversationEvent;
pub use messages::Message;
pub(crate) use messages::{MessageRow, Notice, find_conversation, first_name, insert_agent_message, insert_notice};
use messages::{
    conversation_messages, insert_message, insert_message_by, latest_conversation, recent_messages, set_language,
};
pub use session::widget_config;
pub use summary::handoff_summary;
pub use turn::TrialTurn;

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: MessageRole, text: &str, citation: Option<&str>) -> Message {
        Message {
            id: Uuid::new_v4(),
            conversation_id: Uuid::nil(),
            role,
            text: text.into(),
            created_at: Utc::now(),
            citations: citation.map(|t| vec![Citation { document_id: Uuid::nil(), title: t.into(), source_url: None }]),
            language: None,
            author: None,
        }
    }

    #[test]
    fn handoff_summaries_say_who_what_and_what_the_ai_said_in_two_to_four_sentences() {
        let visitor = Visitor {
            id: Uuid::nil(),
            organization_id: Uuid::nil(),
            contact_id: None,
            name: Some("Ana".into()),
            email: Some("ana@example.com".into()),
        };
        let history = vec![
            msg(MessageRole::Visitor, "How long do refunds take?", None),
            msg(MessageRole::Ai, "Refunds take 5 days.", Some("Returns and refunds")),
            msg(MessageRole::Visitor, "I want my money back now", None),
        ];
        let s = handoff_summary(&visitor, EscalationReason::Refund, &history);
        assert!(
            s.starts_with("A visitor who gave the name “Ana” and the email ana@example.com is asking for a refund."),
            "{s}"
        );
        assert!(s.contains("I want my money back now") && s.contains("Returns and refunds"), "{s}");
        let sentences = crate::knowledge::chunking::sentences(&s).len();
        assert!((2..=4).contains(&sentences), "{sentences} sentences: {s}");
    }
}
