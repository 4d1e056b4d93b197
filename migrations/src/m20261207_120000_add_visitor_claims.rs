use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a visitor says about themselves when it names someone else's contact: kept beside the
/// visitor, marked unverified, until an agent merges it (an unverified claim never changes or
/// takes over a stored contact).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "ALTER TABLE visitors ADD COLUMN claimed_name text, ADD COLUMN claimed_email text;").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "ALTER TABLE visitors DROP COLUMN claimed_name, DROP COLUMN claimed_email;").await
    }
}
