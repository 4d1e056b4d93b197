//! Sign-up, sign-in, sign-out and `me`.

use app::dto::{LoginResponse, MeResponse, SignupResponse};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::accounts::SignupInput;
use serde::Deserialize;

use super::error::ApiResult;
use super::extract::{Auth, Json};
use crate::client_ip::ClientIp;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SignupBody {
    email: String,
    password: String,
    name: String,
    organization_name: String,
}

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

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<LoginBody>,
) -> ApiResult<axum::Json<LoginResponse>> {
    state.spend_auth_attempt(&ip)?;
    let session = state.services.login(&body.email, &body.password).await?;
    Ok(axum::Json(session.into()))
}

#[derive(Deserialize)]
pub struct ResetRequestBody {
    email: String,
}

/// `POST /auth/password-reset {email}` → 202 whether or not the address has an account; when it
/// has, a single-use link (30 minutes) is mailed to it.
pub async fn request_password_reset(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<ResetRequestBody>,
) -> ApiResult<StatusCode> {
    state.spend_auth_attempt(&ip)?;
    state.services.request_password_reset(&body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct ResetBody {
    token: String,
    password: String,
}

/// `POST /auth/password-reset/confirm {token, password}` → 200 `{token, user}`: the new password
/// is set, every other session signed out, and this is a new session.
pub async fn reset_password(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(body): Json<ResetBody>,
) -> ApiResult<axum::Json<LoginResponse>> {
    state.spend_auth_attempt(&ip)?;
    let session = state.services.reset_password(&body.token, &body.password).await?;
    Ok(axum::Json(session.into()))
}

pub async fn logout(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    state.services.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<MeResponse>> {
    let memberships = state.services.memberships(actor.user.id).await?;
    Ok(axum::Json(MeResponse::new(actor.user, memberships)))
}
