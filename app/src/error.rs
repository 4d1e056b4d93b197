//! `AppError`: the error every server fn returns. Serialisable and WASM-safe, so forms can show
//! it; it never carries driver text (internal causes are logged on the server instead).

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// A user-facing error with its HTTP meaning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts; the message says how long to wait.
    #[error("{0}")]
    TooManyRequests(String),
    /// One form field is wrong; `field` lets the form show the message beside it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The request never reached the service (network, encoding).
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error stands for.
    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Unauthorized(_) => S::UNAUTHORIZED,
            AppError::Forbidden(_) => S::FORBIDDEN,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::TooLarge(_) => S::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => S::TOO_MANY_REQUESTS,
            AppError::Invalid { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::Internal => S::INTERNAL_SERVER_ERROR,
            AppError::Transport(_) => S::BAD_REQUEST,
        }
    }

    /// The field an `Invalid` error is about.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

impl From<ServerFnErrorErr> for AppError {
    fn from(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
