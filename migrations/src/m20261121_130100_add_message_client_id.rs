use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The widget tags each visitor message with an id of its own, so a message re-sent after a
/// network drop (the widget's offline queue) is stored once, never twice.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            "ALTER TABLE messages ADD COLUMN client_id uuid;
             CREATE UNIQUE INDEX messages_client_id_key ON messages (organization_id, client_id) WHERE client_id IS NOT NULL;",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP INDEX messages_client_id_key; ALTER TABLE messages DROP COLUMN client_id;").await
    }
}
