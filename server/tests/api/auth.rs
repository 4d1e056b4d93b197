use reqwest::{Method, StatusCode};
use rstest::rstest;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn signup_creates_the_owner_and_their_organisation() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "Ann@Example.com", "password": "correct horse battery", "name": "Ann", "organization_name": "Acme"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["email"], "ann@example.com");
    assert_eq!(body["organization"]["name"], "Acme");
    assert!(body["organization"]["widget_key"].as_str().is_some_and(|k| k.starts_with("wk_")));

    let token = body["token"].as_str().expect("token");
    let (status, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["memberships"][0]["role"], "owner");
    assert_eq!(me["memberships"][0]["organization"]["name"], "Acme");
}

#[rstest]
#[case::weak_password(json!({"email": "a@example.com", "password": "short", "name": "A", "organization_name": "O"}), "password")]
#[case::common_password(json!({"email": "a@example.com", "password": "password123", "name": "A", "organization_name": "O"}), "password")]
#[case::malformed_email(json!({"email": "not-an-email", "password": "correct horse battery", "name": "A", "organization_name": "O"}), "email")]
#[case::empty_name(json!({"email": "a@example.com", "password": "correct horse battery", "name": "  ", "organization_name": "O"}), "name")]
#[case::empty_org(json!({"email": "a@example.com", "password": "correct horse battery", "name": "A", "organization_name": ""}), "organization_name")]
#[tokio::test]
async fn bad_signups_are_422_naming_the_field_and_store_nothing(#[case] body: serde_json::Value, #[case] field: &str) {
    let app = TestApp::spawn().await;
    let (status, resp) = app.post("/api/v1/auth/signup", None, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(resp["field"], field);
    assert!(resp["error"].as_str().is_some_and(|m| !m.is_empty()));
    let (status, _) = app
        .post("/api/v1/auth/login", None, json!({"email": "a@example.com", "password": "correct horse battery"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "nothing was stored");
}

#[tokio::test]
async fn duplicate_signup_is_a_conflict_whatever_the_case() {
    let app = TestApp::spawn().await;
    app.signup("dup@example.com").await;
    let (status, body) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "DUP@example.com", "password": "another fine password", "name": "B", "organization_name": "B"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn malformed_and_incomplete_bodies_get_clear_errors() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|m| m.contains("malformed")), "{body}");

    let (status, body) = app.post("/api/v1/auth/login", None, json!({"email": "a@example.com"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().is_some_and(|m| m.contains("password")), "{body}");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let (status, body) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "a@example.com", "password": huge, "name": "A", "organization_name": "O"}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn login_checks_the_password_and_logout_revokes_the_token() {
    let app = TestApp::spawn().await;
    let account = app.signup("bob@example.com").await;

    let (status, body) =
        app.post("/api/v1/auth/login", None, json!({"email": "bob@example.com", "password": "wrong password!"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid email or password");
    let (status, _) = app
        .post("/api/v1/auth/login", None, json!({"email": "nobody@example.com", "password": "wrong password!"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = app
        .post("/api/v1/auth/login", None, json!({"email": "BOB@example.com", "password": "correct horse battery"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    assert_eq!(body["user"]["id"].as_str(), Some(account.user_id.as_str()));

    let (status, _) = app.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await;
    assert!(status.is_success());
    let (status, _) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked token no longer works");
    let (status, _) = app.get("/api/v1/me", Some(&account.token)).await;
    assert_eq!(status, StatusCode::OK, "other sessions are unaffected");
}

#[tokio::test]
async fn missing_or_bogus_credentials_are_401() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].is_string());
    let (status, _) = app.get("/api/v1/me", Some("not-a-real-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
