use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The extractive answerer compares the question with each sentence of the best passages.
/// Embedding those sentences per question cost ~60 ms of CPU; they are now embedded once, at
/// ingestion, and stored int8-quantised beside the passage (NULL → embedded on demand).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "ALTER TABLE chunks ADD COLUMN sentence_vectors bytea;").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "ALTER TABLE chunks DROP COLUMN sentence_vectors;").await
    }
}
