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
        if !json_content_type(req.headers()) {
            return Err(ApiError::bad_request("expected a JSON body with Content-Type: application/json"));
        }
        // Read within the route's body limit.
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge("request body is too large".into())
            } else {
                ApiError::bad_request(format!("unreadable body: {}", rejection.body_text()))
            }
        })?;
        // Text is stored in Postgres, which has no NUL character: refused here as bad input
        // rather than failing in the database.
        if contains_nul_escape(&bytes) {
            return Err(ApiError::Domain(domain::DomainError::invalid(
                "body",
                "text must not contain NUL (\\u0000) characters",
            )));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
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

/// `application/json`, or a `+json` type, as axum's own extractor accepts.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether a JSON text holds a `\u0000` escape (a raw NUL byte is already invalid JSON).
fn contains_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            // An escape: `\u0000` is NUL; `\\` (an escaped backslash) and the rest are skipped whole.
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6).is_some_and(|h| h.iter().all(|b| *b == b'0')) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
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

#[cfg(test)]
mod tests {
    use super::contains_nul_escape;

    #[test]
    fn a_nul_escape_is_found_and_an_escaped_backslash_is_not_one() {
        assert!(contains_nul_escape(br#"{"text":"a\u0000b"}"#));
        assert!(!contains_nul_escape(br#"{"text":"a\\u0000b"}"#), "a backslash, then the letters u0000");
        assert!(!contains_nul_escape(br#"{"text":"\u00e9t\u00e9"}"#));
        assert!(contains_nul_escape(br#"{"text":"\\\u0000"}"#), "a backslash, then NUL");
    }
}
