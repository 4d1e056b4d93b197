//! One support conversation: the AI answers until it escalates; then people take over.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a conversation is: with the AI, waiting in the human queue, with a person, or done.
/// Stored as checked text (`conversations_status_check`); mapped here and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    /// The AI answers.
    #[sea_orm(string_value = "ai")]
    Ai,
    /// Handed to the team, waiting for someone to claim it; the AI is silent.
    #[sea_orm(string_value = "escalated")]
    Escalated,
    /// An agent has it.
    #[sea_orm(string_value = "claimed")]
    Claimed,
    /// Done; the visitor's next message starts a new conversation.
    #[sea_orm(string_value = "resolved")]
    Resolved,
}

impl ConversationStatus {
    /// The name stored in the database and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ai => "ai",
            Self::Escalated => "escalated",
            Self::Claimed => "claimed",
            Self::Resolved => "resolved",
        }
    }

    /// Waiting for or with a person: the AI stays silent.
    pub fn with_team(self) -> bool {
        matches!(self, Self::Escalated | Self::Claimed)
    }
}

impl std::fmt::Display for ConversationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub visitor_id: Uuid,
    pub status: ConversationStatus,
    /// ISO 639-1 code of the visitor's language.
    pub language: Option<String>,
    pub escalation_reason: Option<String>,
    /// The 2–4 sentence recap written at escalation.
    pub handoff_summary: Option<String>,
    pub escalated_at: Option<DateTimeWithTimeZone>,
    pub claimed_by: Option<Uuid>,
    pub claimed_at: Option<DateTimeWithTimeZone>,
    pub resolved_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
