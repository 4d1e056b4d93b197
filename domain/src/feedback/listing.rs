//! The dashboard's feedback list: filtered, newest first, a page at a time.

use super::*;

impl Services {
    /// A page of the project's feedback, newest first, with `filter` (any member).
    pub async fn list_feedback(
        &self,
        actor: &Actor,
        org_id: Uuid,
        project_id: &str,
        filter: &FeedbackFilter,
        page: u64,
    ) -> DomainResult<FeedbackPage> {
        self.membership(actor, org_id).await?;
        let (id, _) = self.project_in_org(org_id, project_id).await?;
        let page = page.clamp(1, MAX_PAGE);
        let (conditions, values) = filter_sql(filter, 3);
        let from = format!(
            "FROM feedbacks f JOIN feedback_events e ON e.id = f.event_id \
             WHERE f.project_id = $1 AND f.organization_id = $2{conditions}"
        );
        let mut all: Vec<Value> = vec![id.into(), org_id.into()];
        all.extend(values);
        let total = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("SELECT count(*) AS n {from}"),
                all.clone(),
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        let sql = format!(
            "SELECT {FEEDBACK_COLUMNS} {from} ORDER BY f.created_at DESC, f.id DESC LIMIT {PAGE_SIZE} OFFSET {}",
            (page - 1) * PAGE_SIZE
        );
        let rows = self.db.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, all)).await?;
        Ok(FeedbackPage {
            items: rows.iter().map(feedback_from_row).collect::<Result<_, _>>()?,
            total: total.max(0) as u64,
            page,
            per_page: PAGE_SIZE,
        })
    }
}
