//! Knowledge base: documents (CRUD and file upload) and the retrieval test endpoint.

use app::dto::{DocumentDto, SearchHitDto};
use axum::extract::{Multipart, OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use domain::knowledge::{DocumentInput, document_from_upload};
use serde::Deserialize;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Json, Path, Query};
use super::page::PageQuery;
use crate::state::AppState;

/// `POST`/`PUT …/documents` body.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DocumentBody {
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    #[schema(max_length = 2097152)]
    content: String,
    #[serde(default)]
    source_url: Option<String>,
}

impl From<DocumentBody> for DocumentInput {
    fn from(b: DocumentBody) -> Self {
        Self { title: b.title, content: b.content, source_url: b.source_url }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/documents",
    tag = "knowledge",
    summary = "Add a document",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body = DocumentBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The document, `processing` until searchable", body = app::dto::DocumentDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 413, description = "The body is too large", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
/// Adds a document; it is embedded in the background.
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<DocumentBody>,
) -> ApiResult<impl IntoResponse> {
    let doc = state.services.create_document(&actor, org_id, body.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(DocumentDto::from(doc))))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/documents",
    tag = "knowledge",
    summary = "List documents",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), PageQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "One page of documents, newest first, without their content", body = Vec<app::dto::DocumentDto>, headers(("Link" = String, description = "`<…&after=CURSOR>; rel=\"next\"` when another page follows"), ("X-Next-Cursor" = String, description = "The next page's `after`, when another page follows"))), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
/// One page of the organisation's documents.
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    OriginalUri(uri): OriginalUri,
    Path(org_id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> ApiResult<(HeaderMap, axum::Json<Vec<DocumentDto>>)> {
    let page = query.request()?;
    let docs = state.services.list_documents(&actor, org_id, page).await?;
    Ok(super::page::respond(&uri, docs))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/documents/{document_id}",
    tag = "knowledge",
    summary = "Read a document",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("document_id" = uuid::Uuid, Path, description = "The document")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The document with its content", body = app::dto::DocumentDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
/// One document with its content.
pub async fn show(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<DocumentDto>> {
    Ok(axum::Json(state.services.get_document(&actor, org_id, id).await?.into()))
}

#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org_id}/documents/{document_id}",
    tag = "knowledge",
    summary = "Replace a document",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("document_id" = uuid::Uuid, Path, description = "The document")),
    request_body = DocumentBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The document, re-indexed in the background", body = app::dto::DocumentDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 413, description = "The body is too large", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
/// Replaces a document's title, content and source; it is re-embedded.
pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<DocumentBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    Ok(axum::Json(state.services.update_document(&actor, org_id, id, body.into()).await?.into()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/documents/{document_id}",
    tag = "knowledge",
    summary = "Delete a document",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("document_id" = uuid::Uuid, Path, description = "The document")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Moved to the trash"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
/// Moves a document to the trash.
pub async fn delete(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.delete_document(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The parts of an upload form: `file` (required), `title` and `org_id` (optional).
pub struct UploadForm {
    /// The organisation (the form's field).
    pub org_id: Option<String>,
    /// A title; the file's first heading or name otherwise.
    pub title: Option<String>,
    /// The uploaded file's name.
    pub file_name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl UploadForm {
    /// Reads the multipart body; a missing file is a 422 naming the field.
    pub async fn read(mut form: Multipart) -> ApiResult<Self> {
        let (mut org_id, mut title, mut file) = (None, None, None);
        while let Some(field) = form.next_field().await.map_err(|e| multipart_error(&e))? {
            match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or("upload.txt").to_owned();
                    file = Some((name, field.bytes().await.map_err(|e| multipart_error(&e))?.to_vec()));
                }
                Some("title") => title = Some(field.text().await.map_err(|e| multipart_error(&e))?),
                Some("org_id") => org_id = Some(field.text().await.map_err(|e| multipart_error(&e))?),
                _ => {}
            }
        }
        let (file_name, bytes) = file.ok_or_else(|| {
            ApiError::Domain(domain::DomainError::invalid("file", "attach a file in the `file` field"))
        })?;
        Ok(Self { org_id, title, file_name, bytes })
    }

    /// The document this upload becomes (rules in `domain::knowledge::document_from_upload`).
    pub fn into_document(self) -> ApiResult<DocumentInput> {
        Ok(document_from_upload(&self.file_name, &self.bytes, self.title)?)
    }
}

/// `multipart/form-data` with a `file` part (`.md`, `.txt`, `.html`) and an optional `title`
/// (default: the file name without its extension).
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/documents/upload",
    tag = "knowledge",
    summary = "Upload a file (Markdown, text, HTML, PDF)",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body(content = String, content_type = "multipart/form-data", description = "`file`: the document; `title`: optional"),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The document made from the file", body = app::dto::DocumentDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 413, description = "The body is too large", body = super::error::ErrorBody), (status = 415, description = "Not a supported file type", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn upload(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<impl IntoResponse> {
    let form =
        form.map_err(|e| ApiError::bad_request(format!("expected a multipart/form-data upload: {}", e.body_text())))?;
    let input = UploadForm::read(form).await?.into_document()?;
    let doc = state.services.create_document(&actor, org_id, input).await?;
    Ok((StatusCode::CREATED, axum::Json(DocumentDto::from(doc))))
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge("the file is too large".into())
    } else {
        ApiError::bad_request(format!("malformed upload: {}", e.body_text()))
    }
}

/// `POST …/search` body.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SearchBody {
    query: String,
    #[serde(default)]
    limit: Option<usize>,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/search",
    tag = "knowledge",
    summary = "Search the knowledge base",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body = SearchBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The passages the AI would read, best first", body = Vec<app::dto::SearchHitDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
/// What the AI would retrieve for a question.
pub async fn search(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<SearchBody>,
) -> ApiResult<axum::Json<Vec<SearchHitDto>>> {
    let hits = state.services.search_knowledge(&actor, org_id, &body.query, body.limit.unwrap_or(5)).await?;
    Ok(axum::Json(hits.into_iter().map(Into::into).collect()))
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, show, update, delete, upload, search))]
pub(super) struct Doc;
