//! Organisations: create, read (with settings), partial settings update.

use app::dto::OrganizationDto;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::organizations::OrgSettingsPatch;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{Auth, Json, Path};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct CreateBody {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Json(body): Json<CreateBody>,
) -> ApiResult<impl IntoResponse> {
    let org = state.services.create_organization(actor.user.id, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(OrganizationDto::from(org))))
}

pub async fn show(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<OrganizationDto>> {
    let (org, _role) = state.services.organization_for_member(actor.user.id, org_id).await?;
    Ok(axum::Json(org.into()))
}

pub async fn update_settings(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(patch): Json<OrgSettingsPatch>,
) -> ApiResult<axum::Json<OrganizationDto>> {
    let org = state.services.update_settings(actor.user.id, org_id, patch).await?;
    Ok(axum::Json(org.into()))
}

/// `POST /orgs/{id}/widget-key/rotate` → 200 `{widget_key}`; the old key gets 404 at once.
pub async fn rotate_widget_key(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let widget_key = state.services.rotate_widget_key(&actor, org_id).await?;
    Ok(axum::Json(serde_json::json!({ "widget_key": widget_key })))
}
