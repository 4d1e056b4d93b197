use reqwest::{Method, StatusCode};
use rstest::rstest;
use serde_json::json;

use crate::helpers::{Account, TestApp};

/// An organisation with one person of each role, plus a spare agent and a spare admin to act on.
struct Team {
    app: TestApp,
    owner: Account,
    admin: Account,
    agent: Account,
    spare_agent: Account,
    spare_admin: Account,
}

async fn team() -> Team {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let admin = app.add_member(&owner, &owner.org_id, "admin@example.com", "admin").await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let spare_agent = app.add_member(&owner, &owner.org_id, "spare-agent@example.com", "agent").await;
    let spare_admin = app.add_member(&owner, &owner.org_id, "spare-admin@example.com", "admin").await;
    Team { app, owner, admin, agent, spare_agent, spare_admin }
}

impl Team {
    fn actor(&self, role: &str) -> &Account {
        match role {
            "owner" => &self.owner,
            "admin" => &self.admin,
            _ => &self.agent,
        }
    }

    fn target(&self, role: &str) -> &Account {
        if role == "admin" { &self.spare_admin } else { &self.spare_agent }
    }

    async fn role_of(&self, user_id: &str) -> Option<String> {
        let (_, members) =
            self.app.get(&format!("/api/v1/orgs/{}/members", self.owner.org_id), Some(&self.owner.token)).await;
        members
            .as_array()?
            .iter()
            .find(|m| m["user_id"] == user_id)
            .map(|m| m["role"].as_str().unwrap_or_default().to_owned())
    }
}

#[rstest]
#[case::owner_invites_agent("owner", "agent", true)]
#[case::owner_invites_admin("owner", "admin", true)]
#[case::owner_invites_owner("owner", "owner", true)]
#[case::admin_invites_agent("admin", "agent", true)]
#[case::admin_invites_admin("admin", "admin", false)]
#[case::admin_invites_owner("admin", "owner", false)]
#[case::agent_invites_agent("agent", "agent", false)]
#[tokio::test]
async fn inviting_follows_the_role_matrix(#[case] actor: &str, #[case] role: &str, #[case] allowed: bool) {
    let t = team().await;
    let (status, body) = t
        .app
        .post(
            &format!("/api/v1/orgs/{}/invites", t.owner.org_id),
            Some(&t.actor(actor).token),
            json!({"email": "new@example.com", "role": role}),
        )
        .await;
    if allowed {
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["role"], role);
        assert!(body["token"].as_str().is_some_and(|t| t.len() >= 32));
    } else {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body["error"].is_string());
    }
}

#[rstest]
#[case::owner_promotes_agent("owner", "agent", "admin", true)]
#[case::owner_demotes_admin("owner", "admin", "agent", true)]
#[case::admin_promotes_agent("admin", "agent", "admin", false)]
#[case::admin_keeps_agent_agent("admin", "agent", "agent", true)]
#[case::admin_demotes_admin("admin", "admin", "agent", false)]
#[case::agent_promotes_agent("agent", "agent", "admin", false)]
#[tokio::test]
async fn changing_roles_follows_the_role_matrix(
    #[case] actor: &str,
    #[case] target: &str,
    #[case] new_role: &str,
    #[case] allowed: bool,
) {
    let t = team().await;
    let target = t.target(target).clone();
    let (status, body) = t
        .app
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/members/{}", t.owner.org_id, target.user_id),
            Some(&t.actor(actor).token),
            Some(json!({"role": new_role})),
        )
        .await;
    let before = if target.email.starts_with("spare-admin") { "admin" } else { "agent" };
    if allowed {
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(t.role_of(&target.user_id).await.as_deref(), Some(new_role));
    } else {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(t.role_of(&target.user_id).await.as_deref(), Some(before), "nothing changed");
    }
}

#[rstest]
#[case::owner_removes_agent("owner", "agent", true)]
#[case::owner_removes_admin("owner", "admin", true)]
#[case::admin_removes_agent("admin", "agent", true)]
#[case::admin_removes_admin("admin", "admin", false)]
#[case::agent_removes_agent("agent", "agent", false)]
#[tokio::test]
async fn removing_members_follows_the_role_matrix(#[case] actor: &str, #[case] target: &str, #[case] allowed: bool) {
    let t = team().await;
    let target = t.target(target).clone();
    let (status, body) = t
        .app
        .call(
            Method::DELETE,
            &format!("/api/v1/orgs/{}/members/{}", t.owner.org_id, target.user_id),
            Some(&t.actor(actor).token),
            None,
        )
        .await;
    if allowed {
        assert!(status.is_success(), "{status} {body}");
        assert_eq!(t.role_of(&target.user_id).await, None);
        let (status, _) = t.app.get(&format!("/api/v1/orgs/{}", t.owner.org_id), Some(&target.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a removed member loses access");
    } else {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(t.role_of(&target.user_id).await.is_some());
    }
}

#[rstest]
#[case("owner", true)]
#[case("admin", true)]
#[case("agent", false)]
#[tokio::test]
async fn only_owners_and_admins_see_the_team(#[case] actor: &str, #[case] allowed: bool) {
    let t = team().await;
    let token = &t.actor(actor).token;
    let (members, _) = t.app.get(&format!("/api/v1/orgs/{}/members", t.owner.org_id), Some(token)).await;
    let (invites, _) = t.app.get(&format!("/api/v1/orgs/{}/invites", t.owner.org_id), Some(token)).await;
    let expected = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
    assert_eq!((members, invites), (expected, expected));
}

#[tokio::test]
async fn the_last_owner_can_be_neither_demoted_nor_removed() {
    let t = team().await;
    let path = format!("/api/v1/orgs/{}/members/{}", t.owner.org_id, t.owner.user_id);
    let (status, body) = t.app.call(Method::PATCH, &path, Some(&t.owner.token), Some(json!({"role": "admin"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = t.app.call(Method::DELETE, &path, Some(&t.owner.token), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(t.role_of(&t.owner.user_id).await.as_deref(), Some("owner"));

    // With a second owner, the first may step down.
    let promote = format!("/api/v1/orgs/{}/members/{}", t.owner.org_id, t.admin.user_id);
    let (status, _) = t.app.call(Method::PATCH, &promote, Some(&t.owner.token), Some(json!({"role": "owner"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t.app.call(Method::PATCH, &path, Some(&t.owner.token), Some(json!({"role": "agent"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn invites_are_single_use_bound_to_their_email_and_revocable() {
    let t = team().await;
    let org = &t.owner.org_id;
    let (_, invite) = t
        .app
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            Some(&t.owner.token),
            json!({"email": "Carol@Example.com", "role": "agent"}),
        )
        .await;
    let token = invite["token"].as_str().expect("token").to_owned();
    assert_eq!(invite["email"], "carol@example.com");

    let (status, preview) = t.app.get(&format!("/api/v1/invites/{token}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(preview["organization"]["id"].as_str(), Some(org.as_str()));

    let mallory = t.app.signup("mallory@example.com").await;
    let (status, _) = t.app.post(&format!("/api/v1/invites/{token}/accept"), Some(&mallory.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "someone else cannot use Carol's invite");

    let carol = t.app.signup("carol@example.com").await;
    let (status, body) = t.app.post(&format!("/api/v1/invites/{token}/accept"), Some(&carol.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "agent");
    let (status, _) = t.app.post(&format!("/api/v1/invites/{token}/accept"), Some(&carol.token), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an invite works once");

    let (status, _) = t.app.post("/api/v1/invites/not-a-token/accept", Some(&carol.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, second) = t
        .app
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            Some(&t.admin.token),
            json!({"email": "dave@example.com", "role": "agent"}),
        )
        .await;
    let (status, _) = t
        .app
        .call(
            Method::DELETE,
            &format!("/api/v1/orgs/{org}/invites/{}", second["id"].as_str().expect("id")),
            Some(&t.admin.token),
            None,
        )
        .await;
    assert!(status.is_success());
    let dave = t.app.signup("dave@example.com").await;
    let (status, _) = t
        .app
        .post(
            &format!("/api/v1/invites/{}/accept", second["token"].as_str().expect("token")),
            Some(&dave.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a revoked invite is gone");

    let (status, _) = t
        .app
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            Some(&t.owner.token),
            json!({"email": "agent@example.com", "role": "agent"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "existing members are not re-invited");
    let (status, _) = t
        .app
        .post(&format!("/api/v1/orgs/{org}/invites"), Some(&t.owner.token), json!({"email": "nope", "role": "agent"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = t
        .app
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            Some(&t.owner.token),
            json!({"email": "x@example.com", "role": "king"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn expired_invites_are_refused() {
    use sea_orm::{ConnectionTrait, Statement};
    let t = team().await;
    let (_, invite) = t
        .app
        .post(
            &format!("/api/v1/orgs/{}/invites", t.owner.org_id),
            Some(&t.owner.token),
            json!({"email": "late@example.com", "role": "agent"}),
        )
        .await;
    t.app
        .services
        .db
        .execute_raw(Statement::from_sql_and_values(
            t.app.services.db.get_database_backend(),
            "UPDATE invites SET expires_at = now() - interval '1 minute' WHERE id = $1::uuid",
            [invite["id"].as_str().expect("id").into()],
        ))
        .await
        .expect("expire");
    let late = t.app.signup("late@example.com").await;
    let (status, body) = t
        .app
        .post(
            &format!("/api/v1/invites/{}/accept", invite["token"].as_str().expect("token")),
            Some(&late.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().is_some_and(|m| m.contains("expired")));
}

#[tokio::test]
async fn two_concurrent_accepts_of_one_invite_let_exactly_one_in() {
    let t = team().await;
    let (_, invite) = t
        .app
        .post(
            &format!("/api/v1/orgs/{}/invites", t.owner.org_id),
            Some(&t.owner.token),
            json!({"email": "race@example.com", "role": "agent"}),
        )
        .await;
    let racer = t.app.signup("race@example.com").await;
    let path = format!("/api/v1/invites/{}/accept", invite["token"].as_str().expect("token"));
    let (a, b) = tokio::join!(
        t.app.post(&path, Some(&racer.token), json!({})),
        t.app.post(&path, Some(&racer.token), json!({}))
    );
    let mut statuses = vec![a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::OK, StatusCode::CONFLICT]);
}

#[tokio::test]
async fn an_admin_cannot_replace_an_owners_pending_admin_invite() {
    let t = team().await;
    let invites = format!("/api/v1/orgs/{}/invites", t.owner.org_id);
    let (status, body) =
        t.app.post(&invites, Some(&t.owner.token), json!({"email": "boss@example.com", "role": "admin"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let owners_token = body["token"].as_str().expect("token").to_owned();
    // The admin re-invites the address as an agent: refused, and the owner's invite still works.
    let (status, body) =
        t.app.post(&invites, Some(&t.admin.token), json!({"email": "boss@example.com", "role": "agent"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("pending admin invite")), "{body}");
    let (status, preview) = t.app.get(&format!("/api/v1/invites/{owners_token}"), None).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["role"], "admin");
    // An agent invite an admin sent may be replaced by the admin, and the owner may replace any.
    let (status, _) =
        t.app.post(&invites, Some(&t.admin.token), json!({"email": "new@example.com", "role": "agent"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) =
        t.app.post(&invites, Some(&t.admin.token), json!({"email": "new@example.com", "role": "agent"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) =
        t.app.post(&invites, Some(&t.owner.token), json!({"email": "boss@example.com", "role": "agent"})).await;
    assert_eq!(status, StatusCode::CREATED);
}
