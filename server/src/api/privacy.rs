//! Data & privacy and usage (owners and admins unless noted): exports, the trash, permanent
//! erasure, contacts (any member), the audit log (owners) and monthly usage.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use domain::privacy::{AuditEntry, ContactSummary, ExportJob, TrashEntry, TrashKind, UsageMonth};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Path};
use crate::state::AppState;

/// An export job with its download link once ready.
#[derive(Serialize)]
pub struct ExportDto {
    #[serde(flatten)]
    job: ExportJob,
    download_url: Option<String>,
}

fn export_dto(org_id: Uuid, job: ExportJob) -> ExportDto {
    let download_url = (job.status == domain::privacy::ExportStatus::Ready)
        .then(|| format!("/api/v1/orgs/{org_id}/exports/{}/download", job.id));
    ExportDto { job, download_url }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    /// Export one contact's data (right of access) instead of the whole organisation.
    contact_id: Option<Uuid>,
}

/// `POST /orgs/{id}/exports` → 202 `{id, status, progress, download_url}`.
pub async fn start_export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    // The body is optional: none (or `{}`) exports the whole organisation.
    let contact_id = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<ExportBody>(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
            .contact_id
    };
    let job = state.services.start_export(&actor, org_id, contact_id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(export_dto(org_id, job))))
}

pub async fn show_export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ExportDto>> {
    let job = state.services.export_job(&actor, org_id, id).await?;
    Ok(axum::Json(export_dto(org_id, job)))
}

/// The archive, streamed from disk.
pub async fn download_export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let (path, name) = state.services.export_archive(&actor, org_id, id).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::Domain(domain::DomainError::Internal(format!("opening the export: {e}"))))?;
    let length = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_owned()),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    ))
}

/// `DELETE /orgs/{id}/conversations/{id}` → 204; the conversation goes to the trash.
pub async fn trash_conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.trash_conversation(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn trash(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<TrashEntry>>> {
    Ok(axum::Json(state.services.trash(&actor, org_id).await?))
}

/// `POST /orgs/{id}/trash/{kind}/{id}/restore` → 200 `{restored: {kind, id}}`.
pub async fn restore(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, kind, id)): Path<(Uuid, String, Uuid)>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let kind = TrashKind::parse(&kind)?;
    state.services.restore_from_trash(&actor, org_id, kind, id).await?;
    Ok(axum::Json(serde_json::json!({ "restored": { "kind": kind, "id": id } })))
}

pub async fn erase_conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.erase_conversation(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn erase_contact(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.erase_contact(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    limit: Option<String>,
    months: Option<String>,
}

/// A positive whole number from the query string, or a 422 naming the parameter.
fn number(field: &'static str, value: Option<&str>, default: u64, max: u64) -> ApiResult<u64> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(domain::DomainError::invalid(field, format!("must be a whole number from 1 to {max}")).into()),
        },
    }
}

pub async fn contacts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<ContactSummary>>> {
    let limit = number("limit", query.limit.as_deref(), 100, domain::privacy::MAX_LIST)?;
    Ok(axum::Json(state.services.contacts(&actor, org_id, query.q.as_deref().unwrap_or(""), limit).await?))
}

pub async fn audit(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<AuditEntry>>> {
    let limit = number("limit", query.limit.as_deref(), 100, domain::privacy::MAX_LIST)?;
    Ok(axum::Json(state.services.audit_log(&actor, org_id, limit).await?))
}

pub async fn usage(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<UsageMonth>>> {
    let months = number("months", query.months.as_deref(), 12, u64::from(domain::privacy::MAX_MONTHS))?;
    Ok(axum::Json(state.services.usage(&actor, org_id, months as u32).await?))
}

pub async fn usage_csv(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<impl IntoResponse> {
    let months = number("months", query.months.as_deref(), 12, u64::from(domain::privacy::MAX_MONTHS))?;
    let csv = state.services.usage_csv(&actor, org_id, months as u32).await?;
    Ok(super::inbox::csv_response(csv, "usage.csv"))
}

/// `DELETE /orgs/{id}/feedback-projects/{project_id}` → 204; the project goes to the trash.
pub async fn delete_feedback_project(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
) -> ApiResult<StatusCode> {
    state.services.delete_feedback_project(&actor, org_id, &project_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
