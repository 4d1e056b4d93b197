//! Sign-up, sign-in, sign-out and `me`.

use crate::api::dto::{LoginResponse, MeResponse, SignupResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::accounts::SignupInput;
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{Auth, Json};
use crate::client_ip::ClientIp;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignupBody {
    #[schema(max_length = 254, example = "ana@example.com")]
    email: String,
    #[schema(min_length = 8, max_length = 256, format = Password)]
    password: String,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(min_length = 1, max_length = 100)]
    organization_name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/signup",
    tag = "auth",
    summary = "Create an account and its first organisation",
    request_body = SignupBody,
    responses((status = 201, description = "The account, its first organisation and a session token", body = crate::api::dto::SignupResponse), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn signup(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<SignupBody>,
) -> ApiResult<impl IntoResponse> {
    state.spend_auth_attempt(&ip)?;
    let outcome = state
        .services
        .signup(SignupInput {
            email: body.email,
            password: body.password,
            name: body.name,
            organization_name: body.organization_name,
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(SignupResponse::from(outcome))))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    email: String,
    #[schema(format = Password)]
    password: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    summary = "Sign in",
    request_body = LoginBody,
    responses((status = 200, description = "A session token", body = crate::api::dto::LoginResponse), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<LoginBody>,
) -> ApiResult<axum::Json<LoginResponse>> {
    state.spend_auth_attempt(&ip)?;
    let session = state.services.login(&body.email, &body.password).await?;
    Ok(axum::Json(session.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetRequestBody {
    email: String,
}

/// `POST /auth/password-reset {email}` → 202 whether or not the address has an account; when it
/// has, a single-use link (30 minutes) is mailed to it.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "auth",
    summary = "Ask for a password-reset link",
    request_body = ResetRequestBody,
    responses((status = 202, description = "A reset link is mailed if the address has an account (the answer is the same either way)"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<ResetRequestBody>,
) -> ApiResult<StatusCode> {
    state.spend_auth_attempt(&ip)?;
    state.services.request_password_reset(&body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetBody {
    token: String,
    #[schema(min_length = 8, max_length = 256, format = Password)]
    password: String,
}

/// `POST /auth/password-reset/confirm {token, password}` → 200 `{token, user}`: the new password
/// is set, every other session signed out, and this is a new session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    tag = "auth",
    summary = "Set a new password with a reset link",
    request_body = ResetBody,
    responses((status = 200, description = "Password set; every other session signed out; a new session", body = crate::api::dto::LoginResponse), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<ResetBody>,
) -> ApiResult<axum::Json<LoginResponse>> {
    state.spend_auth_attempt(&ip)?;
    let session = state.services.reset_password(&body.token, &body.password).await?;
    Ok(axum::Json(session.into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    summary = "Sign out",
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Signed out; the session and its live sockets close"), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody))
)]
pub async fn logout(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    state.services.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    summary = "Who am I",
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 200, description = "The signed-in person and their memberships", body = crate::api::dto::MeResponse), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody))
)]
pub async fn me(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<MeResponse>> {
    let memberships = state.services.memberships(actor.user.id).await?;
    Ok(axum::Json(MeResponse::new(actor.user, memberships)))
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(signup, login, logout, request_password_reset, reset_password, me))]
pub(super) struct Doc;
