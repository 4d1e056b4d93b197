//! Usage per calendar month (UTC): what the organisation's visitors and AI did. Figures come
//! from the live tables, so trashed or erased conversations no longer count.

use sea_orm::{DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::accounts::Actor;
use crate::{DomainError, DomainResult, Services};

/// Most months one call covers.
pub const MAX_MONTHS: u32 = 36;

/// One month's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct UsageMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Conversations started.
    pub conversations: i64,
    /// Messages visitors sent.
    pub visitor_messages: i64,
    /// Answers the AI gave.
    pub ai_answers: i64,
    /// Conversations handed to a person.
    pub escalations: i64,
    /// Conversations started this month that the AI answered and that never went to a person.
    pub ai_resolved: i64,
    /// 👍 and 👎 on this month's AI answers.
    pub helpful: i64,
    pub not_helpful: i64,
}

impl UsageMonth {
    /// Share of the month's conversations the AI handled alone (0..1; 0 without conversations).
    pub fn ai_resolution_rate(&self) -> f64 {
        if self.conversations == 0 { 0.0 } else { self.ai_resolved as f64 / self.conversations as f64 }
    }
}

const USAGE_SQL: &str = "\
WITH months AS (
    SELECT m AS start, m + interval '1 month' AS stop
    FROM generate_series(date_trunc('month', now() AT TIME ZONE 'UTC') - ($2::int - 1) * interval '1 month',
                         date_trunc('month', now() AT TIME ZONE 'UTC'), interval '1 month') AS m
)
SELECT to_char(start, 'YYYY-MM') AS month,
    (SELECT count(*) FROM conversations c WHERE c.organization_id = $1
        AND c.created_at >= start AT TIME ZONE 'UTC' AND c.created_at < stop AT TIME ZONE 'UTC') AS conversations,
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = 'visitor'
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS visitor_messages,
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = 'ai'
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS ai_answers,
    (SELECT count(*) FROM conversations c WHERE c.organization_id = $1
        AND c.escalated_at >= start AT TIME ZONE 'UTC' AND c.escalated_at < stop AT TIME ZONE 'UTC') AS escalations,
    (SELECT count(*) FROM conversations c WHERE c.organization_id = $1 AND c.escalated_at IS NULL
        AND c.created_at >= start AT TIME ZONE 'UTC' AND c.created_at < stop AT TIME ZONE 'UTC'
        AND EXISTS (SELECT 1 FROM messages x WHERE x.conversation_id = c.id AND x.role = 'ai')) AS ai_resolved,
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = 'ai' AND x.helpful
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS helpful,
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = 'ai' AND NOT x.helpful
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS not_helpful
FROM months
ORDER BY start DESC";

impl Services {
    /// The last `months` calendar months (this one included), newest first (owners and admins).
    pub async fn usage(&self, actor: &Actor, org_id: Uuid, months: u32) -> DomainResult<Vec<UsageMonth>> {
        self.require_admin(actor, org_id, "see usage").await?;
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(DomainError::invalid("months", format!("must be 1 to {MAX_MONTHS}")));
        }
        Ok(UsageMonth::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            USAGE_SQL,
            [org_id.into(), (months as i32).into()],
        ))
        .all(&self.db)
        .await?)
    }

    /// How many documents and passages the knowledge base holds now (owners and admins).
    pub async fn knowledge_size(&self, actor: &Actor, org_id: Uuid) -> DomainResult<(i64, i64)> {
        #[derive(FromQueryResult)]
        struct Size {
            documents: i64,
            chunks: i64,
        }
        self.require_admin(actor, org_id, "see usage").await?;
        let size = Size::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT (SELECT count(*) FROM documents WHERE organization_id = $1 AND deleted_at IS NULL) AS documents, \
                    (SELECT count(*) FROM chunks WHERE organization_id = $1) AS chunks",
            [org_id.into()],
        ))
        .one(&self.db)
        .await?;
        Ok(size.map_or((0, 0), |s| (s.documents, s.chunks)))
    }

    /// The usage figures as CSV (a header line, then one line per month, newest first).
    pub async fn usage_csv(&self, actor: &Actor, org_id: Uuid, months: u32) -> DomainResult<String> {
        let rows = self.usage(actor, org_id, months).await?;
        let mut out = crate::inbox::csv_row(
            &[
                "month",
                "conversations",
                "visitor_messages",
                "ai_answers",
                "escalations",
                "ai_resolved",
                "helpful",
                "not_helpful",
            ]
            .map(String::from),
        );
        for r in rows {
            out.push_str(&crate::inbox::csv_row(&[
                r.month.clone(),
                r.conversations.to_string(),
                r.visitor_messages.to_string(),
                r.ai_answers.to_string(),
                r.escalations.to_string(),
                r.ai_resolved.to_string(),
                r.helpful.to_string(),
                r.not_helpful.to_string(),
            ]));
        }
        Ok(out)
    }
}
