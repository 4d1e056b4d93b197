//! Request extractors whose rejections are JSON errors with the contract's statuses.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use domain::accounts::Actor;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::state::AppState;

/// JSON body: syntax errors → 400, wrong or missing fields → 422, over the limit → 413.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => ApiError::Domain(domain::DomainError::Invalid {
                    field: "body",
                    message: e
                        .body_text()
                        .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
                        .to_owned(),
                }),
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::bad_request("expected a JSON body with Content-Type: application/json")
                }
                other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::TooLarge("request body is too large".into())
                }
                other => ApiError::bad_request(format!("malformed JSON: {}", other.body_text())),
            }),
        }
    }
}

/// Path parameters; an unparsable id is a 400 with a message rather than axum's plain text.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.path().contains("%00") {
            return Err(ApiError::bad_request("the path must not contain NUL (%00) characters"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|e: PathRejection| ApiError::bad_request(format!("invalid path: {}", e.body_text())))
    }
}

/// Query string; a missing or malformed parameter is a 400 with a JSON message rather than axum's
/// plain text.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(|q| q.contains("%00")) {
            return Err(ApiError::bad_request("the query must not contain NUL (%00) characters"));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Self(v))
            .map_err(|e| ApiError::bad_request(format!("invalid query: {}", e.body_text())))
    }
}

/// The signed-in caller, from `Authorization: Bearer <token>` or the dashboard session cookie.
pub struct Auth(pub Actor);

impl<S> FromRequestParts<S> for Auth
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer_token(parts).or_else(|| app::session_cookie::read(&parts.headers));
        let Some(token) = token else {
            return Err(ApiError::Domain(domain::DomainError::Unauthorized(
                "sign in first: send Authorization: Bearer <token>",
            )));
        };
        Ok(Self(state.services.authenticate(&token).await?))
    }
}

/// The token of `Authorization: Bearer <token>`, if the request carries one.
pub(crate) fn bearer_token(parts: &Parts) -> Option<String> {
    bearer_of(&parts.headers)
}

/// The token of `Authorization: Bearer <token>` in `headers`, if any.
pub(crate) fn bearer_of(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}
