//! Ingestion: documents marked `processing` are chunked, embedded and stored, outside requests.
//!
//! Crash safety comes from the database, not from memory: a document stays `processing` until
//! its chunks are committed, so whatever was interrupted (a restart, a crash) is picked up by the
//! next worker that runs. Each document is claimed with a transaction-scoped advisory lock held
//! on a connection that touches no rows: a dead worker's lock disappears with its connection,
//! and admins can keep editing while embedding runs. Chunks are committed only if the document's
//! `version` is still the one that was read, so an edit made meanwhile wins.

use std::time::Duration;

use chrono::Utc;
use sea_orm::prelude::PgVector;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::chunking::{self, ChunkConfig};
use crate::entities::document::DocumentStatus;
use crate::entities::{chunk, document};
use crate::{DomainError, DomainResult, Services};

/// Passages embedded per call to the embedder (progress is saved after each batch).
const BATCH: usize = 16;
/// How often the worker looks for work when nobody wakes it.
const POLL: Duration = Duration::from_secs(5);
/// Documents embedded at once, each of a different organisation.
const CONCURRENT_DOCUMENTS: usize = 3;

/// A document waiting for ingestion, and whose it is.
#[derive(Debug, FromQueryResult)]
struct Waiting {
    id: Uuid,
    organization_id: Uuid,
}

impl Services {
    /// Wakes the ingestion worker (after a document was created or edited).
    pub fn wake_ingestion(&self) {
        self.ingest_wakeup.notify_one();
    }

    /// The worker loop: re-queues documents embedded by another model, then processes pending
    /// documents whenever woken (or every few seconds) until `shutdown` resolves.
    pub async fn run_ingestion(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        match self.requeue_stale_embeddings().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(documents = n, model = self.embedder.model_id(), "re-embedding for the active model")
            }
            Err(e) => tracing::error!(error = %crate::error::Report(&e), "could not look for stale embeddings"),
        }
        // Organisations take turns: each has at most one document in work, and a new one starts
        // as soon as a slot is free, so one organisation's large upload never holds up another's
        // small document.
        let mut running: tokio::task::JoinSet<(Uuid, bool)> = tokio::task::JoinSet::new();
        let mut busy: std::collections::HashMap<tokio::task::Id, Uuid> = std::collections::HashMap::new();
        // Documents another worker holds: left alone until the next poll.
        let mut deferred: Vec<Uuid> = Vec::new();
        loop {
            let free = CONCURRENT_DOCUMENTS.saturating_sub(running.len());
            if free > 0 {
                let orgs: Vec<Uuid> = busy.values().copied().collect();
                match self.next_per_organisation(&orgs, &deferred, free).await {
                    Ok(docs) => {
                        for doc in docs {
                            let services = self.clone();
                            let task = running.spawn(async move {
                                match services.ingest_one(doc.id).await {
                                    Ok(finished) => (doc.id, finished),
                                    Err(e) => {
                                        tracing::error!(document_id = %doc.id, error = %crate::error::Report(&e), "ingestion failed");
                                        (doc.id, false)
                                    }
                                }
                            });
                            busy.insert(task.id(), doc.organization_id);
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %crate::error::Report(&e), "could not look for documents to ingest")
                    }
                }
            }
            tokio::select! {
                () = &mut shutdown => {
                    running.abort_all();
                    return;
                }
                Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                    let id = match &done {
                        Ok((id, _)) => *id,
                        Err(e) => e.id(),
                    };
                    busy.remove(&id);
                    if let Ok((_, (doc, false))) = done {
                        deferred.push(doc);
                    }
                }
                () = self.ingest_wakeup.notified() => {}
                () = tokio::time::sleep(POLL) => deferred.clear(),
            }
        }
    }

    /// The oldest waiting document of up to `n` organisations other than `busy`, oldest first,
    /// `deferred` documents aside (ids only: [`Self::ingest_one`] reads the document itself).
    async fn next_per_organisation(&self, busy: &[Uuid], deferred: &[Uuid], n: usize) -> DomainResult<Vec<Waiting>> {
        Ok(Waiting::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT id, organization_id FROM (SELECT DISTINCT ON (organization_id) id, organization_id, updated_at \
                 FROM documents WHERE status = 'processing' AND deleted_at IS NULL \
                 AND NOT (organization_id = ANY($1)) AND NOT (id = ANY($2)) \
                 ORDER BY organization_id, updated_at) firsts ORDER BY updated_at LIMIT {n}"
            ),
            [busy.to_vec().into(), deferred.to_vec().into()],
        ))
        .all(&self.db)
        .await?)
    }

    /// Processes every document waiting for ingestion once; returns how many it finished
    /// (ready or failed). Documents another worker holds are skipped.
    pub async fn ingest_pending(&self) -> DomainResult<usize> {
        let pending = document::Entity::find()
            .filter(document::Column::Status.eq(DocumentStatus::Processing))
            .filter(document::Column::DeletedAt.is_null())
            .order_by_asc(document::Column::UpdatedAt)
            .limit(20)
            .all(&self.db)
            .await?;
        let mut finished = 0;
        for doc in pending {
            if self.ingest_one(doc.id).await? {
                finished += 1;
            }
        }
        Ok(finished)
    }

    /// What a document's index depends on: the embedding model and the chunking version. Stored
    /// per document; a change of either re-indexes it.
    pub fn index_version(&self) -> String {
        format!("{}@chunks-v{}", self.embedder.model_id(), chunking::VERSION)
    }

    /// Marks ready documents indexed by another embedding model or chunking version for
    /// re-indexing.
    pub async fn requeue_stale_embeddings(&self) -> DomainResult<u64> {
        let result = document::Entity::update_many()
            .col_expr(document::Column::Status, sea_orm::sea_query::Expr::value(DocumentStatus::Processing))
            .col_expr(document::Column::ChunksDone, sea_orm::sea_query::Expr::value(0))
            .filter(document::Column::DeletedAt.is_null())
            .filter(document::Column::Status.eq(DocumentStatus::Ready))
            .filter(
                sea_orm::Condition::any()
                    .add(document::Column::EmbeddingModel.is_null())
                    .add(document::Column::EmbeddingModel.ne(self.index_version())),
            )
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// Claims, chunks, embeds and stores one document. `false` when someone else holds it or it
    /// changed meanwhile (it stays `processing` and is retried).
    async fn ingest_one(&self, id: Uuid) -> DomainResult<bool> {
        let claim = self.db.begin().await?;
        let locked = claim
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(hashtextextended($1::text, 7)) AS locked",
                [id.to_string().into()],
            ))
            .await?
            .map(|r| r.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false);
        if !locked {
            return Ok(false);
        }
        let Some(doc) = document::Entity::find_by_id(id)
            .filter(document::Column::Status.eq(DocumentStatus::Processing))
            .filter(document::Column::DeletedAt.is_null())
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        let outcome = self.embed_document(&doc).await;
        let finished = match outcome {
            Ok(rows) => self.store_chunks(&doc, rows).await?,
            Err(e @ DomainError::Internal { .. }) => {
                let cause = e.chain();
                tracing::warn!(document_id = %doc.id, %cause, "ingestion failed");
                self.mark_failed(&doc, &cause).await?
            }
            Err(DomainError::Invalid { message: cause, .. }) => {
                tracing::warn!(document_id = %doc.id, %cause, "ingestion failed");
                self.mark_failed(&doc, &cause).await?
            }
            Err(other) => return Err(other),
        };
        claim.commit().await?;
        Ok(finished)
    }

    /// Chunks and embeds, saving progress after every batch.
    async fn embed_document(&self, doc: &document::Model) -> DomainResult<Vec<chunk::ActiveModel>> {
        let pieces = chunking::chunk(&doc.content, ChunkConfig::default());
        if pieces.is_empty() {
            return Err(DomainError::invalid("content", "the document has no text to index"));
        }
        self.save_progress(doc, pieces.len(), 0).await?;
        let model = self.embedder.model_id().to_owned();
        let mut rows = Vec::with_capacity(pieces.len());
        for (batch_no, batch) in pieces.chunks(BATCH).enumerate() {
            let inputs: Vec<String> =
                batch.iter().map(|p| format!("{}\n{}\n{}", doc.title, p.heading, p.text).trim().to_owned()).collect();
            let vectors = self.embed_for(doc.organization_id, &inputs).await?;
            if vectors.len() != batch.len() {
                return Err(DomainError::internal("the embedder returned the wrong number of vectors"));
            }
            // Each answer unit too, once, for the extractive answerer (see
            // `answer::stored_sentence_vectors`), with its subject in front ("Summit 2 — Price:
            // 249 euros"): a record line alone says nothing about what it describes.
            let sentences: Vec<Vec<String>> = batch
                .iter()
                .map(|p| {
                    chunking::answer_units(&doc.title, &p.heading, &p.text)
                        .into_iter()
                        .map(|u| u.with_subject)
                        .collect()
                })
                .collect();
            let flat: Vec<String> = sentences.iter().flatten().cloned().collect();
            let mut sentence_vectors = self.embed_for(doc.organization_id, &flat).await?.into_iter();
            for (i, (piece, vector)) in batch.iter().zip(vectors).enumerate() {
                let own: Vec<Vec<f32>> = sentence_vectors.by_ref().take(sentences[i].len()).collect();
                rows.push(chunk::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    document_id: Set(doc.id),
                    organization_id: Set(doc.organization_id),
                    ordinal: Set((batch_no * BATCH + i) as i32),
                    title: Set(doc.title.clone()),
                    heading: Set(piece.heading.clone()),
                    text: Set(piece.text.clone()),
                    model: Set(model.clone()),
                    embedding: Set(PgVector::from(vector)),
                    sentence_vectors: Set(Some(crate::embeddings::quantize(&own))),
                });
            }
            self.save_progress(doc, pieces.len(), rows.len()).await?;
        }
        Ok(rows)
    }

    async fn save_progress(&self, doc: &document::Model, total: usize, done: usize) -> DomainResult<()> {
        document::Entity::update_many()
            .col_expr(document::Column::ChunkCount, sea_orm::sea_query::Expr::value(total as i32))
            .col_expr(document::Column::ChunksDone, sea_orm::sea_query::Expr::value(done as i32))
            .filter(document::Column::Id.eq(doc.id))
            .filter(document::Column::Version.eq(doc.version))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Replaces the document's chunks and marks it ready, if it is still the version we read.
    async fn store_chunks(&self, doc: &document::Model, rows: Vec<chunk::ActiveModel>) -> DomainResult<bool> {
        let count = rows.len() as i32;
        let txn = self.db.begin().await?;
        let marked = document::Entity::update_many()
            .col_expr(document::Column::Status, sea_orm::sea_query::Expr::value(DocumentStatus::Ready))
            .col_expr(document::Column::ChunkCount, sea_orm::sea_query::Expr::value(count))
            .col_expr(document::Column::ChunksDone, sea_orm::sea_query::Expr::value(count))
            .col_expr(document::Column::EmbeddingModel, sea_orm::sea_query::Expr::value(self.index_version()))
            .col_expr(document::Column::Error, sea_orm::sea_query::Expr::value(Option::<String>::None))
            .filter(document::Column::Id.eq(doc.id))
            .filter(document::Column::Version.eq(doc.version))
            .filter(document::Column::DeletedAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        chunk::Entity::delete_many().filter(chunk::Column::DocumentId.eq(doc.id)).exec(&txn).await?;
        for part in rows.chunks(200) {
            chunk::Entity::insert_many(part.to_vec()).exec(&txn).await?;
        }
        txn.commit().await?;
        tracing::info!(document_id = %doc.id, chunks = count, "document ready");
        Ok(true)
    }

    async fn mark_failed(&self, doc: &document::Model, cause: &str) -> DomainResult<bool> {
        let mut active: document::ActiveModel = doc.clone().into();
        active.status = Set(DocumentStatus::Failed);
        active.error = Set(Some(cause.chars().take(500).collect()));
        active.updated_at = Set(Utc::now().into());
        let still_current = document::Entity::find_by_id(doc.id)
            .filter(document::Column::Version.eq(doc.version))
            .one(&self.db)
            .await?
            .is_some();
        if still_current {
            active.update(&self.db).await?;
        }
        Ok(still_current)
    }
}
