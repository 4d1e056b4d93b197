//! Alerts: webhook endpoints, the delivery log (emails and webhooks) with retry, and the
//! caller's "notify me of escalations" switch.

use crate::api::dto::{NotificationsDto, WebhookSecretDto};
use app::dto::{DeliveryDto, WebhookDto};
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{Auth, Json, Path, Query};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct WebhookBody {
    url: String,
    events: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/webhooks",
    tag = "alerts",
    summary = "Add a webhook",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body = WebhookBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The webhook; its signing secret is shown this once", body = crate::api::dto::WebhookSecretDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<WebhookBody>,
) -> ApiResult<impl IntoResponse> {
    let created = state.services.create_webhook(&actor, org_id, &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, axum::Json(WebhookSecretDto::from(created))))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/webhooks",
    tag = "alerts",
    summary = "List webhooks",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Webhooks", body = Vec<app::dto::WebhookDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<WebhookDto>>> {
    let hooks = state.services.list_webhooks(&actor, org_id).await?;
    Ok(axum::Json(hooks.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/webhooks/{webhook_id}",
    tag = "alerts",
    summary = "Delete a webhook",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("webhook_id" = uuid::Uuid, Path, description = "The webhook")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.delete_webhook(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/webhooks/{webhook_id}/rotate-secret",
    tag = "alerts",
    summary = "Rotate a webhook's secret",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("webhook_id" = uuid::Uuid, Path, description = "The webhook")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The new secret, shown this once", body = crate::api::dto::RotatedSecretDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<crate::api::dto::RotatedSecretDto>> {
    let secret = state.services.rotate_webhook_secret(&actor, org_id, id).await?;
    Ok(axum::Json(crate::api::dto::RotatedSecretDto { id, secret }))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/webhooks/{webhook_id}/test",
    tag = "alerts",
    summary = "Send a test delivery",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("webhook_id" = uuid::Uuid, Path, description = "The webhook")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 202, description = "The test delivery, queued", body = app::dto::DeliveryDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn test_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let delivery = state.services.test_webhook(&actor, org_id, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(DeliveryDto::from(delivery))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `email` or `webhook`; both when absent.
    kind: Option<String>,
    /// Deliveries per page: 1–200, default 100.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// Where the page starts: the `X-Next-Cursor` of the previous page.
    after: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/deliveries",
    tag = "alerts",
    summary = "The delivery log",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), DeliveriesQuery),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "One page of mails and webhook calls, newest first", body = Vec<app::dto::DeliveryDto>, headers(("Link" = String, description = "`<…&after=CURSOR>; rel=\"next\"` when another page follows"), ("X-Next-Cursor" = String, description = "The next page's `after`, when another page follows"))), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<(HeaderMap, axum::Json<Vec<DeliveryDto>>)> {
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => match domain::alerts::DeliveryKind::parse(k) {
            Some(kind) => Some(kind),
            None => {
                return Err(domain::DomainError::invalid("kind", format!("'{k}' is not email or webhook")).into());
            }
        },
    };
    let page = super::page::request(q.limit.as_deref(), q.after.as_deref())?;
    let list = state.services.list_deliveries(&actor, org_id, kind, page).await?;
    Ok(super::page::respond(&uri, list))
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/deliveries/{delivery_id}/retry",
    tag = "alerts",
    summary = "Retry a dead delivery",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("delivery_id" = uuid::Uuid, Path, description = "The delivery")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Queued again", body = app::dto::DeliveryDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn retry(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<DeliveryDto>> {
    Ok(axum::Json(state.services.retry_delivery(&actor, org_id, id).await?.into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "alerts",
    summary = "My alert preferences",
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "My alert preferences", body = crate::api::dto::NotificationsDto), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody))
)]
pub async fn notifications(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<axum::Json<NotificationsDto>> {
    let on = state.services.escalation_notifications(&actor).await?;
    Ok(axum::Json(NotificationsDto { notify_escalations: on }))
}

#[utoipa::path(
    put,
    path = "/api/v1/me/notifications",
    tag = "alerts",
    summary = "Change my alert preferences",
    request_body = crate::api::dto::NotificationsDto,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Saved", body = crate::api::dto::NotificationsDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn set_notifications(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Json(body): Json<NotificationsDto>,
) -> ApiResult<axum::Json<NotificationsDto>> {
    state.services.set_escalation_notifications(&actor, body.notify_escalations).await?;
    Ok(axum::Json(body))
}

/// `GET /alerts/confirm/{token}`: the link mailed to an outside alert recipient. A small page
/// says what happened; an unknown link says so (404).
pub async fn confirm_recipient(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> (axum::http::StatusCode, axum::response::Html<String>) {
    let page = |title: &str, text: &str| {
        axum::response::Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
             content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body style=\"font: \
             16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem\"><h1>{title}</h1>\
             <p>{text}</p></body></html>"
        ))
    };
    match state.services.confirm_alert_recipient(&token).await {
        Ok(org) => (
            axum::http::StatusCode::OK,
            page(
                "Alerts confirmed",
                &format!("This address now gets a mail when a chat of {} is handed to a person.", html_escape(&org)),
            ),
        ),
        Err(_) => (
            axum::http::StatusCode::NOT_FOUND,
            page("Link not found", "This confirmation link is unknown or was withdrawn. Nothing was changed."),
        ),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_webhook,
    list_webhooks,
    delete_webhook,
    rotate_secret,
    test_webhook,
    deliveries,
    retry,
    notifications,
    set_notifications
))]
pub(super) struct Doc;
