//! Team: invites (create, list, revoke, preview, accept) and members (list, change role, remove).

use app::dto::{InviteCreatedDto, InviteDto, InvitePreviewDto, MemberDto, MembershipDto};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Role;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ApiResult;
use super::extract::{Auth, Json, Path};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct InviteBody {
    email: String,
    role: String,
}

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

pub async fn pending_invites(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<InviteDto>>> {
    let invites = state.services.pending_invites(&actor, org_id).await?;
    Ok(axum::Json(invites.into_iter().map(Into::into).collect()))
}

pub async fn revoke_invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, invite_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.revoke_invite(&actor, org_id, invite_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn preview_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<InvitePreviewDto>> {
    Ok(axum::Json(state.services.invite_preview(&token).await?.into()))
}

pub async fn accept_invite(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<MembershipDto>> {
    Ok(axum::Json(state.services.accept_invite(&actor, &token).await?.into()))
}

pub async fn members(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(org_id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<MemberDto>>> {
    let members = state.services.members(&actor, org_id).await?;
    Ok(axum::Json(members.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize)]
pub struct RoleBody {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, user_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<RoleBody>,
) -> ApiResult<axum::Json<MemberDto>> {
    let role = Role::parse(&body.role)?;
    Ok(axum::Json(state.services.change_role(&actor, org_id, user_id, role).await?.into()))
}

pub async fn remove_member(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((org_id, user_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    state.services.remove_member(&actor, org_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
