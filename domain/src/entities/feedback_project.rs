//! A feedback-SDK project: sites pass its public id to `IteratoService.init`; its secret key
//! (stored hashed) fetches feedback with `POST /fetchFeedbacks`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// `project-` and lower-case letters/digits; unique across organisations.
    pub public_id: String,
    pub name: String,
    /// SHA-256 of the secret key; the key itself is shown once.
    pub secret_hash: String,
    /// The key's last four characters, so a dashboard can tell keys apart.
    pub secret_hint: String,
    pub secret_rotated_at: DateTimeWithTimeZone,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
