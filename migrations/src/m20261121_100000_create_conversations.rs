use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
CREATE TABLE visitors (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- SHA-256 of the visitor token kept in the widget's localStorage.
    token_hash text NOT NULL,
    name text,
    email text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX visitors_token_hash_key ON visitors (token_hash);
CREATE INDEX visitors_organization_id_idx ON visitors (organization_id);

CREATE TABLE conversations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    visitor_id uuid NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('ai', 'escalated', 'claimed', 'resolved')),
    language text,
    escalation_reason text CHECK (escalation_reason IN ('refund', 'complaint', 'account', 'low_confidence', 'requested')),
    handoff_summary text,
    escalated_at timestamptz,
    claimed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    claimed_at timestamptz,
    resolved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_org_status_idx ON conversations (organization_id, status, updated_at DESC);
CREATE INDEX conversations_visitor_idx ON conversations (visitor_id, created_at DESC);

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('visitor', 'ai', 'agent', 'system')),
    text text NOT NULL,
    -- [{document_id, title}] for AI answers.
    citations jsonb,
    language text,
    -- The agent who wrote an `agent` message.
    author_id uuid REFERENCES users (id) ON DELETE SET NULL,
    -- The visitor's 👍/👎 on an AI answer.
    helpful boolean,
    -- clock_timestamp: several messages of one turn keep their order.
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE messages; DROP TABLE conversations; DROP TABLE visitors;").await
    }
}
