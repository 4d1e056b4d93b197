//! The REST side of keyset pagination ([`domain::pagination`]): the `limit` and `after` query
//! parameters in; out, the page's items as the JSON array body and, when another page follows,
//! `Link: <…&after=…>; rel="next"` and `X-Next-Cursor` headers. The body stays a plain array, so
//! clients that read one page keep working; the headers say that more exist.

use axum::http::{HeaderMap, HeaderValue, Uri};
use domain::pagination::{Page, PageRequest};

use super::error::ApiResult;

/// `?limit=&after=` of a paged list.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page: 1–200, default 100.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// Where the page starts: the `X-Next-Cursor` of the previous page.
    pub after: Option<String>,
}

impl PageQuery {
    /// The page asked for (a bad `limit` or `after` is a 422 naming it).
    pub fn request(&self) -> ApiResult<PageRequest> {
        request(self.limit.as_deref(), self.after.as_deref())
    }
}

/// The header carrying the next page's cursor (also inside `Link`).
pub const NEXT_CURSOR: &str = "x-next-cursor";

/// Reads a page request from the `limit` and `after` parameters (a bad one is a 422 naming it).
pub fn request(limit: Option<&str>, after: Option<&str>) -> ApiResult<PageRequest> {
    Ok(PageRequest::parse(limit, after)?)
}

/// The page's items (converted) and the headers pointing at the next page, which is `uri` with
/// its `after` replaced.
pub fn respond<T, D: From<T>>(uri: &Uri, page: Page<T>) -> (HeaderMap, axum::Json<Vec<D>>) {
    let mut headers = HeaderMap::new();
    if let Some(next) = page.next {
        let cursor = next.encode();
        let mut query: Vec<(String, String)> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k != "after")
                .collect();
        query.push(("after".to_owned(), cursor.clone()));
        let query = serde_urlencoded::to_string(&query).unwrap_or_default();
        if let Ok(link) = HeaderValue::from_str(&format!("<{}?{query}>; rel=\"next\"", uri.path())) {
            headers.insert(axum::http::header::LINK, link);
        }
        if let Ok(value) = HeaderValue::from_str(&cursor) {
            headers.insert(NEXT_CURSOR, value);
        }
    }
    (headers, axum::Json(page.items.into_iter().map(D::from).collect()))
}
