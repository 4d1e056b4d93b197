//! `POST /fetchFeedbacks`: the secret-key check and the export of a project's feedback.

use super::*;

impl Services {
    /// `POST /fetchFeedbacks`, first step: checks the project's secret key. A wrong key, or the
    /// key of another project, is `Unauthorized` with the same message either way.
    pub async fn authenticate_fetch(&self, secret_key: &str, project_id: &str) -> DomainResult<FetchGrant> {
        const DENIED: &str = "invalid secret key for this project";
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id, secret_hash FROM feedback_projects WHERE public_id = $1",
                [project_id.into()],
            ))
            .await?
            .ok_or(DomainError::Unauthorized(DENIED))?;
        let stored: String = row.try_get("", "secret_hash")?;
        if !constant_time_eq(stored.as_bytes(), tokens::hash_token(secret_key.trim()).as_bytes()) {
            return Err(DomainError::Unauthorized(DENIED));
        }
        Ok(FetchGrant(row.try_get("", "id")?))
    }

    /// `POST /fetchFeedbacks`: the feedback of the project `grant` opens (newest `limit`, oldest
    /// first).
    pub async fn fetch_feedbacks(
        &self,
        grant: &FetchGrant,
        filter: &FeedbackFilter,
        limit: Option<u64>,
        before: Option<&str>,
    ) -> DomainResult<Vec<FeedbackEntry>> {
        let id = grant.0;
        let limit = limit.unwrap_or(FETCH_DEFAULT_LIMIT).clamp(1, FETCH_MAX_LIMIT);
        // Paging backwards: only feedback older than `before` (a feedback id of this project).
        let (conditions, values) = filter_sql(filter, 3);
        let mut all: Vec<Value> = vec![id.into(), before.unwrap_or("").into()];
        all.extend(values);
        // Newest first, with the running size, so the response stops at FETCH_MAX_BYTES.
        let sql = format!(
            "SELECT * FROM (SELECT f.id, e.event_key, f.reaction, f.user_info, f.conversation_summary, f.created_at, \
             row_number() OVER newest_first AS n, \
             sum(octet_length(f.user_info::text) + coalesce(octet_length(f.conversation_summary), 0) + 256) \
             OVER newest_first AS bytes \
             FROM feedbacks f JOIN feedback_events e ON e.id = f.event_id \
             WHERE f.project_id = $1{conditions} AND ($2 = '' OR (f.created_at, f.id) < \
             (SELECT created_at, id FROM feedbacks WHERE id = $2 AND project_id = $1)) \
             WINDOW newest_first AS (ORDER BY f.created_at DESC, f.id DESC ROWS UNBOUNDED PRECEDING) \
             ORDER BY f.created_at DESC, f.id DESC LIMIT {limit}) newest \
             WHERE n = 1 OR bytes <= {FETCH_MAX_BYTES} ORDER BY created_at, id"
        );
        let rows = self.db.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, all)).await?;
        let entry = |r: &QueryResult| -> Result<FeedbackEntry, sea_orm::DbErr> {
            let reaction: String = r.try_get("", "reaction")?;
            Ok(FeedbackEntry {
                id: r.try_get("", "id")?,
                event_id: r.try_get("", "event_key")?,
                reaction: Reaction::parse(&reaction).unwrap_or(Reaction::Negative),
                user_info: r.try_get("", "user_info")?,
                summary: r.try_get("", "conversation_summary")?,
                created_at: r.try_get("", "created_at")?,
            })
        };
        Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
    }
}
