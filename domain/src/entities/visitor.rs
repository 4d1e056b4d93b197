//! A widget visitor, known by the token in their browser's localStorage.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visitors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// SHA-256 of the visitor token.
    pub token_hash: String,
    /// The contact this visitor gave (pre-chat form) or mentioned (email/phone in a message).
    pub contact_id: Option<Uuid>,
    /// "Chrome on Windows", from the `User-Agent` of the latest session.
    pub browser: Option<String>,
    /// The time zone the visitor's browser reported ("Europe/Berlin").
    pub time_zone: Option<String>,
    /// A name and email the visitor gave that belong to another contact: unverified, shown to
    /// agents beside the conversation until one merges them.
    pub claimed_name: Option<String>,
    pub claimed_email: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub last_seen_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
