//! The knowledge base: documents per organisation, their ingestion into embedded passages, and
//! hybrid retrieval. The AI may only answer from what this stores and retrieves.
//!
//! Owners and admins manage documents and may test retrieval; agents get `Forbidden`; members
//! of other organisations get `NotFound`. Writes leave the document `processing` and wake the
//! ingestion worker ([`ingest`]); nothing is embedded inside a request.

pub mod chunking;
pub mod html;
pub mod ingest;
pub mod retrieval;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Set, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use crate::accounts::Actor;
use crate::entities::document;
pub use crate::entities::document::DocumentStatus;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::{DomainError, DomainResult, Services};

/// Largest document we accept, in bytes of text; bigger ones should be split.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;
/// Longest title.
pub const MAX_TITLE_CHARS: usize = 200;

/// What an admin submits for a document.
#[derive(Clone, Debug, Default)]
pub struct DocumentInput {
    pub title: String,
    pub content: String,
    pub source_url: Option<String>,
}

/// A document as lists and detail views show it (`content` only in detail views).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub id: Uuid,
    pub title: String,
    pub source_url: Option<String>,
    pub status: DocumentStatus,
    pub error: Option<String>,
    pub chunk_count: i32,
    pub chunks_done: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub content: Option<String>,
}

impl Document {
    fn from_model(m: document::Model, with_content: bool) -> Self {
        Self {
            id: m.id,
            title: m.title,
            source_url: m.source_url,
            status: m.status,
            error: m.error,
            chunk_count: m.chunk_count,
            chunks_done: m.chunks_done,
            created_at: m.created_at.into(),
            updated_at: m.updated_at.into(),
            content: with_content.then_some(m.content),
        }
    }
}

/// How much knowledge one organisation may store (server settings; the README lists them). Each
/// document costs embedding time for everyone on the server, so the bound keeps one tenant's
/// upload from becoming everyone's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnowledgeQuota {
    pub max_documents: u64,
    pub max_bytes: u64,
}

impl Default for KnowledgeQuota {
    fn default() -> Self {
        Self { max_documents: 2_000, max_bytes: 100 * 1024 * 1024 }
    }
}

impl Services {
    /// `TooLarge` when the organisation's documents (without `replacing`, with `new_bytes` more)
    /// would exceed its quota.
    pub(crate) async fn check_quota(
        &self,
        org_id: Uuid,
        replacing: Option<Uuid>,
        new_bytes: usize,
    ) -> DomainResult<()> {
        #[derive(FromQueryResult)]
        struct Usage {
            documents: i64,
            bytes: i64,
        }
        let usage = Usage::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS documents, coalesce(sum(octet_length(content)), 0)::bigint AS bytes FROM documents \
             WHERE organization_id = $1 AND deleted_at IS NULL AND ($2::uuid IS NULL OR id <> $2)",
            [org_id.into(), replacing.into()],
        ))
        .one(&self.db)
        .await?
        .unwrap_or(Usage { documents: 0, bytes: 0 });
        let quota = self.knowledge_quota;
        if usage.documents as u64 + 1 > quota.max_documents {
            return Err(DomainError::TooLarge(format!(
                "the knowledge base holds its maximum of {} documents; delete some first",
                quota.max_documents
            )));
        }
        if usage.bytes as u64 + new_bytes as u64 > quota.max_bytes {
            return Err(DomainError::TooLarge(format!(
                "the knowledge base would exceed its {} MB; it holds {:.1} MB",
                quota.max_bytes / (1024 * 1024),
                usage.bytes as f64 / (1024.0 * 1024.0)
            )));
        }
        Ok(())
    }

    /// Stores a new document as `processing` and wakes the ingestion worker.
    pub async fn create_document(&self, actor: &Actor, org_id: Uuid, input: DocumentInput) -> DomainResult<Document> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage the knowledge base")?;
        let doc = self.insert_document(org_id, validate(input)?).await?;
        Ok(Document::from_model(doc, true))
    }

    /// Inserts a validated document as `processing` and wakes the ingestion worker (no
    /// permission check: callers decide who may).
    pub(crate) async fn insert_document(&self, org_id: Uuid, input: DocumentInput) -> DomainResult<document::Model> {
        self.check_quota(org_id, None, input.content.len()).await?;
        let now = Utc::now();
        let doc = document::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(org_id),
            title: Set(input.title),
            content: Set(input.content),
            source_url: Set(input.source_url),
            status: Set(DocumentStatus::Processing),
            error: Set(None),
            chunk_count: Set(0),
            chunks_done: Set(0),
            embedding_model: Set(None),
            version: Set(1),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            deleted_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        self.wake_ingestion();
        Ok(doc)
    }

    /// The organisation's documents, newest first (deleted ones excluded).
    pub async fn list_documents(&self, actor: &Actor, org_id: Uuid, page: PageRequest) -> DomainResult<Page<Document>> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage the knowledge base")?;
        let query = document::Entity::find()
            .filter(document::Column::OrganizationId.eq(org_id))
            .filter(document::Column::DeletedAt.is_null());
        let docs = page.select(query, document::Column::CreatedAt, document::Column::Id).all(&self.db).await?;
        let docs = docs.into_iter().map(|d| Document::from_model(d, false)).collect();
        Ok(page.page(docs, |d: &Document| Cursor { at: d.created_at, id: d.id }))
    }

    /// Every document of the organisation, newest first (the dashboard's list); the knowledge
    /// quota bounds how many there are (a quota lowered later still lists them all).
    pub async fn all_documents(&self, actor: &Actor, org_id: Uuid) -> DomainResult<Vec<Document>> {
        let never = || DomainError::internal("more documents than memory holds");
        crate::pagination::read_all(usize::MAX, never, |page| self.list_documents(actor, org_id, page)).await
    }

    /// One document with its content.
    pub async fn get_document(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<Document> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage the knowledge base")?;
        Ok(Document::from_model(find_document(&self.db, org_id, id).await?, true))
    }

    /// Replaces title, content and source; the document is re-embedded in the background.
    pub async fn update_document(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        input: DocumentInput,
    ) -> DomainResult<Document> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage the knowledge base")?;
        let input = validate(input)?;
        let current = find_document(&self.db, org_id, id).await?;
        self.check_quota(org_id, Some(current.id), input.content.len()).await?;
        let version = current.version + 1;
        let mut active: document::ActiveModel = current.into();
        active.title = Set(input.title);
        active.content = Set(input.content);
        active.source_url = Set(input.source_url);
        active.status = Set(DocumentStatus::Processing);
        active.error = Set(None);
        active.chunks_done = Set(0);
        active.version = Set(version);
        active.updated_at = Set(Utc::now().into());
        let updated = active.update(&self.db).await?;
        self.wake_ingestion();
        Ok(Document::from_model(updated, true))
    }

    /// Moves the document to the trash; its passages go at once, so the AI stops using it.
    /// Restoring it embeds it again.
    pub async fn delete_document(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage the knowledge base")?;
        let current = find_document(&self.db, org_id, id).await?;
        let txn = self.db.begin().await?;
        crate::privacy::move_to_trash(
            &txn,
            crate::privacy::Trashing {
                org_id,
                kind: crate::privacy::TrashKind::Document,
                item_id: current.id,
                title: &current.title,
                visitor_id: None,
                deleted_by: Some(actor.user.id),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// What the AI would retrieve for `query` (the dashboard's "test a question" box and
    /// `POST /search`). Owners and admins only.
    pub async fn search_knowledge(
        &self,
        actor: &Actor,
        org_id: Uuid,
        query: &str,
        limit: usize,
    ) -> DomainResult<Vec<retrieval::Passage>> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage the knowledge base")?;
        let query = query.trim();
        if query.is_empty() {
            return Err(DomainError::invalid("query", "must not be empty"));
        }
        if query.chars().count() > 1000 {
            return Err(DomainError::invalid("query", "must be at most 1000 characters"));
        }
        if !(1..=50).contains(&limit) {
            return Err(DomainError::invalid("limit", "must be between 1 and 50"));
        }
        self.retrieve(org_id, query, limit).await
    }
}

async fn find_document(db: &impl sea_orm::ConnectionTrait, org_id: Uuid, id: Uuid) -> DomainResult<document::Model> {
    document::Entity::find_by_id(id)
        .filter(document::Column::OrganizationId.eq(org_id))
        .filter(document::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("document"))
}

/// Trims and checks a document; the error names the field.
fn validate(input: DocumentInput) -> DomainResult<DocumentInput> {
    let title = input.title.trim().to_owned();
    if title.is_empty() {
        return Err(DomainError::invalid("title", "is required"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(DomainError::invalid("title", format!("must be at most {MAX_TITLE_CHARS} characters")));
    }
    if input.content.len() > MAX_DOCUMENT_BYTES {
        return Err(DomainError::TooLarge(format!(
            "documents can be at most {} MB of text; split this one into several",
            MAX_DOCUMENT_BYTES / (1024 * 1024)
        )));
    }
    let content = input.content.replace("\r\n", "\n");
    if content.trim().is_empty() {
        return Err(DomainError::invalid("content", "is empty"));
    }
    if content.contains('\0') {
        return Err(DomainError::invalid(
            "content",
            "looks binary (it contains NUL bytes); upload text, Markdown or HTML",
        ));
    }
    let source_url = match input.source_url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
        None => None,
        Some(u)
            if (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() <= 2000
                && !u.contains(char::is_whitespace) =>
        {
            Some(u)
        }
        Some(_) => return Err(DomainError::invalid("source_url", "must be an http(s) URL")),
    };
    Ok(DocumentInput { title, content, source_url })
}

/// The document an uploaded file becomes: its text (see [`text_of_upload`]) and the given
/// title, or else its first heading (an HTML page's `<h1>` becomes one), or else the file name
/// without its extension (`refund-policy.md` → "refund policy").
pub fn document_from_upload(file_name: &str, bytes: &[u8], title: Option<String>) -> DomainResult<DocumentInput> {
    let content = text_of_upload(file_name, bytes)?;
    let title = title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| first_heading(&content))
        .unwrap_or_else(|| file_name.rsplit_once('.').map_or(file_name, |(stem, _)| stem).replace(['-', '_'], " "));
    Ok(DocumentInput { title, content, source_url: None })
}

/// The text of a Markdown text's first heading (`# Returns`, `## Returns ##`, or a line
/// underlined with `===`/`---`), cut to a title's length; `None` without one.
fn first_heading(markdown: &str) -> Option<String> {
    let lines: Vec<&str> = markdown.lines().map(str::trim).collect();
    let mut in_code = false;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("```") || line.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        let text = if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            line[hashes..].trim().trim_end_matches('#').trim()
        } else if !line.is_empty()
            && lines.get(i + 1).is_some_and(|next| {
                next.len() >= 2 && (next.chars().all(|c| c == '=') || next.chars().all(|c| c == '-'))
            })
        {
            line
        } else {
            continue;
        };
        if !text.is_empty() {
            return Some(text.chars().take(MAX_TITLE_CHARS).collect());
        }
    }
    None
}

/// Text of an uploaded file: `.md`, `.markdown`, `.txt` as they are, `.html`/`.htm` reduced to
/// text. Anything else, binary content or invalid UTF-8 is refused with a reason.
pub fn text_of_upload(file_name: &str, bytes: &[u8]) -> DomainResult<String> {
    let lower = file_name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if !matches!(ext, "md" | "markdown" | "txt" | "html" | "htm") {
        return Err(DomainError::invalid("file", format!("unsupported file type '.{ext}'; upload .md, .txt or .html")));
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DomainError::TooLarge(format!("files can be at most {} MB", MAX_DOCUMENT_BYTES / (1024 * 1024))));
    }
    if bytes.contains(&0) {
        return Err(DomainError::invalid("file", "this file is binary, not text"));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| DomainError::invalid("file", "this file is not valid UTF-8 text"))?;
    let text = text.trim_start_matches('\u{feff}');
    Ok(if ext.starts_with("htm") { html::to_text(text) } else { text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_accept_text_types_and_refuse_the_rest() {
        assert_eq!(text_of_upload("faq.md", b"# FAQ\nYes.").ok().as_deref(), Some("# FAQ\nYes."));
        assert!(text_of_upload("page.HTML", b"<h1>Hi</h1><p>there</p>").is_ok_and(|t| t.contains("# Hi")));
        assert!(matches!(text_of_upload("photo.png", b"x"), Err(DomainError::Invalid { field: "file", .. })));
        assert!(text_of_upload("bin.txt", &[0x48, 0x00, 0x49]).is_err());
        assert!(text_of_upload("latin1.txt", &[0x63, 0x61, 0x66, 0xe9]).is_err());
    }

    #[test]
    fn uploads_are_titled_after_their_first_heading_else_the_file() {
        let doc = document_from_upload("refund-policy.md", b"We refund.", None).expect("valid");
        assert_eq!(doc.title, "refund policy");
        let doc = document_from_upload("a.md", b"# Returns\nWe refund.", Some("Refunds".into())).expect("valid");
        assert_eq!(doc.title, "Refunds", "a given title wins");
        let doc = document_from_upload("notes-v2.md", b"Intro line\n\n## Returns and refunds ##\nWe refund.", None)
            .expect("valid");
        assert_eq!(doc.title, "Returns and refunds");
        let doc = document_from_upload(
            "page.html",
            b"<html><body><h1>Delivery times</h1><p>Two days.</p></body></html>",
            None,
        )
        .expect("valid");
        assert_eq!(doc.title, "Delivery times");
        let doc = document_from_upload("x.txt", b"Store hours\n===========\nNine to five.", None).expect("valid");
        assert_eq!(doc.title, "Store hours");
        let doc = document_from_upload("code.md", b"```\n# not a heading\n```\n#hashtag", None).expect("valid");
        assert_eq!(doc.title, "code", "no heading outside code blocks: the file name");
    }

    #[test]
    fn documents_are_validated_field_by_field() {
        let ok =
            DocumentInput { title: " Refunds ".into(), content: "We refund.".into(), source_url: Some(" ".into()) };
        let v = validate(ok).expect("valid");
        assert_eq!((v.title.as_str(), v.source_url), ("Refunds", None));
        let empty = DocumentInput { title: "T".into(), content: "  \n".into(), source_url: None };
        assert!(matches!(validate(empty), Err(DomainError::Invalid { field: "content", .. })));
        let huge = DocumentInput { title: "T".into(), content: "x".repeat(MAX_DOCUMENT_BYTES + 1), source_url: None };
        assert!(matches!(validate(huge), Err(DomainError::TooLarge(_))));
        let bad_url =
            DocumentInput { title: "T".into(), content: "c".into(), source_url: Some("javascript:alert(1)".into()) };
        assert!(matches!(validate(bad_url), Err(DomainError::Invalid { field: "source_url", .. })));
    }
}
