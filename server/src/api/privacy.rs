//! Data & privacy and usage (owners and admins unless noted): exports, the trash, permanent
//! erasure, contacts (any member), the audit log (owners) and monthly usage.

use app::dto::{ContactRowDto, UsageMonthDto};
use axum::body::Body;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use domain::privacy::TrashKind;
use serde::Deserialize;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Auth, Path, Query};
use super::page::PageQuery;
use crate::api::dto::{AuditLogEntryDto, ExportDto, RestoredDto, TrashItemDto, TrashRefDto};
use crate::state::AppState;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    /// Export one contact's data (right of access) instead of the whole organisation.
    contact_id: Option<Uuid>,
}

/// `POST /orgs/{id}/exports` → 202 `{id, status, progress, download_url}`.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/exports",
    tag = "privacy",
    summary = "Export the organisation's data",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body(content = Option<ExportBody>, description = "Optional: `{\"contact_id\": …}` exports one contact's data; none (or `{}`) the whole organisation"),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 202, description = "The export job, running in the background", body = crate::api::dto::ExportDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
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
    Ok((StatusCode::ACCEPTED, axum::Json(ExportDto::new(org_id, job))))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/exports/{export_id}",
    tag = "privacy",
    summary = "An export's progress",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("export_id" = uuid::Uuid, Path, description = "The export job")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The export job", body = crate::api::dto::ExportDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn show_export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ExportDto>> {
    let job = state.services.export_job(&actor, org_id, id).await?;
    Ok(axum::Json(ExportDto::new(org_id, job)))
}

/// The archive, streamed from disk.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/exports/{export_id}/download",
    tag = "privacy",
    summary = "Download an export",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("export_id" = uuid::Uuid, Path, description = "The export job")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The export archive (application/gzip)", body = String, content_type = "application/gzip"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn download_export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let (path, name) = state.services.export_archive(&actor, org_id, id).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::Domain(domain::DomainError::internal_from("opening the export", e)))?;
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
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}",
    tag = "privacy",
    summary = "Delete a conversation",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Moved to the trash"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn trash_conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.trash_conversation(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/trash",
    tag = "privacy",
    summary = "List the trash",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "What can still be restored", body = Vec<crate::api::dto::TrashItemDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn trash(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<TrashItemDto>>> {
    Ok(axum::Json(state.services.trash(&actor, org_id).await?.into_iter().map(Into::into).collect()))
}

/// `POST /orgs/{id}/trash/{kind}/{id}/restore` → 200 `{restored: {kind, id}}`.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/trash/{kind}/{item_id}/restore",
    tag = "privacy",
    summary = "Restore from the trash",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("kind" = String, Path, description = "`conversation`, `document` or `feedback_project`"), ("item_id" = uuid::Uuid, Path, description = "The trashed item")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "What came back", body = crate::api::dto::RestoredDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn restore(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, kind, id)): Path<(Uuid, String, Uuid)>,
) -> ApiResult<axum::Json<RestoredDto>> {
    let kind = TrashKind::parse(&kind)?;
    state.services.restore_from_trash(&actor, org_id, kind, id).await?;
    Ok(axum::Json(RestoredDto { restored: TrashRefDto { kind: kind.into(), id } }))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/conversations/{conversation_id}/erase",
    tag = "privacy",
    summary = "Erase a conversation",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("conversation_id" = uuid::Uuid, Path, description = "The conversation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Erased for good"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn erase_conversation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.erase_conversation(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/contacts/{contact_id}/erase",
    tag = "privacy",
    summary = "Erase a contact",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("contact_id" = uuid::Uuid, Path, description = "The contact")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "The contact and their conversations erased for good"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn erase_contact(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.erase_contact(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/contacts",
    tag = "privacy",
    summary = "List contacts",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ListQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Contacts `{id, name, email, phone, conversation_count}`", body = Vec<app::dto::ContactRowDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn contacts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<ContactRowDto>>> {
    let limit = number("limit", query.limit.as_deref(), 100, domain::privacy::MAX_LIST)?;
    let found = state.services.contacts(&actor, org_id, query.q.as_deref().unwrap_or(""), limit).await?;
    Ok(axum::Json(found.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/audit",
    tag = "privacy",
    summary = "The audit log (owners)",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), PageQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "One page of audit entries `{action, actor, target, at}`, newest first", body = Vec<crate::api::dto::AuditLogEntryDto>, headers(("Link" = String, description = "`<…&after=CURSOR>; rel=\"next\"` when another page follows"), ("X-Next-Cursor" = String, description = "The next page's `after`, when another page follows"))), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn audit(
    State(state): State<AppState>,
    Auth(actor): Auth,
    OriginalUri(uri): OriginalUri,
    Path(org_id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> ApiResult<(HeaderMap, axum::Json<Vec<AuditLogEntryDto>>)> {
    let log = state.services.audit_log(&actor, org_id, query.request()?).await?;
    Ok(super::page::respond(&uri, log))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/usage",
    tag = "privacy",
    summary = "Usage per month",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ListQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Monthly usage, newest first", body = Vec<app::dto::UsageMonthDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn usage(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Vec<UsageMonthDto>>> {
    let months = number("months", query.months.as_deref(), 12, u64::from(domain::privacy::MAX_MONTHS))?;
    Ok(axum::Json(state.services.usage(&actor, org_id, months as u32).await?.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/usage.csv",
    tag = "privacy",
    summary = "Usage per month as CSV",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ListQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The same as CSV", body = String, content_type = "text/csv"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
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
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/feedback-projects/{project_id}",
    tag = "feedback",
    summary = "Delete a feedback project",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("project_id" = String, Path, description = "The feedback project's public id")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Moved to the trash"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn delete_feedback_project(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, project_id)): Path<(Uuid, String)>,
) -> ApiResult<StatusCode> {
    state.services.delete_feedback_project(&actor, org_id, &project_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    start_export,
    show_export,
    download_export,
    trash_conversation,
    trash,
    restore,
    erase_conversation,
    erase_contact,
    contacts,
    audit,
    usage,
    usage_csv,
    delete_feedback_project
))]
pub(super) struct Doc;
