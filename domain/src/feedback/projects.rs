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
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "create feedback projects")?;
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
        let now = Utc::now();
        let row = feedback_project::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(org_id),
            public_id: Set(public_id),
            name: Set(name),
            secret_hash: Set(tokens::hash_token(&secret_key)),
            secret_hint: Set(hint(&secret_key)),
            secret_rotated_at: Set(now.into()),
            created_at: Set(now.into()),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        let project = Project { events: Vec::new(), ..row.into() };
        Ok(ProjectSecret { project, secret_key })
    }

    /// The organisation's projects with their events and counts (any member).
    pub async fn list_feedback_projects(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<Project>> {
        self.membership(actor, org_id).await?;
        let rows = feedback_project::Entity::find()
            .filter(feedback_project::Column::OrganizationId.eq(org_id))
            .order_by_asc(feedback_project::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let mut projects = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id;
            projects.push(Project { events: self.project_events(org_id, id).await?, ..row.into() });
        }
        Ok(projects)
    }

    /// One project of the organisation (any member); another organisation's is "not found".
    pub async fn feedback_project(&self, actor: &Actor, org_id: Uuid, project_id: &str) -> DomainResult<Project> {
        self.membership(actor, org_id).await?;
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
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "rotate project keys")?;
        let (id, project) = self.project_in_org(org_id, project_id).await?;
        let secret_key = new_secret_key();
        feedback_project::Entity::update_many()
            .col_expr(feedback_project::Column::SecretHash, Expr::value(tokens::hash_token(&secret_key)))
            .col_expr(feedback_project::Column::SecretHint, Expr::value(hint(&secret_key)))
            .col_expr(feedback_project::Column::SecretRotatedAt, Expr::current_timestamp())
            .filter(feedback_project::Column::Id.eq(id))
            .filter(feedback_project::Column::OrganizationId.eq(org_id))
            .exec(&self.db)
            .await?;
        let project =
            Project { secret_hint: hint(&secret_key), events: self.project_events(org_id, id).await?, ..project };
        Ok(ProjectSecret { project, secret_key })
    }

    /// Moves a project to the trash with its events and feedback (owners and admins): its SDK
    /// key and `/fetchFeedbacks` stop working until it is restored.
    pub async fn delete_feedback_project(&self, actor: &Actor, org_id: Uuid, project_id: &str) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "delete feedback projects")?;
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
