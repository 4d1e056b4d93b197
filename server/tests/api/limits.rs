//! The public surface under traffic and abuse: budgets per client network and per visitor, never
//! per site; IPv6 clients by their /64; `/fetchFeedbacks` spends a project's budget only for the
//! holder of its key.

use reqwest::StatusCode;
use serde_json::{Value, json};

use server::rate_limit::Budget;

use crate::helpers::TestApp;

/// An app behind a trusted proxy on 127.0.0.1, so each test picks its clients' addresses.
async fn behind_proxy() -> TestApp {
    let mut settings = TestApp::settings();
    settings.trusted_proxies = server::client_ip::TrustedProxies::parse("127.0.0.1").expect("valid");
    TestApp::spawn_configured(settings).await
}

async fn widget_key(app: &TestApp) -> String {
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    org["widget_key"].as_str().expect("widget key").to_owned()
}

/// A feedback project of `owner`'s organisation: its id and secret key.
async fn feedback_project(app: &TestApp, owner: &crate::helpers::Account) -> (String, String) {
    let (status, created) = app
        .post(&format!("/api/v1/orgs/{}/feedback-projects", owner.org_id), Some(&owner.token), json!({"name": "Shop"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let field = |name: &str| created[name].as_str().expect(name).to_owned();
    (field("project_id"), field("secret_key"))
}

/// `POST /api/v1/widget/session` from `client`: status, body and `Retry-After`.
async fn open_session(app: &TestApp, client: &str, body: &Value) -> (StatusCode, Value, Option<String>) {
    let resp = app
        .client
        .post(format!("{}/api/v1/widget/session", app.address))
        .header("X-Forwarded-For", client)
        .json(body)
        .send()
        .await
        .expect("session request");
    let status = resp.status();
    let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, resp.json().await.unwrap_or(Value::Null), retry)
}

#[tokio::test]
async fn a_busy_site_opens_sessions_for_every_visitor_while_one_network_is_limited() {
    let app = behind_proxy().await;
    let key = widget_key(&app).await;
    let first = json!({"widget_key": key});

    // 150 first page views from 150 visitors in one minute: more than the old per-site limit.
    for i in 0..150 {
        let client = format!("198.51.{}.{}", i / 200, i % 200 + 1);
        let (status, body, _) = open_session(&app, &client, &first).await;
        assert_eq!(status, StatusCode::OK, "visitor {i} from {client}: {body}");
    }

    // One network opening session after session is stopped, with the wait in seconds.
    let mut refused = None;
    let mut token = None;
    for n in 0..80 {
        let (status, body, retry) = open_session(&app, "203.0.113.9", &first).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((n, body, retry));
            break;
        }
        token = body["visitor_token"].as_str().map(str::to_owned);
    }
    let (n, body, retry) = refused.expect("one address is limited");
    assert!(n >= 60, "the first 60 pass, refused at {n}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("try again in")), "{body}");
    let seconds: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&seconds), "{seconds}");

    // A returning visitor on that network is counted by their token, not by the address.
    let back = json!({"widget_key": key, "visitor_token": token.expect("a token")});
    let (status, body, _) = open_session(&app, "203.0.113.9", &back).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Other visitors of the site are unaffected.
    let (status, _, _) = open_session(&app, "192.0.2.77", &first).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_ipv6_network_shares_one_budget() {
    let app = behind_proxy().await;
    let key = widget_key(&app).await;
    let first = json!({"widget_key": key});
    // A new address of the same /64 for every request buys nothing.
    let mut limited_at = None;
    for i in 0..80u32 {
        let client = format!("2001:db8:aa:bb:{:x}:{:x}::1", i, i * 7 + 1);
        let (status, _, _) = open_session(&app, &client, &first).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited_at = Some(i);
            break;
        }
        assert_eq!(status, StatusCode::OK);
    }
    assert!(limited_at.is_some_and(|n| n >= 60), "limited at {limited_at:?}");
    let (status, _, _) = open_session(&app, "2001:db8:aa:bc::1", &first).await;
    assert_eq!(status, StatusCode::OK, "the next /64 has its own budget");
}

#[tokio::test]
async fn requests_with_a_wrong_key_never_lock_the_real_integration_out() {
    let app = behind_proxy().await;
    let owner = app.signup("owner@example.com").await;
    let (project_id, secret) = feedback_project(&app, &owner).await;

    let fetch = |client: String, key: String| {
        let app = &app;
        let project_id = project_id.clone();
        async move {
            app.client
                .post(format!("{}/fetchFeedbacks", app.address))
                .header("X-Forwarded-For", client)
                .bearer_auth(key)
                .json(&json!({"project_id": project_id}))
                .send()
                .await
                .expect("fetch")
                .status()
        }
    };
    // 150 guesses from many addresses: each is refused as unauthorised, none spends the budget.
    for i in 0..150 {
        let status = fetch(format!("198.51.100.{}", i % 250 + 1), format!("sk_wrong_{i}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(fetch("192.0.2.10".into(), secret.clone()).await, StatusCode::OK, "the real key still works");

    // One address guessing is limited on its own budget.
    let mut statuses = Vec::new();
    for i in 0..80 {
        statuses.push(fetch("203.0.113.50".into(), format!("sk_wrong_{i}")).await);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(fetch("192.0.2.10".into(), secret).await, StatusCode::OK);
}

#[tokio::test]
async fn oversized_tokens_and_keys_leave_the_limiters_size_bounded() {
    let mut settings = TestApp::settings();
    settings.rate_limits.max_keys = 50;
    let app = TestApp::spawn_configured(settings).await;
    let budgets = [Budget::ClientIp, Budget::Visitor, Budget::ReturningSession, Budget::NewSessionPerIp];

    // 250 visitor tokens of 48 KB in the header, 250 sessions naming a 1 MB widget key and a
    // 100 KB visitor token: each is refused, and no limiter remembers more than its bound.
    for i in 0..250 {
        let token = format!("{i}-{}", "t".repeat(48 << 10));
        let resp = app
            .client
            .get(format!("{}/api/v1/widget/messages", app.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("messages request");
        // Refused as unknown, or (once the bound is reached) told to come back later.
        assert!(
            matches!(resp.status(), StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS),
            "bogus token {i}: {}",
            resp.status()
        );
        let body =
            json!({"widget_key": "w".repeat(1 << 20), "visitor_token": format!("{i}-{}", "v".repeat(100 << 10))});
        let resp = app
            .client
            .post(format!("{}/api/v1/widget/session", app.address))
            .json(&body)
            .send()
            .await
            .expect("session request");
        assert!(resp.status().is_client_error(), "oversized session {i}: {}", resp.status());
        for budget in budgets {
            assert!(app.limits.keys(budget) <= 50, "{budget:?} remembers {} keys", app.limits.keys(budget));
        }
    }
    assert!(app.limits.keys(Budget::Visitor) > 0, "the tokens were counted (digested) before validation");
}

/// `POST /api/v1/auth/login` from `client`: status and `Retry-After`.
async fn login(app: &TestApp, client: &str, email: &str, password: &str) -> (StatusCode, Option<String>) {
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .header("X-Forwarded-For", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login request");
    let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (resp.status(), retry)
}

#[tokio::test]
async fn password_guessing_is_throttled_per_account_and_per_network() {
    let app = behind_proxy().await;
    let victim = app.signup("victim@example.com").await;
    let other = app.signup("other@example.com").await;
    let password = "correct horse battery"; // what TestApp::signup uses
    let (status, _) = login(&app, "192.0.2.1", &victim.email, password).await;
    assert_eq!(status, StatusCode::OK, "the helper's password signs in");

    // Ten wrong guesses from ten addresses; the eleventh attempt waits, even with the right
    // password, and says how long.
    for i in 0..10 {
        let (status, _) = login(&app, &format!("198.51.100.{}", i + 1), &victim.email, "wrong guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, retry) = login(&app, "198.51.100.77", &victim.email, password).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=30).contains(&seconds), "{seconds}");
    // Another account signs in meanwhile.
    let (status, _) = login(&app, "198.51.100.78", &other.email, password).await;
    assert_eq!(status, StatusCode::OK);

    // One network trying many accounts is stopped by its own budget.
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(login(&app, "203.0.113.200", &format!("nobody{i}@example.com"), "guess").await.0);
    }
    assert!(statuses[..20].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(statuses[20..].contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[tokio::test]
async fn the_dashboards_sign_in_form_spends_the_same_budget() {
    use leptos::server_fn::ServerFn;
    let app = behind_proxy().await;
    let path = <app::server_fns::auth::SignIn as ServerFn>::PATH;
    let mut last = None;
    for i in 0..25 {
        let resp = app
            .client
            .post(format!("{}{path}", app.address))
            .header("X-Forwarded-For", "203.0.113.201")
            .form(&[("email", format!("nobody{i}@example.com")), ("password", "guess".to_owned())])
            .send()
            .await
            .expect("sign-in form");
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if status == StatusCode::TOO_MANY_REQUESTS {
            last = Some((i, body));
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (i, body) = last.expect("the form is throttled too");
    assert!(i >= 20, "refused at {i}");
    assert!(body.contains("try again in"), "the form shows the wait: {body}");
}

#[tokio::test]
async fn live_streams_are_capped_per_visitor_and_the_server_answers_503_when_full() {
    let mut settings = TestApp::settings();
    settings.connections.max_connections = 7;
    let app = TestApp::spawn_configured(settings).await;
    let key = widget_key(&app).await;
    let visitor = crate::helpers::visitor_session(&app, &key).await;
    let other = crate::helpers::visitor_session(&app, &key).await;
    let open = |token: String| {
        let app = &app;
        async move { app.client.get(app.stream_url(&token).await).send().await.expect("stream request") }
    };
    // Five tabs of one visitor stream; a sixth is refused, another visitor is not.
    let mut held = Vec::new();
    for _ in 0..5 {
        let resp = open(visitor.clone()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        held.push(resp);
    }
    let sixth = open(visitor.clone()).await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    for _ in 0..2 {
        let resp = open(other.clone()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        held.push(resp);
    }
    // Seven open in all: the eighth gets 503 with a wait, not a dropped server.
    let full = open(other.clone()).await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(full.headers().get("retry-after").is_some());
    // A closed stream gives its place back.
    drop(held.pop());
    let mut reopened = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        reopened = open(other.clone()).await.status();
        if reopened == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(reopened, StatusCode::OK);
}

#[tokio::test]
async fn one_fetch_feedbacks_response_is_capped_in_bytes_and_the_rest_pages_back() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let (project_id, secret) = feedback_project(&app, &owner).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/orgs/{}/feedback-projects/{project_id}/events", owner.org_id),
            Some(&owner.token),
            json!({"event_id": "checkout", "name": "Checkout", "question": "How was it?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // 500 feedbacks of 45 KB user info each (22 MB), written directly: the SDK's per-address
    // budget would take minutes.
    app.services
        .db
        .execute_unprepared(&format!(
            "INSERT INTO feedbacks (id, project_id, organization_id, event_id, reaction, user_info, token_hash, created_at) \
             SELECT lpad(i::text, 13, '0') || 'aaaaaaaaaaa', p.id, p.organization_id, e.id, 'positive', \
             jsonb_build_object('note', repeat('x', 45000)), 'x', now() - (500 - i) * interval '1 second' \
             FROM generate_series(1, 500) i, feedback_projects p JOIN feedback_events e ON e.project_id = p.id \
             WHERE p.public_id = '{project_id}'"
        ))
        .await
        .expect("insert feedback");

    let fetch = |before: Option<String>| {
        let app = &app;
        let (project_id, secret) = (project_id.clone(), secret.clone());
        async move {
            let mut body = json!({"project_id": project_id, "limit": 10000});
            if let Some(before) = before {
                body["before"] = json!(before);
            }
            let resp = app
                .client
                .post(format!("{}/fetchFeedbacks", app.address))
                .bearer_auth(secret)
                .json(&body)
                .send()
                .await
                .expect("fetch");
            assert_eq!(resp.status(), StatusCode::OK);
            let bytes = resp.bytes().await.expect("body");
            let page: serde_json::Map<String, Value> = serde_json::from_slice(&bytes).expect("json");
            (bytes.len(), page.keys().cloned().collect::<Vec<_>>())
        }
    };
    let (size, first) = fetch(None).await;
    assert!(size <= 17 * 1024 * 1024, "{size} bytes");
    assert!(first.len() < 500 && first.len() > 300, "{} entries", first.len());
    assert_eq!(first.last().map(String::as_str), Some("0000000000500aaaaaaaaaaa"), "the newest come first");
    // Paging back from the oldest one returned gets the rest.
    let (_, rest) = fetch(first.first().cloned()).await;
    assert_eq!(first.len() + rest.len(), 500);
    assert_eq!(rest.first().map(String::as_str), Some("0000000000001aaaaaaaaaaa"));
}

#[tokio::test]
async fn an_organisation_over_its_knowledge_quota_gets_a_clear_413_and_keeps_what_it_has() {
    let mut settings = TestApp::settings();
    settings.knowledge_quota = domain::knowledge::KnowledgeQuota { max_documents: 2, max_bytes: 10_000 };
    let app = TestApp::spawn_configured(settings).await;
    let owner = app.signup("owner@example.com").await;
    let path = format!("/api/v1/orgs/{}/documents", owner.org_id);
    let doc = |title: &str, size: usize| json!({"title": title, "content": "Opening hours. ".repeat(size / 15)});
    let (status, first) = app.post(&path, Some(&owner.token), doc("One", 6_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // Over the bytes.
    let (status, body) = app.post(&path, Some(&owner.token), doc("Two", 6_000)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("MB")), "{body}");
    // An edit is measured without the document it replaces.
    let id = first["id"].as_str().expect("id");
    let (status, body) =
        app.call(reqwest::Method::PUT, &format!("{path}/{id}"), Some(&owner.token), Some(doc("One", 9_000))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Over the count.
    let (status, _) = app.post(&path, Some(&owner.token), doc("Two", 300)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.post(&path, Some(&owner.token), doc("Three", 100)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("2 documents")), "{body}");
    let (_, list) = app.get(&path, Some(&owner.token)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "nothing stored was lost: {list}");
    // Another organisation has its own quota.
    let other = app.signup("other@example.com").await;
    let (status, _) =
        app.post(&format!("/api/v1/orgs/{}/documents", other.org_id), Some(&other.token), doc("Own", 6_000)).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_small_document_is_ready_while_another_organisations_large_upload_is_still_processing() {
    let app = TestApp::spawn().await;
    let big = app.signup("big@example.com").await;
    let small = app.signup("small@example.com").await;
    let sentence = "Our warehouse ships orders every working day and packs each parcel with care. ";
    let (status, large) = app
        .post(
            &format!("/api/v1/orgs/{}/documents", big.org_id),
            Some(&big.token),
            json!({"title": "Everything", "content": sentence.repeat(5_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{large}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, doc) = app
        .post(
            &format!("/api/v1/orgs/{}/documents", small.org_id),
            Some(&small.token),
            json!({"title": "Hours", "content": "We are open from 9 to 17 on weekdays."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    crate::helpers::document_ready(&app, &small, doc["id"].as_str().expect("id")).await;
    let (_, large_now) = app
        .get(&format!("/api/v1/orgs/{}/documents/{}", big.org_id, large["id"].as_str().expect("id")), Some(&big.token))
        .await;
    assert_eq!(large_now["status"], "processing", "the large upload is still in work: {large_now}");
}
