//! A workspace: holds the widget, knowledge base, team and conversations.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Public key the widget embeds with; unique, safe to publish.
    pub widget_key: String,
    /// [`crate::organizations::OrgSettings`] as JSON; unknown keys are kept for forward compatibility.
    pub settings: Json,
    pub created_at: DateTimeWithTimeZone,
    /// When a browser page on another site last opened the widget (at most hourly), and which
    /// site: the install checklist's "widget installed".
    pub widget_seen_at: Option<DateTimeWithTimeZone>,
    pub widget_seen_origin: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
