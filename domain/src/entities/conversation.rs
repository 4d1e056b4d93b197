//! One support conversation: the AI answers until it escalates; then people take over.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub visitor_id: Uuid,
    /// `ai`, `escalated`, `claimed` or `resolved`.
    pub status: String,
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
