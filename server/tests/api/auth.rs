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

/// The link in a reset mail, and its token.
fn reset_link(mail: &str) -> (String, String) {
    let start = mail.find("http").expect("a link in the mail");
    let link: String = mail[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let token = link.rsplit('/').next().expect("token").to_owned();
    (link, token)
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_mail_and_signs_out_every_other_session() {
    let app = TestApp::spawn().await;
    let email = format!("forgetful-{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, signed_up) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": email, "password": "correct horse battery", "name": "Fran Forgetful", "organization_name": "Fran's"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{signed_up}");
    let old_session = signed_up["token"].as_str().expect("token").to_owned();

    // An unknown address gets the same answer, and no mail.
    let nobody = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let (status, _) = app.post("/api/v1/auth/password-reset", None, json!({"email": nobody})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = app.post("/api/v1/auth/password-reset", None, json!({"email": "not an address"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, _) = app.post("/api/v1/auth/password-reset", None, json!({"email": email.to_uppercase()})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let is_reset = |m: &str| m.contains("Reset your Iterochat password");
    let mail = crate::helpers::wait_for_mail(&app, &email, is_reset).await;
    let (link, token) = reset_link(&mail);
    assert_eq!(link, format!("{}/reset-password/{token}", app.address.trim_end_matches('/')), "{mail}");
    assert!(mail.contains("Hello Fran Forgetful") && mail.contains("works once"), "{mail}");
    // A reset mail is the person's own: no organisation's delivery log lists it.
    let (_, deliveries) = app
        .get(
            &format!("/api/v1/orgs/{}/deliveries?kind=email", signed_up["organization"]["id"].as_str().expect("org")),
            Some(&old_session),
        )
        .await;
    assert_eq!(deliveries.as_array().map(Vec::len), Some(0), "{deliveries}");

    // A refused password changes nothing and leaves the link usable.
    let (status, refused) =
        app.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "password"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, _) = app.get("/api/v1/me", Some(&old_session)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, reset) = app
        .post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "a brand new secret"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    let new_session = reset["token"].as_str().expect("a new session");
    let (status, _) = app.get("/api/v1/me", Some(new_session)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/api/v1/me", Some(&old_session)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "every other session is signed out");
    let login = |password: &'static str| {
        let (app, email) = (&app, email.clone());
        async move { app.post("/api/v1/auth/login", None, json!({"email": email, "password": password})).await.0 }
    };
    assert_eq!(login("correct horse battery").await, StatusCode::UNAUTHORIZED);
    assert_eq!(login("a brand new secret").await, StatusCode::OK);

    // Used once: the same link again is refused with a way forward.
    let (status, again) = app
        .post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "yet another secret"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert!(again["error"].as_str().is_some_and(|e| e.contains("ask for a new one")), "{again}");

    // An expired link is refused too.
    app.post("/api/v1/auth/password-reset", None, json!({"email": email})).await;
    let second = crate::helpers::wait_for_mail(&app, &email, |m| is_reset(m) && !m.contains(&token)).await;
    let (_, expired) = reset_link(&second);
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.services.db,
        "UPDATE password_resets SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL",
    )
    .await
    .expect("expire the link");
    let (status, body) = app
        .post("/api/v1/auth/password-reset/confirm", None, json!({"token": expired, "password": "yet another secret"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(login("a brand new secret").await, StatusCode::OK, "the password is unchanged");
}

#[tokio::test]
async fn a_long_password_that_signs_up_also_signs_in() {
    let app = TestApp::spawn().await;
    // 200 characters, 400 bytes: the length rule counts characters at sign-up and at sign-in.
    let password = "é".repeat(199) + "x";
    let (status, body) = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"email": "long@example.com", "password": password, "name": "Long", "organization_name": "Long Ltd"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) =
        app.post("/api/v1/auth/login", None, json!({"email": "long@example.com", "password": password})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn names_with_invisible_or_direction_changing_characters_are_refused() {
    let app = TestApp::spawn().await;
    for name in ["Ada\u{202E}nimda", "Ad\u{200B}a", "\u{2066}Ada"] {
        let (status, body) = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({"email": "bidi@example.com", "password": "correct horse battery", "name": name, "organization_name": "Ok Ltd"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {body}");
        assert!(body.to_string().contains("invisible"), "{body}");
    }
}
