use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Short-lived, single-use tickets for the visitor's live stream: `EventSource` cannot send an
/// `Authorization` header, and the long-lived visitor token must not travel in a URL (proxies
/// and access logs keep URLs). Only the ticket's hash is stored.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
CREATE TABLE stream_tickets (
    ticket_hash text PRIMARY KEY,
    visitor_id uuid NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX stream_tickets_expiry_idx ON stream_tickets (expires_at);
CREATE INDEX stream_tickets_visitor_idx ON stream_tickets (visitor_id);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE stream_tickets;").await
    }
}
