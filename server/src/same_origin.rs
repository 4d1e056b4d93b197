//! Cross-site request forgery. A browser sends the dashboard's session cookie with requests that
//! other sites make, and `SameSite=Lax` stops only other *sites*: a form posted from another port
//! or a sibling subdomain is same-site. So every state-changing request that would act with the
//! cookie, every dashboard server function (sign-in and sign-out included: login CSRF) and the
//! upgrade to the live WebSocket must come from this origin:
//!
//! - `Sec-Fetch-Site` (every current browser sends it) must be `same-origin` (or `none`: typed by
//!   the person);
//! - without it, an `Origin` header must name this server (the request's own `Host`);
//! - a request with neither header comes from a program, not a browser, and passes: only a
//!   browser carries someone's cookie without their knowing.
//!
//! REST calls with an `Authorization` header carry no ambient authority and pass; so do the
//! widget's and the SDK's endpoints, made for other sites, which never read the cookie.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The middleware: refuses a cross-origin request that needs this origin with 403.
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    if needs_same_origin(&request) && !from_this_origin(request.headers()) {
        tracing::info!(path = %request.uri().path(), "cross-origin request refused");
        return (
            axum::http::StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({"error": "this request must come from the dashboard's own pages"})),
        )
            .into_response();
    }
    next.run(request).await
}

fn needs_same_origin(request: &Request) -> bool {
    let headers = request.headers();
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let upgrade = headers.contains_key(header::UPGRADE);
    if !(changes_state || upgrade) {
        return false;
    }
    let path = request.uri().path();
    // Leptos server functions live under `/api/` (the REST API under `/api/v1/`).
    let server_fn = path.starts_with("/api/") && !path.starts_with("/api/v1/");
    // The widget's and the SDK's endpoints are for other sites and never read the cookie.
    let public = path.starts_with("/api/v1/widget/") || path.starts_with("/sdk/") || path == "/fetchFeedbacks";
    let with_cookie = app::session_cookie::read(headers).is_some() && !headers.contains_key(header::AUTHORIZATION);
    server_fn || (with_cookie && !public)
}

fn from_this_origin(headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin" || site == "none";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, authority)| authority == host),
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(header::HeaderName::from_static(k), v.parse().expect("a header value"));
        }
        h
    }

    #[test]
    fn only_this_origin_or_a_program_passes() {
        assert!(from_this_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!from_this_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!from_this_origin(&headers(&[("sec-fetch-site", "cross-site"), ("origin", "http://app.example")])));
        assert!(from_this_origin(&headers(&[("origin", "http://app.example:3000"), ("host", "app.example:3000")])));
        assert!(!from_this_origin(&headers(&[("origin", "http://app.example:3001"), ("host", "app.example:3000")])));
        assert!(!from_this_origin(&headers(&[("origin", "null"), ("host", "app.example")])));
        assert!(from_this_origin(&headers(&[("host", "app.example")])), "no browser headers: a program");
    }
}
