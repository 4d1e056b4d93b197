//! The visitor widget's files: `/widget.js` (the loader, cached 5 minutes, naming the current
//! content-hashed bundle) and `/widget/<hashed file>` (cached for a year, immutable). Both are
//! open to every origin: customer sites import the bundle as an ES module, which browsers fetch
//! in CORS mode.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const LOADER: &str = include_str!("../../widget-wasm/loader.js");

/// `GET /widget.js`.
pub async fn loader(State(state): State<AppState>) -> Response {
    let manifest = std::path::Path::new(&*state.leptos_options.site_root).join("widget/manifest.json");
    let names = tokio::fs::read_to_string(&manifest).await.ok().and_then(|text| {
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some((value["js"].as_str()?.to_owned(), value["wasm"].as_str()?.to_owned()))
    });
    let Some((js, wasm)) = names else {
        tracing::error!(manifest = %manifest.display(), "the widget bundle is not built (run `make build`)");
        return (StatusCode::SERVICE_UNAVAILABLE, "/* Iterochat: the widget bundle is not built on this server. */")
            .into_response();
    };
    let body = LOADER.replace("__JS__", &js).replace("__WASM__", &wasm);
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

/// `GET /widget/{file}`: a content-hashed bundle file.
pub async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let content_type = if file.ends_with(".wasm") {
        "application/wasm"
    } else if file.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !file.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') || file.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = std::path::Path::new(&*state.leptos_options.site_root).join("widget").join(&file);
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The demo customer site `make run` serves on another origin: a page embedding the widget the
/// way a customer would (`/`), and the same page under hostile CSS (`/hostile`) to show the
/// Shadow DOM holding up. `?key=` picks the widget key (default: the demo organisation's).
pub fn demo_site(server: String, default_key: String) -> axum::Router {
    let page = move |hostile: bool| {
        let (server, default_key) = (server.clone(), default_key.clone());
        move |axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>| {
            let key = q.get("key").filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).cloned();
            let key = key.unwrap_or_else(|| default_key.clone());
            let server = server.clone();
            async move { axum::response::Html(demo_page(&server, &key, hostile)) }
        }
    };
    axum::Router::new().route("/", axum::routing::get(page(false))).route("/hostile", axum::routing::get(page(true)))
}

fn demo_page(server: &str, key: &str, hostile: bool) -> String {
    let css = if hostile {
        "* { all: unset !important; font-size: 40px !important; } div, p, h1, pre { display: block; }"
    } else {
        "body { font-family: Georgia, serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; }"
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Demo Company: a customer's site</title>\
         <style>{css}</style></head><body><h1>Demo Company</h1><p>This page stands for a customer's website on \
         another origin. The chat bubble in the corner is the Iterochat widget, embedded with one line:</p>\
         <pre>&lt;script src=\"{server}/widget.js\" data-widget-key=\"{key}\" async&gt;&lt;/script&gt;</pre>\
         <script src=\"{server}/widget.js\" data-widget-key=\"{key}\" async></script></body></html>"
    )
}
