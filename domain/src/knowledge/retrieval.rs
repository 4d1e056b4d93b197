//! Hybrid retrieval, always scoped to one organisation.
//!
//! - **Vector leg**: the HNSW index (cosine) proposes the 40 nearest passages.
//! - **Lexical leg**: those candidates are ranked by Postgres full-text relevance
//!   (`ts_rank_cd`, title and heading weighted above the body) for the question's words, and
//!   passages anywhere in the organisation that contain an *identifier-like* word of the
//!   question (one with a digit: `ERR-4021`, `X200`, `2FA`) join them. Such words are rare and are
//!   exactly what sentence embeddings miss; common words would make the lexical leg scan and
//!   rank a large part of the organisation on every question (measured: 19 ms at 100k
//!   passages for a handful of ordinary words), so they only re-rank.
//! - Reciprocal rank fusion (k = 60) orders the union. At most [`PER_DOCUMENT`] passages come
//!   from one document, so one long article cannot crowd out the others a question may need.
//!
//! The returned `score` is the passage's cosine similarity to the question, in [0, 1], whatever
//! path found it. Ranking uses fusion; thresholds use the score, which means the same thing for
//! every question. That is what the answer pipeline compares against its confidence threshold.

use sea_orm::prelude::PgVector;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::embeddings::Embedder;
use crate::{DomainError, DomainResult, Services};

/// Candidates the vector leg proposes before fusion. Measured at 100k passages: 40 nearest at
/// `ef_search = 100` cost 1.7 ms, 100 nearest 9.9 ms (extra iterative-scan rounds).
const CANDIDATES: i64 = 40;
/// Most identifier matches the lexical leg adds.
const IDENTIFIER_MATCHES: i64 = 20;
/// Reciprocal-rank-fusion constant (Cormack et al.).
const RRF_K: i64 = 60;
/// Settings for the retrieval transaction, each one measured at 100k passages:
/// - the HNSW scan continues until enough rows of *this* organisation are found;
/// - custom plans only: the prepared statement's generic plan (what sqlx's statement cache
///   ends up executing) took ~60 ms per call, against 0.4 ms planning + 2 ms execution;
/// - no sequential scans: every leg is meant to be index-driven, and an identifier that matched
///   nothing (`LIMIT 20` over `tsv @@ …`) was answered with a 55 ms full scan.
pub const SESSION_SETTINGS: &str = "SET LOCAL hnsw.iterative_scan = 'relaxed_order'; SET LOCAL hnsw.ef_search = 100; \
     SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_custom_plan";

/// Most passages returned from a single document.
pub const PER_DOCUMENT: i64 = 3;

/// One retrieved passage.
#[derive(Clone, Debug, PartialEq)]
pub struct Passage {
    pub chunk_id: Uuid,
    pub document_id: Uuid,
    pub title: String,
    pub heading: String,
    pub text: String,
    pub source_url: Option<String>,
    /// Cosine similarity between the question and the passage, in [0, 1].
    pub score: f32,
    /// The passage's sentences' embeddings as stored at ingestion (see [`crate::embeddings::quantize`]).
    pub sentence_vectors: Option<Vec<u8>>,
}

impl Services {
    /// The passages of `org_id` that best answer `query`, best first. No permission check:
    /// callers (the answer pipeline, [`Services::search_knowledge`]) decide who may ask.
    pub async fn retrieve(&self, org_id: Uuid, query: &str, limit: usize) -> DomainResult<Vec<Passage>> {
        let vector = self.embed_query_for(org_id, query).await?;
        self.retrieve_with_vector(org_id, query, &vector, limit).await
    }

    /// [`Services::embed_query`], counted in `org_id`'s usage.
    pub async fn embed_query_for(&self, org_id: Uuid, query: &str) -> DomainResult<Vec<f32>> {
        self.usage_counters.embedding_call(org_id, 1);
        self.embed_query(query).await
    }

    /// The question's embedding, for callers that need it beyond retrieval.
    pub async fn embed_query(&self, query: &str) -> DomainResult<Vec<f32>> {
        let started = std::time::Instant::now();
        let vectors = self.embedder.embed(&[query.to_owned()]).await;
        metrics::histogram!("iterochat_embedding_seconds").record(started.elapsed().as_secs_f64());
        vectors
            .map_err(|e| DomainError::internal_from("embedding the query", e))?
            .pop()
            .ok_or_else(|| DomainError::internal("embedder returned nothing"))
    }

    /// [`Services::retrieve`] with the question already embedded (`vector`).
    pub async fn retrieve_with_vector(
        &self,
        org_id: Uuid,
        query: &str,
        vector: &[f32],
        limit: usize,
    ) -> DomainResult<Vec<Passage>> {
        let sql = hybrid_sql(self.embedder.as_ref());
        let txn = self.db.begin().await?;
        txn.execute_unprepared(SESSION_SETTINGS).await?;
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [
                    PgVector::from(vector.to_vec()).into(),
                    org_id.into(),
                    or_tsquery(query).into(),
                    (limit as i64).into(),
                    identifier_tsquery(query).into(),
                ],
            ))
            .await?;
        txn.commit().await?;
        rows.into_iter()
            .map(|r| {
                Ok(Passage {
                    chunk_id: r.try_get("", "id")?,
                    document_id: r.try_get("", "document_id")?,
                    title: r.try_get("", "title")?,
                    heading: r.try_get("", "heading")?,
                    text: r.try_get("", "text")?,
                    source_url: r.try_get("", "source_url")?,
                    score: r.try_get::<f64>("", "similarity")?.clamp(0.0, 1.0) as f32,
                    sentence_vectors: r.try_get("", "sentence_vectors")?,
                })
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()
            .map_err(Into::into)
    }
}

/// Creates the HNSW index for the active embedding model if it is missing. It is a partial
/// expression index (`embedding::vector(dims)` where `model = …`), so each model gets one of its
/// own and the dimension comes from the provider alone.
pub async fn ensure_vector_index(db: &impl ConnectionTrait, embedder: &dyn Embedder) -> DomainResult<()> {
    let sql = format!(
        "CREATE INDEX IF NOT EXISTS {name} ON chunks USING hnsw ((embedding::vector({dims})) vector_cosine_ops) \
         WITH (m = 16, ef_construction = 64) WHERE model = {model}",
        name = index_name(embedder.model_id()),
        dims = embedder.dimensions(),
        model = quote_literal(embedder.model_id()),
    );
    db.execute_unprepared(&sql).await?;
    Ok(())
}

fn index_name(model: &str) -> String {
    format!("chunks_embedding_{}_idx", &hex::encode(Sha256::digest(model.as_bytes()))[..12])
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The fused query; the model literal is inlined so the planner can use its partial index.
/// Parameters: $1 query vector, $2 organisation, $3 OR tsquery of the question's words,
/// $4 limit, $5 OR tsquery of its identifier-like words (may be empty).
fn hybrid_sql(embedder: &dyn Embedder) -> String {
    let dims = embedder.dimensions();
    let model = quote_literal(embedder.model_id());
    format!(
        r#"
WITH vec AS (
    SELECT id, row_number() OVER (ORDER BY dist) AS r FROM (
        SELECT c.id, (c.embedding::vector({dims})) <=> $1::vector({dims}) AS dist
        FROM chunks c
        WHERE c.organization_id = $2 AND c.model = {model}
        ORDER BY (c.embedding::vector({dims})) <=> $1::vector({dims})
        LIMIT {CANDIDATES}
    ) v
),
identifiers AS (
    SELECT c.id
    FROM chunks c, to_tsquery('english', $5) q
    WHERE $5 <> '' AND c.organization_id = $2 AND c.model = {model} AND c.tsv @@ q
    LIMIT {IDENTIFIER_MATCHES}
),
lex AS (
    -- Ranked by primary-key lookups of the candidates only; no `@@` filter on the table, so no
    -- plan can scan every passage that contains a common word.
    SELECT id, row_number() OVER (ORDER BY rank DESC) AS r FROM (
        SELECT c.id, ts_rank_cd(c.tsv, q) AS rank
        FROM (SELECT id FROM vec UNION SELECT id FROM identifiers) cand
        JOIN chunks c ON c.id = cand.id
        CROSS JOIN to_tsquery('english', $3) q
    ) ranked_candidates
    WHERE rank > 0
),
fused AS (
    SELECT id, sum(1.0 / ({RRF_K} + r))::float8 AS rrf
    FROM (SELECT id, r FROM vec UNION ALL SELECT id, r FROM lex) u
    GROUP BY id
),
ranked AS (
    SELECT c.id, c.document_id, d.title, c.heading, c.text, c.sentence_vectors, d.source_url, f.rrf,
           (1 - ((c.embedding::vector({dims})) <=> $1::vector({dims})))::float8 AS similarity,
           row_number() OVER (PARTITION BY c.document_id ORDER BY f.rrf DESC) AS nth
    FROM fused f
    JOIN chunks c ON c.id = f.id
    JOIN documents d ON d.id = c.document_id AND d.deleted_at IS NULL AND d.organization_id = $2
)
SELECT id, document_id, title, heading, text, sentence_vectors, source_url, similarity
FROM ranked
WHERE nth <= {PER_DOCUMENT}
ORDER BY rrf DESC, similarity DESC
LIMIT $4
"#
    )
}

/// The question's words as an OR query (`refund | money | back`): questions rarely share every
/// word with the answer, so AND would find nothing. Only letters and digits reach Postgres.
pub fn or_tsquery(query: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()) {
        let w = word.to_lowercase();
        if w.chars().count() >= 2 && !words.contains(&w) {
            words.push(w);
        }
    }
    words.truncate(32);
    words.join(" | ")
}

/// The question's identifier-like words (letters with digits: `x200`, `2fa`; or numbers of
/// three digits or more: the `4021` of `ERR-4021`) as an OR query; empty when there are none.
pub fn identifier_tsquery(query: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()) {
        let w = word.to_lowercase();
        let digits = w.chars().filter(char::is_ascii_digit).count();
        let identifier = digits > 0 && (digits < w.chars().count() || digits >= 3);
        if w.chars().count() >= 2 && identifier && !words.contains(&w) {
            words.push(w);
        }
    }
    words.truncate(8);
    words.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_words_with_digits_but_not_plain_numbers() {
        assert_eq!(identifier_tsquery("Error ERR4021 on my X200 after 3 days, 2FA broken"), "err4021 | x200 | 2fa");
        assert_eq!(identifier_tsquery("What does ERR-4021 mean?"), "4021");
        assert_eq!(identifier_tsquery("How long does delivery take?"), "");
    }

    #[test]
    fn questions_become_or_queries_of_safe_words() {
        assert_eq!(or_tsquery("Can I get my money back?!"), "can | get | my | money | back");
        assert_eq!(or_tsquery("'; DROP TABLE chunks; --"), "drop | table | chunks");
        assert_eq!(or_tsquery("¿Dónde está mi pedido?"), "dónde | está | mi | pedido");
        assert_eq!(or_tsquery("?!"), "");
    }

    #[test]
    fn index_names_are_stable_identifiers_and_literals_are_escaped() {
        assert_eq!(index_name("local:all-MiniLM-L6-v2"), index_name("local:all-MiniLM-L6-v2"));
        assert!(index_name("openai:x").chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
