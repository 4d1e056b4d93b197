//! A message in a conversation, from the visitor, the AI, an agent or the system.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub organization_id: Uuid,
    /// `visitor`, `ai`, `agent` or `system`.
    pub role: String,
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
