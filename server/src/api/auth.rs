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

pub async fn logout(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    state.services.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<axum::Json<MeResponse>> {
    let memberships = state.services.memberships(actor.user.id).await?;
    Ok(axum::Json(MeResponse::new(actor.user, memberships)))
}
