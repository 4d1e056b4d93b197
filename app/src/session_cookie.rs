//! The dashboard's cookies: the session token (HttpOnly, SameSite=Lax) and the selected
//! organisation. Bearer tokens and this cookie resolve to the same sessions.

use http::HeaderMap;
use http::header::COOKIE;

/// Cookie holding the session token.
pub const SESSION: &str = "iterochat_session";
/// Cookie holding the selected organisation id.
pub const CURRENT_ORG: &str = "iterochat_org";
const MAX_AGE_SECS: i64 = 30 * 24 * 3600;

/// Reads the session token from the request's cookies.
pub fn read(headers: &HeaderMap) -> Option<String> {
    read_named(headers, SESSION)
}

/// Reads any cookie by name.
pub fn read_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` value storing `value` under `name` for the session lifetime.
pub fn set(name: &str, value: &str, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={MAX_AGE_SECS}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value deleting cookie `name`.
pub fn clear(name: &str, secure: bool) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn finds_the_session_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; iterochat_session=tok123; b=2"));
        assert_eq!(read(&headers).as_deref(), Some("tok123"));
        assert_eq!(read_named(&headers, "missing"), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_lax() {
        let c = set(SESSION, "t", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        assert!(set(SESSION, "t", true).ends_with("; Secure"));
        assert!(clear(SESSION, false).contains("Max-Age=0"));
    }
}
