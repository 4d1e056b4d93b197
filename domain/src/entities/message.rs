//! A message in a conversation, from the visitor, the AI, an agent or the system.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Who wrote a message. Stored as checked text (`messages_role_check`); mapped here only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    /// The person in the widget.
    #[sea_orm(string_value = "visitor")]
    Visitor,
    /// An answer of the AI (quoted from the knowledge base or written by the chat model).
    #[sea_orm(string_value = "ai")]
    Ai,
    /// A person of the team.
    #[sea_orm(string_value = "agent")]
    Agent,
    /// A line of the product itself ("Ana joined the conversation", the hand-off notice).
    #[sea_orm(string_value = "system")]
    System,
}

impl MessageRole {
    /// The name stored in the database and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visitor => "visitor",
            Self::Ai => "ai",
            Self::Agent => "agent",
            Self::System => "system",
        }
    }
}

impl std::fmt::Display for MessageRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub organization_id: Uuid,
    pub role: MessageRole,
    pub text: String,
    /// `[{document_id, title}]` on AI answers.
    pub citations: Option<Json>,
    pub language: Option<String>,
    pub author_id: Option<Uuid>,
    pub helpful: Option<bool>,
    /// The widget's own id for a visitor message (re-sends are stored once).
    pub client_id: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
