use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The inbox searches message text with `ILIKE '%…%'`; a trigram index keeps that fast.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "CREATE INDEX messages_text_trgm_idx ON messages USING gin (text gin_trgm_ops);").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP INDEX messages_text_trgm_idx;").await
    }
}
