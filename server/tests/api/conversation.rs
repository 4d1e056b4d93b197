//! The conversation engine through the widget API: grounded answers with citations in the
//! visitor's language, escalation before answering, AI silence after it, AI-only mode,
//! contacts, feedback and isolation.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::corpus::DOCUMENTS;
use crate::helpers::{Account, TestApp};

/// An organisation with the help-centre corpus ingested, and its widget key.
async fn help_centre(app: &TestApp, email: &str) -> (Account, String) {
    crate::helpers::organisation_with(app, email, DOCUMENTS).await
}

async fn wait_ready(app: &TestApp, owner: &Account, id: &str) {
    crate::helpers::document_ready(app, owner, id).await;
}

async fn session(app: &TestApp, widget_key: &str) -> String {
    crate::helpers::visitor_session(app, widget_key).await
}

async fn say(app: &TestApp, token: &str, text: &str) -> Value {
    crate::helpers::visitor_says(app, token, text).await
}

async fn conversation_row(app: &TestApp, id: &str) -> Value {
    let row = app
        .services
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT status, escalation_reason, handoff_summary, escalated_at IS NOT NULL AS escalated FROM conversations WHERE id = $1::uuid",
            [id.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    json!({
        "status": row.try_get::<String>("", "status").expect("status"),
        "reason": row.try_get::<Option<String>>("", "escalation_reason").expect("reason"),
        "summary": row.try_get::<Option<String>>("", "handoff_summary").expect("summary"),
    })
}

#[tokio::test]
async fn answers_are_quoted_from_the_knowledge_base_with_citations_in_the_visitors_language() {
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    let token = session(&app, &key).await;

    let turn = say(&app, &token, "How long does standard delivery take?").await;
    assert_eq!(turn["status"], "ai", "{turn}");
    let reply = &turn["reply"];
    assert_eq!(reply["role"], "ai");
    assert_eq!(reply["language"], "en");
    assert_eq!(reply["citations"][0]["title"], "Shipping and delivery", "{reply}");
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains("3 to 5 working days"), "{text}");
    let shipping = DOCUMENTS[0].1;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        for sentence in domain::knowledge::chunking::sentences(line) {
            assert!(shipping.contains(&sentence), "every quoted sentence is in the source: {sentence}");
        }
    }

    // A Spanish business answers from Spanish documents (the local embedding model is
    // English-centric and does not match across languages; see the README).
    let (_, spanish) = app
        .post(
            &format!("/api/v1/orgs/{}/documents", owner.org_id),
            Some(&owner.token),
            json!({"title": "Envíos", "content": "# Envíos\n\nLos pedidos estándar tardan de 3 a 5 días laborables en llegar. El envío exprés llega al día siguiente."}),
        )
        .await;
    wait_ready(&app, &owner, spanish["id"].as_str().expect("id")).await;
    let other = session(&app, &key).await;
    let turn = say(&app, &other, "¿Cuántos días tardan en llegar los pedidos estándar?").await;
    assert_eq!(turn["status"], "ai", "{turn}");
    assert_eq!(turn["reply"]["language"], "es");
    assert!(turn["reply"]["text"].as_str().is_some_and(|t| t.starts_with("Esto es lo que dice")), "{turn}");
    assert_eq!(turn["reply"]["citations"][0]["title"], "Envíos");
}

#[tokio::test]
async fn a_refund_request_escalates_with_a_summary_and_then_the_ai_stays_silent() {
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    let mut events = app.services.subscribe();
    let token = session(&app, &key).await;
    let (status, _) =
        app.post("/api/v1/widget/contact", Some(&token), json!({"name": "Ana", "email": "ana@example.com"})).await;
    assert_eq!(status, StatusCode::OK);

    say(&app, &token, "How do I send an item back to you?").await;
    let turn = say(&app, &token, "Quiero que me devuelvan mi dinero, el producto llegó roto").await;
    assert_eq!(turn["status"], "escalated", "{turn}");
    assert_eq!(turn["reply"]["role"], "system");
    // The default confirmation says why a person takes over, in the visitor's language.
    assert_eq!(
        turn["reply"]["text"],
        "Esto necesita a una persona de nuestro equipo, así que he pasado tu conversación. Te responderán aquí pronto."
    );
    let id = turn["conversation_id"].as_str().expect("id");

    let row = conversation_row(&app, id).await;
    assert_eq!(row["reason"], "refund");
    let summary = row["summary"].as_str().expect("summary");
    assert!(
        summary.starts_with("A visitor who gave the name “Ana” and the email ana@example.com is asking for a refund."),
        "{summary}"
    );
    assert!(summary.contains("Returns and refunds"), "mentions what the AI said: {summary}");
    let sentences = domain::knowledge::chunking::sentences(summary).len();
    assert!((2..=4).contains(&sentences), "{summary}");

    // Events may travel through Postgres NOTIFY: wait for it rather than peek.
    let saw_escalation = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(domain::conversation::ConversationEvent::Escalated {
                    reason: domain::conversation::escalation::EscalationReason::Refund,
                    ..
                }) => return true,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(saw_escalation, "a domain event announces the escalation");

    // From now on the AI says nothing, whatever the visitor asks.
    for question in ["How long does standard delivery take?", "hello?", "Can I talk to a human"] {
        let turn = say(&app, &token, question).await;
        assert_eq!((turn["status"].as_str(), &turn["reply"]), (Some("escalated"), &Value::Null), "{question}");
    }
    let (_, msgs) = app.get("/api/v1/widget/messages", Some(&token)).await;
    let roles: Vec<&str> =
        msgs["messages"].as_array().expect("list").iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(roles, vec!["visitor", "ai", "visitor", "system", "visitor", "visitor", "visitor"]);
    let _ = owner;
}

#[tokio::test]
async fn unanswerable_questions_escalate_for_low_confidence_and_the_button_escalates_too() {
    let app = TestApp::spawn().await;
    let (_, key) = help_centre(&app, "owner@example.com").await;
    let token = session(&app, &key).await;
    let turn = say(&app, &token, "What is the boiling point of mercury on Venus?").await;
    assert_eq!(turn["status"], "escalated", "{turn}");
    assert_eq!(conversation_row(&app, turn["conversation_id"].as_str().expect("id")).await["reason"], "low_confidence");
    // Not a bare "Sent!": the visitor learns the AI did not know and that a person will reply.
    let text = turn["reply"]["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("I'm not sure about that") && text.contains("passed your question to the team"), "{turn}");

    let other = session(&app, &key).await;
    say(&app, &other, "Do gift cards expire?").await;
    let (status, turn) = app.call(Method::POST, "/api/v1/widget/escalate", Some(&other), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(turn["status"], "escalated");
    assert_eq!(turn["reply"]["role"], "system");
    assert!(turn["reply"]["text"].as_str().unwrap_or_default().contains("asked the team to join"), "{turn}");
    assert_eq!(conversation_row(&app, turn["conversation_id"].as_str().expect("id")).await["reason"], "requested");
}

#[tokio::test]
async fn the_widget_asks_for_a_contact_at_handoff_unless_the_organisation_turned_it_off() {
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    let ask = || async {
        let (status, body) = app.post("/api/v1/widget/session", None, json!({"widget_key": &key})).await;
        assert_eq!(status, StatusCode::OK);
        body["config"]["ask_contact_at_handoff"].clone()
    };
    assert_eq!(ask().await, true, "on by default");
    let settings = format!("/api/v1/orgs/{}/settings", owner.org_id);
    let patch = |body: serde_json::Value| {
        let settings = &settings;
        let app = &app;
        let token = &owner.token;
        async move {
            let (status, stored) = app.call(Method::PATCH, settings, Some(token), Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{stored}");
            stored
        }
    };
    let stored = patch(json!({"ask_contact_at_handoff": false})).await;
    assert_eq!(stored["settings"]["ask_contact_at_handoff"], false, "{stored}");
    assert_eq!(ask().await, false);
    // AI-only mode hands nothing off, so it asks nothing at hand-off either.
    patch(json!({"ask_contact_at_handoff": true, "ai_only_mode": true})).await;
    assert_eq!(ask().await, false);
    patch(json!({"ai_only_mode": false})).await;
    assert_eq!(ask().await, true);
    let (status, refused) =
        app.call(Method::PATCH, &settings, Some(&owner.token), Some(json!({"ask_contact_at_handoff": "yes"}))).await;
    assert!(status.is_client_error(), "{refused}");
    assert_eq!(ask().await, true, "a refused change keeps what was stored");
}

#[tokio::test]
async fn ai_only_mode_never_hands_off_and_says_what_it_cannot_do() {
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/settings", owner.org_id),
            Some(&owner.token),
            Some(json!({"ai_only_mode": true, "contact_route": "support@brightbox.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // No person can take over, so the widget is told not to offer one.
    let (status, body) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["config"]["show_escalation_cta"], false, "{body}");
    let token = session(&app, &key).await;
    let refund = say(&app, &token, "I want a refund now").await;
    assert_eq!(refund["status"], "ai");
    let text = refund["reply"]["text"].as_str().expect("text");
    assert!(
        text.contains("no human support") && text.ends_with("You can reach us at support@brightbox.example."),
        "{text}"
    );
    let unknown = say(&app, &token, "Ich möchte wissen, wie hoch die Berge auf dem Mars sind").await;
    assert_eq!(unknown["status"], "ai");
    assert_eq!(unknown["reply"]["language"], "de");
    let text = unknown["reply"]["text"].as_str().expect("text");
    assert!(text.starts_with("Das weiß ich leider nicht"), "{text}");
    assert!(text.ends_with("Sie erreichen uns unter support@brightbox.example."), "{text}");
    let (_, conv) = app.get("/api/v1/widget/messages", Some(&token)).await;
    assert_eq!(conv["status"], "ai", "AI-only mode never escalates: {conv}");
    let answer = say(&app, &token, "Do gift cards expire?").await;
    assert_eq!(answer["reply"]["citations"][0]["title"], "Gift cards", "{answer}");
}

#[tokio::test]
async fn a_resolved_conversation_is_closed_and_the_next_message_starts_fresh() {
    let app = TestApp::spawn().await;
    let (_, key) = help_centre(&app, "owner@example.com").await;
    let token = session(&app, &key).await;
    let turn = say(&app, &token, "Let me talk to a real person").await;
    let first = turn["conversation_id"].as_str().expect("id").to_owned();
    app.services
        .db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = $1::uuid",
            [first.clone().into()],
        ))
        .await
        .expect("resolve");
    let turn = say(&app, &token, "Do gift cards expire?").await;
    assert_eq!(turn["status"], "ai", "{turn}");
    assert_ne!(turn["conversation_id"].as_str(), Some(first.as_str()), "a new conversation");
    assert_eq!(turn["reply"]["citations"][0]["title"], "Gift cards");
}

#[tokio::test]
async fn the_pre_chat_form_is_required_when_configured_and_validated() {
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    app.call(
        Method::PATCH,
        &format!("/api/v1/orgs/{}/settings", owner.org_id),
        Some(&owner.token),
        Some(json!({"require_contact": true})),
    )
    .await;
    let (_, s) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
    assert_eq!(s["config"]["require_contact"], true);
    let token = s["visitor_token"].as_str().expect("token");
    let (status, body) = app.post("/api/v1/widget/messages", Some(token), json!({"text": "Hello"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) =
        app.post("/api/v1/widget/contact", Some(token), json!({"name": "Bo", "email": "not-an-email"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) =
        app.post("/api/v1/widget/contact", Some(token), json!({"name": "Bo", "email": "bo@example.com"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(say(&app, token, "Do gift cards expire?").await["status"], "ai");
}

#[tokio::test]
async fn sessions_resume_feedback_is_scoped_and_bad_input_is_refused() {
    let app = TestApp::spawn().await;
    let (_, key) = help_centre(&app, "owner@example.com").await;
    let (status, _) = app.post("/api/v1/widget/session", None, json!({"widget_key": "wk_does_not_exist"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post("/api/v1/widget/messages", Some("bogus-token"), json!({"text": "hi"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let token = session(&app, &key).await;
    let turn = say(&app, &token, "Do gift cards expire?").await;
    let answer_id = turn["reply"]["id"].as_str().expect("id").to_owned();
    let (status, resumed) =
        app.post("/api/v1/widget/session", None, json!({"widget_key": key, "visitor_token": token})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resumed["visitor_token"], token.as_str(), "same visitor");
    assert_eq!(resumed["conversation_id"], turn["conversation_id"]);
    assert_eq!(resumed["messages"].as_array().map(Vec::len), Some(2), "history restored");
    let (_, after) = app
        .get(
            &format!("/api/v1/widget/messages?after={}", resumed["messages"][0]["id"].as_str().expect("id")),
            Some(&token),
        )
        .await;
    assert_eq!(after["messages"].as_array().map(Vec::len), Some(1));

    let (status, _) = app
        .post(&format!("/api/v1/widget/messages/{answer_id}/feedback"), Some(&token), json!({"helpful": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let stranger = session(&app, &key).await;
    let (status, _) = app
        .post(&format!("/api/v1/widget/messages/{answer_id}/feedback"), Some(&stranger), json!({"helpful": false}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another visitor's message");

    let (status, _) = app.post("/api/v1/widget/messages", Some(&token), json!({"text": "   "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.post("/api/v1/widget/messages", Some(&token), json!({"text": "x".repeat(20_000)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.post("/api/v1/widget/messages", Some(&token), json!({"text": "hi\u{0007}there"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, msgs) = app.get("/api/v1/widget/messages", Some(&token)).await;
    assert_eq!(msgs["messages"].as_array().map(Vec::len), Some(2), "refused messages are not stored");
}

#[tokio::test]
async fn a_visitor_of_one_organisation_never_sees_another_organisations_knowledge_or_session() {
    let app = TestApp::spawn().await;
    let (_, key_a) = help_centre(&app, "a@a.example").await;
    let b = app.signup("b@b.example").await;
    let (_, org_b) = app.get(&format!("/api/v1/orgs/{}", b.org_id), Some(&b.token)).await;
    let key_b = org_b["widget_key"].as_str().expect("key");

    let token_b = session(&app, key_b).await;
    let turn = say(&app, &token_b, "Do gift cards expire?").await;
    assert_eq!(turn["status"], "escalated", "org B has no such knowledge: {turn}");
    assert!(turn["reply"]["citations"].is_null());

    // A token from org A opens a fresh visitor in org B, never A's conversation.
    let token_a = session(&app, &key_a).await;
    say(&app, &token_a, "Do gift cards expire?").await;
    let (_, s) = app.post("/api/v1/widget/session", None, json!({"widget_key": key_b, "visitor_token": token_a})).await;
    assert_ne!(s["visitor_token"], token_a.as_str());
    assert_eq!(s["messages"], json!([]));
}

#[tokio::test]
async fn the_widget_api_answers_cors_preflights_from_any_site() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .request(Method::OPTIONS, format!("{}/api/v1/widget/messages", app.address))
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .send()
        .await
        .expect("preflight");
    assert!(resp.status().is_success());
    assert_eq!(resp.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
    let resp = app
        .client
        .request(Method::OPTIONS, format!("{}/api/v1/auth/login", app.address))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(
        resp.headers().get("access-control-allow-origin").is_none(),
        "the dashboard API is not open to other sites"
    );
}

#[tokio::test]
async fn a_widget_limited_to_its_sites_refuses_pages_on_other_sites() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let key = org["widget_key"].as_str().expect("widget key").to_owned();
    let session_from = |origin: Option<&'static str>| {
        let mut req = app.client.post(format!("{}/api/v1/widget/session", app.address));
        if let Some(origin) = origin {
            req = req.header("Origin", origin);
        }
        req.json(&json!({"widget_key": key})).send()
    };
    // No list: any site, as before.
    let open = session_from(Some("https://anyone.example")).await.expect("session");
    assert_eq!(open.status(), StatusCode::OK);
    let token = open.json::<Value>().await.expect("json")["visitor_token"].as_str().expect("token").to_owned();

    // A site address that is not one is refused and nothing is stored.
    let settings = format!("/api/v1/orgs/{}/settings", owner.org_id);
    let (status, body) = app
        .call(Method::PATCH, &settings, Some(&owner.token), Some(json!({"allowed_origins": ["ftp://shop.example"]})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(session_from(Some("https://anyone.example")).await.expect("session").status().is_success());

    let (status, body) = app
        .call(
            Method::PATCH,
            &settings,
            Some(&owner.token),
            Some(json!({"allowed_origins": ["https://Shop.Example/", "localhost:8080"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["allowed_origins"], json!(["https://shop.example", "https://localhost:8080"]));

    assert_eq!(session_from(Some("https://shop.example")).await.expect("session").status(), StatusCode::OK);
    let refused = session_from(Some("https://copycat.example")).await.expect("session");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let error = refused.json::<Value>().await.expect("json")["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("https://copycat.example") && error.contains("Allowed sites"), "{error}");
    assert_eq!(session_from(None).await.expect("session").status(), StatusCode::OK, "no Origin: not a browser page");

    // A token made elsewhere does not work from another site either: messages, history, stream.
    let send = |origin: &'static str| {
        app.client
            .post(format!("{}/api/v1/widget/messages", app.address))
            .header("Origin", origin)
            .bearer_auth(&token)
            .json(&json!({"text": "Hello?"}))
            .send()
    };
    assert_eq!(send("https://copycat.example").await.expect("send").status(), StatusCode::FORBIDDEN);
    assert_eq!(send("https://shop.example").await.expect("send").status(), StatusCode::OK);
    let history = app
        .client
        .get(format!("{}/api/v1/widget/messages", app.address))
        .header("Origin", "https://copycat.example")
        .bearer_auth(&token)
        .send()
        .await
        .expect("history");
    assert_eq!(history.status(), StatusCode::FORBIDDEN);
    let stream = app
        .client
        .get(app.stream_url(&token).await)
        .header("Origin", "https://copycat.example")
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::FORBIDDEN);

    // Emptying the list opens the widget to any site again.
    let (status, _) =
        app.call(Method::PATCH, &settings, Some(&owner.token), Some(json!({"allowed_origins": []}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session_from(Some("https://copycat.example")).await.expect("session").status(), StatusCode::OK);
}

#[tokio::test]
async fn a_visitor_over_the_rate_limit_gets_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let token = session(&app, org["widget_key"].as_str().expect("key")).await;
    let mut statuses = Vec::new();
    for _ in 0..65 {
        let resp = app
            .client
            .get(format!("{}/api/v1/widget/messages", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        statuses.push((resp.status(), resp.headers().get("retry-after").is_some()));
    }
    assert!(statuses[..60].iter().all(|(s, _)| *s == StatusCode::OK), "the first 60 in a minute pass");
    // 60 a minute, refilled one a second: of the next few, at least one is refused.
    assert!(statuses[60..].contains(&(StatusCode::TOO_MANY_REQUESTS, true)), "{statuses:?}");
}

#[tokio::test]
async fn the_live_stream_pushes_status_changes_and_system_messages_to_the_widget() {
    use futures_util::StreamExt as _;
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let token = session(&app, org["widget_key"].as_str().expect("key")).await;
    let other = session(&app, org["widget_key"].as_str().expect("key")).await;

    let resp = app.client.get(app.stream_url(&token).await).send().await.expect("stream");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"))
    );
    let mut body = resp.bytes_stream();

    // Another visitor's escalation must not reach this stream; this visitor's must.
    let (status, _) = app.call(Method::POST, "/api/v1/widget/escalate", Some(&other), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, turn) = app.call(Method::POST, "/api/v1/widget/escalate", Some(&token), None).await;
    let mine = turn["conversation_id"].as_str().expect("id").to_owned();

    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !(received.contains("event: status") && received.contains("event: message")) {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("events in time")
            .expect("open")
            .expect("bytes");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(received.contains(&mine), "{received}");
    assert!(received.contains("\"role\":\"system\""), "{received}");
    let theirs = app
        .post("/api/v1/widget/session", None, json!({"widget_key": org["widget_key"], "visitor_token": other}))
        .await
        .1;
    assert!(!received.contains(theirs["conversation_id"].as_str().expect("id")), "another visitor's events stay out");

    let (status, _) = app.get("/api/v1/widget/stream?ticket=nope", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_live_stream_takes_a_single_use_ticket_never_the_visitor_token() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let token = session(&app, org["widget_key"].as_str().expect("key")).await;

    // The long-lived token in a URL opens nothing (it would sit in proxies' logs).
    let (status, body) = app.get(&format!("/api/v1/widget/stream?token={token}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A ticket needs the token in the header.
    let (status, _) = app.call(Method::POST, "/api/v1/widget/stream-ticket", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::POST, "/api/v1/widget/stream-ticket", Some("nope"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, ticket) = app.call(Method::POST, "/api/v1/widget/stream-ticket", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ticket["expires_in"].as_i64().is_some_and(|s| (1..=300).contains(&s)), "{ticket}");
    let url = format!("{}/api/v1/widget/stream?ticket={}", app.address, ticket["ticket"].as_str().expect("ticket"));
    let first = app.client.get(&url).send().await.expect("stream");
    assert_eq!(first.status(), StatusCode::OK);
    // Used once, it is spent: a copy from a log (or a second tab) is refused.
    let again = app.client.get(&url).send().await.expect("stream");
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    drop(first);

    // An unused ticket expires.
    let (_, stale) = app.call(Method::POST, "/api/v1/widget/stream-ticket", Some(&token), None).await;
    let stale = stale["ticket"].as_str().expect("ticket").to_owned();
    expire_ticket(&app, &stale).await;
    let (status, _) = app.get(&format!("/api/v1/widget/stream?ticket={stale}"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The hourly sweep removes what expired unused (the spent ticket is gone already).
    let (_, fresh) = app.call(Method::POST, "/api/v1/widget/stream-ticket", Some(&token), None).await;
    assert!(fresh["ticket"].is_string());
    assert_eq!(app.services.sweep_stream_tickets(chrono::Utc::now()).await.expect("sweep"), 1);
}

/// Moves a stream ticket's expiry into the past (waiting a minute in a test is not an option).
async fn expire_ticket(app: &TestApp, ticket: &str) {
    use sea_orm::{ConnectionTrait as _, Statement};
    let hash = domain::tokens::hash_token(ticket);
    let done = app
        .services
        .db
        .execute_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "UPDATE stream_tickets SET expires_at = now() - interval '1 second' WHERE ticket_hash = $1",
            [hash.into()],
        ))
        .await
        .expect("expire");
    assert_eq!(done.rows_affected(), 1);
}

async fn contacts(app: &TestApp) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    let rows = app
        .services
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT organization_id::text AS org, name, email, phone FROM contacts ORDER BY created_at",
        ))
        .await
        .expect("contacts");
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "org").expect("org"),
                r.try_get("", "name").expect("name"),
                r.try_get("", "email").expect("email"),
                r.try_get("", "phone").expect("phone"),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_contact_per_email_per_organisation_grows_from_forms_and_messages() {
    let app = TestApp::spawn().await;
    let a = app.signup("a@example.com").await;
    let b = app.signup("b@example.com").await;
    let key_of = |org: Value| org["widget_key"].as_str().expect("key").to_owned();
    let key_a = key_of(app.get(&format!("/api/v1/orgs/{}", a.org_id), Some(&a.token)).await.1);
    let key_b = key_of(app.get(&format!("/api/v1/orgs/{}", b.org_id), Some(&b.token)).await.1);
    let contact = |token: String, name: &'static str, email: &'static str| {
        let app = &app;
        async move {
            let (status, body) =
                app.post("/api/v1/widget/contact", Some(&token), json!({"name": name, "email": email})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };

    // One contact per email. Another browser giving the same email is only a claim: the stored
    // contact keeps its name (an agent merges after checking).
    let first = session(&app, &key_a).await;
    contact(first.clone(), "Ana", "Ana@Example.com").await;
    contact(session(&app, &key_a).await, "Ana García", "ana@example.COM").await;
    // The same email in another organisation is another organisation's contact.
    contact(session(&app, &key_b).await, "A. G.", "ana@example.com").await;
    let all = contacts(&app).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0], (a.org_id.clone(), Some("Ana".into()), Some("ana@example.com".into()), None));
    assert_eq!(all[1].0, b.org_id);
    // On her own browser, a fuller name does replace the shorter one.
    contact(first.clone(), "Ana García", "ana@example.com").await;
    assert_eq!(contacts(&app).await[0].1.as_deref(), Some("Ana García"));

    // Details written in messages: a phone joins the contact; an anonymous visitor's email makes one.
    say(&app, &first, "You can call me on +34 612 345 678 about my order 4417").await;
    let anonymous = session(&app, &key_a).await;
    say(&app, &anonymous, "please answer to bob.smith@example.org, my order never came").await;
    let all = contacts(&app).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[0].3.as_deref(), Some("+34612345678"));
    assert_eq!(all[2], (a.org_id.clone(), None, Some("bob.smith@example.org".into()), None));
    // The contact form later fills in the name on that same contact.
    contact(anonymous, "Bob Smith", "BOB.SMITH@example.org").await;
    let all = contacts(&app).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[2].1.as_deref(), Some("Bob Smith"));
}

#[tokio::test]
async fn a_message_resent_with_the_same_client_id_is_stored_once() {
    let app = TestApp::spawn().await;
    let (_, key) = help_centre(&app, "owner@example.com").await;
    let token = session(&app, &key).await;
    let body = json!({"text": "Do gift cards expire?", "client_id": "7d444840-9dc0-11d1-b245-5ffdce74fad2"});
    let (status, first) = app.post("/api/v1/widget/messages", Some(&token), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["reply"]["role"], "ai", "{first}");
    let (status, again) = app.post("/api/v1/widget/messages", Some(&token), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((again["reply"].clone(), again["status"].clone()), (Value::Null, json!("ai")), "{again}");

    // Two re-sends racing each other: still one message.
    let racing = json!({"text": "And what about vouchers?", "client_id": "0b8c2b3a-1f2e-4c55-9d7e-3b6a8f1e2d4c"});
    let (a, b) = tokio::join!(
        app.post("/api/v1/widget/messages", Some(&token), racing.clone()),
        app.post("/api/v1/widget/messages", Some(&token), racing.clone())
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
    let (_, all) = app.get("/api/v1/widget/messages", Some(&token)).await;
    let visitor_lines: Vec<&str> = all["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "visitor")
        .map(|m| m["text"].as_str().expect("text"))
        .collect();
    assert_eq!(visitor_lines, ["Do gift cards expire?", "And what about vouchers?"]);

    // Another visitor cannot reuse someone's id.
    let other = session(&app, &key).await;
    let (status, _) = app.post("/api/v1/widget/messages", Some(&other), body).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_escalation_reason_that_is_off_leaves_the_message_with_the_ai() {
    use crate::helpers::{visitor_says, visitor_session};
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    let refund = "I want my money back for the jacket I returned last week.";
    let unknown = "Do you sponsor the local chess club?";

    // By default both hand off.
    let token = visitor_session(&app, &key).await;
    assert_eq!(visitor_says(&app, &token, refund).await["status"], "escalated");
    let token = visitor_session(&app, &key).await;
    assert_eq!(visitor_says(&app, &token, unknown).await["status"], "escalated");

    let settings = format!("/api/v1/orgs/{}/settings", owner.org_id);
    let (status, body) =
        app.call(Method::PATCH, &settings, Some(&owner.token), Some(json!({"escalation_reasons": ["nonsense"]}))).await;
    assert!(status.is_client_error(), "an unknown reason is refused: {status} {body}");
    let (status, body) = app
        .call(
            Method::PATCH,
            &settings,
            Some(&owner.token),
            Some(json!({"escalation_reasons": ["requested", "complaint", "requested"], "contact_route": "help@shop.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["escalation_reasons"], json!(["complaint", "requested"]));

    // Refund off: the AI keeps the conversation (answering from the knowledge base or saying it
    // does not know); low confidence off: "I don't know" with the contact route, no hand-off.
    let token = visitor_session(&app, &key).await;
    let turn = visitor_says(&app, &token, refund).await;
    assert_eq!(turn["status"], "ai", "{turn}");
    let token = visitor_session(&app, &key).await;
    let turn = visitor_says(&app, &token, unknown).await;
    assert_eq!(turn["status"], "ai", "{turn}");
    let text = turn["reply"]["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("Sorry, I don't know") && text.contains("help@shop.example"), "{text}");
    // The visitor's own button still reaches a person.
    let (status, turn) = app.call(Method::POST, "/api/v1/widget/escalate", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    assert_eq!(turn["status"], "escalated", "{turn}");
}

/// While a conversation waits in the queue, what the visitor adds reaches the hand-off summary
/// (still 2–4 sentences); once an agent holds it, the summary is left as the agent read it.
#[tokio::test]
async fn the_hand_off_summary_follows_what_the_visitor_adds_while_waiting() {
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    let token = session(&app, &key).await;
    let turn = say(&app, &token, "I want to speak to a person please").await;
    assert_eq!(turn["status"], "escalated", "{turn}");
    let id = turn["conversation_id"].as_str().expect("id").to_owned();
    let before = conversation_row(&app, &id).await["summary"].as_str().expect("summary").to_owned();

    let more = say(&app, &token, "My order number is 48213 and the lamp flickers").await;
    assert!(more["reply"].is_null(), "the AI stays silent: {more}");
    let after = conversation_row(&app, &id).await["summary"].as_str().expect("summary").to_owned();
    assert_ne!(before, after);
    assert!(after.contains("48213"), "{after}");
    let sentences = after.matches(". ").count() + 1;
    assert!((2..=4).contains(&sentences), "{after}");

    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/orgs/{}/conversations/{id}/claim", owner.org_id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    say(&app, &token, "Also it arrived late").await;
    assert_eq!(conversation_row(&app, &id).await["summary"].as_str(), Some(after.as_str()), "claimed: unchanged");
}

#[tokio::test]
async fn typing_shows_both_ways_once_a_person_has_the_conversation_and_is_never_stored() {
    use domain::conversation::ConversationEvent;
    use futures_util::StreamExt as _;
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    let token = session(&app, org["widget_key"].as_str().expect("key")).await;
    let mut events = app.services.subscribe();
    let next_typing = |events: &mut tokio::sync::broadcast::Receiver<ConversationEvent>| {
        let mut events = events.resubscribe();
        async move {
            tokio::time::timeout(std::time::Duration::from_secs(5), async {
                loop {
                    match events.recv().await {
                        Ok(e @ ConversationEvent::Typing { .. }) => return Some(e),
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => return None,
                    }
                }
            })
            .await
            .ok()
            .flatten()
        }
    };

    // With the AI answering, nobody watches: the ping is accepted and goes nowhere.
    let waiting = next_typing(&mut events);
    let (status, _) = app.call(Method::POST, "/api/v1/widget/typing", Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(waiting.await.is_none(), "no typing event before a hand-off");

    let (_, turn) = app.call(Method::POST, "/api/v1/widget/escalate", Some(&token), None).await;
    let id: uuid::Uuid = turn["conversation_id"].as_str().expect("id").parse().expect("uuid");

    // The visitor types: the team hears it (no agent in it).
    let waiting = next_typing(&mut events);
    let (status, _) = app.call(Method::POST, "/api/v1/widget/typing", Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    match waiting.await {
        Some(ConversationEvent::Typing { conversation_id, agent: None, .. }) => assert_eq!(conversation_id, id),
        other => panic!("the visitor's typing: {other:?}"),
    }

    // An agent types: the visitor's stream says who, by first name only.
    let resp = app.client.get(app.stream_url(&token).await).send().await.expect("stream");
    let mut body = resp.bytes_stream();
    let actor = app.services.authenticate(&owner.token).await.expect("actor");
    let org_id: uuid::Uuid = owner.org_id.parse().expect("uuid");
    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !received.contains("event: typing") {
        app.services.agent_typing(&actor, org_id, id).await.expect("typing");
        if let Ok(Some(Ok(chunk))) = tokio::time::timeout(std::time::Duration::from_millis(300), body.next()).await {
            received.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(tokio::time::Instant::now() < deadline, "no typing event: {received}");
    }
    let first_name = app.services.authenticate(&owner.token).await.expect("actor").user.name;
    let first_name = first_name.split_whitespace().next().expect("a name");
    assert!(received.contains(&format!("\"name\":\"{first_name}\"")), "{received}");
    assert!(!received.contains("owner@example.com"), "{received}");

    // Nothing of it is a message.
    let (_, messages) = app.get("/api/v1/widget/messages", Some(&token)).await;
    assert!(messages["messages"].as_array().is_some_and(|m| m.iter().all(|m| m["role"] == "system")), "{messages}");

    // Another organisation cannot type into this conversation.
    let stranger = app.signup("stranger@example.com").await;
    let outsider = app.services.authenticate(&stranger.token).await.expect("actor");
    assert!(app.services.agent_typing(&outsider, org_id, id).await.is_err());
}

#[tokio::test]
async fn office_hours_tell_the_widget_when_the_team_is_back_and_bad_ones_change_nothing() {
    use chrono::{Datelike, Duration, Utc};
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    let config = || async {
        let (status, body) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["config"]["office_hours"].clone()
    };
    assert_eq!(config().await, Value::Null, "no office hours: nothing to say");

    // Open only tomorrow (UTC), 09:00 to 10:00: away now, back tomorrow at 09:00.
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let mut days = vec![""; 7];
    days[tomorrow.weekday().num_days_from_monday() as usize] = "9:00-10:00";
    let saved = app.patch_settings(&owner, json!({"office_hours": {"time_zone": "UTC", "days": days}})).await;
    assert_eq!(
        saved["settings"]["office_hours"]["days"][tomorrow.weekday().num_days_from_monday() as usize],
        "09:00-10:00"
    );
    let hours = config().await;
    assert_eq!(hours["open"], false, "{hours}");
    let back: chrono::DateTime<Utc> = hours["back_at"].as_str().expect("back_at").parse().expect("a time");
    assert_eq!(back, tomorrow.and_hms_opt(9, 0, 0).expect("09:00").and_utc());

    // Every day, all day: open.
    app.patch_settings(
        &owner,
        json!({"office_hours": {"time_zone": "Pacific/Auckland", "days": vec!["00:00-24:00"; 7]}}),
    )
    .await;
    assert_eq!(config().await, json!({"open": true, "back_at": null}));

    // An unknown zone or a closing before the opening: 4xx naming the problem; nothing changes.
    let settings = format!("/api/v1/orgs/{}/settings", owner.org_id);
    for (zone, day, says) in [("Mars/Olympus", "09:00-17:00", "not a time zone"), ("UTC", "17:00-09:00", "Monday")] {
        let mut days = vec![""; 7];
        days[0] = day;
        let (status, body) = app
            .call(
                Method::PATCH,
                &settings,
                Some(&owner.token),
                Some(json!({"office_hours": {"time_zone": zone, "days": days}})),
            )
            .await;
        assert!(status.is_client_error(), "{status} {body}");
        assert!(body.to_string().contains(says), "{body}");
    }
    assert_eq!(config().await, json!({"open": true, "back_at": null}), "a refused change keeps what was stored");
}

#[tokio::test]
async fn racing_first_messages_of_one_visitor_open_one_conversation() {
    let app = TestApp::spawn().await;
    let (_owner, key) = help_centre(&app, "owner@example.com").await;
    let token = session(&app, &key).await;
    let send = |text: &'static str| {
        let (app, token) = (&app, token.clone());
        async move { app.post("/api/v1/widget/messages", Some(&token), json!({"text": text})).await }
    };
    let (a, b, c, d) = tokio::join!(
        send("Hello, I have a question"),
        send("Are you there?"),
        send("Do you ship abroad?"),
        send("What are your opening hours?")
    );
    let ids: std::collections::BTreeSet<String> = [a, b, c, d]
        .into_iter()
        .map(|(status, body)| {
            assert_eq!(status, StatusCode::OK, "{body}");
            body["conversation_id"].as_str().expect("conversation").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one conversation: {ids:?}");
    let row = app
        .services
        .db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT count(*) AS n FROM conversations"))
        .await
        .expect("count")
        .expect("row");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1);
}

#[tokio::test]
async fn a_stream_that_may_have_missed_events_is_told_to_read_again() {
    use futures_util::StreamExt as _;
    let app = TestApp::spawn().await;
    let (_owner, key) = help_centre(&app, "owner@example.com").await;
    let token = session(&app, &key).await;
    let resp = app.client.get(app.stream_url(&token).await).send().await.expect("stream");
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.bytes_stream();
    // The instance's LISTEN connection drops (a failover, a restarted pooler): events published
    // meanwhile never reached it, so every open stream is told to read again.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut received = String::new();
    while !received.contains("event: resync") {
        app.services
            .db
            .execute_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
            ))
            .await
            .expect("terminate the listener");
        match tokio::time::timeout(std::time::Duration::from_secs(2), body.next()).await {
            Ok(Some(Ok(chunk))) => received.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(other) => panic!("the stream ended: {other:?}"),
            Err(_) => assert!(tokio::time::Instant::now() < deadline, "no resync: {received}"),
        }
    }
}

#[tokio::test]
async fn a_visitor_claiming_a_customers_email_changes_nothing_until_an_agent_merges() {
    let app = TestApp::spawn().await;
    let (owner, key) = help_centre(&app, "owner@example.com").await;
    // The customer, on their own browser: name, email, and a phone number in a message.
    let customer = session(&app, &key).await;
    let (status, _) = app
        .post("/api/v1/widget/contact", Some(&customer), json!({"name": "Ana García", "email": "ana@example.com"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    say(&app, &customer, "Please call me on +34 612 345 678 about my order").await;
    let contact_of = |conversation: String| {
        let (app, owner) = (&app, &owner);
        async move {
            let (_, c) = app
                .get(&format!("/api/v1/orgs/{}/conversations/{conversation}", owner.org_id), Some(&owner.token))
                .await;
            c
        }
    };
    let (_, list) =
        app.get(&format!("/api/v1/orgs/{}/conversations?status=all", owner.org_id), Some(&owner.token)).await;
    let customers = list[0]["id"].as_str().expect("id").to_owned();
    let before = contact_of(customers.clone()).await["contact"].clone();
    assert_eq!(before["phone"], "+34612345678", "{before}");

    // Someone else types Ana's email with another name and phone number.
    let stranger = session(&app, &key).await;
    let (status, _) = app
        .post(
            "/api/v1/widget/contact",
            Some(&stranger),
            json!({"name": "Mallory Ana García", "email": "ANA@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let turn = say(&app, &stranger, "My new number is +44 7700 900123, call me please").await;
    let theirs = turn["conversation_id"].as_str().expect("id").to_owned();
    assert_eq!(contact_of(customers.clone()).await["contact"], before, "the stored contact is unchanged");
    let view = contact_of(theirs.clone()).await;
    assert_eq!(view["contact"]["email"], Value::Null, "not linked to Ana's contact: {view}");
    assert_eq!(view["claimed"]["email"], "ana@example.com", "{view}");
    assert_eq!(view["visitor_label"], "Mallory Ana García (unverified)");

    // An agent confirms it is the same person: one action, logged.
    let merge = format!("/api/v1/orgs/{}/conversations/{theirs}/merge-contact", owner.org_id);
    let (status, body) = app.call(Method::POST, &merge, Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let view = contact_of(theirs).await;
    assert_eq!(view["contact"]["email"], "ana@example.com", "{view}");
    assert_eq!(view["claimed"], Value::Null);
    let (status, _) = app.call(Method::POST, &merge, Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing left to merge");
    let row = app
        .services
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'contact.merge'",
        ))
        .await
        .expect("audit")
        .expect("row");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1);
}
