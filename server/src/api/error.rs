//! The API's error type: `{"error": "<message>"}` with the status CONTRACTS.md assigns.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::DomainError;
use serde_json::json;

/// An error response. Internal causes are logged here and replaced by an opaque message.
#[derive(Debug)]
pub enum ApiError {
    /// From a service.
    Domain(DomainError),
    /// Malformed request (bad JSON, bad path id, wrong content type).
    BadRequest(String),
    /// Body over the configured limit.
    TooLarge(String),
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        Self::Domain(e)
    }
}

impl ApiError {
    /// Shorthand for a 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, json!({ "error": m })),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, json!({ "error": m })),
            ApiError::Domain(e) => match e {
                DomainError::NotFound(what) => (StatusCode::NOT_FOUND, json!({ "error": format!("{what} not found") })),
                DomainError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, json!({ "error": m })),
                DomainError::Forbidden(m) => (StatusCode::FORBIDDEN, json!({ "error": m })),
                DomainError::Conflict(m) => (StatusCode::CONFLICT, json!({ "error": m })),
                DomainError::Invalid { field, message } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "error": format!("{field}: {message}"), "field": field }),
                ),
                DomainError::Internal(cause) => {
                    tracing::error!(%cause, "internal error");
                    (StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": "internal error; it has been logged" }))
                }
            },
        };
        (status, Json(body)).into_response()
    }
}
