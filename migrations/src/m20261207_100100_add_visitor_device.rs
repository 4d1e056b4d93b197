use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the inbox names an anonymous visitor by: the browser (from `User-Agent`) and the time
/// zone the visitor's browser reports.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "ALTER TABLE visitors ADD COLUMN browser text, ADD COLUMN time_zone text;").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "ALTER TABLE visitors DROP COLUMN browser, DROP COLUMN time_zone;").await
    }
}
