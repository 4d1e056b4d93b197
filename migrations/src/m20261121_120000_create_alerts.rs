use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Escalation alerts: webhook endpoints and the durable outbox every email and webhook delivery
/// goes through. (Each person's "notify me of escalations" switch is `users.notify_escalations`.)
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
CREATE TABLE webhooks (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url text NOT NULL,
    -- JSON array, a subset of conversation.escalated, conversation.resolved, message.created.
    events jsonb NOT NULL,
    -- The HMAC key. It must be readable to sign deliveries, so it is stored as is and only ever
    -- returned when created or rotated.
    secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_organization_id_idx ON webhooks (organization_id);

CREATE TABLE outbox (
    -- Also the idempotency id receivers see (X-Iterochat-Delivery).
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('email', 'webhook')),
    event text NOT NULL,
    webhook_id uuid REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The email address, or the webhook URL at the time of the event.
    target text NOT NULL,
    -- Webhook: the exact JSON body. Email: {subject, text}.
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status integer,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((kind = 'webhook') = (webhook_id IS NOT NULL))
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_org_idx ON outbox (organization_id, created_at DESC);
CREATE INDEX outbox_webhook_idx ON outbox (webhook_id, created_at DESC) WHERE webhook_id IS NOT NULL;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE outbox; DROP TABLE webhooks;").await
    }
}
