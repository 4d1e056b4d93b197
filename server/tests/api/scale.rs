//! Several instances on one Postgres, as an operator runs them behind a load balancer: each
//! request of one visitor or agent may land on any instance.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use serde_json::json;

use crate::alerts::Receiver;
use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn four_instances_on_one_database_serve_one_visitor_and_agent_and_do_each_job_once() {
    let db = Arc::new(TestDb::create().await);
    let mut settings = TestApp::settings();
    settings.allow_private_webhooks = true;
    settings.outbox_retry_seconds = 0.05;
    let instances =
        futures_util::future::join_all((0..4).map(|_| TestApp::spawn_configured_on(db.clone(), settings.clone())))
            .await;
    let [a, b, c, d] = &instances[..] else { unreachable!() };
    let receiver = Receiver::start(&[200]).await;

    // The team works on the fourth instance.
    let owner = d.signup("owner@example.com").await;
    let (status, _) = d
        .post(
            &format!("/api/v1/orgs/{}/webhooks", owner.org_id),
            Some(&owner.token),
            json!({"url": receiver.url, "events": ["conversation.escalated"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, org) = d.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;

    // A document added through one instance is ingested once, whichever worker takes it.
    let (status, doc) = a
        .post(
            &format!("/api/v1/orgs/{}/documents", owner.org_id),
            Some(&owner.token),
            json!({"title": "Shipping", "content": "Express delivery costs 9 euros and arrives the next day.\n\nStandard delivery is free over 50 euros."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    let doc_id = doc["id"].as_str().expect("id");
    crate::helpers::document_ready(b, &owner, doc_id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let chunks = a
        .services
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n, count(DISTINCT ordinal) AS distinct_n FROM chunks WHERE document_id = $1::uuid",
            [doc_id.into()],
        ))
        .await
        .expect("chunks")
        .expect("row");
    let (n, distinct): (i64, i64) = (chunks.try_get("", "n").expect("n"), chunks.try_get("", "distinct_n").expect("d"));
    assert!(n > 0 && n == distinct, "each passage stored once: {n} rows, {distinct} ordinals");

    // The visitor: session on one instance, stream on another (its ticket from a third),
    // messages on the third.
    let (_, session) = a.post("/api/v1/widget/session", None, json!({"widget_key": org["widget_key"]})).await;
    let token = session["visitor_token"].as_str().expect("token").to_owned();
    let stream = c.client.get(b.stream_url(&token).await.replace(&b.address, &c.address)).send().await.expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    let mut events = stream.bytes_stream();
    let (_, turn) =
        b.post("/api/v1/widget/messages", Some(&token), json!({"text": "How much is express delivery?"})).await;
    assert!(turn["reply"]["text"].as_str().is_some_and(|t| t.contains("9 euros")), "{turn}");
    let (_, turn) =
        b.post("/api/v1/widget/messages", Some(&token), json!({"text": "I want to talk to a person"})).await;
    assert_eq!(turn["status"], "escalated", "{turn}");
    let conversation = turn["conversation_id"].as_str().expect("id").to_owned();

    // Two agents claim at once through two instances: one wins.
    let second = a.add_member(&owner, &owner.org_id, "second@example.com", "agent").await;
    let claim_url = format!("/api/v1/orgs/{}/conversations/{conversation}/claim", owner.org_id);
    let (one, other) = tokio::join!(
        c.call(Method::POST, &claim_url, Some(&owner.token), None),
        d.call(Method::POST, &claim_url, Some(&second.token), None)
    );
    let (one, other) = (one.0, other.0);
    let mut statuses = [one, other];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);

    // The holder's reply (through whichever instance) reaches the stream on another one.
    let holder = if one == StatusCode::OK { &owner } else { &second };
    let (status, _) = a
        .post(
            &format!("/api/v1/orgs/{}/conversations/{conversation}/messages", owner.org_id),
            Some(&holder.token),
            json!({"text": "Hello from the team"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !received.contains("Hello from the team") {
        let chunk =
            tokio::time::timeout_at(deadline, events.next()).await.expect("in time").expect("open").expect("bytes");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(received.contains("event: status") && received.contains("escalated"), "{received}");

    // Four outbox workers, one escalation: one webhook call and one mail.
    receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls = receiver.received();
    assert_eq!(calls.len(), 1, "delivered exactly once: {calls:#?}");
    let mails = a
        .services
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'delivered') AS delivered \
             FROM outbox WHERE kind = 'email' AND conversation_id = $1::uuid",
            [conversation.clone().into()],
        ))
        .await
        .expect("mails")
        .expect("row");
    let (n, delivered): (i64, i64) = (mails.try_get("", "n").expect("n"), mails.try_get("", "delivered").expect("d"));
    assert_eq!((n, delivered), (1, 1), "one escalation mail, delivered once");
    let files = std::fs::read_dir(a.settings_data_dir().join("mail"))
        .expect("mail dir")
        .filter_map(Result::ok)
        .filter(|f| {
            std::fs::read_to_string(f.path()).is_ok_and(|t| crate::helpers::readable_mail(&t).contains(&conversation))
        })
        .count();
    assert_eq!(files, 1, "one mail written");
}
