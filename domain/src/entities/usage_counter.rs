//! Model calls of one organisation in one calendar month (UTC), for the usage page.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// The month's first day.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: Date,
    /// Chat-model completions for visitors (answers and hand-off summaries).
    pub llm_calls: i64,
    /// Embedding requests, and the texts they embedded.
    pub embedding_calls: i64,
    pub embedding_inputs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
