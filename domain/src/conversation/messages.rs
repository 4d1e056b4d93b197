//! Stored messages: reading a conversation, storing a message with its webhook, the notices
//! visitors read, and the visitor's 👍/👎.

use super::*;

/// A message as visitors and agents see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub role: MessageRole,
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
    role: MessageRole,
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
            role: self.role,
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

impl Services {
    /// Records the visitor's 👍/👎 on one of their AI answers.
    pub async fn message_feedback(&self, visitor: &Visitor, message_id: Uuid, helpful: bool) -> DomainResult<()> {
        let found = message::Entity::find_by_id(message_id)
            .filter(message::Column::Role.eq(MessageRole::Ai))
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
    ) -> DomainResult<(Option<Uuid>, ConversationStatus, Vec<Message>)> {
        let Some(conv) = latest_conversation(&self.db, visitor.id).await? else {
            return Ok((None, ConversationStatus::Ai, Vec::new()));
        };
        Ok((Some(conv.id), conv.status, conversation_messages(&self.db, conv.id, after).await?))
    }

    /// One message of the visitor's conversations (for the live stream) and its conversation's
    /// status; anything else → `NotFound`.
    pub async fn visitor_message_by_id(
        &self,
        visitor: &Visitor,
        message_id: Uuid,
    ) -> DomainResult<(ConversationStatus, Message)> {
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
}

pub(super) async fn latest_conversation(
    db: &impl ConnectionTrait,
    visitor_id: Uuid,
) -> DomainResult<Option<conversation::Model>> {
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
pub(super) async fn recent_messages(db: &impl ConnectionTrait, conversation_id: Uuid) -> DomainResult<Vec<Message>> {
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

pub(super) async fn conversation_messages(
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

/// An agent's message (on the caller's transaction).
pub(crate) async fn insert_agent_message(
    db: &impl ConnectionTrait,
    alerts: &crate::alerts::AlertSettings,
    conv: &conversation::Model,
    author_id: Uuid,
    text: &str,
) -> DomainResult<Message> {
    insert_message_by(db, alerts, conv, MessageRole::Agent, text, None, None, Some(author_id), None).await
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
    let mut m = insert_message_by(
        db,
        alerts,
        conv,
        MessageRole::System,
        &line,
        None,
        Some(lang),
        author.as_ref().map(|a| a.0),
        None,
    )
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

pub(super) async fn insert_message(
    db: &impl ConnectionTrait,
    alerts: &crate::alerts::AlertSettings,
    conv: &conversation::Model,
    role: MessageRole,
    text: &str,
    citations: Option<&[Citation]>,
    lang: Option<Language>,
) -> DomainResult<Message> {
    insert_message_by(db, alerts, conv, role, text, citations, lang, None, None).await
}

/// Inserts a message and queues its `message.created` webhooks (on the caller's connection or
/// transaction).
#[allow(clippy::too_many_arguments, reason = "one column each; a message is built in one place")]
pub(super) async fn insert_message_by(
    db: &impl ConnectionTrait,
    alerts: &crate::alerts::AlertSettings,
    conv: &conversation::Model,
    role: MessageRole,
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
        role: Set(role),
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

pub(super) async fn set_language(db: &impl ConnectionTrait, conversation_id: Uuid, lang: Language) -> DomainResult<()> {
    conversation::Entity::update_many()
        .col_expr(conversation::Column::Language, sea_orm::sea_query::Expr::value(lang.code()))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(db)
        .await?;
    Ok(())
}
