//! An export job: the organisation's (or one contact's) data as a `.tar.gz` of JSON Lines.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub requested_by: Option<Uuid>,
    /// Set for a right-of-access export of one contact.
    pub contact_id: Option<Uuid>,
    pub status: crate::privacy::ExportStatus,
    /// 0..1.
    pub progress: f32,
    /// The archive's file name under the exports directory, once ready.
    pub file_name: Option<String>,
    pub bytes: Option<i64>,
    pub error: Option<String>,
    /// Whether the archive holds the audit log (owners' exports).
    pub include_audit: bool,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
