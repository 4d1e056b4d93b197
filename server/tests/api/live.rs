//! The dashboard's WebSocket: members get their organisation's events live (and only those),
//! across server instances through Postgres LISTEN/NOTIFY.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Account, TestApp, TestDb};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, who: &Account, org_id: &str) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let url = format!("{}/api/v1/orgs/{org_id}/live", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("authorization", format!("Bearer {}", who.token).parse().expect("a header"));
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

/// The next JSON event on the socket, or `None` after `wait`.
async fn next_event(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.ok()??.ok()?;
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).ok();
        }
    }
}

async fn escalate(app: &TestApp, owner: &Account) -> String {
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let key = org["widget_key"].as_str().expect("key");
    let (_, session) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
    let token = session["visitor_token"].as_str().expect("token");
    let (status, turn) =
        app.post("/api/v1/widget/messages", Some(token), json!({"text": "Put me through to a human"})).await;
    assert_eq!(status, StatusCode::OK);
    turn["conversation_id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn members_see_their_organisations_events_live_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let a = app.signup("a@example.com").await;
    let b = app.signup("b@example.com").await;
    let agent = app.add_member(&a, &a.org_id, "agent@example.com", "agent").await;
    let mut agent_socket = connect(&app, &agent, &a.org_id).await.expect("agent connects");
    let mut b_socket = connect(&app, &b, &b.org_id).await.expect("b connects");

    let conversation = escalate(&app, &a).await;
    let mut seen = Vec::new();
    while let Some(event) = next_event(&mut agent_socket, Duration::from_secs(5)).await {
        assert_eq!(event["organization_id"], a.org_id.as_str(), "{event}");
        seen.push(event["type"].as_str().expect("type").to_owned());
        if seen.len() == 3 {
            break;
        }
    }
    assert_eq!(seen, ["visitor_message", "escalated", "message_added"]);

    // The claim is pushed too.
    app.post(&format!("/api/v1/orgs/{}/conversations/{conversation}/claim", a.org_id), Some(&a.token), json!({})).await;
    let claimed = next_event(&mut agent_socket, Duration::from_secs(5)).await.expect("status event");
    assert_eq!((claimed["type"].as_str(), claimed["status"].as_str()), (Some("status_changed"), Some("claimed")));

    assert_eq!(next_event(&mut b_socket, Duration::from_millis(500)).await, None, "org B heard nothing of org A");
}

#[tokio::test]
async fn only_signed_in_members_may_listen() {
    let app = TestApp::spawn().await;
    let a = app.signup("a@example.com").await;
    let stranger = app.signup("stranger@example.com").await;
    let refused = |e: tokio_tungstenite::tungstenite::Error| match e {
        tokio_tungstenite::tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    };
    assert_eq!(refused(connect(&app, &stranger, &a.org_id).await.expect_err("not a member")), 404);
    let nobody = Account { token: "bogus".into(), ..a.clone() };
    assert_eq!(refused(connect(&app, &nobody, &a.org_id).await.expect_err("bad token")), 401);
    // A session token in the address (where logs and proxies keep it) is not accepted.
    let in_url = format!("{}/api/v1/orgs/{}/live?token={}", app.address.replacen("http", "ws", 1), a.org_id, a.token);
    assert_eq!(refused(tokio_tungstenite::connect_async(in_url).await.expect_err("token in the URL")), 401);
}

#[tokio::test]
async fn an_event_on_one_server_reaches_a_dashboard_connected_to_another() {
    let db = Arc::new(TestDb::create().await);
    let first = TestApp::spawn_configured_on(db.clone(), TestApp::settings()).await;
    let second = TestApp::spawn_configured_on(db, TestApp::settings()).await;
    let owner = first.signup("owner@example.com").await;
    let mut socket = connect(&second, &owner, &owner.org_id).await.expect("connects to the second server");
    let conversation = escalate(&first, &owner).await;
    let event = next_event(&mut socket, Duration::from_secs(5)).await.expect("an event through Postgres");
    assert_eq!(event["conversation_id"], conversation.as_str());
}

#[tokio::test]
async fn removing_a_member_or_signing_out_closes_their_live_socket() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let closes_within = |mut socket: Socket| async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, socket.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    };
    // Removed from the organisation: the agent's socket closes.
    let socket = connect(&app, &agent, &owner.org_id).await.expect("agent connects");
    let (status, body) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/orgs/{}/members/{}", owner.org_id, agent.user_id),
            Some(&owner.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert!(closes_within(socket).await, "the removed agent's socket closed");
    // Signed out: the owner's socket closes; another owner session's socket is unaffected.
    let (_, login) = app
        .post("/api/v1/auth/login", None, json!({"email": "owner@example.com", "password": "correct horse battery"}))
        .await;
    let other = Account { token: login["token"].as_str().expect("token").to_owned(), ..owner.clone() };
    let mine = connect(&app, &owner, &owner.org_id).await.expect("owner connects");
    let mut theirs = connect(&app, &other, &owner.org_id).await.expect("second session connects");
    let (status, _) = app.call(reqwest::Method::POST, "/api/v1/auth/logout", Some(&owner.token), None).await;
    assert!(status.is_success(), "{status}");
    assert!(closes_within(mine).await, "the signed-out session's socket closed");
    assert!(next_event(&mut theirs, Duration::from_millis(500)).await.is_none());
    escalate(&app, &other).await;
    assert!(next_event(&mut theirs, Duration::from_secs(5)).await.is_some(), "the other session still hears events");

    // A password reset signs every session out: their sockets close as well.
    let (status, _) = app.post("/api/v1/auth/password-reset", None, json!({"email": "owner@example.com"})).await;
    assert!(status.is_success(), "{status}");
    let mail =
        crate::helpers::wait_for_mail(&app, "owner@example.com", |m| m.contains("Reset your Iterochat password")).await;
    let start = mail.find("/reset-password/").expect("a reset link") + "/reset-password/".len();
    let token: String = mail[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let (status, body) = app
        .post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "password": "a brand new secret"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(closes_within(theirs).await, "a session signed out by the reset loses its socket");
}
