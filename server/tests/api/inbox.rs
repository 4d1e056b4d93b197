//! The agent inbox API: claim races, replies reaching the visitor, resolve/reopen with the
//! `conversation.resolved` webhook, filters and search, stats on known numbers, CSV, isolation.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::alerts::Receiver;
use crate::helpers::{Account, TestApp};

struct Org {
    owner: Account,
    key: String,
}

async fn organisation(app: &TestApp, email: &str) -> Org {
    let owner = app.signup(email).await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&owner.token)).await;
    Org { key: org["widget_key"].as_str().expect("key").to_owned(), owner }
}

/// A new visitor writes `text` (an empty knowledge base: it escalates); returns the visitor's
/// token and the conversation id.
async fn visitor_escalates(app: &TestApp, key: &str, text: &str) -> (String, String) {
    let (_, session) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
    let token = session["visitor_token"].as_str().expect("token").to_owned();
    let (status, turn) = app.post("/api/v1/widget/messages", Some(&token), json!({"text": text})).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    assert_eq!(turn["status"], "escalated", "{turn}");
    (token, turn["conversation_id"].as_str().expect("id").to_owned())
}

fn path(org: &Org, rest: &str) -> String {
    format!("/api/v1/orgs/{}/conversations{rest}", org.owner.org_id)
}

#[tokio::test]
async fn of_two_racing_claims_exactly_one_wins_and_the_loser_learns_who_has_it() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let ana = app.add_member(&org.owner, &org.owner.org_id, "ana@example.com", "agent").await;
    let ben = app.add_member(&org.owner, &org.owner.org_id, "ben@example.com", "agent").await;
    let (_, id) = visitor_escalates(&app, &org.key, "I want to speak to a human").await;

    let claim = |who: Account| {
        let (app, url) = (&app, path(&org, &format!("/{id}/claim")));
        async move { app.post(&url, Some(&who.token), json!({})).await }
    };
    let (a, b) = tokio::join!(claim(ana.clone()), claim(ben.clone()));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let (winner, loser) = if a.0 == StatusCode::OK { (a.1, b.1) } else { (b.1, a.1) };
    assert_eq!(winner["status"], "claimed");
    assert!(loser["error"].as_str().is_some_and(|e| e.contains("Test Person already claimed")), "{loser}");
    // Claiming again by the holder is fine; the detail shows who has it.
    let holder = if winner["claimed_by"] == ana.user_id.as_str() { &ana } else { &ben };
    let (status, _) = app.post(&path(&org, &format!("/{id}/claim")), Some(&holder.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_agent_reply_reaches_the_visitor_and_resolve_and_reopen_follow_the_state_machine() {
    let receiver = Receiver::start(&[200]).await;
    let mut settings = TestApp::settings();
    settings.allow_private_webhooks = true;
    let app = TestApp::spawn_configured(settings).await;
    let org = organisation(&app, "owner@example.com").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/orgs/{}/webhooks", org.owner.org_id),
            Some(&org.owner.token),
            json!({"url": receiver.url, "events": ["conversation.resolved"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (visitor, id) = visitor_escalates(&app, &org.key, "Let me talk to a real person").await;

    let (status, reply) = app
        .post(&path(&org, &format!("/{id}/messages")), Some(&org.owner.token), json!({"text": "Hi, I'm here."}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!((reply["role"].as_str(), reply["author_name"].as_str()), (Some("agent"), Some("Test Person")));
    let (_, seen) = app.get("/api/v1/widget/messages", Some(&visitor)).await;
    assert_eq!(seen["status"], "claimed", "replying claims: {seen}");
    assert!(seen["messages"].as_array().expect("messages").iter().any(|m| m["text"] == "Hi, I'm here."), "{seen}");
    for bad in [json!({"text": "   "}), json!({"text": "x".repeat(4001)})] {
        let (status, _) = app.post(&path(&org, &format!("/{id}/messages")), Some(&org.owner.token), bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    let (status, resolved) = app.post(&path(&org, &format!("/{id}/resolve")), Some(&org.owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resolved["status"], "resolved");
    let got = receiver.wait_for(1).await;
    let body: Value = serde_json::from_str(&got[0].body).expect("json");
    assert_eq!(
        (body["event"].as_str(), body["data"]["conversation_id"].as_str()),
        (Some("conversation.resolved"), Some(id.as_str()))
    );
    let (status, _) =
        app.post(&path(&org, &format!("/{id}/messages")), Some(&org.owner.token), json!({"text": "hello?"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a resolved conversation is reopened before replying");

    let (status, reopened) = app.post(&path(&org, &format!("/{id}/reopen")), Some(&org.owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((reopened["status"].as_str(), reopened["claimed_by"].as_str()), (Some("escalated"), None));
    let (status, _) = app.post(&path(&org, &format!("/{id}/reopen")), Some(&org.owner.token), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_visitor_reads_who_joined_who_replied_and_that_the_conversation_was_resolved() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let ana = app.add_member(&org.owner, &org.owner.org_id, "ana@example.com", "agent").await;
    // A Spanish-speaking visitor: the lines about the conversation are in Spanish too.
    let (visitor, id) = visitor_escalates(&app, &org.key, "Quiero hablar con una persona, por favor").await;
    let lines = |seen: &Value| -> Vec<(String, String, Option<String>)> {
        seen["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["role"] == "system" || m["role"] == "agent")
            .map(|m| {
                (
                    m["role"].as_str().unwrap_or_default().to_owned(),
                    m["text"].as_str().unwrap_or_default().to_owned(),
                    m["author"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };

    for _ in 0..2 {
        let (status, _) = app.post(&path(&org, &format!("/{id}/claim")), Some(&ana.token), json!({})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, seen) = app.get("/api/v1/widget/messages", Some(&visitor)).await;
    let joined: Vec<_> = lines(&seen).into_iter().filter(|(_, text, _)| text.contains("se ha unido")).collect();
    // Once, with the agent's first name only, though the holder claimed twice.
    assert_eq!(
        joined,
        [("system".to_owned(), "Test se ha unido a la conversación".to_owned(), Some("Test".to_owned()))],
        "{seen}"
    );

    // Ana's reply carries her first name; a colleague writing into Ana's conversation does not
    // announce a join.
    let (status, _) =
        app.post(&path(&org, &format!("/{id}/messages")), Some(&ana.token), json!({"text": "Hola, soy Ana."})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post(&path(&org, &format!("/{id}/messages")), Some(&org.owner.token), json!({"text": "Y yo también."}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, seen) = app.get("/api/v1/widget/messages", Some(&visitor)).await;
    let after_claim: Vec<_> =
        lines(&seen).into_iter().skip_while(|(_, text, _)| !text.contains("se ha unido")).collect();
    assert_eq!(
        after_claim,
        [
            ("system".to_owned(), "Test se ha unido a la conversación".to_owned(), Some("Test".to_owned())),
            ("agent".to_owned(), "Hola, soy Ana.".to_owned(), Some("Test".to_owned())),
            ("agent".to_owned(), "Y yo también.".to_owned(), Some("Test".to_owned())),
        ],
        "{seen}"
    );

    // An agent replying to a conversation nobody holds takes it, and says so first.
    let (other_visitor, other) = visitor_escalates(&app, &org.key, "I want to talk to a human").await;
    let (status, _) =
        app.post(&path(&org, &format!("/{other}/messages")), Some(&ana.token), json!({"text": "Hi!"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, seen) = app.get("/api/v1/widget/messages", Some(&other_visitor)).await;
    let tail: Vec<_> = lines(&seen).into_iter().rev().take(2).rev().map(|(_, text, _)| text).collect();
    assert_eq!(tail, ["Test joined the conversation", "Hi!"], "{seen}");

    // Resolving tells the visitor, in their language, how to start anew.
    let (status, _) = app.post(&path(&org, &format!("/{id}/resolve")), Some(&ana.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen) = app.get("/api/v1/widget/messages", Some(&visitor)).await;
    let last = seen["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(last["role"], "system", "{seen}");
    assert!(last["text"].as_str().is_some_and(|t| t.starts_with("Esta conversación se ha cerrado")), "{seen}");
    assert!(last.get("author").is_none(), "{last}");
}

#[tokio::test]
async fn an_anonymous_visitor_is_named_by_their_browser_and_time_zone_until_they_give_a_name() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let session = |time_zone: &'static str| {
        let (app, key) = (&app, org.key.clone());
        async move {
            let response = app
                .client
                .post(format!("{}/api/v1/widget/session", app.address))
                .header("User-Agent", chrome)
                .json(&json!({"widget_key": key, "time_zone": time_zone}))
                .send()
                .await
                .expect("session");
            assert_eq!(response.status(), StatusCode::OK);
            let body: Value = response.json().await.expect("json");
            body["visitor_token"].as_str().expect("token").to_owned()
        }
    };
    let label = |id: String| {
        let (app, org) = (&app, &org);
        async move {
            let (_, c) = app.get(&path(org, &format!("/{id}")), Some(&org.owner.token)).await;
            c["visitor_label"].as_str().unwrap_or_default().to_owned()
        }
    };
    let berlin = session("Europe/Berlin").await;
    let (_, turn) = app.post("/api/v1/widget/messages", Some(&berlin), json!({"text": "I need a person"})).await;
    let id = turn["conversation_id"].as_str().expect("id").to_owned();
    assert_eq!(label(id.clone()).await, "Visitor from Berlin · Chrome on Windows");
    // What a page sends is checked: markup is no time zone.
    let odd = session("<b>x</b>/y").await;
    let (_, turn) = app.post("/api/v1/widget/messages", Some(&odd), json!({"text": "I need a person"})).await;
    assert_eq!(
        label(turn["conversation_id"].as_str().expect("id").to_owned()).await,
        "Anonymous visitor · Chrome on Windows"
    );
    // A name, once given, is what the team reads.
    app.post("/api/v1/widget/contact", Some(&berlin), json!({"name": "Jonas", "email": "jonas@example.com"})).await;
    assert_eq!(label(id).await, "Jonas");
}

#[tokio::test]
async fn filters_and_search_find_conversations_by_status_text_and_contact() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let (token_a, a) = visitor_escalates(&app, &org.key, "My parcel 4471 never arrived, I need a person").await;
    app.post("/api/v1/widget/contact", Some(&token_a), json!({"name": "Ana García", "email": "ana@example.com"})).await;
    let (_, b) = visitor_escalates(&app, &org.key, "I want a refund for the lamp").await;
    let (_, c) = visitor_escalates(&app, &org.key, "Connect me with an agent please").await;
    app.post(&path(&org, &format!("/{a}/claim")), Some(&org.owner.token), json!({})).await;
    app.post(&path(&org, &format!("/{b}/resolve")), Some(&org.owner.token), json!({})).await;
    // The list shows the visitor's own last words, not the hand-off notice that followed them.
    let (_, all) = app.get(&path(&org, "?status=all"), Some(&org.owner.token)).await;
    let entry = all.as_array().expect("list").iter().find(|x| x["id"] == b.as_str()).expect("b").clone();
    assert_eq!(entry["last_message"], "I want a refund for the lamp", "{entry}");

    let ids = |list: &Value| -> Vec<String> {
        let mut ids: Vec<String> =
            list.as_array().expect("list").iter().map(|c| c["id"].as_str().expect("id").to_owned()).collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    for (filter, expected) in [
        ("unresolved", sorted(vec![&a, &c])),
        ("claimed", vec![a.clone()]),
        ("escalated", vec![c.clone()]),
        ("resolved", vec![b.clone()]),
        ("all", sorted(vec![&a, &b, &c])),
    ] {
        let (status, list) = app.get(&path(&org, &format!("?status={filter}")), Some(&org.owner.token)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(ids(&list), expected, "{filter}");
    }
    let (_, list) = app.get(&path(&org, "?status=all&q=parcel%204471"), Some(&org.owner.token)).await;
    assert_eq!(ids(&list), vec![a.clone()]);
    let row = &list[0];
    assert_eq!(row["contact"], json!({"name": "Ana García", "email": "ana@example.com", "phone": null}));
    assert_eq!(row["message_count"], 3, "the visitor's message, the confirmation and who joined: {row}");
    assert!(
        row["handoff_summary"].is_string()
            && row["escalated_at"].is_string()
            && row["escalation_reason"] == "requested",
        "{row}"
    );
    let (_, list) = app.get(&path(&org, "?q=ANA%40EXAMPLE"), Some(&org.owner.token)).await;
    assert_eq!(ids(&list), vec![a.clone()], "search covers the contact's email, case-insensitively");
    let (_, list) = app.get(&path(&org, "?q=100%25"), Some(&org.owner.token)).await;
    assert_eq!(ids(&list), Vec::<String>::new(), "% is matched literally");
    let (status, _) = app.get(&path(&org, "?status=open"), Some(&org.owner.token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The filtered list as CSV.
    let response = app
        .client
        .get(format!("{}{}", app.address, path(&org, ".csv?status=unresolved")))
        .bearer_auth(&org.owner.token)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.expect("body");
    assert_eq!(csv.lines().count(), 3, "a header and two rows: {csv}");
    assert!(csv.contains("\"Ana García\",\"ana@example.com\""), "{csv}");
}

#[tokio::test]
async fn stats_count_the_window_exactly() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let mut ids = Vec::new();
    for text in ["I want a refund", "Let me speak to a human", "I need a person", "Old one: talk to a human"] {
        ids.push(visitor_escalates(&app, &org.key, text).await.1);
    }
    // Shape the fixture: one resolved after 3 hours, one never escalated, one outside the window.
    let sql = format!(
        "UPDATE conversations SET status = 'resolved', escalated_at = now() - interval '5 hours', \
            resolved_at = now() - interval '2 hours' WHERE id = '{}';
         UPDATE conversations SET status = 'ai', escalated_at = NULL, escalation_reason = NULL WHERE id = '{}';
         UPDATE conversations SET created_at = now() - interval '40 days', escalated_at = now() - interval '40 days' WHERE id = '{}';",
        ids[0], ids[1], ids[3]
    );
    app.services.db.execute_unprepared(&sql).await.expect("fixture");

    let (status, stats) =
        app.get(&format!("/api/v1/orgs/{}/stats?days=30", org.owner.org_id), Some(&org.owner.token)).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["total_conversations"], 3, "{stats}");
    assert_eq!(stats["total_escalations"], 2);
    assert_eq!(stats["unresolved"], 1);
    assert_eq!(stats["resolution_rate"], 0.5);
    assert!((stats["escalation_rate"].as_f64().expect("rate") - 2.0 / 3.0).abs() < 1e-9, "{stats}");
    assert!((stats["avg_hours_to_resolve"].as_f64().expect("hours") - 3.0).abs() < 0.01, "{stats}");
    let per_day = stats["per_day"].as_array().expect("per day");
    assert_eq!(per_day.len(), 30);
    assert_eq!(per_day.iter().map(|d| d["escalations"].as_i64().expect("n")).sum::<i64>(), 2);
    let (status, _) = app.get(&format!("/api/v1/orgs/{}/stats?days=0", org.owner.org_id), Some(&org.owner.token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn transcripts_export_as_safe_csv() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let (_, id) =
        visitor_escalates(&app, &org.key, "=HYPERLINK(\"http://evil\") \"quoted\", and a person please").await;
    let response = app
        .client
        .get(format!("{}{}", app.address, path(&org, &format!("/{id}/transcript.csv"))))
        .bearer_auth(&org.owner.token)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.expect("body");
    assert!(csv.starts_with("time,role,author,text,sources\r\n"), "{csv}");
    assert!(
        csv.contains("\"visitor\",\"\",\"'=HYPERLINK(\"\"http://evil\"\") \"\"quoted\"\", and a person please\""),
        "{csv}"
    );
}

#[tokio::test]
async fn one_organisation_never_sees_or_touches_anothers_conversations() {
    let app = TestApp::spawn().await;
    let a = organisation(&app, "a@example.com").await;
    let b = organisation(&app, "b@example.com").await;
    let (_, id) = visitor_escalates(&app, &a.key, "I need a person").await;
    let (_, list) = app.get(&path(&b, "?status=all"), Some(&b.owner.token)).await;
    assert_eq!(list, json!([]));
    for (method, rest) in [("GET", ""), ("POST", "/claim"), ("POST", "/resolve"), ("POST", "/messages")] {
        let url = path(&b, &format!("/{id}{rest}"));
        let (status, body) = if method == "GET" {
            app.get(&url, Some(&b.owner.token)).await
        } else {
            app.post(&url, Some(&b.owner.token), json!({"text": "hi"})).await
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {rest}: {body}");
    }
    // Through org A's path, B's owner is not a member.
    let (status, _) = app.get(&path(&a, &format!("/{id}")), Some(&b.owner.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let row = app
        .services
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT status FROM conversations WHERE id = '{id}'"),
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.try_get::<String>("", "status").expect("status"), "escalated", "nothing changed");
}

#[tokio::test]
async fn saved_replies_are_managed_by_admins_and_read_by_every_member() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let agent = app.add_member(&org.owner, &org.owner.org_id, "agent@example.com", "agent").await;
    let url = format!("/api/v1/orgs/{}/saved-replies", org.owner.org_id);
    let (status, created) =
        app.post(&url, Some(&org.owner.token), json!({"title": "Greeting", "body": "Hi! How can I help?"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = app.post(&url, Some(&org.owner.token), json!({"title": "GREETING", "body": "Hello"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "titles are unique, ignoring case");
    let (status, _) = app.post(&url, Some(&org.owner.token), json!({"title": "Empty", "body": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.post(&url, Some(&agent.token), json!({"title": "Mine", "body": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents use saved replies, admins manage them");
    let (status, list) = app.get(&url, Some(&agent.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["title"], "Greeting");

    let id = created["id"].as_str().expect("id");
    let (status, updated) = app
        .call(
            reqwest::Method::PUT,
            &format!("{url}/{id}"),
            Some(&org.owner.token),
            Some(json!({"title": "Hello", "body": "Hello there!"})),
        )
        .await;
    assert_eq!((status, updated["title"].as_str()), (StatusCode::OK, Some("Hello")));
    let other = organisation(&app, "other@example.com").await;
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/orgs/{}/saved-replies/{id}", other.owner.org_id),
            Some(&other.owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's saved reply is out of reach");
    let (status, _) = app.call(reqwest::Method::DELETE, &format!("{url}/{id}"), Some(&org.owner.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&url, Some(&agent.token)).await.1, json!([]));
}

#[tokio::test]
async fn tags_are_normalised_filter_the_inbox_and_stay_in_their_organisation() {
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let (_, tagged) = visitor_escalates(&app, &org.key, "I need a person about my invoice").await;
    let (_, other) = visitor_escalates(&app, &org.key, "Connect me with an agent").await;
    let tags = path(&org, &format!("/{tagged}/tags"));
    let (status, body) = app.post(&tags, Some(&org.owner.token), json!({"tag": "  Billing   Issue "})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tags"], json!(["billing issue"]));
    let (_, body) = app.post(&tags, Some(&org.owner.token), json!({"tag": "billing issue"})).await;
    assert_eq!(body["tags"], json!(["billing issue"]), "tagging twice changes nothing");
    let (status, _) = app.post(&tags, Some(&org.owner.token), json!({"tag": "<b>"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, list) = app.get(&path(&org, "?status=all&tag=Billing%20Issue"), Some(&org.owner.token)).await;
    let ids: Vec<&str> = list.as_array().expect("list").iter().map(|c| c["id"].as_str().expect("id")).collect();
    assert_eq!(ids, [tagged.as_str()]);
    assert_eq!(list[0]["tags"], json!(["billing issue"]));
    assert!(!ids.contains(&other.as_str()));

    let stranger = organisation(&app, "stranger@example.com").await;
    let (status, _) = app
        .post(&path(&stranger, &format!("/{tagged}/tags")), Some(&stranger.owner.token), json!({"tag": "spam"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) =
        app.call(reqwest::Method::DELETE, &format!("{tags}/billing%20issue"), Some(&org.owner.token), None).await;
    assert_eq!((status, body["tags"].clone()), (StatusCode::OK, json!([])));
}

/// Into a conversation a colleague holds, the dashboard's reply asks first (the holder named);
/// REST replies, and the agent's own conversations, go out at once.
#[tokio::test]
async fn a_reply_into_a_colleagues_conversation_can_ask_first() {
    use domain::inbox::HeldReply;
    let app = TestApp::spawn().await;
    let org = organisation(&app, "owner@example.com").await;
    let agent = app.add_member(&org.owner, &org.owner.org_id, "agent@example.com", "agent").await;
    let (_, id) = visitor_escalates(&app, &org.key, "Can I talk to a real person?").await;
    let (status, _) = app.post(&path(&org, &format!("/{id}/claim")), Some(&org.owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let org_id: uuid::Uuid = org.owner.org_id.parse().expect("org id");
    let conv: uuid::Uuid = id.parse().expect("id");
    let as_agent = app.services.authenticate(&agent.token).await.expect("agent");
    let asked = app.services.agent_reply_with(&as_agent, org_id, conv, "Hello", HeldReply::AskFirst).await;
    match asked {
        Err(domain::DomainError::Invalid { field: "confirm", message }) => {
            assert!(message.contains("Test Person holds this conversation"), "{message}")
        }
        other => panic!("expected a confirmation request, got {other:?}"),
    }
    app.services.agent_reply_with(&as_agent, org_id, conv, "Hello", HeldReply::Send).await.expect("confirmed");
    let as_owner = app.services.authenticate(&org.owner.token).await.expect("owner");
    app.services
        .agent_reply_with(&as_owner, org_id, conv, "Mine", HeldReply::AskFirst)
        .await
        .expect("own conversation");
    let (status, _) =
        app.post(&path(&org, &format!("/{id}/messages")), Some(&agent.token), json!({"text": "REST"})).await;
    assert_eq!(status, StatusCode::CREATED, "REST does not ask");
}

#[tokio::test]
async fn the_inbox_pages_by_cursor_and_says_when_more_follow_instead_of_cutting_the_list() {
    let app = TestApp::spawn().await;
    let a = organisation(&app, "pages@a.example").await;
    let b = organisation(&app, "pages@b.example").await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(visitor_escalates(&app, &a.key, &format!("I want a refund for order {i}")).await.1);
    }
    visitor_escalates(&app, &b.key, "I want a refund, says org B").await;
    let base = format!("/api/v1/orgs/{}/conversations?status=unresolved&limit=2", a.owner.org_id);
    let (mut seen, mut next, mut pages) = (Vec::new(), Some(base.clone()), 0);
    while let Some(path) = next.take() {
        let resp =
            app.client.get(format!("{}{path}", app.address)).bearer_auth(&a.owner.token).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::OK);
        let link = resp.headers().get("link").map(|v| v.to_str().expect("ascii").to_owned());
        let cursor = resp.headers().get("x-next-cursor").map(|v| v.to_str().expect("ascii").to_owned());
        let body: Value = resp.json().await.expect("json");
        let items = body.as_array().expect("a plain array");
        assert!(items.len() <= 2, "limit holds: {body}");
        seen.extend(items.iter().map(|c| c["id"].as_str().expect("id").to_owned()));
        pages += 1;
        match (link, cursor) {
            (Some(link), Some(cursor)) => {
                assert!(link.ends_with("; rel=\"next\""), "{link}");
                assert!(link.contains(&format!("after={cursor}")) && link.contains("status=unresolved"), "{link}");
                let target = link.trim_start_matches('<').split('>').next().expect("url").to_owned();
                next = Some(target);
            }
            (None, None) => {}
            other => panic!("Link and X-Next-Cursor come together: {other:?}"),
        }
        assert!(pages <= 3, "five conversations in pages of two end after three pages");
    }
    assert_eq!(pages, 3);
    made.reverse(); // newest activity first
    assert_eq!(seen, made, "every conversation once, newest first, none of org B's");

    for (query, field) in [("limit=0", "limit"), ("limit=201", "limit"), ("after=yesterday", "after")] {
        let (status, body) =
            app.get(&format!("/api/v1/orgs/{}/conversations?{query}", a.owner.org_id), Some(&a.owner.token)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["field"], field, "{body}");
    }
}
