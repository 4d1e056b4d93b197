//! A knowledge-base document of one organisation; re-embedded on edit; deleted ones wait in the trash (`privacy::trash`).
use sea_orm::entity::prelude::*;

/// Where a document is in ingestion. Stored as checked text; mapped here only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum DocumentStatus {
    /// Being chunked and embedded (in the background; `chunks_done` of `chunk_count`).
    #[sea_orm(string_value = "processing")]
    Processing,
    /// Searchable.
    #[sea_orm(string_value = "ready")]
    Ready,
    /// Ingestion failed; `error` says why.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl DocumentStatus {
    /// The name stored in the database and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    /// Markdown or plain text.
    pub content: String,
    pub source_url: Option<String>,
    pub status: DocumentStatus,
    /// Why ingestion failed (shown to admins).
    pub error: Option<String>,
    /// Passages planned for the current version.
    pub chunk_count: i32,
    /// Passages embedded so far (progress while processing).
    pub chunks_done: i32,
    /// Embedding model of the stored chunks.
    pub embedding_model: Option<String>,
    /// Bumped on edit; ingestion commits only the version it read.
    pub version: i32,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub deleted_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
