//! Knowledge base: documents (CRUD and file upload) and the retrieval test endpoint.

use app::dto::{DocumentDto, SearchHitDto};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::knowledge::{DocumentInput, document_from_upload};
use serde::Deserialize;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Json, Path};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct DocumentBody {
    title: String,
    content: String,
    #[serde(default)]
    source_url: Option<String>,
}

impl From<DocumentBody> for DocumentInput {
    fn from(b: DocumentBody) -> Self {
        Self { title: b.title, content: b.content, source_url: b.source_url }
    }
}

pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<DocumentBody>,
) -> ApiResult<impl IntoResponse> {
    let doc = state.services.create_document(&actor, org_id, body.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(DocumentDto::from(doc))))
}

pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<DocumentDto>>> {
    let docs = state.services.list_documents(&actor, org_id).await?;
    Ok(axum::Json(docs.into_iter().map(Into::into).collect()))
}

pub async fn show(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<DocumentDto>> {
    Ok(axum::Json(state.services.get_document(&actor, org_id, id).await?.into()))
}

pub async fn update(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
    Json(body): Json<DocumentBody>,
) -> ApiResult<axum::Json<DocumentDto>> {
    Ok(axum::Json(state.services.update_document(&actor, org_id, id, body.into()).await?.into()))
}

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
    pub org_id: Option<String>,
    pub title: Option<String>,
    pub file_name: String,
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
pub async fn upload(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    form: Multipart,
) -> ApiResult<impl IntoResponse> {
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

#[derive(Deserialize)]
pub struct SearchBody {
    query: String,
    #[serde(default)]
    limit: Option<usize>,
}

pub async fn search(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<SearchBody>,
) -> ApiResult<axum::Json<Vec<SearchHitDto>>> {
    let hits = state.services.search_knowledge(&actor, org_id, &body.query, body.limit.unwrap_or(5)).await?;
    Ok(axum::Json(hits.into_iter().map(Into::into).collect()))
}
