//! Trust boundaries of the dashboard in a browser: requests other origins make with someone's
//! cookie, where sign-in may send a person afterwards, and the headers every page carries.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// `POST path` with the session cookie (as a browser sends it) and the given extra headers.
async fn with_cookie(app: &TestApp, path: &str, token: &str, headers: &[(&str, String)], body: Value) -> StatusCode {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .header("cookie", format!("{}={token}", app::session_cookie::SESSION))
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.expect("request").status()
}

#[tokio::test]
async fn a_cookie_request_from_another_origin_changes_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let other_port = format!("http://{}:1", host.split(':').next().expect("host"));
    let orgs = || async { app.get("/api/v1/me", Some(&owner.token)).await.1["memberships"].as_array().map(Vec::len) };
    assert_eq!(orgs().await, Some(1));
    for headers in [
        vec![("sec-fetch-site", "same-site".to_owned()), ("origin", other_port.clone())],
        vec![("sec-fetch-site", "cross-site".to_owned()), ("origin", "https://evil.example".to_owned())],
        vec![("origin", other_port.clone())],
    ] {
        let status = with_cookie(&app, "/api/v1/orgs", &owner.token, &headers, json!({"name": "Forged"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(orgs().await, Some(1), "nothing was created");
    // From the dashboard itself, and from a program (no browser headers), it works.
    let same = [("sec-fetch-site", "same-origin".to_owned()), ("origin", app.address.clone())];
    assert_eq!(
        with_cookie(&app, "/api/v1/orgs", &owner.token, &same, json!({"name": "Mine"})).await,
        StatusCode::CREATED
    );
    assert_eq!(
        with_cookie(&app, "/api/v1/orgs", &owner.token, &[], json!({"name": "Script"})).await,
        StatusCode::CREATED
    );
    assert_eq!(orgs().await, Some(3));
}

#[tokio::test]
async fn sign_in_cannot_be_forged_from_another_site_nor_send_anyone_elsewhere() {
    let app = TestApp::spawn().await;
    app.signup("owner@example.com").await;
    let page = app.client.get(format!("{}/login", app.address)).send().await.expect("login page");
    let html = page.text().await.expect("html");
    let start = html.find("action=\"/api/sign_in").expect("the sign-in form") + "action=\"".len();
    let action = html[start..].split('"').next().expect("action").to_owned();
    let form = |next: &str| {
        [("email", "owner@example.com"), ("password", "correct horse battery"), ("next", next)]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    };
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    // Login CSRF: another site's form signing the victim in to the attacker's account.
    let forged = no_redirects
        .post(format!("{}{action}", app.address))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .form(&form("/dashboard"))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get("set-cookie").is_none(), "no session for a forged sign-in");
    // `next` that a browser would read as another site: the dashboard instead.
    for next in ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/"] {
        let response = no_redirects
            .post(format!("{}{action}", app.address))
            .header("sec-fetch-site", "same-origin")
            .header("accept", "text/html")
            .form(&form(next))
            .send()
            .await
            .expect("post");
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(location, "/dashboard", "{next:?} → {location:?}");
    }
}

#[tokio::test]
async fn pages_forbid_framing_and_foreign_content_and_every_response_forbids_sniffing() {
    let app = TestApp::spawn().await;
    let page = app.client.get(format!("{}/login", app.address)).send().await.expect("page");
    let header = |name: &str| page.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let csp = header("content-security-policy");
    for directive in
        ["default-src 'self'", "frame-ancestors 'none'", "img-src 'self'", "object-src 'none'", "base-uri 'self'"]
    {
        assert!(csp.contains(directive), "{directive} in {csp:?}");
    }
    let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).expect("script-src");
    assert!(script_src.contains("'nonce-"), "inline scripts only with this response's nonce: {script_src:?}");
    assert!(!script_src.contains("'unsafe-inline'"), "{script_src}");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let html = page.text().await.expect("html");
    let nonce = csp.split("'nonce-").nth(1).and_then(|n| n.split('\'').next()).expect("nonce");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
    let api = app.client.get(format!("{}/healthz", app.address)).send().await.expect("healthz");
    assert_eq!(api.headers().get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
}
