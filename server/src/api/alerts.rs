//! Alerts: webhook endpoints, the delivery log (emails and webhooks) with retry, and the
//! caller's "notify me of escalations" switch.

use app::dto::{DeliveryDto, NotificationsDto, WebhookDto, WebhookSecretDto};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{Auth, Json, Path};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct WebhookBody {
    url: String,
    events: Vec<String>,
}

pub async fn create_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<WebhookBody>,
) -> ApiResult<impl IntoResponse> {
    let created = state.services.create_webhook(&actor, org_id, &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, axum::Json(WebhookSecretDto::from(created))))
}

pub async fn list_webhooks(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<WebhookDto>>> {
    let hooks = state.services.list_webhooks(&actor, org_id).await?;
    Ok(axum::Json(hooks.into_iter().map(Into::into).collect()))
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.delete_webhook(&actor, org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let secret = state.services.rotate_webhook_secret(&actor, org_id, id).await?;
    Ok(axum::Json(serde_json::json!({ "id": id, "secret": secret })))
}

pub async fn test_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<impl IntoResponse> {
    let delivery = state.services.test_webhook(&actor, org_id, id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(DeliveryDto::from(delivery))))
}

#[derive(Deserialize)]
pub struct DeliveriesQuery {
    kind: Option<String>,
    limit: Option<u64>,
}

pub async fn deliveries(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<axum::Json<Vec<DeliveryDto>>> {
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k @ ("email" | "webhook")) => Some(k),
        Some(other) => {
            return Err(domain::DomainError::invalid("kind", format!("'{other}' is not email or webhook")).into());
        }
    };
    let list = state.services.list_deliveries(&actor, org_id, kind, q.limit.unwrap_or(100)).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

pub async fn retry(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<DeliveryDto>> {
    Ok(axum::Json(state.services.retry_delivery(&actor, org_id, id).await?.into()))
}

pub async fn notifications(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<axum::Json<NotificationsDto>> {
    let on = state.services.escalation_notifications(&actor).await?;
    Ok(axum::Json(NotificationsDto { notify_escalations: on }))
}

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
