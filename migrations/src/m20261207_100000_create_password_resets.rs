use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// "Forgot password?": single-use reset links (only the token's hash is stored), and mails that
/// belong to a person rather than an organisation (a reset mail is not in any organisation's
/// delivery log).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
CREATE TABLE password_resets (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
ALTER TABLE outbox ALTER COLUMN organization_id DROP NOT NULL;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            "DELETE FROM outbox WHERE organization_id IS NULL;
             ALTER TABLE outbox ALTER COLUMN organization_id SET NOT NULL;
             DROP TABLE password_resets;",
        )
        .await
    }
}
