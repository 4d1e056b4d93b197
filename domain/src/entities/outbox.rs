//! One email or webhook delivery waiting, done or dead (the durable outbox).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Also the idempotency id receivers see.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// None for a person's own mail (a password reset), in no organisation's log.
    pub organization_id: Option<Uuid>,
    /// `email` or `webhook`.
    pub kind: String,
    pub event: String,
    pub webhook_id: Option<Uuid>,
    /// Email address or webhook URL.
    pub target: String,
    pub payload: Json,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub next_attempt_at: DateTimeWithTimeZone,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeWithTimeZone>,
    pub created_at: DateTimeWithTimeZone,
    /// The conversation the delivery is about (erasing it deletes the delivery).
    pub conversation_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
