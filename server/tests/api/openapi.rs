//! The OpenAPI description is served, browsable, and matches the router both ways.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};

use crate::helpers::TestApp;

/// `(METHOD, path)` of every route the API's source registers: `api::router` under `/api/v1`,
/// its widget routes under `/api/v1/widget`, the SDK's under `/sdk/v1`, and the operational and
/// SDK routes `startup` adds at the root.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let api = include_str!("../../src/api/mod.rs");
    let startup = include_str!("../../src/startup.rs");
    let section = |text: &str, start: &str, prefix: &str| -> Vec<(String, String)> {
        let from = text.find(start).unwrap_or_else(|| panic!("{start} in the source"));
        let body = &text[from..];
        let end = body[1..].find("\nfn ").or_else(|| body[1..].find("\npub fn ")).map_or(body.len(), |e| e + 1);
        let body = &body[..end];
        let mut out = Vec::new();
        let mut rest = body;
        while let Some(at) = rest.find(".route(") {
            let call = &rest[at + ".route(".len()..];
            // The call's text up to its closing parenthesis.
            let mut depth = 1;
            let len = call
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(call.len(), |(i, _)| i);
            let call = &call[..len];
            let path = call.split('"').nth(1).expect("a path literal");
            for method in ["get", "post", "put", "patch", "delete"] {
                // `get(` as a call of its own, not the end of `budget(` or `target(`.
                let needle = format!("{method}(");
                let called = call.match_indices(&needle).any(|(i, _)| {
                    i == 0 || !(call.as_bytes()[i - 1].is_ascii_alphanumeric() || call.as_bytes()[i - 1] == b'_')
                });
                if called {
                    out.push((method.to_uppercase(), format!("{prefix}{path}")));
                }
            }
            rest = &rest[at + 1..];
        }
        out
    };
    let mut routes: BTreeSet<(String, String)> = BTreeSet::new();
    routes.extend(section(api, "pub fn router()", "/api/v1"));
    routes.extend(section(api, "fn widget_router()", "/api/v1/widget"));
    routes.extend(section(api, "pub fn sdk_router()", "/sdk/v1"));
    for (method, path) in section(startup, "fn router(", "") {
        if ["/healthz", "/readyz", "/fetchFeedbacks"].contains(&path.as_str()) {
            routes.insert((method, path));
        }
    }
    // The description itself is not an operation of the API it describes.
    routes.remove(&("GET".to_owned(), "/api/v1/openapi.json".to_owned()));
    routes
}

#[tokio::test]
async fn the_openapi_description_covers_every_route_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (status, spec) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", spec["openapi"]);
    let mut documented: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                documented.insert((method.to_uppercase(), path.clone()));
                // Every operation says what it answers, errors included, and errors have the
                // shared shape.
                let responses = operation["responses"].as_object().expect("responses");
                assert!(!responses.is_empty(), "{method} {path}");
                for (code, response) in responses {
                    if code.starts_with('4') {
                        let schema = &response["content"]["application/json"]["schema"]["$ref"];
                        assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {code}");
                    }
                }
                assert!(operation["summary"].is_string() && operation["tags"].is_array(), "{method} {path}");
            }
        }
    }
    let routed = routes_in_source();
    assert!(routed.len() > 80, "the source parse found {} routes", routed.len());
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from the description: {undocumented:#?}");
    assert!(unrouted.is_empty(), "described but not routed: {unrouted:#?}");

    // And at run time: every described operation reaches a handler (never 405, never the
    // fallback's "route not found"), whatever it then answers without credentials.
    for (method, path) in &documented {
        let concrete = path
            .split('/')
            .map(|part| if part.starts_with('{') { "00000000-0000-0000-0000-000000000000" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let response = app
            .client
            .request(method.clone(), format!("{}{concrete}", app.address))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(!body.contains("route not found"), "{method} {path}: {status} {body}");
    }
}

#[tokio::test]
async fn closed_sets_are_described_by_the_names_on_the_wire() {
    let app = TestApp::spawn().await;
    let (_, spec) = app.get("/api/v1/openapi.json", None).await;
    let schemas = &spec["components"]["schemas"];
    for (name, values) in [
        ("ConversationStatus", vec!["ai", "escalated", "claimed", "resolved"]),
        ("MessageRole", vec!["visitor", "ai", "agent", "system"]),
        ("DocumentStatus", vec!["processing", "ready", "failed"]),
        ("DeliveryKind", vec!["email", "webhook"]),
        ("DeliveryStatus", vec!["pending", "delivered", "dead"]),
        ("ExportStatus", vec!["running", "ready", "failed"]),
        ("TrashKind", vec!["document", "conversation", "saved_reply", "feedback_project"]),
    ] {
        assert_eq!(schemas[name]["enum"], serde_json::json!(values), "{name}: {}", schemas[name]);
    }
}

#[tokio::test]
async fn the_api_reference_is_browsable_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.client.get(format!("{}/api/docs/", app.address)).send().await.expect("docs");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    let init = app.client.get(format!("{}/api/docs/swagger-initializer.js", app.address)).send().await.expect("js");
    assert_eq!(init.status(), StatusCode::OK);
    assert!(init.text().await.expect("js").contains("/api/v1/openapi.json"));
    let bundle = app.client.get(format!("{}/api/docs/swagger-ui-bundle.js", app.address)).send().await.expect("js");
    assert_eq!(bundle.status(), StatusCode::OK, "served from the binary, no CDN");
}

/// What the API fuzzing found: a NUL character (which Postgres cannot store) in a body, a query
/// or a path was a 500; a missing query parameter, a plain GET on the WebSocket route and an
/// upload without a multipart body answered plain text. All are 4xx with the JSON error now, and
/// nothing is stored.
#[tokio::test]
async fn bad_input_the_fuzzer_found_gets_a_json_4xx_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let docs = format!("/api/v1/orgs/{}/documents", owner.org_id);
    let (status, body) =
        app.post(&docs, Some(&owner.token), serde_json::json!({"title": "Nul\u{0}", "content": "a\u{0}b"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("NUL")), "{body}");
    let (_, list) = app.get(&docs, Some(&owner.token)).await;
    assert_eq!(list, serde_json::json!([]), "nothing stored");
    // A backslash followed by the letters u0000 is text like any other.
    let (status, body) = app
        .post(
            &docs,
            Some(&owner.token),
            serde_json::json!({"title": "Escapes", "content": "Type \\u0000 to mean NUL."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    for path in [
        format!("/api/v1/orgs/{}/conversations?q=a%00b", owner.org_id),
        "/api/v1/invites/a%00b".to_owned(),
        "/api/v1/widget/config".to_owned(),
        format!("/api/v1/orgs/{}/live", owner.org_id),
    ] {
        let response =
            app.client.get(format!("{}{path}", app.address)).bearer_auth(&owner.token).send().await.expect("get");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: serde_json::Value = response.json().await.unwrap_or_else(|_| panic!("{path}: a JSON body"));
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    let upload = app
        .client
        .post(format!("{}/api/v1/orgs/{}/documents/upload", app.address, owner.org_id))
        .bearer_auth(&owner.token)
        .header("content-type", "multipart/form-data")
        .body("not a form")
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status(), StatusCode::BAD_REQUEST);
    assert!(upload.json::<serde_json::Value>().await.expect("JSON")["error"].is_string());
}
