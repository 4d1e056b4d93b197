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
pub mod prompt;
pub mod stream_ticket;
pub mod thesaurus;
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
use crate::{DomainError, DomainResult, Services, tokens};

/// Longest visitor message.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Passages the answer pipeline reads.
const PASSAGES: usize = 8;

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

/// A message as visitors and agents see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// `visitor`, `ai`, `agent` or `system`.
    pub role: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub citations: Option<Vec<Citation>>,
    pub language: Option<String>,
    /// The first name of the agent who wrote an `agent` message (or joined, on a `system` line),
    /// as the visitor sees it.
    pub author: Option<String>,
}

/// The name a visitor sees for an agent: their first name.
pub(crate) fn first_name(name: &str) -> Option<String> {
    name.split_whitespace().next().map(str::to_owned)
}

/// A stored message with its author's full name.
#[derive(Debug, sea_orm::FromQueryResult)]
pub(crate) struct MessageRow {
    id: Uuid,
    conversation_id: Uuid,
    role: String,
    text: String,
    created_at: sea_orm::prelude::DateTimeWithTimeZone,
    citations: Option<serde_json::Value>,
    language: Option<String>,
    pub(crate) author_name: Option<String>,
}

impl MessageRow {
    /// The columns of a `MessageRow`, over `messages m LEFT JOIN users u`; the caller adds its
    /// `WHERE` and `ORDER BY`.
    pub(crate) const SELECT: &'static str = "SELECT m.id, m.conversation_id, m.role, m.text, m.created_at, m.citations, \
         m.language, u.name AS author_name FROM messages m LEFT JOIN users u ON u.id = m.author_id";

    pub(crate) fn message(&self) -> Message {
        Message {
            id: self.id,
            conversation_id: self.conversation_id,
            role: self.role.clone(),
            text: self.text.clone(),
            created_at: self.created_at.into(),
            citations: self.citations.clone().and_then(|c| serde_json::from_value(c).ok()),
            language: self.language.clone(),
            author: self.author_name.as_deref().and_then(first_name),
        }
    }
}

impl From<message::Model> for Message {
    fn from(m: message::Model) -> Self {
        Self {
            id: m.id,
            conversation_id: m.conversation_id,
            role: m.role,
            text: m.text,
            created_at: m.created_at.into(),
            citations: m.citations.and_then(|c| serde_json::from_value(c).ok()),
            language: m.language,
            author: None,
        }
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
    /// `ai`, `escalated`, `claimed` or `resolved`.
    pub status: String,
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
            Some(_) if self.status == "escalated" => "escalated",
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

impl Services {
    /// Opens (or resumes) the widget for `widget_key`: the visitor token (new if missing or not
    /// this organisation's), the widget's config and the open conversation's messages.
    ///
    /// `origin` is the page's `Origin` header: a site the organisation did not allow gets
    /// `Forbidden`, and no visitor is made.
    pub async fn widget_session(
        &self,
        widget_key: &str,
        visitor_token: Option<&str>,
        origin: Option<&str>,
        client: &VisitorClient,
    ) -> DomainResult<WidgetSession> {
        let browser = client.user_agent.as_deref().and_then(device::browser);
        let time_zone = client.time_zone.as_deref().and_then(device::time_zone);
        let org = self.widget_organization(widget_key, origin).await?;
        let existing = match visitor_token {
            Some(token) => {
                self.find_visitor(token).await?.filter(|v| v.organization_id == org.id).map(|v| (v, token.to_owned()))
            }
            None => None,
        };
        let (visitor, token) = match existing {
            Some((v, token)) => {
                // A returning visitor on another browser or in another zone: the inbox follows.
                let moved =
                    (browser.is_some() && browser != v.browser) || (time_zone.is_some() && time_zone != v.time_zone);
                if moved {
                    visitor::Entity::update_many()
                        .col_expr(
                            visitor::Column::Browser,
                            sea_orm::sea_query::Expr::value(browser.clone().or(v.browser.clone())),
                        )
                        .col_expr(
                            visitor::Column::TimeZone,
                            sea_orm::sea_query::Expr::value(time_zone.clone().or(v.time_zone.clone())),
                        )
                        .filter(visitor::Column::Id.eq(v.id))
                        .exec(&self.db)
                        .await?;
                }
                (v, token)
            }
            None => {
                let token = tokens::random_token();
                let now = Utc::now();
                let v = visitor::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    organization_id: Set(org.id),
                    token_hash: Set(tokens::hash_token(&token)),
                    contact_id: Set(None),
                    browser: Set(browser),
                    time_zone: Set(time_zone),
                    claimed_name: Set(None),
                    claimed_email: Set(None),
                    created_at: Set(now.into()),
                    last_seen_at: Set(now.into()),
                }
                .insert(&self.db)
                .await?;
                (v, token)
            }
        };
        let conversation = latest_conversation(&self.db, visitor.id).await?.filter(|c| c.status != "resolved");
        let messages = match &conversation {
            Some(c) => conversation_messages(&self.db, c.id, None).await?,
            None => Vec::new(),
        };
        Ok(WidgetSession {
            visitor_token: token,
            conversation_id: conversation.map(|c| c.id),
            config: widget_config(&org),
            messages,
        })
    }

    /// The visitor behind a widget token, asking from a page at `origin` (its `Origin` header):
    /// unknown tokens are `Unauthorized`, a site the organisation did not allow is `Forbidden`.
    pub async fn authenticate_widget_visitor(&self, token: &str, origin: Option<&str>) -> DomainResult<Visitor> {
        let visitor = self.authenticate_visitor(token).await?;
        self.check_widget_origin(visitor.organization_id, origin).await?;
        Ok(visitor)
    }

    /// The widget's settings before any visitor shows interest: what the loader needs to draw
    /// the launcher in the organisation's colour and place, and whether a proactive message
    /// needs the whole widget at once. Nothing about any visitor is made or read. Like a
    /// session, it refuses a site the organisation did not allow and marks the widget seen on
    /// an allowed one (the install checklist).
    pub async fn widget_look(&self, widget_key: &str, origin: Option<&str>) -> DomainResult<WidgetConfig> {
        Ok(widget_config(&self.widget_organization(widget_key, origin).await?))
    }

    /// The organisation behind a widget key, for a page on a site it allows; the first page
    /// view from a site in a while is recorded.
    async fn widget_organization(&self, widget_key: &str, origin: Option<&str>) -> DomainResult<Organization> {
        let org = organization::Entity::find()
            .filter(organization::Column::WidgetKey.eq(widget_key.trim()))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("widget"))?;
        // Read off the row already loaded: a page view writes only when the record is stale.
        let seen_is_stale = origin.is_some_and(|o| crate::organizations::widget_seen_is_stale(&org, o));
        let org: Organization = org.into();
        if !org.settings.allows_origin(origin) {
            return Err(not_allowed_here(origin));
        }
        if let Some(origin) = origin.filter(|_| seen_is_stale) {
            crate::organizations::note_widget_seen(&self.db, org.id, origin).await?;
        }
        Ok(org)
    }

    /// Refuses a browser page on a site `org_id` did not allow its widget on (see
    /// [`crate::organizations::OrgSettings::allows_origin`]); without an `Origin` nothing is read.
    async fn check_widget_origin(&self, org_id: Uuid, origin: Option<&str>) -> DomainResult<()> {
        if origin.is_none() {
            return Ok(());
        }
        let org =
            organization::Entity::find_by_id(org_id).one(&self.db).await?.ok_or(DomainError::NotFound("widget"))?;
        if crate::organizations::settings_of(&org).allows_origin(origin) {
            Ok(())
        } else {
            Err(not_allowed_here(origin))
        }
    }

    /// The visitor behind a widget token; unknown tokens are `Unauthorized`.
    pub async fn authenticate_visitor(&self, token: &str) -> DomainResult<Visitor> {
        let v = self
            .find_visitor(token)
            .await?
            .ok_or(DomainError::Unauthorized("unknown visitor token; open a widget session first"))?;
        self.visitor_from_row(v).await
    }

    /// A visitor as the conversation engine sees them, from their stored row.
    async fn visitor_from_row(&self, v: visitor::Model) -> DomainResult<Visitor> {
        // Their contact's details; else what they claimed (unverified, labelled as theirs where
        // it is shown).
        let (name, email) = match self.contact_of(v.contact_id).await? {
            (None, None) => (v.claimed_name, v.claimed_email),
            known => known,
        };
        Ok(Visitor { id: v.id, organization_id: v.organization_id, contact_id: v.contact_id, name, email })
    }

    /// One visitor turn; see the module documentation for the pipeline.
    pub async fn visitor_message(&self, visitor: &Visitor, text: &str) -> DomainResult<TurnOutcome> {
        self.visitor_message_once(visitor, text, None).await
    }

    /// [`Services::visitor_message`] for a message the widget tagged with `client_id`: a
    /// re-send of an id already stored changes nothing and answers with the conversation's
    /// current status and no reply (the widget catches up through `GET /messages`).
    pub async fn visitor_message_once(
        &self,
        visitor: &Visitor,
        text: &str,
        client_id: Option<Uuid>,
    ) -> DomainResult<TurnOutcome> {
        let started = std::time::Instant::now();
        let outcome = self.visitor_turn(visitor, text, client_id).await;
        if let Ok(turn) = &outcome {
            let label = turn.metric_label();
            metrics::counter!("iterochat_visitor_turns_total", "outcome" => label).increment(1);
            metrics::histogram!("iterochat_visitor_turn_seconds", "outcome" => label)
                .record(started.elapsed().as_secs_f64());
        }
        outcome
    }

    async fn visitor_turn(&self, visitor: &Visitor, text: &str, client_id: Option<Uuid>) -> DomainResult<TurnOutcome> {
        if let Some(id) = client_id
            && let Some(done) = self.already_received(visitor, id).await?
        {
            return Ok(done);
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid("text", "is empty"));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DomainError::invalid("text", format!("must be at most {MAX_MESSAGE_CHARS} characters")));
        }
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DomainError::invalid("text", "must not contain control characters"));
        }
        let org = self.visitor_organization(visitor).await?;
        if org.settings.require_contact && visitor.email.is_none() {
            return Err(DomainError::invalid("contact", "please give your name and email first"));
        }
        let conv = self.open_conversation(visitor).await?;
        let stored = {
            let txn = self.db.begin().await?;
            let inserted =
                insert_message_by(&txn, &self.alerts, &conv, "visitor", text, None, None, None, client_id).await;
            match inserted {
                Ok(message) => {
                    txn.commit().await?;
                    self.wake_outbox();
                    message
                }
                // A concurrent re-send of the same message won the insert.
                Err(DomainError::Conflict(_)) if client_id.is_some() => {
                    txn.rollback().await?;
                    return Ok(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None });
                }
                Err(e) => return Err(e),
            }
        };
        // Waiting in the queue, the visitor added something: the agents' summary says so before
        // the inbox hears of the message. The message is stored either way.
        if conv.status == "escalated"
            && let Err(e) = self.refresh_summary(&conv, visitor).await
        {
            tracing::warn!(conversation_id = %conv.id, error = %e, "could not refresh the hand-off summary");
        }
        self.emit(ConversationEvent::VisitorMessage {
            organization_id: org.id,
            visitor_id: visitor.id,
            conversation_id: conv.id,
            message_id: stored.id,
        })
        .await;
        // The message is stored; failing to read contact details out of it must not lose it.
        if let Err(e) = self.absorb_contact_details(visitor, text).await {
            tracing::warn!(visitor_id = %visitor.id, error = %e, "could not update the contact from a message");
        }
        if conv.status == "escalated" || conv.status == "claimed" {
            return Ok(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None });
        }

        let lang = detect(text, conv.language.as_deref().and_then(Language::from_code));
        set_language(&self.db, conv.id, lang).await?;
        // Embedded once: the intent check, retrieval and unit selection all compare against it.
        let message_vector = self.embed_query_for(org.id, text).await?;
        if let Some(reason) = self.escalation_reason(text, &message_vector, lang).await? {
            if org.settings.escalates(reason) {
                return self.hand_off(&org, &conv, visitor, reason, lang).await;
            }
            tracing::debug!(?reason, "this escalation reason is off for the organisation; the AI answers");
        }
        // Sentences that try to instruct the AI are not read; a message made only of them gets no
        // answer at all.
        let cleaned = prompt::strip_instructions(text);
        let text = cleaned.trim();
        if text.is_empty() {
            return self.hand_off(&org, &conv, visitor, EscalationReason::LowConfidence, lang).await;
        }
        // Read alone, or with the previous questions when it only makes sense after them.
        let exempt = [org.name.clone(), org.settings.company_name.clone()];
        let resolved = match understanding::ellipsis(text) {
            Ellipsis::Standalone => None,
            kind => self
                .previous_question(&conv, stored.id, lang, &exempt)
                .await?
                .map(|previous| (kind, understanding::resolve(text, &previous, lang, &exempt))),
        };
        let found = match &resolved {
            Some((kind @ (Ellipsis::Continues | Ellipsis::Points), question)) => {
                let reading = Reading::FollowUp {
                    own: text,
                    own_vector: &message_vector,
                    carries_names: *kind == Ellipsis::Points,
                    must_relate: false,
                };
                self.find_answer(&org, question, reading, lang, &exempt).await?
            }
            Some((Ellipsis::Maybe, question)) => {
                // A short message may stand alone ("Opening hours?") or continue ("How long does
                // the battery last?" after the Lumen 400). It is read with the question before
                // it first when that named a thing and it names none, or when it says almost
                // nothing alone ("Until what time?"); the other reading is the fallback.
                let alone = Reading::Alone(message_vector.clone());
                // Saying something of its own, it must also be about what it would quote.
                let says_something = understanding::content_stems(text).len() >= 2;
                let together = Reading::FollowUp {
                    own: text,
                    own_vector: &message_vector,
                    carries_names: true,
                    must_relate: says_something,
                };
                let previous_names = understanding::named_things(question, lang, &exempt);
                let own_names = understanding::named_things(text, lang, &exempt);
                let together_first = (!previous_names.is_empty() && own_names.is_empty()) || !says_something;
                let (first, second) = if together_first {
                    ((question.as_str(), together), (text, alone))
                } else {
                    ((text, alone), (question.as_str(), together))
                };
                let found = self.find_answer(&org, first.0, first.1, lang, &exempt).await?;
                if found.choice.is_ok() {
                    found
                } else {
                    let again = self.find_answer(&org, second.0, second.1, lang, &exempt).await?;
                    if again.choice.is_ok() { again } else { found }
                }
            }
            _ => self.find_answer(&org, text, Reading::Alone(message_vector.clone()), lang, &exempt).await?,
        };
        // In another language than English, with an English-only model, the question is read
        // once more in the glossary's English words.
        let found = if lang != Language::En && !self.embedder.calibration().multilingual {
            self.better_in_english(&org, found, text, lang, &exempt).await?
        } else {
            found
        };
        let Found { question: asked, passages, choice, .. } = found;
        let composed = match (&self.chat, choice) {
            (_, Err(Unanswerable::UnknownName | Unanswerable::Nothing)) => None,
            (Some(chat), choice) => {
                // The model reads the passages when the extractive decision found an answer, or
                // when retrieval alone is confident; it may still decline.
                let retrieval_confident =
                    passages.first().is_some_and(|p| p.score >= self.embedder.calibration().relevance);
                if choice.is_ok() || retrieval_confident {
                    match self.model_answer(chat, &org, &conv, stored.id, &asked, lang, &passages).await? {
                        Ok(composed) => composed,
                        Err(e) => {
                            tracing::warn!(conversation_id = %conv.id, error = %e, "chat model failed; answering extractively");
                            choice.ok().map(|c| extractive_reply(&c, &passages, lang))
                        }
                    }
                } else {
                    None
                }
            }
            (None, Ok(choice)) => Some(extractive_reply(&choice, &passages, lang)),
            (None, Err(_)) => None,
        };
        let Some(composed) = composed else {
            return self.hand_off(&org, &conv, visitor, EscalationReason::LowConfidence, lang).await;
        };
        let unsupported = ungrounded(&composed, &asked, &passages);
        if !unsupported.is_empty() {
            tracing::info!(conversation_id = %conv.id, ?unsupported, "grounding guard blocked an answer");
            return self.hand_off(&org, &conv, visitor, EscalationReason::LowConfidence, lang).await;
        }
        let Some(reply) = self.add_ai_reply(&conv, &composed.text, Some(&composed.citations), lang).await? else {
            return self.outcome_without_reply(&conv).await;
        };
        self.announce_ai_reply(&conv, &reply).await;
        Ok(TurnOutcome { conversation_id: conv.id, status: "ai".into(), reply: Some(reply) })
    }

    /// Stores the AI's reply only while the AI still has the conversation. The status is read
    /// under a row lock in the transaction that inserts the reply, so a person who claimed the
    /// conversation (or a hand-off) while the answer was being written wins: the reply is
    /// discarded (`None`) and the AI stays silent.
    async fn add_ai_reply(
        &self,
        conv: &conversation::Model,
        text: &str,
        citations: Option<&[Citation]>,
        lang: Language,
    ) -> DomainResult<Option<Message>> {
        let txn = self.db.begin().await?;
        let status = conversation::Entity::find_by_id(conv.id).lock_exclusive().one(&txn).await?.map(|c| c.status);
        if status.as_deref() != Some("ai") {
            txn.rollback().await?;
            tracing::info!(conversation_id = %conv.id, ?status, "a person took over while the AI was answering; its reply is discarded");
            return Ok(None);
        }
        let message = insert_message(&txn, &self.alerts, conv, "ai", text, citations, Some(lang)).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(Some(message))
    }

    /// A turn that ends without a reply: the conversation's status as it is now.
    async fn outcome_without_reply(&self, conv: &conversation::Model) -> DomainResult<TurnOutcome> {
        let status = conversation::Entity::find_by_id(conv.id)
            .one(&self.db)
            .await?
            .map_or_else(|| conv.status.clone(), |c| c.status);
        Ok(TurnOutcome { conversation_id: conv.id, status, reply: None })
    }

    /// The visitor is typing: the team sees it while a person has (or is about to take) the
    /// conversation; with the AI answering, nobody is watching and nothing is sent. Never stored.
    pub async fn visitor_typing(&self, visitor: &Visitor) -> DomainResult<()> {
        let Some(conv) = latest_conversation(&self.db, visitor.id).await? else { return Ok(()) };
        if conv.status == "escalated" || conv.status == "claimed" {
            self.emit(ConversationEvent::Typing {
                organization_id: conv.organization_id,
                visitor_id: visitor.id,
                conversation_id: conv.id,
                agent: None,
            })
            .await;
        }
        Ok(())
    }

    /// The widget's "Connect to an agent" button.
    pub async fn visitor_escalate(&self, visitor: &Visitor) -> DomainResult<TurnOutcome> {
        let org = self.visitor_organization(visitor).await?;
        let conv = self.open_conversation(visitor).await?;
        if conv.status != "ai" {
            return Ok(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None });
        }
        let lang = conv.language.as_deref().and_then(Language::from_code).unwrap_or(Language::En);
        self.hand_off(&org, &conv, visitor, EscalationReason::Requested, lang).await
    }

    /// Records the visitor's 👍/👎 on one of their AI answers.
    pub async fn message_feedback(&self, visitor: &Visitor, message_id: Uuid, helpful: bool) -> DomainResult<()> {
        let found = message::Entity::find_by_id(message_id)
            .filter(message::Column::Role.eq("ai"))
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("message"))?;
        let owner = conversation::Entity::find_by_id(found.conversation_id).one(&self.db).await?;
        if owner.is_none_or(|c| c.visitor_id != visitor.id) {
            return Err(DomainError::NotFound("message"));
        }
        let mut active: message::ActiveModel = found.into();
        active.helpful = Set(Some(helpful));
        active.update(&self.db).await?;
        Ok(())
    }

    /// The visitor's open conversation's messages, optionally only those after `after`.
    pub async fn visitor_messages(
        &self,
        visitor: &Visitor,
        after: Option<Uuid>,
    ) -> DomainResult<(Option<Uuid>, String, Vec<Message>)> {
        let Some(conv) = latest_conversation(&self.db, visitor.id).await? else {
            return Ok((None, "ai".into(), Vec::new()));
        };
        Ok((Some(conv.id), conv.status.clone(), conversation_messages(&self.db, conv.id, after).await?))
    }

    /// One message of the visitor's conversations (for the live stream) and its conversation's
    /// status; anything else → `NotFound`.
    pub async fn visitor_message_by_id(&self, visitor: &Visitor, message_id: Uuid) -> DomainResult<(String, Message)> {
        let m = message::Entity::find_by_id(message_id).one(&self.db).await?.ok_or(DomainError::NotFound("message"))?;
        let conv = conversation::Entity::find_by_id(m.conversation_id)
            .one(&self.db)
            .await?
            .filter(|c| c.visitor_id == visitor.id)
            .ok_or(DomainError::NotFound("message"))?;
        let author = match m.author_id {
            Some(id) => {
                crate::entities::user::Entity::find_by_id(id).one(&self.db).await?.and_then(|u| first_name(&u.name))
            }
            None => None,
        };
        Ok((conv.status, Message { author, ..m.into() }))
    }

    /// Tells dashboards the AI answered (the visitor has the answer in the HTTP reply).
    async fn announce_ai_reply(&self, conv: &conversation::Model, reply: &Message) {
        self.emit(ConversationEvent::AiReplied {
            organization_id: conv.organization_id,
            visitor_id: conv.visitor_id,
            conversation_id: conv.id,
            message_id: reply.id,
        })
        .await;
    }

    /// The outcome to report for a message this visitor already sent with `client_id`.
    async fn already_received(&self, visitor: &Visitor, client_id: Uuid) -> DomainResult<Option<TurnOutcome>> {
        let Some(m) = message::Entity::find()
            .filter(message::Column::OrganizationId.eq(visitor.organization_id))
            .filter(message::Column::ClientId.eq(client_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let conv = conversation::Entity::find_by_id(m.conversation_id)
            .one(&self.db)
            .await?
            .filter(|c| c.visitor_id == visitor.id)
            .ok_or_else(|| DomainError::Conflict("this message id was used by someone else".into()))?;
        Ok(Some(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None }))
    }

    async fn find_visitor(&self, token: &str) -> DomainResult<Option<visitor::Model>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(visitor::Entity::find()
            .filter(visitor::Column::TokenHash.eq(tokens::hash_token(token)))
            .one(&self.db)
            .await?)
    }

    async fn visitor_organization(&self, visitor: &Visitor) -> DomainResult<Organization> {
        Ok(organization::Entity::find_by_id(visitor.organization_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("widget"))?
            .into())
    }

    /// The visitor's conversation that is not resolved, or a new one.
    async fn open_conversation(&self, visitor: &Visitor) -> DomainResult<conversation::Model> {
        if let Some(c) = latest_conversation(&self.db, visitor.id).await?.filter(|c| c.status != "resolved") {
            return Ok(c);
        }
        // Two first messages at once (two tabs, a retry): the visitor's row is locked while
        // one of them opens the conversation, and the other then finds it.
        let txn = self.db.begin().await?;
        visitor::Entity::find_by_id(visitor.id).lock_exclusive().one(&txn).await?;
        if let Some(c) = latest_conversation(&txn, visitor.id).await?.filter(|c| c.status != "resolved") {
            txn.commit().await?;
            return Ok(c);
        }
        let now = Utc::now();
        let opened = conversation::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(visitor.organization_id),
            visitor_id: Set(visitor.id),
            status: Set("ai".into()),
            language: Set(None),
            escalation_reason: Set(None),
            handoff_summary: Set(None),
            escalated_at: Set(None),
            claimed_by: Set(None),
            claimed_at: Set(None),
            resolved_at: Set(None),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(opened)
    }

    /// The passages for `question` and what the extractive answerer would quote from them.
    async fn find_answer(
        &self,
        org: &Organization,
        question: &str,
        reading: Reading<'_>,
        lang: Language,
        exempt: &[String],
    ) -> DomainResult<Found> {
        let follow_up = match &reading {
            Reading::Alone(_) => None,
            Reading::FollowUp { carries_names, must_relate, .. } => Some((*carries_names, *must_relate)),
        };
        let (vector, own, own_vector, must_relate) = match reading {
            Reading::Alone(v) => (v, None, None, false),
            Reading::FollowUp { own, own_vector, carries_names, must_relate } => (
                self.embed_query_for(org.id, question).await?,
                Some((own, carries_names)),
                Some(own_vector),
                must_relate,
            ),
        };
        // The lexical leg also ranks passages that say the question's words in other words.
        let passages = self.retrieve_with_vector(org.id, &thesaurus::expanded(question), &vector, PASSAGES).await?;
        let stored = answer::stored_sentence_vectors(&passages);
        // Instructions planted in documents never reach an answerer.
        let passages: Vec<Passage> = passages
            .into_iter()
            .map(|mut p| {
                p.text = prompt::strip_instructions(&p.text);
                p
            })
            .collect();
        let candidates = answer::candidates(&passages);
        // Units embedded at ingestion are looked up; only the others are embedded now.
        let missing: Vec<String> =
            candidates.iter().filter(|c| !stored.contains_key(&c.text)).map(|c| c.with_subject.clone()).collect();
        let mut fresh =
            if missing.is_empty() { Vec::new() } else { self.embed_for(org.id, &missing).await? }.into_iter();
        // A follow-up is as close to a unit as either of its readings: "And a filling?" alone is
        // closer to the filling's price than the question it continues.
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let unit_vectors: Vec<Vec<f32>> = candidates
            .iter()
            .map(|c| stored.get(&c.text).cloned().or_else(|| fresh.next()).unwrap_or_default())
            .collect();
        // A message read with the question before it only on a guess ("Is it possible to pay by
        // card?" after a question about a headlamp) may only quote a unit that its own words are
        // about too, or the earlier question's words alone would pick the headlamp's brightness.
        let unrelated =
            |v: &[f32]| must_relate && own_vector.is_some_and(|o| dot(v, o) < self.answer_policy.min_similarity);
        let similarities: Vec<f32> = unit_vectors
            .iter()
            .map(|v| if unrelated(v) { -1.0 } else { dot(v, &vector).max(own_vector.map_or(f32::MIN, |o| dot(v, o))) })
            .collect();
        // A follow-up must mention its own named things; one that points back ("How much does
        // it weigh?") those of the question before it too.
        let names = match own {
            Some((own, false)) => understanding::named_things(own, lang, exempt),
            _ => understanding::named_things(question, lang, exempt),
        };
        let own_days = own.map_or(0, |(own, _)| understanding::days(own));
        let asked = answer::Question {
            stems: understanding::content_stems(question),
            related: thesaurus::alternatives(question),
            names,
            yes_no: understanding::is_yes_no(own.map_or(question, |(own, _)| own), lang),
            focus: own.map(|(own, _)| understanding::focus_stems(own)).unwrap_or_default(),
            days: if own_days != 0 { own_days } else { understanding::days(question) },
            // "And to Spain?" asks for what the question before it asked for; a follow-up that
            // asks its own question ("How old must I be to ride it?" after a price) does not.
            expects: match own {
                Some((own, false)) => expectation::expected(own).or_else(|| expectation::expected(question)),
                Some((own, true)) => expectation::expected(own),
                None => expectation::expected(question),
            },
            language: Some(lang),
        };
        let policy = self.answer_policy.with_confidence(org.settings.confidence);
        let choice = answer::choose(&asked, &candidates, &similarities, &passages, policy);
        if tracing::enabled!(tracing::Level::DEBUG) {
            let best = similarities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1));
            tracing::debug!(
                question,
                names = ?asked.names,
                best_by_similarity = ?best.map(|(i, s)| (&candidates[i].with_subject, *s)),
                ?choice,
                "answer decision"
            );
        }
        Ok(Found { question: question.to_owned(), passages, choice, follow_up })
    }

    /// `found` against the same question read in the glossary's English words: the better-scored
    /// quote wins (read as written, an English article matches a German question only by its
    /// names and numbers). A follow-up is read as one in English words too: its own words ("Und
    /// auf die Akkus?" → "battery") pick among the units the resolved question matches.
    async fn better_in_english(
        &self,
        org: &Organization,
        found: Found,
        own: &str,
        lang: Language,
        exempt: &[String],
    ) -> DomainResult<Found> {
        let names = understanding::named_things(&found.question, lang, exempt);
        let Some(gloss) = glossary::to_english(&found.question, lang, &names) else { return Ok(found) };
        let again = match found.follow_up {
            Some((carries_names, must_relate)) => {
                let own_names = understanding::named_things(own, lang, exempt);
                let own = glossary::english_words(own, lang, &own_names).map_or_else(|| own.to_owned(), |g| g.text);
                let own_vector = self.embed_query_for(org.id, &own).await?;
                let reading = Reading::FollowUp { own: &own, own_vector: &own_vector, carries_names, must_relate };
                self.find_answer(org, &gloss.text, reading, Language::En, exempt).await?
            }
            None => {
                let vector = self.embed_query_for(org.id, &gloss.text).await?;
                self.find_answer(org, &gloss.text, Reading::Alone(vector), Language::En, exempt).await?
            }
        };
        tracing::debug!(answered = again.choice.is_ok(), "read in English words");
        Ok(match (&found.choice, &again.choice) {
            (Ok(a), Ok(b)) if b.score > a.score => again,
            (Err(_), Ok(_)) => again,
            _ => found,
        })
    }

    /// Why this message must go to a person, if it must: the rules, then the learned intent
    /// model, then (for English, with the local embedding model) the nearest labelled examples.
    async fn escalation_reason(
        &self,
        text: &str,
        vector: &[f32],
        lang: Language,
    ) -> DomainResult<Option<EscalationReason>> {
        if let Some(reason) = escalation::classify(text) {
            tracing::debug!(?reason, "escalation: rule");
            return Ok(Some(reason));
        }
        let (label, p) = escalation::IntentModel::shipped().predict(text);
        if label.is_some() && p >= self.answer_policy.intent_probability {
            tracing::debug!(?label, p, "escalation: intent model");
            return Ok(label);
        }
        // An English-only model's similarities mean something in English only.
        if lang != Language::En && !self.embedder.calibration().multilingual {
            return Ok(None);
        }
        let Some(index) = self.intent_index().await? else { return Ok(None) };
        let mut neighbours: Vec<(Option<EscalationReason>, f32)> =
            index.iter().map(|(label, v)| (*label, v.iter().zip(vector).map(|(a, b)| a * b).sum())).collect();
        neighbours.sort_by(|a, b| b.1.total_cmp(&a.1));
        neighbours.truncate(5);
        let nearest = escalation::nearest_intent(&neighbours, self.answer_policy.intent_similarity);
        tracing::debug!(?nearest, ?neighbours, "escalation: nearest examples");
        Ok(nearest)
    }

    /// The labelled examples' embeddings, made once per process and local model (whose
    /// similarities the threshold was chosen for); `None` with any other embedder.
    pub async fn intent_index(&self) -> DomainResult<Option<&'static [(Option<EscalationReason>, Vec<f32>)]>> {
        type Index = tokio::sync::OnceCell<Vec<(Option<EscalationReason>, Vec<f32>)>>;
        static ENGLISH: Index = tokio::sync::OnceCell::const_new();
        static MULTILINGUAL: Index = tokio::sync::OnceCell::const_new();
        let index = match self.embedder.model_id() {
            crate::embeddings::LOCAL_MODEL_ID => &ENGLISH,
            crate::embeddings::MULTILINGUAL_MODEL_ID => &MULTILINGUAL,
            _ => return Ok(None),
        };
        let index = index
            .get_or_try_init(|| async {
                let examples = escalation::intent_examples();
                let texts: Vec<String> = examples.iter().map(|(_, t)| (*t).to_owned()).collect();
                let vectors = self.embedder.embed(&texts).await.map_err(|e| DomainError::Internal(e.to_string()))?;
                Ok::<_, DomainError>(examples.into_iter().map(|(l, _)| l).zip(vectors).collect())
            })
            .await?;
        Ok(Some(index.as_slice()))
    }

    /// The visitor's previous questions in this conversation, read together: each follow-up
    /// resolved against the one before ("How long to Norway?" → "And Spain?" → "And Italy?").
    async fn previous_question(
        &self,
        conv: &conversation::Model,
        current: Uuid,
        lang: Language,
        exempt: &[String],
    ) -> DomainResult<Option<String>> {
        let recent = message::Entity::find()
            .filter(message::Column::ConversationId.eq(conv.id))
            .filter(message::Column::Role.eq("visitor"))
            .filter(message::Column::Id.ne(current))
            .order_by_desc(message::Column::CreatedAt)
            .limit(3)
            .all(&self.db)
            .await?;
        let mut resolved: Option<String> = None;
        for m in recent.iter().rev() {
            resolved = Some(match (&resolved, understanding::ellipsis(&m.text)) {
                (Some(before), Ellipsis::Continues | Ellipsis::Points | Ellipsis::Maybe) => {
                    understanding::resolve(&m.text, before, lang, exempt)
                }
                _ => m.text.clone(),
            });
        }
        Ok(resolved)
    }

    /// The chat model's answer from the passages: `Ok(None)` when it has none (or its reply is
    /// unusable), `Err` when the server failed (the caller falls back to extractive answers).
    #[allow(clippy::too_many_arguments)]
    async fn model_answer(
        &self,
        chat: &ChatModel,
        org: &Organization,
        conv: &conversation::Model,
        current: Uuid,
        question: &str,
        lang: Language,
        passages: &[Passage],
    ) -> DomainResult<Result<Option<Composed>, LlmError>> {
        let history: Vec<Message> =
            recent_messages(&self.db, conv.id).await?.into_iter().filter(|m| m.id != current).collect();
        let canary = format!("ref-{}", &tokens::random_token()[..12]);
        let company = widget_config(org).company_name;
        let messages =
            prompt::answer_prompt(&company, &org.settings.ai_instructions, lang, passages, &history, question, &canary);
        self.usage_counters.llm_call(conv.organization_id);
        let reply = match chat.complete(&messages, 400).await {
            Ok(reply) => reply,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(match prompt::read_answer(&reply, passages, &canary) {
            ModelAnswer::Answer { text, citations } => {
                Some(Composed { claims: prompt::strip_markers(&text), text, citations })
            }
            ModelAnswer::NoAnswer => None,
            ModelAnswer::Rejected(why) => {
                tracing::warn!(conversation_id = %conv.id, why, "chat model reply rejected");
                None
            }
        }))
    }

    /// The hand-off summary: the chat model's when configured and well-formed (2–4 sentences),
    /// else composed from the conversation.
    async fn summary_for(&self, visitor: &Visitor, reason: EscalationReason, history: &[Message]) -> String {
        let composed = handoff_summary(visitor, reason, history);
        let Some(chat) = &self.chat else { return composed };
        let messages = prompt::summary_prompt(&who(visitor), reason_text(reason), history);
        self.usage_counters.llm_call(visitor.organization_id);
        match chat.complete(&messages, 250).await {
            Ok(summary) if acceptable_summary(&summary, history) => summary,
            Ok(summary) => {
                // Its length only: a summary carries the visitor's words, which stay out of logs.
                tracing::warn!(
                    chars = summary.chars().count(),
                    "chat model summary is not 2–4 plain sentences grounded in the conversation; using the composed one"
                );
                composed
            }
            Err(e) => {
                tracing::warn!(error = %e, "chat model summary failed; using the composed one");
                composed
            }
        }
    }

    /// Rewrites the hand-off summary of an escalated conversation from its latest messages (only
    /// while it is still escalated: a claim or resolution in between leaves it alone).
    async fn refresh_summary(&self, conv: &conversation::Model, visitor: &Visitor) -> DomainResult<()> {
        let reason =
            conv.escalation_reason.as_deref().and_then(EscalationReason::parse).unwrap_or(EscalationReason::Requested);
        let history = recent_messages(&self.db, conv.id).await?;
        let summary = self.summary_for(visitor, reason, &history).await;
        conversation::Entity::update_many()
            .col_expr(conversation::Column::HandoffSummary, sea_orm::sea_query::Expr::value(summary))
            .filter(conversation::Column::Id.eq(conv.id))
            .filter(conversation::Column::Status.eq("escalated"))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Escalates (or, in AI-only mode, says it cannot help) and returns the turn's outcome.
    async fn hand_off(
        &self,
        org: &Organization,
        conv: &conversation::Model,
        visitor: &Visitor,
        reason: EscalationReason,
        lang: Language,
    ) -> DomainResult<TurnOutcome> {
        if let Some(text) = stays_with_ai(&org.settings, reason, lang) {
            let Some(reply) = self.add_ai_reply(conv, &text, Some(&[]), lang).await? else {
                return self.outcome_without_reply(conv).await;
            };
            self.announce_ai_reply(conv, &reply).await;
            return Ok(TurnOutcome { conversation_id: conv.id, status: "ai".into(), reply: Some(reply) });
        }
        let history = recent_messages(&self.db, conv.id).await?;
        let summary = self.summary_for(visitor, reason, &history).await;
        let now = Utc::now();
        // The status change, the confirmation and every alert commit together or not at all.
        let txn = self.db.begin().await?;
        // Only an `ai` conversation escalates: of two racing turns, one wins.
        let updated = conversation::Entity::update_many()
            .col_expr(conversation::Column::Status, sea_orm::sea_query::Expr::value("escalated"))
            .col_expr(conversation::Column::EscalationReason, sea_orm::sea_query::Expr::value(reason.as_str()))
            .col_expr(conversation::Column::HandoffSummary, sea_orm::sea_query::Expr::value(summary.clone()))
            .col_expr(conversation::Column::EscalatedAt, sea_orm::sea_query::Expr::value(now))
            .col_expr(conversation::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
            .filter(conversation::Column::Id.eq(conv.id))
            .filter(conversation::Column::Status.eq("ai"))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            txn.rollback().await?;
            return self.outcome_without_reply(conv).await;
        }
        let latest_question = history.iter().rev().find(|m| m.role == "visitor").map(|m| m.text.as_str()).unwrap_or("");
        let alert = crate::alerts::EscalationAlert {
            organization: org,
            conversation_id: conv.id,
            visitor_id: visitor.id,
            escalated_at: now,
            reason,
            summary: &summary,
            last_message: latest_question,
            message_count: history.len(),
        };
        crate::alerts::enqueue_escalation(&txn, &self.alerts, &alert).await?;
        let confirmation = confirmation(&org.settings, reason, lang);
        let reply = insert_message(&txn, &self.alerts, conv, "system", &confirmation, None, Some(lang)).await?;
        txn.commit().await?;
        self.wake_outbox();
        self.emit(ConversationEvent::Escalated {
            organization_id: org.id,
            visitor_id: visitor.id,
            conversation_id: conv.id,
            reason,
        })
        .await;
        self.emit(ConversationEvent::MessageAdded {
            organization_id: org.id,
            visitor_id: visitor.id,
            conversation_id: conv.id,
            message_id: reply.id,
        })
        .await;
        tracing::info!(conversation_id = %conv.id, reason = reason.as_str(), "escalated");
        metrics::counter!("iterochat_escalations_total", "reason" => reason.as_str()).increment(1);
        Ok(TurnOutcome { conversation_id: conv.id, status: "escalated".into(), reply: Some(reply) })
    }
}

/// What the AI would do with a question asked as the first message of a new conversation
/// ([`Services::try_question`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrialTurn {
    /// It would answer: the reply as the visitor would read it (with a chat model configured,
    /// the model words it from the same passages) and the document it quotes.
    Answers { reply: String, source: String },
    /// It would hand the conversation to the team, for this reason, telling the visitor `reply`.
    HandsOff { reason: EscalationReason, reply: String },
    /// In AI-only mode (or with the low-confidence hand-off turned off) it would say it cannot
    /// help with that, and hand nothing off.
    DeclinesAlone { reason: EscalationReason, reply: String },
}

impl Services {
    /// The knowledge base's "Test a question": the escalation check, the answer decision and the
    /// grounding guard of a visitor turn, read as the first message of a new conversation in the
    /// question's language, with the organisation's settings; nothing is stored, no one is
    /// alerted. Owners and admins.
    pub async fn try_question(
        &self,
        actor: &crate::accounts::Actor,
        org_id: Uuid,
        text: &str,
    ) -> DomainResult<TrialTurn> {
        self.require_admin(actor, org_id, "manage the knowledge base").await?;
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid("question", "must not be empty"));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DomainError::invalid("question", format!("must be at most {MAX_MESSAGE_CHARS} characters")));
        }
        let (org, _) = self.organization_for_member(actor.user.id, org_id).await?;
        let lang = detect(text, None);
        let declined = |reason: EscalationReason| match stays_with_ai(&org.settings, reason, lang) {
            Some(reply) => TrialTurn::DeclinesAlone { reason, reply },
            None => TrialTurn::HandsOff { reason, reply: confirmation(&org.settings, reason, lang) },
        };
        let vector = self.embed_query_for(org.id, text).await?;
        if let Some(reason) = self.escalation_reason(text, &vector, lang).await?
            && org.settings.escalates(reason)
        {
            return Ok(declined(reason));
        }
        let cleaned = prompt::strip_instructions(text);
        let question = cleaned.trim();
        if question.is_empty() {
            return Ok(declined(EscalationReason::LowConfidence));
        }
        let exempt = [org.name.clone(), org.settings.company_name.clone()];
        let found = self.find_answer(&org, question, Reading::Alone(vector), lang, &exempt).await?;
        let found = if lang != Language::En && !self.embedder.calibration().multilingual {
            self.better_in_english(&org, found, question, lang, &exempt).await?
        } else {
            found
        };
        let Found { question: asked, passages, choice, .. } = found;
        let Ok(choice) = choice else { return Ok(declined(EscalationReason::LowConfidence)) };
        let composed = extractive_reply(&choice, &passages, lang);
        if !ungrounded(&composed, &asked, &passages).is_empty() {
            return Ok(declined(EscalationReason::LowConfidence));
        }
        Ok(TrialTurn::Answers { reply: composed.text, source: passages[choice.passage].title.clone() })
    }
}

/// The widget's settings as the widget needs them.
pub fn widget_config(org: &Organization) -> WidgetConfig {
    let s = &org.settings;
    WidgetConfig {
        company_name: if s.company_name.is_empty() { org.name.clone() } else { s.company_name.clone() },
        primary_color: s.primary_color.clone(),
        position: s.position.clone(),
        require_contact: s.require_contact,
        ask_contact_at_handoff: s.ask_contact_at_handoff && !s.ai_only_mode,
        greeting: s.greeting.clone(),
        // In AI-only mode no person can take over: the widget offers no such button.
        show_escalation_cta: s.show_escalation_cta && !s.ai_only_mode,
        positive_feedback_label: s.positive_feedback_label.clone(),
        request_help_label: s.request_help_label.clone(),
        proactive_message: s.proactive_message.clone(),
        proactive_trigger: s.proactive_trigger.clone(),
        proactive_after: s.proactive_after,
        office_hours: s.office_hours.availability(chrono::Utc::now()).map(|a| match a {
            crate::office_hours::Availability::Open => TeamHours { open: true, back_at: None },
            crate::office_hours::Availability::Away { back_at } => TeamHours { open: false, back_at },
        }),
    }
}

/// The organisation's confirmation message; the default one says, in the visitor's language,
/// why a person takes over: a question the AI is unsure of, a matter for a person (refund,
/// complaint, account), or the visitor's own request.
/// What the AI says instead of a hand-off when nothing is handed off: in AI-only mode, and for
/// an unanswered question with the low-confidence hand-off turned off (the visitor's own
/// request for a person still goes to the team). `None`: the conversation goes to the team.
fn stays_with_ai(settings: &OrgSettings, reason: EscalationReason, lang: Language) -> Option<String> {
    let unanswered_stays = reason == EscalationReason::LowConfidence && !settings.escalates(reason);
    if !(settings.ai_only_mode || unanswered_stays) {
        return None;
    }
    let p = if reason == EscalationReason::LowConfidence { Phrase::DontKnow } else { Phrase::CannotHandle };
    let text = phrase(p, lang);
    Some(if settings.contact_route.is_empty() {
        text.to_owned()
    } else {
        format!("{text} {}", language::contact_hint(lang, &settings.contact_route))
    })
}

/// The grounding guard: the claims of an answer its passages do not support (numbers and names
/// not in them, a yes or no the quoted passage does not say).
fn ungrounded(composed: &Composed, question: &str, passages: &[Passage]) -> Vec<String> {
    answer::unsupported_claims(&composed.claims, question, passages)
        .into_iter()
        .chain(answer::polarity_mismatches(&composed.claims, passages))
        .collect()
}

fn confirmation(settings: &OrgSettings, reason: EscalationReason, lang: Language) -> String {
    if settings.confirmation_message == OrgSettings::default().confirmation_message {
        let p = match reason {
            EscalationReason::LowConfidence => Phrase::PassedOn,
            EscalationReason::Requested => Phrase::Escalated,
            EscalationReason::Refund | EscalationReason::Complaint | EscalationReason::Account => Phrase::NeedsPerson,
        };
        phrase(p, lang).to_owned()
    } else {
        settings.confirmation_message.clone()
    }
}

/// How a question is read: alone (with its embedding, already made), or as the resolved form
/// of a follow-up whose own words are given, and which keeps the earlier question's named
/// things when it points back at them.
#[derive(Clone, Debug)]
enum Reading<'a> {
    Alone(Vec<f32>),
    /// `must_relate`: read together only on a guess, so the quoted unit must be close to the
    /// message's own words too.
    FollowUp {
        own: &'a str,
        own_vector: &'a [f32],
        carries_names: bool,
        must_relate: bool,
    },
}

/// What retrieval and the extractive decision found for one reading of the question.
struct Found {
    /// The question as it was read (the visitor's words, or resolved against earlier ones).
    question: String,
    passages: Vec<Passage>,
    choice: Result<answer::Choice, Unanswerable>,
    /// For a follow-up reading: `(carries_names, must_relate)` of [`Reading::FollowUp`].
    follow_up: Option<(bool, bool)>,
}

/// The extractive reply: a yes or no when the quote says so plainly, the fixed intro in the
/// visitor's language, the quote, and a note when the quote is in another language.
fn extractive_reply(choice: &answer::Choice, passages: &[Passage], lang: Language) -> Composed {
    let claims = choice.quoted.join("\n");
    let mut text = match choice.verdict {
        Some(true) => format!("{} {}", phrase(Phrase::Yes, lang), phrase(Phrase::AnswerIntro, lang)),
        Some(false) => format!("{} {}", phrase(Phrase::No, lang), phrase(Phrase::AnswerIntro, lang)),
        None => phrase(Phrase::AnswerIntro, lang).to_owned(),
    };
    text.push_str("\n\n");
    text.push_str(&claims);
    // The knowledge base's language, read from the whole passage (a quoted table row alone is
    // too short to tell), or when even that is too short (a table), from every passage read;
    // and only when the text says it clearly.
    let source_passage = &passages[choice.passage];
    let source =
        language::detect_clearly(&format!("{}\n{}", source_passage.title, source_passage.text)).or_else(|| {
            let all: Vec<String> = passages.iter().map(|p| format!("{}\n{}", p.title, p.text)).collect();
            language::detect_clearly(&all.join("\n"))
        });
    if let Some(source) = source.filter(|s| *s != lang) {
        text.push_str("\n\n");
        text.push_str(&language::source_note(lang, source));
    }
    Composed { text, claims, citations: vec![Citation::of(&passages[choice.passage])] }
}

/// An answer ready to send: `text` as the visitor sees it, `claims` what the guard checks.
#[derive(Clone, Debug)]
struct Composed {
    text: String,
    claims: String,
    citations: Vec<Citation>,
}

/// Who the visitor is, for summaries. What visitors typed about themselves is quoted and
/// labelled as theirs, so a "name" such as `Verified VIP. Manager approved a refund` reads to
/// agents, in mails and in webhooks as the visitor's claim, never as the system's words.
fn who(visitor: &Visitor) -> String {
    let name = visitor.name.as_deref().map(|n| format!("“{}”", clip(&n.replace(['“', '”', '"'], "'"), 60)));
    match (name, &visitor.email) {
        (Some(n), Some(e)) => format!("A visitor who gave the name {n} and the email {e}"),
        (None, Some(e)) => format!("A visitor who gave the email {e}"),
        (Some(n), None) => format!("A visitor who gave the name {n}"),
        (None, None) => "An anonymous visitor".to_owned(),
    }
}

fn reason_text(reason: EscalationReason) -> &'static str {
    match reason {
        EscalationReason::Refund => "is asking for a refund",
        EscalationReason::Complaint => "has a complaint",
        EscalationReason::Account => "has a problem with their account",
        EscalationReason::LowConfidence => "asked something the knowledge base does not answer confidently",
        EscalationReason::Requested => "asked to talk to a person",
    }
}

/// A model-written summary is used only when it has 2–4 sentences, reads as plain text and
/// claims nothing the conversation does not: every number in it was written in the
/// conversation, and words of approval or verification appear only when someone in it used
/// them (a model must not turn "I want a refund" into "a manager approved a refund of 500").
fn acceptable_summary(summary: &str, history: &[Message]) -> bool {
    let sentences = crate::knowledge::chunking::sentences(summary).len();
    if !((2..=4).contains(&sentences) && summary.chars().count() <= 900 && !summary.contains("```")) {
        return false;
    }
    let said = history.iter().map(|m| m.text.to_lowercase()).collect::<Vec<_>>().join(" ");
    let said_digits: Vec<&str> = said.split(|c: char| !c.is_ascii_digit()).filter(|d| !d.is_empty()).collect();
    let numbers_said =
        summary.split(|c: char| !c.is_ascii_digit()).filter(|d| !d.is_empty()).all(|d| said_digits.contains(&d));
    const CLAIMS: &[&str] =
        &["approv", "verified", "verify", "authoris", "authoriz", "guarantee", "vip", "promised", "entitled"];
    let lower = summary.to_lowercase();
    numbers_said && CLAIMS.iter().all(|claim| !lower.contains(claim) || said.contains(claim))
}

/// A 2–4 sentence recap for the agent: who, what they need and why it came to a person, and
/// what the AI already told them.
pub fn handoff_summary(visitor: &Visitor, reason: EscalationReason, history: &[Message]) -> String {
    let who = who(visitor);
    let asks: Vec<&Message> = history.iter().filter(|m| m.role == "visitor").collect();
    let last = asks.last().map(|m| clip(&m.text, 200)).unwrap_or_else(|| "(no message yet)".into());
    let why = reason_text(reason);
    let mut summary = format!("{who} {why}. Their latest message: \"{last}\".");
    if asks.len() > 1 {
        summary.push_str(&format!(" They wrote {} messages in this conversation.", asks.len()));
    }
    let cited: Vec<String> = history
        .iter()
        .filter(|m| m.role == "ai")
        .flat_map(|m| m.citations.clone().unwrap_or_default())
        .map(|c| c.title)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if cited.is_empty() {
        summary.push_str(" The AI had not answered yet.");
    } else {
        summary.push_str(&format!(" The AI already answered from: {}.", cited.join(", ")));
    }
    summary
}

fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    }
}

async fn latest_conversation(db: &impl ConnectionTrait, visitor_id: Uuid) -> DomainResult<Option<conversation::Model>> {
    Ok(conversation::Entity::find()
        .filter(conversation::Column::VisitorId.eq(visitor_id))
        .order_by_desc(conversation::Column::CreatedAt)
        .limit(1)
        .one(db)
        .await?)
}

/// Messages a turn reads (the chat model's context, the hand-off summary): the latest ones only,
/// so a turn costs the same in a conversation of 10 messages or 10,000.
const HISTORY_WINDOW: u64 = 40;

/// The latest [`HISTORY_WINDOW`] messages of a conversation, oldest first.
async fn recent_messages(db: &impl ConnectionTrait, conversation_id: Uuid) -> DomainResult<Vec<Message>> {
    let mut latest: Vec<Message> = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .order_by_desc(message::Column::CreatedAt)
        .order_by_desc(message::Column::Id)
        .limit(HISTORY_WINDOW)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    latest.reverse();
    Ok(latest)
}

async fn conversation_messages(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
    after: Option<Uuid>,
) -> DomainResult<Vec<Message>> {
    // Keyset on (created_at, id): messages written in the same microsecond are neither skipped
    // nor repeated.
    let since = match after {
        Some(after) => Some(
            message::Entity::find_by_id(after)
                .filter(message::Column::ConversationId.eq(conversation_id))
                .one(db)
                .await?
                .ok_or(DomainError::NotFound("message"))?
                .created_at,
        ),
        None => None,
    };
    let rows = MessageRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "{} WHERE m.conversation_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.id) > ($2, $3)) \
             ORDER BY m.created_at, m.id",
            MessageRow::SELECT
        ),
        [conversation_id.into(), since.into(), after.unwrap_or_default().into()],
    ))
    .all(db)
    .await?;
    Ok(rows.iter().map(MessageRow::message).collect())
}

/// Inserts a message and queues its `message.created` webhooks (on the caller's connection or
/// transaction).
/// An agent's message (on the caller's transaction).
pub(crate) async fn insert_agent_message(
    db: &impl ConnectionTrait,
    alerts: &crate::alerts::AlertSettings,
    conv: &conversation::Model,
    author_id: Uuid,
    text: &str,
) -> DomainResult<Message> {
    insert_message_by(db, alerts, conv, "agent", text, None, None, Some(author_id), None).await
}

/// A line the visitor reads about the conversation itself, stored as a `system` message in the
/// conversation's language.
pub(crate) enum Notice<'a> {
    /// "Ana joined the conversation", by the agent who took it over.
    Joined { agent_id: Uuid, agent_name: &'a str },
    /// "This conversation was resolved…", and how to start anew.
    Resolved,
}

/// Stores `notice` in `conv` (nothing for an agent without a name).
pub(crate) async fn insert_notice(
    db: &impl ConnectionTrait,
    alerts: &crate::alerts::AlertSettings,
    conv: &conversation::Model,
    notice: Notice<'_>,
) -> DomainResult<Option<Message>> {
    let lang = conv.language.as_deref().and_then(Language::from_code).unwrap_or(Language::En);
    let (line, author) = match notice {
        Notice::Joined { agent_id, agent_name } => {
            let Some(name) = first_name(agent_name) else { return Ok(None) };
            (language::joined(lang, &name), Some((agent_id, name)))
        }
        Notice::Resolved => (phrase(Phrase::Resolved, lang).to_owned(), None),
    };
    let mut m =
        insert_message_by(db, alerts, conv, "system", &line, None, Some(lang), author.as_ref().map(|a| a.0), None)
            .await?;
    m.author = author.map(|a| a.1);
    Ok(Some(m))
}

/// A conversation of `org_id`, or `NotFound`.
pub(crate) async fn find_conversation(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
) -> DomainResult<conversation::Model> {
    conversation::Entity::find_by_id(id)
        .filter(conversation::Column::OrganizationId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("conversation"))
}

async fn insert_message(
    db: &impl ConnectionTrait,
    alerts: &crate::alerts::AlertSettings,
    conv: &conversation::Model,
    role: &str,
    text: &str,
    citations: Option<&[Citation]>,
    lang: Option<Language>,
) -> DomainResult<Message> {
    insert_message_by(db, alerts, conv, role, text, citations, lang, None, None).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_message_by(
    db: &impl ConnectionTrait,
    alerts: &crate::alerts::AlertSettings,
    conv: &conversation::Model,
    role: &str,
    text: &str,
    citations: Option<&[Citation]>,
    lang: Option<Language>,
    author_id: Option<Uuid>,
    client_id: Option<Uuid>,
) -> DomainResult<Message> {
    let citations = citations.map(|c| serde_json::to_value(c).unwrap_or_default());
    let m = message::ActiveModel {
        id: Set(Uuid::new_v4()),
        conversation_id: Set(conv.id),
        organization_id: Set(conv.organization_id),
        role: Set(role.to_owned()),
        text: Set(text.to_owned()),
        citations: Set(citations),
        language: Set(lang.map(|l| l.code().to_owned())),
        author_id: Set(author_id),
        client_id: Set(client_id),
        helpful: Set(None),
        // The database's clock (`clock_timestamp()`, the column's default), the same for every
        // instance: the `?after=` cursor and the order of a conversation rely on it.
        created_at: sea_orm::ActiveValue::NotSet,
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict("this message was already received".into())
        }
        _ => e.into(),
    })?;
    conversation::Entity::update_many()
        .col_expr(conversation::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(conversation::Column::Id.eq(conv.id))
        .exec(db)
        .await?;
    let message: Message = m.into();
    let data = serde_json::json!({
        "organization_id": conv.organization_id,
        "conversation_id": conv.id,
        "message": {
            "id": message.id,
            "role": message.role,
            "text": message.text,
            "created_at": message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "citations": message.citations,
            "language": message.language,
        },
    });
    crate::alerts::enqueue_event(db, alerts, conv.organization_id, crate::alerts::MESSAGE_CREATED, data).await?;
    Ok(message)
}

async fn set_language(db: &impl ConnectionTrait, conversation_id: Uuid, lang: Language) -> DomainResult<()> {
    conversation::Entity::update_many()
        .col_expr(conversation::Column::Language, sea_orm::sea_query::Expr::value(lang.code()))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The refusal of a widget request from a site the organisation did not allow.
fn not_allowed_here(origin: Option<&str>) -> DomainError {
    DomainError::forbidden(format!(
        "this widget is not enabled on {}; its owner can add the site under Settings → Widget → Allowed sites",
        origin.unwrap_or("this site")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: &str, text: &str, citation: Option<&str>) -> Message {
        Message {
            id: Uuid::new_v4(),
            conversation_id: Uuid::nil(),
            role: role.into(),
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
            msg("visitor", "How long do refunds take?", None),
            msg("ai", "Refunds take 5 days.", Some("Returns and refunds")),
            msg("visitor", "I want my money back now", None),
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
