//! A deleted document, conversation, saved reply or feedback project, kept whole until purged.
//! Its table rows are in `trash_rows` (JSON, restore order), read and written with SQL in
//! `privacy::trash`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trash_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: crate::privacy::TrashKind,
    /// The item's own id, which it gets back on restore.
    pub item_id: Uuid,
    pub title: String,
    /// A conversation's visitor (erasing the visitor's contact erases the trashed conversation).
    pub visitor_id: Option<Uuid>,
    pub deleted_by: Option<Uuid>,
    pub deleted_at: DateTimeWithTimeZone,
    pub purge_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
