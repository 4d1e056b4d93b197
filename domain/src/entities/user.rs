//! A person who can sign in to the dashboard; belongs to organisations through memberships.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Always stored lower-case (a check constraint enforces it), so lookups are exact.
    pub email: String,
    pub name: String,
    /// argon2id PHC string; never leaves `domain`.
    pub password_hash: String,
    /// Master switch for escalation alert mails.
    pub notify_escalations: bool,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
