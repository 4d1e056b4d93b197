//! Feedback projects: create, list, rotate the secret key, delete.

use super::*;

impl Services {
    /// Creates a project (owners and admins); the secret key is returned this once.
    pub async fn create_feedback_project(
        &self,
        actor: &Actor,
        org_id: Uuid,
        name: &str,
    ) -> DomainResult<ProjectSecret> {
        self.require_admin(actor, org_id, "create feedback projects").await?;
        self.insert_feedback_project(org_id, name).await
    }

    /// Creates a project in `org_id` (the caller has checked who may).
    pub(crate) async fn insert_feedback_project(&self, org_id: Uuid, name: &str) -> DomainResult<ProjectSecret> {
        let name = validate_name("name", name)?;
        let txn = self.db.begin().await?;
        let count = locked_count(
            &txn,
            "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE",
            "SELECT count(*) AS n FROM feedback_projects WHERE organization_id = $1",
            org_id,
        )
        .await?;
        if count >= MAX_PROJECTS {
            return Err(DomainError::conflict(format!("an organisation can have at most {MAX_PROJECTS} projects")));
        }
        let secret_key = new_secret_key();
        let public_id = new_public_id();
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO feedback_projects (id, organization_id, public_id, name, secret_hash, secret_hint) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at",
                [
                    Uuid::new_v4().into(),
                    org_id.into(),
                    public_id.clone().into(),
                    name.clone().into(),
                    tokens::hash_token(&secret_key).into(),
                    hint(&secret_key).into(),
                ],
            ))
            .await?
            .ok_or_else(|| DomainError::Internal("insert returned nothing".into()))?;
        txn.commit().await?;
        let project = Project {
            project_id: public_id,
            name,
            secret_hint: hint(&secret_key),
            created_at: row.try_get("", "created_at")?,
            events: Vec::new(),
        };
        Ok(ProjectSecret { project, secret_key })
    }

    /// The organisation's projects with their events and counts (any member).
    pub async fn list_feedback_projects(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<Project>> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id, public_id, name, secret_hint, created_at FROM feedback_projects \
                 WHERE organization_id = $1 ORDER BY created_at",
                [org_id.into()],
            ))
            .await?;
        let mut projects = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: Uuid = r.try_get("", "id")?;
            projects.push(Project {
                project_id: r.try_get("", "public_id")?,
                name: r.try_get("", "name")?,
                secret_hint: r.try_get("", "secret_hint")?,
                created_at: r.try_get("", "created_at")?,
                events: self.project_events(org_id, id).await?,
            });
        }
        Ok(projects)
    }

    /// One project of the organisation (any member); another organisation's is "not found".
    pub async fn feedback_project(&self, actor: &Actor, org_id: Uuid, project_id: &str) -> DomainResult<Project> {
        member_role(&self.db, org_id, actor.user.id).await?;
        let (id, project) = self.project_in_org(org_id, project_id).await?;
        Ok(Project { events: self.project_events(org_id, id).await?, ..project })
    }

    /// Replaces the project's secret key (owners and admins); the old key stops working at once.
    pub async fn rotate_feedback_secret(
        &self,
        actor: &Actor,
        org_id: Uuid,
        project_id: &str,
    ) -> DomainResult<ProjectSecret> {
        self.require_admin(actor, org_id, "rotate project keys").await?;
        let (id, project) = self.project_in_org(org_id, project_id).await?;
        let secret_key = new_secret_key();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE feedback_projects SET secret_hash = $2, secret_hint = $3, secret_rotated_at = now() \
                 WHERE id = $1 AND organization_id = $4",
                [id.into(), tokens::hash_token(&secret_key).into(), hint(&secret_key).into(), org_id.into()],
            ))
            .await?;
        let project =
            Project { secret_hint: hint(&secret_key), events: self.project_events(org_id, id).await?, ..project };
        Ok(ProjectSecret { project, secret_key })
    }

    /// Moves a project to the trash with its events and feedback (owners and admins): its SDK
    /// key and `/fetchFeedbacks` stop working until it is restored.
    pub async fn delete_feedback_project(&self, actor: &Actor, org_id: Uuid, project_id: &str) -> DomainResult<()> {
        self.require_admin(actor, org_id, "delete feedback projects").await?;
        let (id, project) = self.project_in_org(org_id, project_id).await?;
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        crate::privacy::move_to_trash(
            &txn,
            crate::privacy::Trashing {
                org_id,
                kind: crate::privacy::TrashKind::FeedbackProject,
                item_id: id,
                title: &project.name,
                visitor_id: None,
                deleted_by: Some(actor.user.id),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
