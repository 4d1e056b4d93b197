//! A project's events (the `event_id`s the SDK's `collect` may use).

use super::*;

impl Services {
    /// Adds an event to a project (owners and admins); event ids are unique per project.
    pub async fn create_feedback_event(
        &self,
        actor: &Actor,
        org_id: Uuid,
        project_id: &str,
        event_id: &str,
        name: &str,
        question: Option<&str>,
    ) -> DomainResult<Event> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "create feedback events")?;
        self.insert_feedback_event(org_id, project_id, event_id, name, question).await
    }

    /// Adds an event to a project of `org_id` (the caller has checked who may).
    pub(crate) async fn insert_feedback_event(
        &self,
        org_id: Uuid,
        project_id: &str,
        event_id: &str,
        name: &str,
        question: Option<&str>,
    ) -> DomainResult<Event> {
        let (id, _) = self.project_in_org(org_id, project_id).await?;
        let event_id = validate_event_id(event_id)?;
        let name = validate_name("name", name)?;
        let question = validate_question(question)?;
        let txn = self.db.begin().await?;
        let count = locked_count(
            &txn,
            "SELECT 1 FROM feedback_projects WHERE id = $1 FOR UPDATE",
            "SELECT count(*) AS n FROM feedback_events WHERE project_id = $1",
            id,
        )
        .await?;
        if count >= MAX_EVENTS {
            return Err(DomainError::conflict(format!("a project can have at most {MAX_EVENTS} events")));
        }
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO feedback_events (id, project_id, organization_id, event_key, name, question) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, event_key) DO NOTHING RETURNING created_at",
                [
                    Uuid::new_v4().into(),
                    id.into(),
                    org_id.into(),
                    event_id.clone().into(),
                    name.clone().into(),
                    question.clone().into(),
                ],
            ))
            .await?
            .ok_or_else(|| {
                DomainError::conflict(format!("the event id '{event_id}' is already used in this project"))
            })?;
        txn.commit().await?;
        Ok(Event { event_id, name, question, positive: 0, negative: 0, created_at: row.try_get("", "created_at")? })
    }
}
