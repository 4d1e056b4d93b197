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
CREATE TABLE documents (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title text NOT NULL,
    content text NOT NULL,
    source_url text,
    status text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    error text,
    -- Passages planned for the current version, and how many are embedded so far (progress).
    chunk_count integer NOT NULL DEFAULT 0,
    chunks_done integer NOT NULL DEFAULT 0,
    -- The embedding model of the stored chunks; a different active model means re-embed.
    embedding_model text,
    -- Bumped on every edit; ingestion only commits chunks for the version it read.
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX documents_organization_id_idx ON documents (organization_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX documents_processing_idx ON documents (updated_at) WHERE status = 'processing' AND deleted_at IS NULL;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE documents;").await
    }
}
