//! The API's error type: `{"error": "<message>"}` with the status each route documents in the OpenAPI description.

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
    /// Over a rate limit; the budget has room again after this long.
    RateLimited(std::time::Duration),
    /// The server holds as many live connections as it will; retry after this long.
    Busy(std::time::Duration),
}

impl From<crate::rate_limit::OverBudget> for ApiError {
    fn from(over: crate::rate_limit::OverBudget) -> Self {
        ApiError::RateLimited(over.retry_after)
    }
}

impl From<crate::rate_limit::Refused> for ApiError {
    fn from(refused: crate::rate_limit::Refused) -> Self {
        match refused {
            crate::rate_limit::Refused::OverShare => ApiError::RateLimited(std::time::Duration::from_secs(30)),
            crate::rate_limit::Refused::Full => ApiError::Busy(std::time::Duration::from_secs(30)),
        }
    }
}

/// The body of every error response (its schema in the OpenAPI description).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person to read.
    pub error: String,
    /// The request field at fault, for 422 answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
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

    /// The message a person should read (internal causes are logged, never shown).
    pub fn message(self) -> String {
        self.parts().1
    }

    /// Status, message and, for invalid input, the field concerned.
    fn parts(self) -> (StatusCode, String, Option<&'static str>) {
        match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m, None),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m, None),
            ApiError::Busy(wait) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the server is at capacity; try again in {} seconds", wait.as_secs().max(1)),
                None,
            ),
            ApiError::RateLimited(wait) => (
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many requests; try again in {} seconds", wait.as_secs().max(1)),
                None,
            ),
            ApiError::Domain(e) => match e {
                DomainError::NotFound(what) => (StatusCode::NOT_FOUND, format!("{what} not found"), None),
                DomainError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.to_owned(), None),
                DomainError::Forbidden(m) => (StatusCode::FORBIDDEN, m, None),
                DomainError::Conflict(m) => (StatusCode::CONFLICT, m, None),
                DomainError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m, None),
                e @ DomainError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, e.to_string(), None),
                DomainError::Invalid { field, message } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, format!("{field}: {message}"), Some(field))
                }
                e @ DomainError::Internal { .. } => {
                    tracing::error!(error = %e.chain(), "internal error");
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal error; it has been logged".to_owned(), None)
                }
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = match &self {
            ApiError::RateLimited(wait) | ApiError::Busy(wait) => Some(wait.as_secs().max(1)),
            ApiError::Domain(DomainError::Throttled { retry_after_secs }) => Some(*retry_after_secs),
            _ => None,
        };
        let (status, message, field) = self.parts();
        let body = match field {
            Some(field) => json!({ "error": message, "field": field }),
            None => json!({ "error": message }),
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}
