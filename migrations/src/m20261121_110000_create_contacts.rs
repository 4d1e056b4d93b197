use sea_orm_migration::prelude::*;

use crate::run_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Contacts: one per email per organisation (case-insensitive), shared by every visitor (browser)
/// that gave that email. Visitors' own name/email columns move here.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
CREATE TABLE contacts (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text,
    -- Stored as given (trimmed, lower-cased domain); unique per organisation case-insensitively.
    email text,
    -- '+' and digits only.
    phone text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_org_email_key ON contacts (organization_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX contacts_organization_id_idx ON contacts (organization_id);

ALTER TABLE visitors ADD COLUMN contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL;

-- Existing visitors' details become contacts (the first visitor per email wins the name).
INSERT INTO contacts (id, organization_id, name, email, created_at, updated_at)
SELECT DISTINCT ON (organization_id, lower(email)) gen_random_uuid(), organization_id, name, email, created_at, now()
FROM visitors WHERE email IS NOT NULL
ORDER BY organization_id, lower(email), created_at;
UPDATE visitors v SET contact_id = c.id
FROM contacts c
WHERE v.email IS NOT NULL AND c.organization_id = v.organization_id AND lower(c.email) = lower(v.email);

ALTER TABLE visitors DROP COLUMN name, DROP COLUMN email;
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_sql(
            manager,
            r#"
ALTER TABLE visitors ADD COLUMN name text, ADD COLUMN email text;
UPDATE visitors v SET name = c.name, email = c.email FROM contacts c WHERE c.id = v.contact_id;
ALTER TABLE visitors DROP COLUMN contact_id;
DROP TABLE contacts;
"#,
        )
        .await
    }
}
