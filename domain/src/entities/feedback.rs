//! One feedback given through the SDK's toast, with the diagnostics the SDK collected and the
//! short conversation a 👎 starts.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feedbacks")]
pub struct Model {
    /// Iterato's id shape: the creation time in milliseconds and 11 random characters.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub project_id: Uuid,
    pub organization_id: Uuid,
    pub event_id: Uuid,
    pub tags: Vec<String>,
    pub reaction: crate::feedback::Reaction,
    pub user_info: Json,
    pub console_log: Json,
    pub browser: String,
    pub connectivity: Json,
    pub ip_details: Json,
    pub language: String,
    /// `[{"role": "ai"|"user", "text": …, "at": …}]` (`feedback::Turn`).
    pub conversation: Json,
    pub conversation_summary: Option<String>,
    pub conversation_done: bool,
    /// SHA-256 of the token the toast continues the conversation with.
    pub token_hash: String,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
