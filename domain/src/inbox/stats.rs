//! The human-support figures of the inbox's stats strip.

use super::*;

impl Services {
    /// Human-support stats over the last `days` days (1–365), computed in SQL.
    pub async fn stats(&self, actor: &Actor, org_id: Uuid, days: i64) -> DomainResult<Stats> {
        self.membership(actor, org_id).await?;
        if !(1..=365).contains(&days) {
            return Err(DomainError::invalid("days", "must be between 1 and 365"));
        }
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH window_start AS (SELECT now() - make_interval(days => $2::int) AS since) \
                 SELECT \
                   (SELECT count(*) FROM conversations, window_start WHERE organization_id = $1 AND created_at >= since) AS conversations, \
                   count(*) AS escalations, \
                   count(*) FILTER (WHERE status IN ($3, $4)) AS unresolved, \
                   count(*) FILTER (WHERE status = $5) AS resolved, \
                   coalesce(avg(extract(epoch FROM resolved_at - escalated_at) / 3600.0) \
                            FILTER (WHERE status = $5 AND resolved_at IS NOT NULL), 0)::float8 AS avg_hours \
                 FROM conversations, window_start \
                 WHERE organization_id = $1 AND escalated_at >= since",
                [
                    org_id.into(),
                    (days as i32).into(),
                    ConversationStatus::Escalated.into(),
                    ConversationStatus::Claimed.into(),
                    ConversationStatus::Resolved.into(),
                ],
            ))
            .await?
            .ok_or_else(|| DomainError::internal("stats returned no row"))?;
        let conversations: i64 = row.try_get("", "conversations")?;
        let escalations: i64 = row.try_get("", "escalations")?;
        let resolved: i64 = row.try_get("", "resolved")?;
        let per_day_rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT d::date AS day, count(c.id) AS n \
                 FROM generate_series((now() - make_interval(days => $2::int - 1))::date, now()::date, '1 day') d \
                 LEFT JOIN conversations c ON c.organization_id = $1 AND c.escalated_at::date = d::date \
                 GROUP BY d ORDER BY d",
                [org_id.into(), (days as i32).into()],
            ))
            .await?;
        let ratio = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Ok(Stats {
            days,
            total_conversations: conversations,
            total_escalations: escalations,
            unresolved: row.try_get("", "unresolved")?,
            resolution_rate: ratio(resolved, escalations),
            escalation_rate: ratio(escalations, conversations),
            avg_hours_to_resolve: row.try_get("", "avg_hours")?,
            per_day: per_day_rows
                .iter()
                .map(|r| Ok((r.try_get::<NaiveDate>("", "day")?, r.try_get::<i64>("", "n")?)))
                .collect::<Result<_, sea_orm::DbErr>>()?,
        })
    }
}
