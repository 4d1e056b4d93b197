use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The feedback SDK (Iterato): projects with a public id and a hashed secret key, the events
/// a site collects feedback at, and the feedback itself with its diagnostics and the short
/// conversation a negative reaction starts.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
CREATE TABLE feedback_projects (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- The public id sites pass to IteratoService.init: 'project-' and lower-case letters/digits.
    public_id text NOT NULL UNIQUE,
    name text NOT NULL,
    -- SHA-256 of the secret key; the key itself is shown once.
    secret_hash text NOT NULL,
    -- The key's last four characters, so a dashboard can tell keys apart.
    secret_hint text NOT NULL,
    secret_rotated_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_projects_org_idx ON feedback_projects (organization_id, created_at);

CREATE TABLE feedback_events (
    id uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES feedback_projects (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- The id the site passes to IteratoService.collect, chosen by the owner.
    event_key text NOT NULL,
    name text NOT NULL,
    question text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, event_key)
);

CREATE TABLE feedbacks (
    -- Iterato's id shape: the creation time in milliseconds and 11 random characters.
    id text PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES feedback_projects (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES feedback_events (id) ON DELETE CASCADE,
    tags text[] NOT NULL DEFAULT '{}',
    reaction text NOT NULL CHECK (reaction IN ('positive', 'negative')),
    user_info jsonb NOT NULL DEFAULT '{}',
    console_log jsonb NOT NULL DEFAULT '[]',
    browser text NOT NULL DEFAULT '',
    connectivity jsonb NOT NULL DEFAULT '{}',
    ip_details jsonb NOT NULL DEFAULT '{}',
    language text NOT NULL DEFAULT 'en',
    -- [{"role": "ai"|"user", "text": …, "at": …}]
    conversation jsonb NOT NULL DEFAULT '[]',
    conversation_summary text,
    conversation_done boolean NOT NULL DEFAULT true,
    -- SHA-256 of the token the toast continues the conversation with.
    token_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedbacks_project_created_idx ON feedbacks (project_id, created_at DESC);
CREATE INDEX feedbacks_event_idx ON feedbacks (event_id);
CREATE INDEX feedbacks_tags_idx ON feedbacks USING gin (tags);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(manager, "DROP TABLE feedbacks; DROP TABLE feedback_events; DROP TABLE feedback_projects;").await
    }
}
