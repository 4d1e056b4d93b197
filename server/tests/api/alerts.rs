//! Escalation alerts end to end: a real HTTP receiver that verifies signatures, a real SMTP
//! listener, the durable outbox across a server kill, dead deliveries and retry.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as HttpStatus};
use axum::routing::post;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::readable_mail as readable;
use crate::helpers::{Account, TestApp, TestDb};

/// What the receiver got: headers of interest and the raw body.
#[derive(Clone, Debug)]
pub struct Received {
    pub delivery: String,
    pub event: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A webhook receiver answering the scripted statuses in turn (the last one repeats).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    pub async fn start(statuses: &[u16]) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let statuses = Arc::new(Mutex::new(statuses.to_vec()));
        let state = (got.clone(), statuses.clone());
        let app = axum::Router::new().route("/hook", post(receive)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self { url, got, statuses }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    fn answer_from_now_on(&self, status: u16) {
        *self.statuses.lock().expect("lock") = vec![status];
    }

    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(Instant::now() < deadline, "only {} of {count} deliveries arrived", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

type ReceiverState = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<Vec<u16>>>);

async fn receive(State((got, statuses)): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> HttpStatus {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    got.lock().expect("lock").push(Received {
        delivery: header("x-iterochat-delivery"),
        event: header("x-iterochat-event"),
        timestamp: header("x-iterochat-timestamp"),
        signature: header("x-iterochat-signature"),
        body: String::from_utf8(body.to_vec()).expect("utf-8 body"),
    });
    let mut statuses = statuses.lock().expect("lock");
    let status = if statuses.len() > 1 { statuses.remove(0) } else { statuses[0] };
    HttpStatus::from_u16(status).expect("status")
}

/// What a receiver does to trust a delivery: recompute the HMAC over "{timestamp}.{body}".
fn verify(secret: &str, r: &Received) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{}.{}", r.timestamp, r.body).as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    expected == r.signature
}

/// Settings for alert tests: private webhook targets allowed, fast retries.
fn alert_settings() -> server::configuration::Settings {
    let mut settings = TestApp::settings();
    settings.allow_private_webhooks = true;
    settings.outbox_retry_seconds = 0.05;
    settings.outbox_max_attempts = 5;
    settings
}

async fn widget_key(app: &TestApp, owner: &Account) -> String {
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    org["widget_key"].as_str().expect("key").to_owned()
}

/// A visitor asks for a person; returns the conversation id.
async fn escalate(app: &TestApp, key: &str, text: &str) -> String {
    let (_, session) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
    let token = session["visitor_token"].as_str().expect("token");
    let (status, turn) = app.post("/api/v1/widget/messages", Some(token), json!({"text": text})).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    assert_eq!(turn["status"], "escalated", "{turn}");
    turn["conversation_id"].as_str().expect("id").to_owned()
}

async fn add_webhook(app: &TestApp, owner: &Account, url: &str, events: &[&str]) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/orgs/{}/webhooks", owner.org_id),
        Some(&owner.token),
        json!({"url": url, "events": events}),
    )
    .await
}

async fn deliveries(app: &TestApp, owner: &Account, kind: &str) -> Vec<Value> {
    let (status, list) =
        app.get(&format!("/api/v1/orgs/{}/deliveries?kind={kind}", owner.org_id), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().expect("list").clone()
}

/// Polls the delivery log until `done` holds (60 s at most: a delivery caught mid-send by a kill
/// waits out its 20 s lease).
async fn wait_deliveries(app: &TestApp, owner: &Account, kind: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = deliveries(app, owner, kind).await;
        if done(&list) {
            return list;
        }
        assert!(Instant::now() < deadline, "deliveries never settled: {list:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn escalations_reach_webhooks_signed_and_are_retried_until_a_2xx() {
    let receiver = Receiver::start(&[500, 500, 200]).await;
    let app = TestApp::spawn_configured(alert_settings()).await;
    let owner = app.signup("owner@example.com").await;
    let (status, hook) = add_webhook(&app, &owner, &receiver.url, &["conversation.escalated"]).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().expect("secret shown once").to_owned();
    assert!(secret.starts_with("whsec_"));

    let key = widget_key(&app, &owner).await;
    let conversation = escalate(&app, &key, "I need to talk to a human please").await;
    let got = receiver.wait_for(3).await;
    assert!(got.iter().all(|r| verify(&secret, r)), "every attempt is signed: {got:#?}");
    assert!(got.iter().all(|r| r.delivery == got[0].delivery && r.event == "conversation.escalated"));
    let body: Value = serde_json::from_str(&got[2].body).expect("json body");
    assert_eq!(body["event"], "conversation.escalated");
    let data = &body["data"];
    assert_eq!(data["conversation_id"], conversation.as_str());
    assert_eq!(data["organization_id"], owner.org_id.as_str());
    assert_eq!(data["reason"], "requested");
    assert_eq!(data["last_message"], "I need to talk to a human please");
    assert_eq!(data["message_count"], 1);
    assert!(data["session_id"].is_string() && data["escalated_at"].is_string(), "{data}");
    assert!(data["summary"].as_str().is_some_and(|s| s.contains("asked to talk to a person")), "{data}");

    let list = wait_deliveries(&app, &owner, "webhook", |l| l.iter().any(|d| d["status"] == "delivered")).await;
    assert_eq!(list.len(), 1, "one delivery, attempted three times: {list:#?}");
    assert_eq!(list[0]["attempts"], 3);
    assert_eq!(list[0]["last_status"], 200);
    assert_eq!(list[0]["id"], got[0].delivery.as_str(), "the idempotency id is the delivery id");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3, "nothing is sent after the 2xx");

    // The mail to the owner went to the .eml outbox (no SMTP configured).
    let mails =
        wait_deliveries(&app, &owner, "email", |l| l.iter().all(|d| d["status"] == "delivered") && !l.is_empty()).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["target"], "owner@example.com");
    let file = app.settings_data_dir().join("mail").join(format!("{}.eml", mails[0]["id"].as_str().expect("id")));
    let eml = readable(&std::fs::read_to_string(&file).expect("the .eml file"));
    assert!(eml.contains("To: owner@example.com") && eml.contains(&conversation), "{eml}");
}

/// Everything this test's thread logs, at the server's default level and at debug for our own
/// crates. (`#[tokio::test]` runs the server's tasks on the test's thread.)
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

#[tokio::test]
async fn logs_never_hold_a_webhook_url_nor_what_a_visitor_wrote() {
    use tracing_subscriber::EnvFilter;
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let filter = format!("{},domain=debug,server=debug,tower_http=debug", server::telemetry::DEFAULT_FILTER);
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A receiver that fails, so the delivery is retried and each failure logged.
    let receiver = Receiver::start(&[500, 500, 200]).await;
    let app = TestApp::spawn_configured(alert_settings()).await;
    let owner = app.signup("owner@example.com").await;
    let (status, _) = add_webhook(&app, &owner, &receiver.url, &["conversation.escalated"]).await;
    assert_eq!(status, StatusCode::CREATED);
    let key = widget_key(&app, &owner).await;
    escalate(&app, &key, "I want a refund, my card number is zebra-quartz-9931").await;
    receiver.wait_for(3).await;
    wait_deliveries(&app, &owner, "webhook", |l| l.iter().any(|d| d["status"] == "delivered")).await;

    let text = logs.text();
    assert!(text.contains("delivery failed; will retry"), "the failures were logged: {text}");
    assert!(text.contains("/api/v1/widget/messages"), "requests were logged: {text}");
    let host = receiver.url.trim_start_matches("http://").split('/').next().expect("host");
    assert!(!text.contains(host), "a webhook's address is the tenant's secret: {text}");
    assert!(!text.contains("zebra-quartz"), "a visitor's words stay out of the logs: {text}");
}

#[tokio::test]
async fn undelivered_alerts_survive_a_server_kill_and_go_out_after_restart() {
    let receiver = Receiver::start(&[503]).await;
    let db = Arc::new(TestDb::create().await);
    let mut first = TestApp::spawn_configured_on(db.clone(), alert_settings()).await;
    let owner = first.signup("owner@example.com").await;
    let (_, hook) = add_webhook(&first, &owner, &receiver.url, &["conversation.escalated", "message.created"]).await;
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    let key = widget_key(&first, &owner).await;
    escalate(&first, &key, "I want a refund for my order").await;
    receiver.wait_for(1).await;
    first.kill();

    receiver.answer_from_now_on(200);
    let second = TestApp::spawn_configured_on(db, alert_settings()).await;
    let list =
        wait_deliveries(&second, &owner, "webhook", |l| !l.is_empty() && l.iter().all(|d| d["status"] == "delivered"))
            .await;
    // The escalation, the visitor's message and the confirmation message.
    let mut events: Vec<&str> = list.iter().map(|d| d["event"].as_str().expect("event")).collect();
    events.sort_unstable();
    assert_eq!(events, ["conversation.escalated", "message.created", "message.created"], "{list:#?}");
    let got = receiver.received();
    assert!(got.iter().all(|r| verify(&secret, r)));
    let successes: std::collections::HashSet<&str> = got.iter().map(|r| r.delivery.as_str()).collect();
    assert_eq!(successes.len(), 3, "three distinct deliveries, each retried under its own id");
}

#[tokio::test]
async fn dead_deliveries_stay_visible_until_retried() {
    let receiver = Receiver::start(&[500]).await;
    let mut settings = alert_settings();
    settings.outbox_max_attempts = 2;
    let app = TestApp::spawn_configured(settings).await;
    let owner = app.signup("owner@example.com").await;
    let (_, hook) = add_webhook(&app, &owner, &receiver.url, &["conversation.escalated"]).await;
    let hook_id = hook["id"].as_str().expect("id").to_owned();

    // "Send test" goes through the same outbox.
    let (status, test) = app
        .post(&format!("/api/v1/orgs/{}/webhooks/{hook_id}/test", owner.org_id), Some(&owner.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    let list = wait_deliveries(&app, &owner, "webhook", |l| l.iter().any(|d| d["status"] == "dead")).await;
    let dead = &list[0];
    assert_eq!((dead["attempts"].as_i64(), dead["last_status"].as_i64()), (Some(2), Some(500)), "{dead}");
    assert!(dead["last_error"].as_str().is_some_and(|e| e.contains("500")), "{dead}");
    assert_eq!(dead["event"], "webhook.test");

    receiver.answer_from_now_on(200);
    let id = dead["id"].as_str().expect("id");
    let (status, retried) =
        app.post(&format!("/api/v1/orgs/{}/deliveries/{id}/retry", owner.org_id), Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    wait_deliveries(&app, &owner, "webhook", |l| l[0]["status"] == "delivered").await;
    let (status, _) =
        app.post(&format!("/api/v1/orgs/{}/deliveries/{id}/retry", owner.org_id), Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a delivered item is not sent again");

    // Rotating the secret: later deliveries are signed with the new one.
    let (status, rotated) = app
        .post(&format!("/api/v1/orgs/{}/webhooks/{hook_id}/rotate-secret", owner.org_id), Some(&owner.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_secret = rotated["secret"].as_str().expect("secret");
    app.post(&format!("/api/v1/orgs/{}/webhooks/{hook_id}/test", owner.org_id), Some(&owner.token), json!({})).await;
    let got = receiver.wait_for(4).await;
    assert!(verify(new_secret, &got[3]) && !verify(hook["secret"].as_str().expect("old"), &got[3]));
}

#[tokio::test]
async fn webhook_endpoints_are_validated_and_scoped_to_owners_and_admins() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    for (url, events) in [
        ("http://127.0.0.1:9/hook", vec!["conversation.escalated"]),
        ("http://localhost/hook", vec!["conversation.escalated"]),
        ("ftp://example.com/hook", vec!["conversation.escalated"]),
        ("https://93.184.216.34/hook", vec!["conversation.exploded"]),
        ("https://93.184.216.34/hook", vec![]),
    ] {
        let (status, body) = add_webhook(&app, &owner, url, &events).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url} {events:?}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    }
    let (status, created) = add_webhook(&app, &owner, "https://93.184.216.34/hook", &["message.created"]).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");

    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let (status, _) = app.get(&format!("/api/v1/orgs/{}/webhooks", owner.org_id), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stranger = app.signup("stranger@example.com").await;
    let (status, _) = app.get(&format!("/api/v1/orgs/{}/webhooks", owner.org_id), Some(&stranger.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(Method::DELETE, &format!("/api/v1/orgs/{}/webhooks/{id}", stranger.org_id), Some(&stranger.token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's webhook is not found through one's own");

    let (status, list) = app.get(&format!("/api/v1/orgs/{}/webhooks", owner.org_id), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["url"], "https://93.184.216.34/hook");
    assert!(list[0].get("secret").is_none(), "the secret is never listed: {list}");
    let (status, _) = app
        .call(Method::DELETE, &format!("/api/v1/orgs/{}/webhooks/{id}", owner.org_id), Some(&owner.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// Mails an SMTP listener received: each one's recipients and data.
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server: records each mail's recipients and data.
async fn smtp_listener() -> (u16, Inbox) {
    let mails: Inbox = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let store = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.ok();
                let (mut rcpt, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().expect("lock").push((std::mem::take(&mut rcpt), std::mem::take(&mut data)));
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 test\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                        b"250 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.ok();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, mails)
}

#[tokio::test]
async fn alert_mails_go_over_smtp_to_owners_and_recipients_once_and_never_to_muted_people() {
    let (port, mails) = smtp_listener().await;
    let mut settings = alert_settings();
    settings.smtp_host = Some("127.0.0.1".into());
    settings.smtp_port = Some(port);
    settings.smtp_tls = "none".into();
    settings.mail_from = Some("Alerts <alerts@example.com>".into());
    let app = TestApp::spawn_configured(settings).await;
    let owner = app.signup("owner@example.com").await;
    let quiet = app.add_member(&owner, &owner.org_id, "quiet@example.com", "admin").await;
    let (status, prefs) = app
        .call(Method::PUT, "/api/v1/me/notifications", Some(&quiet.token), Some(json!({"notify_escalations": false})))
        .await;
    assert_eq!(status, StatusCode::OK, "{prefs}");
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/settings", owner.org_id),
            Some(&owner.token),
            Some(json!({"escalation_recipients": ["Ops@Example.com", "ops@example.COM", "quiet@example.com", "Owner@example.com"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The outside address confirms by the link it was mailed (members need not).
    let deadline = Instant::now() + Duration::from_secs(30);
    let link = loop {
        let all = mails.lock().expect("lock").clone();
        if let Some(link) = all
            .iter()
            .map(|(_, data)| readable(data))
            .find_map(|text| text.split_whitespace().find(|w| w.contains("/alerts/confirm/")).map(str::to_owned))
        {
            break link;
        }
        assert!(Instant::now() < deadline, "no confirmation mail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let path = &link[link.find("/alerts/confirm/").expect("path")..];
    let confirmed = app.client.get(format!("{}{path}", app.address)).send().await.expect("confirm");
    assert_eq!(confirmed.status(), StatusCode::OK);

    let key = widget_key(&app, &owner).await;
    let conversation = escalate(&app, &key, "This is unacceptable, I want to file a complaint").await;
    // The admin's invite was mailed too; only the escalation's mails count here.
    let escalation_mails = || -> Vec<(Vec<String>, String)> {
        let all = mails.lock().expect("lock").clone();
        all.into_iter().filter(|(_, data)| readable(data).contains("A conversation needs a person")).collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while escalation_mails().len() < 2 {
        assert!(Instant::now() < deadline, "mails never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = escalation_mails();
    let mut recipients: Vec<String> = got.iter().flat_map(|(r, _)| r.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, ["ops@example.com", "owner@example.com"], "deduplicated, the muted admin left out");
    let data = readable(&got[0].1);
    assert!(data.contains("Subject: [Org of owner@example.com] A conversation needs a person: complaint"), "{data}");
    assert!(data.contains("This is unacceptable, I want to file a complaint"), "the latest question: {data}");
    assert!(data.contains(&format!("/dashboard/conversations/{conversation}")), "a deep link: {data}");
    assert!(data.contains("Summary:") && data.contains("has a complaint"), "{data}");
}

#[tokio::test]
async fn an_invite_is_mailed_to_the_invitee_with_an_absolute_link_that_works() {
    let app = TestApp::spawn_configured(alert_settings()).await;
    let owner = app.signup("owner@example.com").await;
    let (status, invite) = app
        .post(
            &format!("/api/v1/orgs/{}/invites", owner.org_id),
            Some(&owner.token),
            json!({"email": "New.Agent@Example.com", "role": "agent"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let token = invite["token"].as_str().expect("token");

    let mails = wait_deliveries(&app, &owner, "email", |l| {
        l.iter().any(|d| d["target"] == "new.agent@example.com" && d["status"] == "delivered")
    })
    .await;
    let mail = mails.iter().find(|d| d["target"] == "new.agent@example.com").expect("the invite mail");
    assert_eq!(mail["event"], "member.invited", "{mail}");
    let file = app.settings_data_dir().join("mail").join(format!("{}.eml", mail["id"].as_str().expect("id")));
    let eml = readable(&std::fs::read_to_string(&file).expect("the .eml file"));
    let link = format!("{}/invite/{token}", app.address.trim_end_matches('/'));
    assert!(eml.contains("To: new.agent@example.com"), "{eml}");
    assert!(eml.contains("Test Person invited you to Org of owner@example.com"), "{eml}");
    assert!(eml.contains(&link) && eml.contains("as agent"), "{eml}");
    // The link in the mail is the invite: it opens the join page's data.
    let (status, preview) = app.get(&format!("/api/v1/invites/{token}"), None).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    // Re-inviting replaces the invite: the first mail's link stops working.
    let (status, _) = app
        .post(
            &format!("/api/v1/orgs/{}/invites", owner.org_id),
            Some(&owner.token),
            json!({"email": "new.agent@example.com", "role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.get(&format!("/api/v1/invites/{token}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_alerts_page_says_who_is_on_the_mail_list() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let org: uuid::Uuid = owner.org_id.parse().expect("uuid");
    let on_list = |account: Account| {
        let app = &app;
        async move {
            let actor = app.services.authenticate(&account.token).await.expect("actor");
            app.services.on_escalation_mail_list(&actor, org).await.expect("member")
        }
    };
    assert!(on_list(owner.clone()).await, "owners get escalation mails");
    assert!(!on_list(agent.clone()).await, "an agent not listed does not");

    app.patch_settings(&owner, json!({"escalation_recipients": ["Agent@Example.com"]})).await;
    assert!(on_list(agent.clone()).await, "listed (in any case) is on the list");

    // And the mail goes where the page says: the listed agent gets the next escalation.
    let key = widget_key(&app, &owner).await;
    escalate(&app, &key, "I want to talk to a human please").await;
    crate::helpers::wait_for_mail(&app, "agent@example.com", |_| true).await;

    // Someone outside the organisation is told nothing.
    let stranger = app.signup("stranger@example.com").await;
    let actor = app.services.authenticate(&stranger.token).await.expect("actor");
    assert!(app.services.on_escalation_mail_list(&actor, org).await.is_err());
}

#[tokio::test]
async fn a_tar_pit_webhook_in_one_organisation_delays_no_other_organisations_alerts() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::spawn_configured(alert_settings()).await;
    // Organisation A's endpoint accepts connections and never answers.
    let tarpit = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let tarpit_url = format!("http://{}/hook", tarpit.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = tarpit.accept().await {
            held.push(socket);
        }
    });
    let a = app.signup("a@example.com").await;
    let (status, hook) = add_webhook(&app, &a, &tarpit_url, &["conversation.escalated"]).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    app.services
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO outbox (id, organization_id, kind, event, webhook_id, target, payload, max_attempts) \
             SELECT gen_random_uuid(), $1::uuid, 'webhook', 'conversation.escalated', $2::uuid, $3, '{}'::jsonb, 5 \
             FROM generate_series(1, 500)",
            [a.org_id.clone().into(), hook["id"].as_str().expect("id").into(), tarpit_url.into()],
        ))
        .await
        .expect("500 deliveries queued for A");
    app.services.wake_outbox();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Organisation B's escalation: its mail and its webhook go out while A's wait on the tar pit.
    let b = app.signup("b@example.com").await;
    let receiver = Receiver::start(&[200]).await;
    let (status, _) = add_webhook(&app, &b, &receiver.url, &["conversation.escalated"]).await;
    assert_eq!(status, StatusCode::CREATED);
    let key = widget_key(&app, &b).await;
    escalate(&app, &key, "I want to talk to a person").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mails = deliveries(&app, &b, "email").await;
        let hooks = deliveries(&app, &b, "webhook").await;
        let done = |list: &[Value]| !list.is_empty() && list.iter().all(|d| d["status"] == "delivered");
        if done(&mails) && done(&hooks) {
            break;
        }
        assert!(Instant::now() < deadline, "B waited behind A: mails {mails:#?} webhooks {hooks:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn test_sends_are_limited_to_a_few_a_minute() {
    let app = TestApp::spawn_configured(alert_settings()).await;
    let owner = app.signup("owner@example.com").await;
    let receiver = Receiver::start(&[200]).await;
    let (_, hook) = add_webhook(&app, &owner, &receiver.url, &["conversation.escalated"]).await;
    let test = format!("/api/v1/orgs/{}/webhooks/{}/test", owner.org_id, hook["id"].as_str().expect("id"));
    for _ in 0..5 {
        let (status, body) = app.call(Method::POST, &test, Some(&owner.token), None).await;
        assert!(status.is_success(), "{status} {body}");
    }
    let (status, body) = app.call(Method::POST, &test, Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test]
async fn escalation_mails_stop_at_the_hourly_cap_with_one_line_saying_so() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::spawn_configured(alert_settings()).await;
    let owner = app.signup("owner@example.com").await;
    // This hour the owner already got as many escalation mails as one address may.
    app.services
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO outbox (id, organization_id, kind, event, target, payload, max_attempts, status) \
             SELECT gen_random_uuid(), $1::uuid, 'email', 'conversation.escalated', 'owner@example.com', \
                    '{\"subject\": \"s\", \"text\": \"t\"}'::jsonb, 5, 'delivered' \
             FROM generate_series(1, $2)",
            [owner.org_id.clone().into(), (domain::alerts::MAILS_PER_RECIPIENT_PER_HOUR as i32).into()],
        ))
        .await
        .expect("earlier mails");
    let key = widget_key(&app, &owner).await;
    escalate(&app, &key, "I want to talk to a person").await;
    escalate(&app, &key, "Can a human help me?").await;
    let mails = deliveries(&app, &owner, "email").await;
    let events: Vec<&str> = mails.iter().filter_map(|m| m["event"].as_str()).collect();
    let paused = events.iter().filter(|e| **e == domain::alerts::ALERTS_PAUSED).count();
    let escalated = events.iter().filter(|e| **e == "conversation.escalated").count();
    assert_eq!(paused, 1, "one notice for the hour: {events:?}");
    assert_eq!(escalated as i64, domain::alerts::MAILS_PER_RECIPIENT_PER_HOUR, "no mail past the cap: {events:?}");
}

#[tokio::test]
async fn an_outside_recipient_gets_alerts_only_after_confirming_by_the_mailed_link() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::spawn_configured(alert_settings()).await;
    let owner = app.signup("owner@example.com").await;
    app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    app.patch_settings(&owner, json!({"escalation_recipients": ["agent@example.com", "Outside@Example.org"]})).await;
    let key = widget_key(&app, &owner).await;
    let mailed_to = |event: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            let mut to: Vec<String> = deliveries(app, owner, "email")
                .await
                .iter()
                .filter(|d| d["event"] == event)
                .map(|d| d["target"].as_str().expect("target").to_owned())
                .collect();
            to.sort();
            to
        }
    };
    assert_eq!(mailed_to("alerts.confirm").await, vec!["outside@example.org"], "only the outside address confirms");
    escalate(&app, &key, "I want to talk to a person").await;
    assert_eq!(
        mailed_to("conversation.escalated").await,
        vec!["agent@example.com", "owner@example.com"],
        "no alert before the link is opened"
    );

    // The link in the mail.
    let row = app
        .services
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT payload->>'text' AS text FROM outbox WHERE event = 'alerts.confirm'",
        ))
        .await
        .expect("query")
        .expect("the confirmation mail");
    let text: String = row.try_get("", "text").expect("text");
    let link = text.split_whitespace().find(|w| w.contains("/alerts/confirm/")).expect("a link").to_owned();
    let path = &link[link.find("/alerts/confirm/").expect("path")..];
    let page = app.client.get(format!("{}{path}", app.address)).send().await.expect("confirm");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("Alerts confirmed"));
    let wrong = app.client.get(format!("{}/alerts/confirm/not-a-token", app.address)).send().await.expect("confirm");
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);

    escalate(&app, &key, "Can a human help me please?").await;
    assert_eq!(mailed_to("conversation.escalated").await.iter().filter(|t| *t == "outside@example.org").count(), 1);
}
