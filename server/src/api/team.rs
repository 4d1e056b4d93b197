//! Team: invites (create, list, revoke, preview, accept) and members (list, change role, remove).

use crate::api::dto::InviteCreatedDto;
use app::dto::{InviteDto, InvitePreviewDto, MemberDto, MembershipDto};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Role;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{Auth, Json, Path};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct InviteBody {
    email: String,
    #[schema(pattern = "^(owner|admin|agent)$", example = "agent")]
    role: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/invites",
    tag = "team",
    summary = "Invite a person",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    request_body = InviteBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 201, description = "The invite; its token is shown this once", body = crate::api::dto::InviteCreatedDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
    Json(body): Json<InviteBody>,
) -> ApiResult<impl IntoResponse> {
    let role = Role::parse(&body.role)?;
    let created = state.services.invite(&actor, org_id, &body.email, role).await?;
    Ok((StatusCode::CREATED, axum::Json(InviteCreatedDto::from(created))))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/invites",
    tag = "team",
    summary = "List pending invites",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Pending invites", body = Vec<app::dto::InviteDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn pending_invites(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<InviteDto>>> {
    let invites = state.services.pending_invites(&actor, org_id).await?;
    Ok(axum::Json(invites.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/invites/{invite_id}",
    tag = "team",
    summary = "Revoke an invite",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("invite_id" = uuid::Uuid, Path, description = "The invite")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Revoked"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn revoke_invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, invite_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.revoke_invite(&actor, org_id, invite_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/invites/{token}",
    tag = "team",
    summary = "Preview an invite",
    params(("token" = String, Path, description = "The token from the link")),
    responses((status = 200, description = "Who invites whom, to which organisation and role", body = app::dto::InvitePreviewDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn preview_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<InvitePreviewDto>> {
    Ok(axum::Json(state.services.invite_preview(&token).await?.into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/invites/{token}/accept",
    tag = "team",
    summary = "Accept an invite",
    params(("token" = String, Path, description = "The token from the link")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The new membership", body = app::dto::MembershipDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn accept_invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<MembershipDto>> {
    Ok(axum::Json(state.services.accept_invite(&actor, &token).await?.into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/members",
    tag = "team",
    summary = "List members",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Members and their roles", body = Vec<app::dto::MemberDto>), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn members(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<MemberDto>>> {
    let members = state.services.members(&actor, org_id).await?;
    Ok(axum::Json(members.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RoleBody {
    #[schema(pattern = "^(owner|admin|agent)$", example = "admin")]
    role: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{org_id}/members/{user_id}",
    tag = "team",
    summary = "Change a member's role",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("user_id" = uuid::Uuid, Path, description = "The member (a user id)")),
    request_body = RoleBody,
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The member with the new role", body = app::dto::MemberDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody))
)]
pub async fn change_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, user_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<RoleBody>,
) -> ApiResult<axum::Json<MemberDto>> {
    let role = Role::parse(&body.role)?;
    Ok(axum::Json(state.services.change_role(&actor, org_id, user_id, role).await?.into()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org_id}/members/{user_id}",
    tag = "team",
    summary = "Remove a member",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation"), ("user_id" = uuid::Uuid, Path, description = "The member (a user id)")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Removed; their live sockets close"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody))
)]
pub async fn remove_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, user_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.remove_member(&actor, org_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    invite,
    pending_invites,
    revoke_invite,
    preview_invite,
    accept_invite,
    members,
    change_role,
    remove_member
))]
pub(super) struct Doc;
