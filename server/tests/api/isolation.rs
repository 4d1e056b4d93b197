//! Tenant isolation: a member of org A gets 404 on every org-B endpoint, and nothing in B changes.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_member_of_one_organisation_gets_404_on_every_endpoint_of_another() {
    let app = TestApp::spawn().await;
    let alice = app.signup("alice@a.example").await;
    let bob = app.signup("bob@b.example").await;
    let b = &bob.org_id;
    let (_, b_invite) = app
        .post(&format!("/api/v1/orgs/{b}/invites"), Some(&bob.token), json!({"email": "x@b.example", "role": "agent"}))
        .await;
    let b_invite_id = b_invite["id"].as_str().expect("id");

    let calls: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/orgs/{b}"), None),
        (Method::PATCH, format!("/api/v1/orgs/{b}/settings"), Some(json!({"ai_only_mode": true}))),
        (Method::POST, format!("/api/v1/orgs/{b}/invites"), Some(json!({"email": "spy@a.example", "role": "agent"}))),
        (Method::GET, format!("/api/v1/orgs/{b}/invites"), None),
        (Method::DELETE, format!("/api/v1/orgs/{b}/invites/{b_invite_id}"), None),
        (Method::GET, format!("/api/v1/orgs/{b}/members"), None),
        (Method::PATCH, format!("/api/v1/orgs/{b}/members/{}", bob.user_id), Some(json!({"role": "agent"}))),
        (Method::DELETE, format!("/api/v1/orgs/{b}/members/{}", bob.user_id), None),
    ];
    for (method, path, body) in calls {
        let (status, resp) = app.call(method.clone(), &path, Some(&alice.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} → {resp}");
        assert!(resp["error"].as_str().is_some_and(|m| m.contains("not found")), "{method} {path} → {resp}");
    }

    // Org A's ids used inside org B's paths are not found either (no cross-tenant id mixing).
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/orgs/{}/members/{}", alice.org_id, bob.user_id),
            Some(&alice.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(Method::DELETE, &format!("/api/v1/orgs/{}/invites/{b_invite_id}", alice.org_id), Some(&alice.token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing in B changed.
    let (_, org) = app.get(&format!("/api/v1/orgs/{b}"), Some(&bob.token)).await;
    assert_eq!(org["settings"]["ai_only_mode"], false);
    let (_, members) = app.get(&format!("/api/v1/orgs/{b}/members"), Some(&bob.token)).await;
    assert_eq!(members.as_array().map(Vec::len), Some(1));
    assert_eq!(members[0]["role"], "owner");
    let (_, invites) = app.get(&format!("/api/v1/orgs/{b}/invites"), Some(&bob.token)).await;
    assert_eq!(invites.as_array().map(Vec::len), Some(1), "B's invite survived");
    let (_, me) = app.get("/api/v1/me", Some(&alice.token)).await;
    assert_eq!(me["memberships"].as_array().map(Vec::len), Some(1), "Alice did not join B");
}
