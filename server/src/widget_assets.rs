//! The visitor widget's files: `/widget.js` (the loader, cached 5 minutes, naming the current
//! content-hashed bundle) and `/widget/<hashed file>` (cached for a year, immutable). Both are
//! open to every origin: customer sites import the bundle as an ES module, which browsers fetch
//! in CORS mode.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const LOADER: &str = include_str!("../../widget-wasm/loader.js");
const SDK_LOADER: &str = include_str!("../../widget-wasm/sdk.js");

/// `GET /widget.js`.
pub async fn loader(State(state): State<AppState>) -> Response {
    serve_loader(&state, LOADER, ("js", "wasm"), "Iterochat: the widget bundle").await
}

/// `GET /sdk/iterato.js`: the feedback SDK (`window.IteratoService`), naming the current
/// content-hashed feedback bundle.
pub async fn sdk_loader(State(state): State<AppState>) -> Response {
    serve_loader(&state, SDK_LOADER, ("feedback_js", "feedback_wasm"), "Iterato: the feedback bundle").await
}

/// A loader as sent to browsers: without its leading block comment, `//` comment lines, trailing
/// ` // ` comments and blank lines. The comments document `widget-wasm/` for its readers; every
/// site would otherwise download them on every page (the feedback SDK has a 30 KB budget).
/// The loaders keep `//` out of their string literals for this.
pub fn without_comments(source: &str) -> String {
    let body = source.strip_prefix("/*").and_then(|rest| rest.split_once("*/")).map_or(source, |(_, rest)| rest);
    body.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| line.find(" // ").map_or(line, |i| line[..i].trim_end()))
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A loader script with the bundle names from the manifest filled in (`__JS__`, `__WASM__`).
async fn serve_loader(state: &AppState, template: &str, keys: (&str, &str), what: &str) -> Response {
    let manifest = std::path::Path::new(&*state.leptos_options.site_root).join("widget/manifest.json");
    let names = tokio::fs::read_to_string(&manifest).await.ok().and_then(|text| {
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some((value[keys.0].as_str()?.to_owned(), value[keys.1].as_str()?.to_owned()))
    });
    let Some((js, wasm)) = names else {
        tracing::error!(manifest = %manifest.display(), "{what} is not built (run `make build`)");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            format!("/* {what} is not built on this server. */"),
        )
            .into_response();
    };
    let body = without_comments(template).replace("__JS__", &js).replace("__WASM__", &wasm);
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

/// What the demo customer site embeds: the server's URL, the default widget key and the default
/// feedback project (both blank when no demo organisation is seeded).
#[derive(Clone, Debug)]
pub struct DemoSite {
    /// This server's public address.
    pub server: String,
    /// The demo organisation's widget key.
    pub widget_key: String,
    /// The demo organisation's feedback project.
    pub feedback_project: String,
}

/// The demo customer site `make run` serves on another origin: a page embedding the widget the
/// way a customer would (`/`), the same page under hostile CSS (`/hostile`) to show the Shadow
/// DOM holding up, and a checkout page with the feedback SDK (`/feedback`). `?key=` picks the
/// widget key and `?project=` the feedback project; `/feedback?manual=1` only loads the SDK, so
/// a test (or a curious developer's console) makes every call itself.
pub fn demo_site(demo: DemoSite) -> axum::Router {
    type Q = axum::extract::Query<std::collections::HashMap<String, String>>;
    let safe = |v: Option<&String>| {
        v.filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')).cloned()
    };
    let page = {
        let demo = demo.clone();
        move |hostile: bool| {
            let demo = demo.clone();
            move |axum::extract::Query(q): Q| {
                let key = safe(q.get("key")).unwrap_or_else(|| demo.widget_key.clone());
                let server = demo.server.clone();
                async move { axum::response::Html(demo_page(&server, &key, hostile)) }
            }
        }
    };
    let feedback = move |axum::extract::Query(q): Q| {
        let project = safe(q.get("project")).unwrap_or_else(|| demo.feedback_project.clone());
        let manual = q.get("manual").is_some_and(|v| v == "1");
        let server = demo.server.clone();
        async move { axum::response::Html(feedback_page(&server, &project, manual)) }
    };
    axum::Router::new()
        .route("/", axum::routing::get(page(false)))
        .route("/hostile", axum::routing::get(page(true)))
        .route("/feedback", axum::routing::get(feedback))
}

/// `GET /preview?key=…`: the install page's "Send a test message". A plain page of this server
/// with the organisation's live widget, embedded exactly as the snippet does (same origin, so an
/// allowed-sites list does not shut it out). The settings page's live preview adds `color`,
/// `company`, `position`, `greeting` and `open=1`: the widget then renders through
/// `renderWebWidget` with those unsaved values, opened; only for a signed-in owner or admin of
/// the key's organisation (anyone else gets the plain page), so nobody can dress an
/// organisation's widget in their own words on this server's address. Framed by this server's
/// own pages only.
pub async fn preview(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let key = q.get("key").filter(|k| {
        !k.is_empty() && k.len() <= 100 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    let Some(key) = key else {
        let help = "<!doctype html><p>Open this page from the dashboard's Install page: it needs <code>?key=</code> \
                    and your widget key.</p>";
        return (StatusCode::BAD_REQUEST, axum::response::Html(help.to_owned())).into_response();
    };
    let mut may_dress = false;
    if let Some(token) = app::session_cookie::read(&headers)
        && let Ok(actor) = state.services.authenticate(&token).await
    {
        may_dress = state.services.may_preview(&actor, key).await.unwrap_or(false);
    }
    let short = |name: &str| q.get(name).filter(|_| may_dress).map(|v| v.chars().take(500).collect::<String>());
    let overrides: Vec<(&str, serde_json::Value)> = [
        ("primaryColor", short("color")),
        ("companyName", short("company")),
        ("position", short("position")),
        ("greeting", short("greeting")),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, serde_json::Value::String(v))))
    .chain(q.get("open").filter(|v| may_dress && *v == "1").map(|_| ("open", serde_json::Value::Bool(true))))
    .collect();
    let embed = if overrides.is_empty() {
        format!("<script src=\"/widget.js\" data-widget-key=\"{key}\" async></script>")
    } else {
        let mut options = serde_json::Map::new();
        options.insert("widgetKey".into(), key.clone().into());
        options.extend(overrides.into_iter().map(|(k, v)| (k.to_owned(), v)));
        // Inside <script>, `<` is escaped so no value can close the element.
        let json = serde_json::Value::Object(options).to_string().replace('<', "\\u003c");
        format!("<script src=\"/widget.js\"></script><script>Iterochat.renderWebWidget({json});</script>")
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Widget preview</title>\
         <style>body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; \
         color: #1c2330; line-height: 1.5; }}</style></head>\
         <body><h1>Widget preview</h1><p>This page of your Iterochat server carries your live widget, embedded \
         exactly as your snippet does. Open the chat in the corner and ask something your knowledge base answers; \
         the conversation shows up in your inbox like any visitor's.</p>{embed}</body></html>"
    );
    (
        [
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'self'"),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::response::Html(page),
    )
        .into_response()
}

/// A customer's checkout page using the feedback SDK exactly as the Iterato guide shows it.
fn feedback_page(server: &str, project: &str, manual: bool) -> String {
    let calls = if manual {
        String::new()
    } else {
        format!(
            "<script>\n(async function () {{\n  const ok = await IteratoService.init(\"{project}\");\n               console.log(ok ? \"Service initiated successfully!\" : \"Iterato Service initiation failed!\");\n               IteratoService.setUser({{ uid: \"demo-1\", userName: \"Demo Shopper\", userEmail: \"shopper@example.com\", plan: \"Premium\" }});\n             }})();\ndocument.getElementById(\"pay\").addEventListener(\"click\", function () {{\n               console.info(\"payment accepted\");\n  IteratoService.collect(\"checkout-success\", [\"paid\", \"demo\"]);\n}});\n</script>"
        )
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Demo Company: checkout</title>\
         <script src=\"{server}/sdk/iterato.js\"></script>\
         <style>body {{ font-family: Georgia, serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; }}</style></head>\
         <body><h1>Checkout</h1><p>This page stands for a customer's checkout on another origin, using the \
         Iterato-compatible feedback SDK from <code>{server}/sdk/iterato.js</code> (project <code>{project}</code>). \
         Press Pay to be asked for feedback.</p><button id=\"pay\" type=\"button\">Pay 9 €</button>{calls}</body></html>"
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaders_are_sent_without_comments_and_keep_their_code() {
        for (source, api) in [(LOADER, "renderWebWidget"), (SDK_LOADER, "window.IteratoService = {")] {
            let sent = without_comments(source);
            assert!(!sent.contains("//") && !sent.contains("/*"), "{sent}");
            assert!(sent.contains(api) && sent.contains("__JS__") && sent.contains("__WASM__"));
            assert!(sent.trim_start().starts_with("(function"), "{sent}");
            assert!(sent.len() < source.len());
        }
        assert_eq!(without_comments("/* a */\nx(); // why\n  // note\n\ny();"), "x();\ny();");
    }
}
