//! Usage per calendar month (UTC): what the organisation's visitors and AI did. Figures come
//! from the live tables, so trashed or erased conversations no longer count.

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use uuid::Uuid;

use crate::accounts::Actor;
use crate::{DomainError, DomainResult, MessageRole, Services};

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
    /// Chat-model completions (0 with the extractive default).
    pub llm_calls: i64,
    /// Embedding requests, and the texts they embedded (questions, passages, answer units).
    pub embedding_calls: i64,
    pub embedding_inputs: i64,
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
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = $3
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS visitor_messages,
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = $4
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS ai_answers,
    (SELECT count(*) FROM conversations c WHERE c.organization_id = $1
        AND c.escalated_at >= start AT TIME ZONE 'UTC' AND c.escalated_at < stop AT TIME ZONE 'UTC') AS escalations,
    (SELECT count(*) FROM conversations c WHERE c.organization_id = $1 AND c.escalated_at IS NULL
        AND c.created_at >= start AT TIME ZONE 'UTC' AND c.created_at < stop AT TIME ZONE 'UTC'
        AND EXISTS (SELECT 1 FROM messages x WHERE x.conversation_id = c.id AND x.role = $4)) AS ai_resolved,
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = $4 AND x.helpful
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS helpful,
    (SELECT count(*) FROM messages x WHERE x.organization_id = $1 AND x.role = $4 AND NOT x.helpful
        AND x.created_at >= start AT TIME ZONE 'UTC' AND x.created_at < stop AT TIME ZONE 'UTC') AS not_helpful,
    coalesce(u.llm_calls, 0) AS llm_calls,
    coalesce(u.embedding_calls, 0) AS embedding_calls,
    coalesce(u.embedding_inputs, 0) AS embedding_inputs
FROM months LEFT JOIN usage_counters u ON u.organization_id = $1 AND u.month = start::date
ORDER BY start DESC";

/// Model calls counted in memory per organisation, added to `usage_counters` in batches (every
/// half minute by the privacy worker, and before usage is read), so a visitor's turn never waits
/// on a counter write. A crash loses at most the last batch.
#[derive(Debug, Default)]
pub struct UsageCounters {
    pending: std::sync::Mutex<std::collections::HashMap<Uuid, Pending>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Pending {
    llm_calls: i64,
    embedding_calls: i64,
    embedding_inputs: i64,
}

impl UsageCounters {
    fn add(&self, org_id: Uuid, f: impl FnOnce(&mut Pending)) {
        if let Ok(mut pending) = self.pending.lock() {
            f(pending.entry(org_id).or_default());
        }
    }

    /// One chat-model completion for `org_id`.
    pub fn llm_call(&self, org_id: Uuid) {
        self.add(org_id, |p| p.llm_calls += 1);
    }

    /// One embedding request of `inputs` texts for `org_id`.
    pub fn embedding_call(&self, org_id: Uuid, inputs: usize) {
        self.add(org_id, |p| {
            p.embedding_calls += 1;
            p.embedding_inputs += inputs as i64;
        });
    }

    fn take(&self) -> Vec<(Uuid, Pending)> {
        self.pending.lock().map(|mut p| p.drain().collect()).unwrap_or_default()
    }
}

impl Services {
    /// Adds the calls counted since the last flush to this month's row of each organisation.
    pub async fn flush_usage(&self) -> DomainResult<()> {
        for (org_id, p) in self.usage_counters.take() {
            let added = self
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "INSERT INTO usage_counters (organization_id, month, llm_calls, embedding_calls, embedding_inputs) \
                     SELECT $1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $2, $3, $4 \
                     WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1) \
                     ON CONFLICT (organization_id, month) DO UPDATE SET \
                       llm_calls = usage_counters.llm_calls + EXCLUDED.llm_calls, \
                       embedding_calls = usage_counters.embedding_calls + EXCLUDED.embedding_calls, \
                       embedding_inputs = usage_counters.embedding_inputs + EXCLUDED.embedding_inputs",
                    [org_id.into(), p.llm_calls.into(), p.embedding_calls.into(), p.embedding_inputs.into()],
                ))
                .await;
            if let Err(e) = added {
                tracing::warn!(organization_id = %org_id, error = %crate::error::Report(&e), "could not record model usage");
            }
        }
        Ok(())
    }

    /// Embeds `texts` for `org_id`, counting the call.
    pub(crate) async fn embed_for(&self, org_id: Uuid, texts: &[String]) -> DomainResult<Vec<Vec<f32>>> {
        self.usage_counters.embedding_call(org_id, texts.len());
        self.embedder.embed(texts).await.map_err(|e| DomainError::internal_from("embedding", e))
    }

    /// The last `months` calendar months (this one included), newest first (owners and admins).
    pub async fn usage(&self, actor: &Actor, org_id: Uuid, months: u32) -> DomainResult<Vec<UsageMonth>> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "see usage")?;
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(DomainError::invalid("months", format!("must be 1 to {MAX_MONTHS}")));
        }
        self.flush_usage().await?;
        Ok(UsageMonth::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            USAGE_SQL,
            [org_id.into(), (months as i32).into(), MessageRole::Visitor.into(), MessageRole::Ai.into()],
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
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "see usage")?;
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
                "llm_calls",
                "embedding_calls",
                "embedding_inputs",
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
                r.llm_calls.to_string(),
                r.embedding_calls.to_string(),
                r.embedding_inputs.to_string(),
            ]));
        }
        Ok(out)
    }
}
