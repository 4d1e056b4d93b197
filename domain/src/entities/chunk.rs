//! A retrievable passage of a document with its embedding (pgvector) and full-text vector.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chunks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    /// Denormalised so every retrieval query filters by organisation first.
    pub organization_id: Uuid,
    pub ordinal: i32,
    /// The document title, weighted in full-text search.
    pub title: String,
    /// Heading path of the section (`"Billing › Refunds"`).
    pub heading: String,
    pub text: String,
    /// The [`crate::embeddings::Embedder::model_id`] that made `embedding`.
    pub model: String,
    pub embedding: PgVector,
    /// The text's answer units' embeddings (sentences, lines and wide rows' cells), int8-quantised
    /// ([`crate::embeddings::quantize`]), in [`crate::knowledge::chunking::answer_units`] order;
    /// `None` → embedded on demand.
    pub sentence_vectors: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
