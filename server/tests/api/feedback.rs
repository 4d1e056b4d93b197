//! The feedback SDK (Iterato): projects and events, the toast's public endpoints, and
//! `POST /fetchFeedbacks` called exactly as the seed's curl example does.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp};

/// Creates a project for `owner` and an event `checkout-success` in it; returns the public
/// project id and the secret key.
async fn project_with_event(app: &TestApp, owner: &Account) -> (String, String) {
    let (status, created) = app
        .post(&format!("/api/v1/orgs/{}/feedback-projects", owner.org_id), Some(&owner.token), json!({"name": "Shop"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let project_id = created["project_id"].as_str().expect("project_id").to_owned();
    let secret = created["secret_key"].as_str().expect("secret_key").to_owned();
    assert!(project_id.starts_with("project-"), "{project_id}");
    let (status, event) = app
        .post(
            &format!("/api/v1/orgs/{}/feedback-projects/{project_id}/events", owner.org_id),
            Some(&owner.token),
            json!({"event_id": "checkout-success", "name": "Checkout", "question": "How was paying today?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    (project_id, secret)
}

/// Posts feedback as the SDK does; returns status and body.
async fn submit(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.post("/sdk/v1/feedback", None, body).await
}

/// Posts feedback with an `X-Forwarded-For` header, as a reverse proxy (or a forging client) would.
async fn submit_forwarded(app: &TestApp, forwarded_for: &str, body: &Value) -> StatusCode {
    app.client
        .post(format!("{}/sdk/v1/feedback", app.address))
        .header("X-Forwarded-For", forwarded_for)
        .json(body)
        .send()
        .await
        .expect("request")
        .status()
}

/// `POST /fetchFeedbacks` as the seed's curl request sends it.
async fn fetch(app: &TestApp, key: &str, body: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}/fetchFeedbacks", app.address))
        .header("Content-Type", "application/json")
        .header("Authorization", format!("Bearer {key}"))
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn is_iso_utc_millis(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 24
        && s.ends_with('Z')
        && b[10] == b'T'
        && b[19] == b'.'
        && chrono::DateTime::parse_from_rfc3339(s).is_ok_and(|d| d.offset().local_minus_utc() == 0)
}

#[tokio::test]
async fn the_seed_example_calls_return_the_documented_shape() {
    let app = TestApp::spawn().await;
    let owner = app.signup("iterato-owner@example.com").await;
    let (project_id, secret) = project_with_event(&app, &owner).await;

    // What `init` fetches: the events and the toast's texts in the browser's language.
    let (status, config) = app.get(&format!("/sdk/v1/projects/{project_id}?lang=es-ES"), None).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(config["events"][0]["event_id"], "checkout-success");
    assert_eq!(config["events"][0]["question"], "How was paying today?");
    assert_eq!(config["texts"]["thanks"], "¡Gracias por tu opinión!");
    assert!(config["events"][0].get("name").is_none(), "event names stay on the dashboard: {config}");
    let (status, _) = app.get("/sdk/v1/projects/project-doesnotexist", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 👍 with the seed's setUser object and two tags.
    let user = json!({"uid": "User12617246148791", "userName": "John", "userEmail": "john@email.com",
        "plan": "Premium", "Features": ["Live Streaming", "Video Uploads", "Subscriptions"]});
    let (status, positive) = submit(
        &app,
        json!({
            "project_id": project_id, "event_id": "checkout-success", "tags": ["paid", "vip"], "reaction": "positive",
            "user_info": user, "console_log": [], "browser": "Mozilla/5.0 (test)",
            "connectivity": {"online": true, "effective_type": "4g"}, "language": "en-GB",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{positive}");
    assert_eq!(positive["done"], true);
    assert!(positive["reply"].is_null());

    // 👎 with a tag as a plain string, then the short conversation.
    let (status, negative) = submit(
        &app,
        json!({
            "project_id": project_id, "event_id": "checkout-success", "tags": "paid", "reaction": "negative",
            "user_info": {}, "console_log": [{"level": "error", "message": "boom", "at": "2026-11-21T10:00:00.000Z"}],
            "browser": "Mozilla/5.0 (test)", "connectivity": {"online": true}, "language": "en-US",
            "ip_details": {"ip": "6.6.6.6"},
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{negative}");
    assert_eq!(negative["reply"], "Sorry about that. What went wrong?");
    assert_eq!(negative["done"], false);
    let id = negative["feedback_id"].as_str().expect("id").to_owned();
    let token = negative["token"].as_str().expect("token").to_owned();
    let answer = |text: &'static str| {
        let (app, id, token) = (&app, id.clone(), token.clone());
        async move { app.post(&format!("/sdk/v1/feedback/{id}/messages"), Some(&token), json!({ "text": text })).await }
    };
    let (status, first) = answer("too slow").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["done"], false, "a two-word answer gets a follow-up: {first}");
    assert!(first["reply"].as_str().unwrap_or_default().ends_with('?'), "{first}");
    let (status, second) = answer("The card form froze after I pressed Pay.").await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["done"], true);
    let (status, late) = answer("one more thing").await;
    assert_eq!(status, StatusCode::CONFLICT, "the conversation is over: {late}");

    // The seed's curl request.
    let body = format!(r#"{{"project_id": "{project_id}", "tag": "paid", "event_id": "checkout-success"}}"#);
    let (status, feedbacks) = fetch(&app, &secret, &body).await;
    assert_eq!(status, StatusCode::OK, "{feedbacks}");
    let entries = feedbacks.as_object().expect("an object keyed by feedback id");
    assert_eq!(entries.len(), 2, "{feedbacks}");
    let ids: Vec<&String> = entries.keys().collect();
    assert!(ids.iter().all(|k| k.len() == 24 && k[..13].chars().all(|c| c.is_ascii_digit())), "{ids:?}");
    let pos = entries.get(positive["feedback_id"].as_str().expect("id")).expect("the positive one");
    let neg = entries.get(&id).expect("the negative one");
    let mut keys: Vec<&str> = pos.as_object().expect("entry").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["created_at", "event_id", "reaction", "user_info"]);
    assert_eq!(pos["event_id"], "checkout-success");
    assert_eq!(pos["reaction"], "positive");
    assert_eq!(pos["user_info"], user);
    assert!(is_iso_utc_millis(pos["created_at"].as_str().unwrap_or_default()), "{pos}");
    assert_eq!(neg["reaction"], "negative");
    assert_eq!(neg["user_info"], json!({}));
    let summary = neg["conversation_summery"].as_str().expect("negative feedback has a summary");
    assert!(summary.contains("card form froze") && summary.contains("too slow"), "{summary}");

    // Filters: a tag only the 👍 has; the other reaction; an event nobody used.
    let (_, vip) = fetch(&app, &secret, &format!(r#"{{"project_id": "{project_id}", "tag": "vip"}}"#)).await;
    assert_eq!(vip.as_object().map(|o| o.len()), Some(1), "{vip}");
    let (_, negatives) =
        fetch(&app, &secret, &format!(r#"{{"project_id": "{project_id}", "reaction": "negative"}}"#)).await;
    assert_eq!(negatives.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()), Some(vec![id.clone()]));
    let (_, none) = fetch(&app, &secret, &format!(r#"{{"project_id": "{project_id}", "event_id": "nope"}}"#)).await;
    assert_eq!(none, json!({}));

    // What was stored beside the reaction: the console log, browser, connectivity and the IP the
    // server saw (the client's claimed IP is ignored).
    let (status, page) = app
        .get(
            &format!("/api/v1/orgs/{}/feedback-projects/{project_id}/feedback?reaction=negative", owner.org_id),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let item = &page["items"][0];
    assert_eq!(item["console_log"][0]["message"], "boom");
    assert_eq!(item["console_log"][0]["level"], "error");
    assert_eq!(item["browser"], "Mozilla/5.0 (test)");
    assert_eq!(item["connectivity"], json!({"online": true}));
    assert_eq!(item["ip_details"], json!({"ip": "127.0.0.1"}));
    assert_eq!(item["conversation"].as_array().map(Vec::len), Some(5), "question, answer, question, answer, thanks");
}

#[tokio::test]
async fn fetch_feedbacks_refuses_missing_ids_and_wrong_or_foreign_keys() {
    let app = TestApp::spawn().await;
    let a = app.signup("iterato-a@example.com").await;
    let b = app.signup("iterato-b@example.com").await;
    let (project_a, key_a) = project_with_event(&app, &a).await;
    let (project_b, key_b) = project_with_event(&app, &b).await;

    let (status, body) = fetch(&app, &key_a, r#"{"tag": "paid"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap_or_default().contains("project_id"), "{body}");
    let (status, _) = fetch(&app, &key_a, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = fetch(&app, &key_a, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = fetch(&app, &key_a, r#"{"project_id": 42}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = fetch(&app, "isk_wrong", &format!(r#"{{"project_id": "{project_a}"}}"#)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["error"].is_string());
    let (status, _) = fetch(&app, &key_a, &format!(r#"{{"project_id": "{project_b}"}}"#)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "project A's key on project B");
    let (status, _) = fetch(&app, &key_b, r#"{"project_id": "project-unknown"}"#).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let resp = app
        .client
        .post(format!("{}/fetchFeedbacks", app.address))
        .json(&json!({ "project_id": project_a }))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "no Authorization header");
    let (status, body) = fetch(&app, &key_a, &format!(r#"{{"project_id": "{project_a}"}}"#)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));

    // Rotation: the old key stops working at once, the new one works.
    let (status, rotated) = app
        .post(
            &format!("/api/v1/orgs/{}/feedback-projects/{project_a}/rotate-secret", a.org_id),
            Some(&a.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_key = rotated["secret_key"].as_str().expect("secret").to_owned();
    assert_ne!(new_key, key_a);
    let (status, _) = fetch(&app, &key_a, &format!(r#"{{"project_id": "{project_a}"}}"#)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = fetch(&app, &new_key, &format!(r#"{{"project_id": "{project_a}"}}"#)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn projects_and_feedback_belong_to_one_organisation_and_admins_manage_them() {
    let app = TestApp::spawn().await;
    let owner = app.signup("iterato-org-a@example.com").await;
    let other = app.signup("iterato-org-b@example.com").await;
    let agent = app.add_member(&owner, &owner.org_id, "iterato-agent@example.com", "agent").await;
    let (project_id, _) = project_with_event(&app, &owner).await;
    let base = format!("/api/v1/orgs/{}/feedback-projects", owner.org_id);

    // Agents read, but do not manage.
    let (status, list) = app.get(&base, Some(&agent.token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["project_id"], project_id.as_str());
    assert!(list[0].get("secret_key").is_none() && list[0]["secret_hint"].as_str().map(str::len) == Some(4));
    let (status, _) = app.post(&base, Some(&agent.token), json!({"name": "Mine"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&format!("{base}/{project_id}/events"), Some(&agent.token), json!({"event_id": "x", "name": "X"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another organisation sees and changes nothing, through its own org id or ours.
    let (status, _) = app.get(&base, Some(&other.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let theirs = format!("/api/v1/orgs/{}/feedback-projects/{project_id}", other.org_id);
    for path in [theirs.clone(), format!("{theirs}/feedback")] {
        let (status, _) = app.get(&path, Some(&other.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) =
        app.post(&format!("{theirs}/events"), Some(&other.token), json!({"event_id": "evil", "name": "Evil"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&format!("{theirs}/rotate-secret"), Some(&other.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad input: clear messages, nothing stored.
    let (status, body) = app
        .post(&format!("{base}/{project_id}/events"), Some(&owner.token), json!({"event_id": "has space", "name": "X"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(
            &format!("{base}/{project_id}/events"),
            Some(&owner.token),
            json!({"event_id": "checkout-success", "name": "Again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = app.post(&base, Some(&owner.token), json!({"name": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for (body, expected) in [
        (json!({"project_id": project_id, "event_id": "unknown-event", "reaction": "positive"}), StatusCode::NOT_FOUND),
        (
            json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "meh"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"event_id": "checkout-success", "reaction": "positive"}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "positive", "tags": 5}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "positive", "user_info": "john"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (status, reply) = submit(&app, body.clone()).await;
        assert_eq!(status, expected, "{body} → {reply}");
        assert!(reply["error"].is_string(), "{reply}");
    }

    // A 10 MB console log is cut to its last entries, not stored whole and not refused.
    let mut log: Vec<Value> =
        (0..80).map(|i| json!({"level": "log", "message": format!("line {i}"), "at": ""})).collect();
    log.push(json!({"level": "error", "message": "x".repeat(10 * 1024 * 1024), "at": ""}));
    let (status, big) = submit(
        &app,
        json!({"project_id": project_id, "event_id": "checkout-success",
        "reaction": "negative", "tags": ["big"], "console_log": log}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{big}");
    let (status, page) = app.get(&format!("{base}/{project_id}/feedback?tag=big"), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::OK);
    let console = page["items"][0]["console_log"].as_array().expect("log").clone();
    assert_eq!(console.len(), 50);
    assert_eq!(console[0]["message"], "line 31");
    assert!(console[49]["message"].as_str().expect("message").len() < 10_000);

    // Counts per event and filters on the dashboard list.
    submit(
        &app,
        json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "positive", "tags": "paid"}),
    )
    .await;
    let (_, project) = app.get(&format!("{base}/{project_id}"), Some(&agent.token)).await;
    assert_eq!(
        (project["events"][0]["positive"].as_i64(), project["events"][0]["negative"].as_i64()),
        (Some(1), Some(1))
    );
    let (_, page) =
        app.get(&format!("{base}/{project_id}/feedback?reaction=positive&tag=paid"), Some(&agent.token)).await;
    assert_eq!(page["total"], 1);
    let (status, _) = app.get(&format!("{base}/{project_id}/feedback?reaction=meh"), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Conversation tokens: another feedback's token or a blank answer are refused.
    let (_, one) =
        submit(&app, json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "negative"})).await;
    let (_, two) =
        submit(&app, json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "negative"})).await;
    let path = format!("/sdk/v1/feedback/{}/messages", one["feedback_id"].as_str().expect("id"));
    let (status, _) = app.post(&path, two["token"].as_str(), json!({"text": "hi"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.post(&path, None, json!({"text": "hi"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.post(&path, one["token"].as_str(), json!({"text": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.post(&path, one["token"].as_str(), json!({"text": "x".repeat(2001)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn new_feedback_is_rate_limited_per_ip() {
    let app = TestApp::spawn().await;
    let owner = app.signup("iterato-rate@example.com").await;
    let (project_id, _) = project_with_event(&app, &owner).await;
    let body = json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "positive"});
    // 30 a minute, refilled one every 2 seconds: a few extra requests are refused whatever
    // the machine's speed.
    let mut statuses = Vec::new();
    for _ in 0..34 {
        statuses.push(submit(&app, body.clone()).await.0);
    }
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    assert!(statuses[30..].contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // A client-sent X-Forwarded-For buys no fresh budget when no proxy is trusted.
    assert_eq!(submit_forwarded(&app, "198.51.100.4", &body).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget_and_address() {
    let mut settings = TestApp::settings();
    settings.trusted_proxies = server::client_ip::TrustedProxies::parse("127.0.0.1").expect("valid");
    let app = TestApp::spawn_configured(settings).await;
    let owner = app.signup("iterato-proxy@example.com").await;
    let (project_id, _) = project_with_event(&app, &owner).await;
    let body = json!({"project_id": project_id, "event_id": "checkout-success", "reaction": "positive"});
    // A forged left-most entry is skipped: the proxy's own right-most entry names the client.
    let mut statuses = Vec::new();
    for _ in 0..34 {
        statuses.push(submit_forwarded(&app, "6.6.6.6, 203.0.113.7", &body).await);
    }
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    assert!(statuses[30..].contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(submit_forwarded(&app, "198.51.100.4", &body).await, StatusCode::CREATED, "another visitor");

    let (status, page) = app
        .get(&format!("/api/v1/orgs/{}/feedback-projects/{project_id}/feedback", owner.org_id), Some(&owner.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ips: std::collections::BTreeSet<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["ip_details"]["ip"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ips.into_iter().collect::<Vec<_>>(), ["198.51.100.4", "203.0.113.7"], "{page}");
}

#[tokio::test]
async fn the_sdk_script_and_endpoints_are_open_to_other_origins() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/sdk/v1/feedback", app.address))
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .expect("preflight");
    assert!(resp.status().is_success());
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    // The script itself: served (or a clear 503 when the bundle is not built), never a 404.
    let resp = app.client.get(format!("{}/sdk/iterato.js", app.address)).send().await.expect("script");
    assert!(matches!(resp.status().as_u16(), 200 | 503), "{}", resp.status());
    assert!(resp.headers()["content-type"].to_str().unwrap_or_default().contains("javascript"));
}

#[tokio::test]
async fn a_stashed_secret_is_revealed_once_and_only_to_the_session_that_made_it() {
    let app = TestApp::spawn().await;
    let owner = app.signup("reveal-owner@example.com").await;
    let (status, other_session) =
        app.post("/api/v1/auth/login", None, json!({"email": owner.email, "password": "correct horse battery"})).await;
    assert_eq!(status, StatusCode::OK);
    let mine = app.services.authenticate(&owner.token).await.expect("actor");
    let theirs = app.services.authenticate(other_session["token"].as_str().expect("token")).await.expect("actor");

    let id = app.services.stash_secret(&mine, "isk_secret").await.expect("stash");
    assert_eq!(app.services.take_secret(&theirs, id).await.expect("take"), None, "another session sees nothing");
    assert_eq!(app.services.take_secret(&mine, id).await.expect("take").as_deref(), Some("isk_secret"));
    assert_eq!(app.services.take_secret(&mine, id).await.expect("take"), None, "shown once");
}

#[tokio::test]
async fn fetch_feedbacks_pages_back_and_odd_payloads_are_stored_cleanly() {
    let app = TestApp::spawn().await;
    let owner = app.signup("iterato-paging@example.com").await;
    let (project_id, secret) = project_with_event(&app, &owner).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        // NUL characters (which Postgres cannot store), junk console entries and nested user
        // info are cleaned, not refused.
        let (status, body) = submit(&app, json!({
            "project_id": project_id, "event_id": "checkout-success", "reaction": "negative",
            "user_info": {"uid\0": format!("u{i}\0"), "nested": {"deep": [1, 2, {"x": null}]}},
            "console_log": [42, null, ["a"], {"level": {"no": 1}, "message": "bad\0 line", "extra": {"big": [1, 2]}}, "plain"],
            "tags": ["a\tb"],
        }))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["feedback_id"].as_str().expect("id").to_owned());
    }
    let (_, page) = app
        .get(&format!("/api/v1/orgs/{}/feedback-projects/{project_id}/feedback", owner.org_id), Some(&owner.token))
        .await;
    let item = &page["items"][0];
    assert_eq!(item["user_info"]["uid"], "u2");
    assert_eq!(item["tags"], json!(["a b"]));
    let console = item["console_log"].as_array().expect("console");
    assert_eq!(console.len(), 5);
    assert_eq!(console[3], json!({"level": "log", "message": "bad line", "at": ""}));
    assert_eq!(console[4]["message"], "plain");

    let body = |extra: &str| format!(r#"{{"project_id": "{project_id}"{extra}}}"#);
    let (_, newest) = fetch(&app, &secret, &body(r#", "limit": 2"#)).await;
    let newest: Vec<String> = newest.as_object().expect("object").keys().cloned().collect();
    assert_eq!(newest, ids[1..].to_vec(), "the newest two, oldest first");
    let (_, older) = fetch(&app, &secret, &body(&format!(r#", "limit": 2, "before": "{}""#, ids[1]))).await;
    assert_eq!(older.as_object().expect("object").keys().cloned().collect::<Vec<_>>(), vec![ids[0].clone()]);
    let (status, _) = fetch(&app, &secret, &body(r#", "limit": -1"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
