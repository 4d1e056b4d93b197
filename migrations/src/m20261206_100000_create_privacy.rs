use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Data & privacy (and the install checklist's record of where the widget runs): the trash (deleted items kept whole for restore until they are purged), the
/// audit log, export jobs, and the link from each outbox delivery to its conversation so erasing
/// a conversation leaves no payload behind.
///
/// A trashed item leaves its live tables: its rows are copied into `trash_rows` (one JSON row per
/// table row, in restore order) and deleted, so every list, search and CSV forgets it without a
/// filter; restore inserts the same rows back. Erasing a contact removes their visitors, and with
/// them their trashed conversations (`visitor_id` cascades).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
CREATE TABLE trash_items (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('document', 'conversation', 'saved_reply', 'feedback_project')),
    -- The id the item had (and gets back on restore).
    item_id uuid NOT NULL,
    title text NOT NULL,
    -- A trashed conversation's visitor: erasing that visitor's contact erases it too.
    visitor_id uuid REFERENCES visitors (id) ON DELETE CASCADE,
    deleted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    deleted_at timestamptz NOT NULL DEFAULT now(),
    purge_at timestamptz NOT NULL,
    UNIQUE (kind, item_id)
);
CREATE INDEX trash_items_org_idx ON trash_items (organization_id, deleted_at DESC);
CREATE INDEX trash_items_purge_idx ON trash_items (purge_at);

CREATE TABLE trash_rows (
    trash_id uuid NOT NULL REFERENCES trash_items (id) ON DELETE CASCADE,
    -- Restore order (parents before children).
    ordinal bigint GENERATED ALWAYS AS IDENTITY,
    table_name text NOT NULL CHECK (table_name IN ('documents', 'conversations', 'messages', 'conversation_tags',
        'outbox', 'saved_replies', 'feedback_projects', 'feedback_events', 'feedbacks')),
    row jsonb NOT NULL,
    PRIMARY KEY (trash_id, ordinal)
);

CREATE TABLE audit_log (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Null for the system (retention, purge) or a member who has since been deleted.
    actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
    action text NOT NULL,
    target text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_org_idx ON audit_log (organization_id, created_at DESC);

CREATE TABLE exports (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
    -- Null for the whole organisation; a contact for a right-of-access export.
    contact_id uuid REFERENCES contacts (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ready', 'failed')),
    progress real NOT NULL DEFAULT 0,
    -- The archive under the data directory, once ready.
    file_name text,
    bytes bigint,
    error text,
    -- The audit log is owners' reading: only their exports carry it.
    include_audit boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exports_org_idx ON exports (organization_id, created_at DESC);
-- One export at a time per organisation.
CREATE UNIQUE INDEX exports_one_running_key ON exports (organization_id) WHERE status = 'running';

ALTER TABLE outbox ADD COLUMN conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE;
UPDATE outbox o SET conversation_id = c.id FROM conversations c
 WHERE o.kind = 'webhook' AND c.organization_id = o.organization_id
   AND c.id::text = o.payload -> 'data' ->> 'conversation_id';
UPDATE outbox o SET conversation_id = c.id FROM conversations c
 WHERE o.kind = 'email' AND c.organization_id = o.organization_id
   AND strpos(o.payload ->> 'text', c.id::text) > 0;
-- Usage figures per month count messages by organisation and time.
CREATE INDEX messages_org_created_idx ON messages (organization_id, created_at);
CREATE INDEX outbox_conversation_idx ON outbox (conversation_id) WHERE conversation_id IS NOT NULL;

-- Model calls per organisation and month, for the usage page (added to in batches by each
-- instance, so several instances add up).
CREATE TABLE usage_counters (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    month date NOT NULL,
    llm_calls bigint NOT NULL DEFAULT 0,
    embedding_calls bigint NOT NULL DEFAULT 0,
    embedding_inputs bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, month)
);

-- The install checklist: when and where the widget was last opened by a page on another site.
ALTER TABLE organizations ADD COLUMN widget_seen_at timestamptz, ADD COLUMN widget_seen_origin text;

"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            "DROP TABLE usage_counters; ALTER TABLE organizations DROP COLUMN widget_seen_at, DROP COLUMN widget_seen_origin; \
             DROP INDEX messages_org_created_idx; ALTER TABLE outbox DROP COLUMN conversation_id; DROP TABLE exports; DROP TABLE audit_log; \
             DROP TABLE trash_rows; DROP TABLE trash_items;",
        )
        .await
    }
}
