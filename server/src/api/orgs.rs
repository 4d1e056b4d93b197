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

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs",
    tag = "organisations",
    summary = "Create an organisation",
    request_body = CreateBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The new organisation; the caller is its owner", body = app::dto::OrganizationDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Json(body): Json<CreateBody>,
) -> ApiResult<impl IntoResponse> {
    let org = state.services.create_organization(actor.user.id, &body.name).await?;
    Ok((StatusCode::CREATED, axum::Json(OrganizationDto::from(org))))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}",
    tag = "organisations",
    summary = "Read an organisation",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The organisation with its settings", body = app::dto::OrganizationDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn show(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<OrganizationDto>> {
    let (org, _role) = state.services.organization_for_member(actor.user.id, org_id).await?;
    Ok(axum::Json(org.into()))
}

#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{org_id}/settings",
    tag = "organisations",
    summary = "Change settings (only the keys sent)",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body = Object,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The organisation with its settings after the change", body = app::dto::OrganizationDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/widget-key/rotate",
    tag = "organisations",
    summary = "Rotate the widget key",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The new key; the old one gets 404 at once", body = crate::api::dto::WidgetKeyDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn rotate_widget_key(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<crate::api::dto::WidgetKeyDto>> {
    let widget_key = state.services.rotate_widget_key(&actor, org_id).await?;
    Ok(axum::Json(crate::api::dto::WidgetKeyDto { widget_key }))
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, show, update_settings, rotate_widget_key))]
pub(super) struct Doc;
