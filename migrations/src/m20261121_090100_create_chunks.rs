use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `embedding` has no fixed dimension: the provider decides it. The HNSW index is a partial
        // expression index per embedding model, created at start-up by the server for the active
        // provider (domain::knowledge::ensure_vector_index), so dimensions live in one place.
        run_sql(
            manager,
            r#"
CREATE TABLE chunks (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    ordinal integer NOT NULL,
    title text NOT NULL,
    heading text NOT NULL,
    text text NOT NULL,
    model text NOT NULL,
    embedding vector NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', heading), 'A') ||
        setweight(to_tsvector('english', text), 'B')
    ) STORED
);
CREATE INDEX chunks_organization_id_idx ON chunks (organization_id, model);
CREATE INDEX chunks_document_id_idx ON chunks (document_id);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE chunks;").await
    }
}
