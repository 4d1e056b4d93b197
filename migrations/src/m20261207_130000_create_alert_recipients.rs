use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Extra alert recipients who are not members confirm their address (a one-time link by mail)
/// before any escalation mail reaches them: anonymous visitors trigger escalations, so an
/// unconfirmed list would make the alerts a relay for mail to anyone.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            "CREATE TABLE alert_recipients (
                organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
                email text NOT NULL,
                token_hash text NOT NULL UNIQUE,
                confirmed_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (organization_id, email)
            );",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE alert_recipients;").await
    }
}
