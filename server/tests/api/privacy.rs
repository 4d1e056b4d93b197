//! Data & privacy: trash and restore, permanent erasure, contacts, exports, audit log,
//! retention and usage; roles and tenant isolation on each.

use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, document_ready, organisation_with, visitor_says};

const RETURNS: &str = "You can return any item within 30 days of delivery for a full refund, \
    as long as it is unused and in its original packaging.";

fn org_path(who: &Account, rest: &str) -> String {
    format!("/api/v1/orgs/{}{rest}", who.org_id)
}

/// A visitor who gives their details and writes `text`; returns their token and conversation.
async fn visitor_conversation(app: &TestApp, key: &str, contact: Option<(&str, &str)>, text: &str) -> (String, String) {
    let (_, session) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
    let token = session["visitor_token"].as_str().expect("token").to_owned();
    if let Some((name, email)) = contact {
        let (status, body) =
            app.post("/api/v1/widget/contact", Some(&token), json!({"name": name, "email": email})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let turn = visitor_says(app, &token, text).await;
    (token, turn["conversation_id"].as_str().expect("conversation id").to_owned())
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.call(Method::DELETE, path, Some(token), None).await
}

async fn trash_ids(app: &TestApp, who: &Account) -> Vec<(String, String)> {
    let (status, trash) = app.get(&org_path(who, "/trash"), Some(&who.token)).await;
    assert_eq!(status, StatusCode::OK, "{trash}");
    trash
        .as_array()
        .expect("list")
        .iter()
        .map(|t| (t["kind"].as_str().expect("kind").to_owned(), t["id"].as_str().expect("id").to_owned()))
        .collect()
}

async fn search_titles(app: &TestApp, who: &Account, query: &str) -> Vec<String> {
    let (status, hits) = app.post(&org_path(who, "/search"), Some(&who.token), json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    hits.as_array().expect("hits").iter().map(|h| h["title"].as_str().expect("title").to_owned()).collect()
}

#[tokio::test]
async fn a_deleted_document_waits_in_the_trash_comes_back_searchable_and_is_purged_when_its_time_is_up() {
    let app = TestApp::spawn().await;
    let (owner, _) = organisation_with(&app, "owner@example.com", &[("Returns", RETURNS)]).await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let other = app.signup("other@example.com").await;
    let (_, docs) = app.get(&org_path(&owner, "/documents"), Some(&owner.token)).await;
    let id = docs[0]["id"].as_str().expect("id").to_owned();
    assert!(search_titles(&app, &owner, "can I return an item").await.contains(&"Returns".to_owned()));

    let (status, _) = delete(&app, &org_path(&owner, &format!("/documents/{id}")), &owner.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, docs) = app.get(&org_path(&owner, "/documents"), Some(&owner.token)).await;
    assert_eq!(docs.as_array().map(Vec::len), Some(0), "{docs}");
    assert!(search_titles(&app, &owner, "can I return an item").await.is_empty(), "no passage stays searchable");
    let (status, trash) = app.get(&org_path(&owner, "/trash"), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(trash[0]["kind"], "document", "{trash}");
    assert_eq!(trash[0]["id"], id.as_str());
    assert_eq!(trash[0]["title"], "Returns");
    assert_eq!(trash[0]["deleted_by"]["email"], "owner@example.com");
    let deleted = chrono::DateTime::parse_from_rfc3339(trash[0]["deleted_at"].as_str().expect("at")).expect("date");
    let purge = chrono::DateTime::parse_from_rfc3339(trash[0]["purge_at"].as_str().expect("purge")).expect("date");
    assert_eq!((purge - deleted).num_days(), 30, "30 days by default");

    // Agents may not see or restore; another organisation does not even see it.
    let (status, _) = app.get(&org_path(&owner, "/trash"), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let restore = org_path(&owner, &format!("/trash/document/{id}/restore"));
    let (status, _) = app.post(&restore, Some(&agent.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&restore, Some(&other.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let foreign = format!("/api/v1/orgs/{}/trash/document/{id}/restore", other.org_id);
    let (status, _) = app.post(&foreign, Some(&other.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the id means nothing in another organisation");

    let (status, body) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let doc = document_ready(&app, &owner, &id).await;
    assert_eq!(doc["title"], "Returns");
    assert!(doc["chunk_count"].as_i64().unwrap_or(0) > 0, "{doc}");
    assert!(search_titles(&app, &owner, "can I return an item").await.contains(&"Returns".to_owned()));
    assert!(trash_ids(&app, &owner).await.is_empty());
    let (status, _) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "restored once");

    // Deleted again; the daily purge drops it only after its 30 days.
    delete(&app, &org_path(&owner, &format!("/documents/{id}")), &owner.token).await;
    let now = chrono::Utc::now();
    assert_eq!(app.services.purge_trash(now + chrono::Duration::days(29)).await.expect("purge"), 0);
    assert_eq!(trash_ids(&app, &owner).await.len(), 1);
    assert_eq!(app.services.purge_trash(now + chrono::Duration::days(31)).await.expect("purge"), 1);
    assert!(trash_ids(&app, &owner).await.is_empty());
    let (status, _) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every row, in every table with a `conversation_id` column, that points at `id`; and trash
/// rows that copied it.
async fn rows_referencing(app: &TestApp, id: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = &app.services.db;
    let tables = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT table_name::text AS t FROM information_schema.columns \
             WHERE table_schema = 'public' AND column_name = 'conversation_id'",
        ))
        .await
        .expect("columns");
    assert!(tables.len() >= 3, "messages, tags and outbox deliveries have the column");
    let mut found = Vec::new();
    for t in tables {
        let table: String = t.try_get("", "t").expect("name");
        let n = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT count(*) AS n FROM {table} WHERE conversation_id::text = '{id}'"),
            ))
            .await
            .expect("count")
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        if n > 0 {
            found.push(format!("{table}: {n}"));
        }
    }
    for (table, sql) in [
        ("conversations", format!("SELECT count(*) AS n FROM conversations WHERE id::text = '{id}'")),
        ("trash_items", format!("SELECT count(*) AS n FROM trash_items WHERE item_id::text = '{id}'")),
        ("trash_rows", format!("SELECT count(*) AS n FROM trash_rows WHERE row::text LIKE '%{id}%'")),
        ("audit_log", format!("SELECT count(*) AS n FROM audit_log WHERE target LIKE '%{id}%'")),
    ] {
        let n = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("count")
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        if n > 0 {
            found.push(format!("{table}: {n}"));
        }
    }
    found
}

#[tokio::test]
async fn a_trashed_conversation_leaves_every_list_comes_back_whole_and_erasing_leaves_nothing() {
    let app = TestApp::spawn().await;
    let (owner, key) = organisation_with(&app, "owner@example.com", &[]).await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let other = app.signup("other@example.com").await;
    // An empty knowledge base: the question escalates, which queues an alert mail (outbox).
    let (token, id) =
        visitor_conversation(&app, &key, Some(("Ana", "ana@example.com")), "I need a person about my order").await;
    visitor_says(&app, &token, "It is order 4471").await;
    let (status, _) = app
        .post(&org_path(&owner, &format!("/conversations/{id}/tags")), Some(&owner.token), json!({"tag": "vip"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, before) = app.get(&org_path(&owner, &format!("/conversations/{id}")), Some(&owner.token)).await;
    let messages_before = before["messages"].as_array().map(Vec::len).unwrap_or(0);
    assert!(messages_before >= 3, "{before}");
    let referencing = rows_referencing(&app, &id).await;
    assert!(
        ["messages", "conversation_tags", "outbox", "conversations"]
            .iter()
            .all(|t| referencing.iter().any(|r| r.starts_with(t))),
        "the fixture has rows to erase in every table: {referencing:?}"
    );

    let conv = org_path(&owner, &format!("/conversations/{id}"));
    let (status, _) = delete(&app, &conv, &agent.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents cannot delete conversations");
    let (status, _) = delete(&app, &format!("/api/v1/orgs/{}/conversations/{id}", other.org_id), &other.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = delete(&app, &conv, &owner.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, _) = app.get(&conv, Some(&owner.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get(&org_path(&owner, "/conversations?status=all"), Some(&owner.token)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let (_, found) = app.get(&org_path(&owner, "/conversations?status=all&q=4471"), Some(&owner.token)).await;
    assert_eq!(found.as_array().map(Vec::len), Some(0), "{found}");
    let csv = app
        .client
        .get(format!("{}{}", app.address, org_path(&owner, "/conversations.csv?status=all")))
        .bearer_auth(&owner.token)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(!csv.contains("4471") && !csv.contains(&id), "{csv}");
    assert_eq!(trash_ids(&app, &owner).await, vec![("conversation".to_owned(), id.clone())]);
    let (_, trash) = app.get(&org_path(&owner, "/trash"), Some(&owner.token)).await;
    assert!(trash[0]["title"].as_str().expect("title").contains("Ana"), "{trash}");

    let restore = org_path(&owner, &format!("/trash/conversation/{id}/restore"));
    let (status, body) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, after) = app.get(&conv, Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["messages"], before["messages"], "every message back, in order");
    assert_eq!(after["handoff_summary"], before["handoff_summary"]);
    assert_eq!(after["contact"], before["contact"]);
    let (_, tagged) = app.get(&org_path(&owner, "/conversations?status=all&tag=vip"), Some(&owner.token)).await;
    assert_eq!(tagged.as_array().map(Vec::len), Some(1), "tags come back too: {tagged}");

    // Erase: agents may not; another organisation gets 404; then nothing of it is left.
    let erase = format!("{conv}/erase");
    let (status, _) = app.post(&erase, Some(&agent.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(&format!("/api/v1/orgs/{}/conversations/{id}/erase", other.org_id), Some(&other.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&erase, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&conv, Some(&owner.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(rows_referencing(&app, &id).await, Vec::<String>::new());
    let (status, _) = app.post(&erase, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "erased once");

    // A conversation erased from the trash is gone from the trash as well.
    let (_, second) = visitor_conversation(&app, &key, None, "Talk to a human please").await;
    delete(&app, &org_path(&owner, &format!("/conversations/{second}")), &owner.token).await;
    let (status, _) =
        app.post(&org_path(&owner, &format!("/conversations/{second}/erase")), Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(trash_ids(&app, &owner).await.is_empty());
    assert_eq!(rows_referencing(&app, &second).await, Vec::<String>::new());
}

#[tokio::test]
async fn erasing_a_contact_erases_their_conversations_and_their_visitor_tokens() {
    let app = TestApp::spawn().await;
    let (owner, key) = organisation_with(&app, "owner@example.com", &[]).await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let other = app.signup("other@example.com").await;
    let (token, kept) = visitor_conversation(&app, &key, Some(("Bo", "bo@example.com")), "I need a person").await;
    let (ana_token, first) =
        visitor_conversation(&app, &key, Some(("Ana", "ana@example.com")), "I need a person").await;
    let (_, second) = visitor_conversation(&app, &key, Some(("Ana", "ana@example.com")), "Refund please").await;
    // Ana on a second browser is only a claim until an agent merges it.
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            &org_path(&owner, &format!("/conversations/{second}/merge-contact")),
            Some(&agent.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // One of Ana's conversations is in the trash.
    delete(&app, &org_path(&owner, &format!("/conversations/{second}")), &owner.token).await;

    let (status, contacts) = app.get(&org_path(&owner, "/contacts?q=ANA@"), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::OK, "any member lists contacts: {contacts}");
    assert_eq!(contacts.as_array().map(Vec::len), Some(1), "{contacts}");
    assert_eq!(contacts[0]["email"], "ana@example.com");
    assert_eq!(contacts[0]["name"], "Ana");
    assert_eq!(contacts[0]["conversation_count"], 1, "the trashed one is not counted");
    let ana = contacts[0]["id"].as_str().expect("id").to_owned();
    let (_, all) = app.get(&org_path(&owner, "/contacts"), Some(&owner.token)).await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let (status, _) = app.get(&format!("/api/v1/orgs/{}/contacts", owner.org_id), Some(&other.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let erase = org_path(&owner, &format!("/contacts/{ana}/erase"));
    let (status, _) = app.post(&erase, Some(&agent.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) =
        app.post(&format!("/api/v1/orgs/{}/contacts/{ana}/erase", other.org_id), Some(&other.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&erase, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (_, contacts) = app.get(&org_path(&owner, "/contacts"), Some(&owner.token)).await;
    assert_eq!(contacts.as_array().map(Vec::len), Some(1));
    assert_eq!(contacts[0]["email"], "bo@example.com");
    for id in [&first, &second] {
        let (status, _) = app.get(&org_path(&owner, &format!("/conversations/{id}")), Some(&owner.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(rows_referencing(&app, id).await, Vec::<String>::new());
    }
    assert!(trash_ids(&app, &owner).await.is_empty(), "the trashed conversation went too");
    let (status, _) = app.get("/api/v1/widget/messages", Some(&ana_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "Ana's widget starts afresh");
    let (status, _) = app.get(&org_path(&owner, &format!("/conversations/{kept}")), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK, "Bo's conversation stays");
    let (status, _) = app.get("/api/v1/widget/messages", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
}

/// Waits for an export job to finish and downloads it; returns each file of the archive.
async fn finished_export(app: &TestApp, who: &Account, job: &Value) -> Vec<(String, String)> {
    let id = job["id"].as_str().expect("job id");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let job = loop {
        let (status, job) = app.get(&org_path(who, &format!("/exports/{id}")), Some(&who.token)).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        let progress = job["progress"].as_f64().expect("progress");
        assert!((0.0..=1.0).contains(&progress), "{job}");
        match job["status"].as_str() {
            Some("ready") => break job,
            Some("running") if std::time::Instant::now() < deadline => {
                assert!(job["download_url"].is_null(), "{job}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            _ => panic!("export did not finish: {job}"),
        }
    };
    assert_eq!(job["progress"], 1.0);
    let url = job["download_url"].as_str().expect("download url");
    let resp = app.client.get(format!("{}{url}", app.address)).bearer_auth(&who.token).send().await.expect("download");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("bytes");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut files = Vec::new();
    for entry in archive.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("utf-8");
        files.push((name, text));
    }
    files
}

fn jsonl(files: &[(String, String)], name: &str) -> Vec<Value> {
    let (_, text) = files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} missing"));
    text.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[tokio::test]
async fn an_export_holds_every_kind_of_data_but_nothing_erased_and_a_contact_export_only_theirs() {
    let app = TestApp::spawn().await;
    let (owner, key) = organisation_with(&app, "owner@example.com", &[("Returns", RETURNS)]).await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let other = app.signup("other@example.com").await;
    let (_, kept) = visitor_conversation(&app, &key, Some(("Ana", "ana@example.com")), "Can I return an item?").await;
    let (_, bo_conv) = visitor_conversation(&app, &key, Some(("Bo", "bo@example.com")), "I need a person").await;
    let (_, erased) = visitor_conversation(&app, &key, None, "Secret words 991177, talk to a person").await;
    app.post(&org_path(&owner, &format!("/conversations/{erased}/erase")), Some(&owner.token), json!({})).await;
    let (status, _) = app
        .post(&org_path(&owner, "/saved-replies"), Some(&owner.token), json!({"title": "Hi", "body": "Hello!"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) =
        app.post(&org_path(&owner, "/feedback-projects"), Some(&owner.token), json!({"name": "Shop"})).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _) = app.post(&org_path(&owner, "/exports"), Some(&agent.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&format!("/api/v1/orgs/{}/exports", owner.org_id), Some(&other.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, job) = app.call(Method::POST, &org_path(&owner, "/exports"), Some(&owner.token), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert!(["running", "ready"].contains(&job["status"].as_str().unwrap_or("")), "{job}");
    let job_id = job["id"].as_str().expect("id").to_owned();
    // Another organisation cannot follow or download it.
    let (status, _) = app.get(&format!("/api/v1/orgs/{}/exports/{job_id}", other.org_id), Some(&other.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let files = finished_export(&app, &owner, &job).await;
    let (status, _) = app.get(&org_path(&owner, &format!("/exports/{job_id}/download")), Some(&other.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&org_path(&owner, &format!("/exports/{job_id}/download")), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&org_path(&owner, &format!("/exports/{job_id}")), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert_eq!(files[0].0, "manifest.json", "the manifest comes first");
    let manifest: Value = serde_json::from_str(&files[0].1).expect("manifest");
    assert_eq!(manifest["version"], 1);
    assert_eq!(manifest["organization_id"], owner.org_id.as_str());
    let conversations = jsonl(&files, "conversations.jsonl");
    let ids: Vec<&str> = conversations.iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&kept.as_str()) && ids.contains(&bo_conv.as_str()), "{ids:?}");
    assert!(!ids.contains(&erased.as_str()), "erased conversations are not exported");
    let all_text: String = files.iter().map(|(_, t)| t.as_str()).collect();
    assert!(!all_text.contains("991177") && !all_text.contains(&erased), "nothing of the erased conversation");
    let ana = conversations.iter().find(|c| c["id"] == kept.as_str()).expect("kept");
    let texts: Vec<&str> =
        ana["messages"].as_array().expect("messages").iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(texts.first(), Some(&"Can I return an item?"), "{ana}");
    assert_eq!(jsonl(&files, "documents.jsonl")[0]["title"], "Returns");
    assert_eq!(jsonl(&files, "saved_replies.jsonl")[0]["body"], "Hello!");
    let projects = jsonl(&files, "feedback_projects.jsonl");
    assert_eq!(projects[0]["name"], "Shop");
    assert!(projects[0].get("secret_hash").is_none(), "no secrets in exports");
    let contacts = jsonl(&files, "contacts.jsonl");
    let mut emails: Vec<&str> = contacts.iter().filter_map(|c| c["email"].as_str()).collect();
    emails.sort_unstable();
    assert_eq!(emails, ["ana@example.com", "bo@example.com"]);
    assert!(jsonl(&files, "audit.jsonl").iter().any(|a| a["action"] == "erase"));
    let rows: u64 = manifest["files"].as_array().expect("files").iter().filter_map(|f| f["rows"].as_u64()).sum();
    assert!(rows >= 7, "{manifest}");

    // Right of access: one contact's data only.
    let (_, contacts) = app.get(&org_path(&owner, "/contacts?q=ana"), Some(&owner.token)).await;
    let ana_id = contacts[0]["id"].as_str().expect("id");
    let (status, job) =
        app.post(&org_path(&owner, "/exports"), Some(&owner.token), json!({"contact_id": ana_id})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let files = finished_export(&app, &owner, &job).await;
    let ids: Vec<Value> = jsonl(&files, "conversations.jsonl").iter().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, vec![json!(kept)]);
    assert_eq!(jsonl(&files, "contacts.jsonl").len(), 1);
    assert!(!files.iter().any(|(n, _)| n == "documents.jsonl"), "a contact's export holds only their data");
    let (status, _) =
        app.post(&org_path(&owner, "/exports"), Some(&owner.token), json!({"contact_id": other.user_id})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an unknown contact");
}

#[tokio::test]
async fn saved_replies_and_feedback_projects_go_to_the_trash_and_come_back() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let (_, reply) = app
        .post(&org_path(&owner, "/saved-replies"), Some(&owner.token), json!({"title": "Hello", "body": "Hi!"}))
        .await;
    let reply_id = reply["id"].as_str().expect("id").to_owned();
    let (status, _) = delete(&app, &org_path(&owner, &format!("/saved-replies/{reply_id}")), &owner.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The title is free again; restoring the old one while the new one exists is a conflict.
    let (status, again) = app
        .post(&org_path(&owner, "/saved-replies"), Some(&owner.token), json!({"title": "hello", "body": "New"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    let restore = org_path(&owner, &format!("/trash/saved_reply/{reply_id}/restore"));
    let (status, body) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().expect("error").contains("rename"), "{body}");
    assert_eq!(trash_ids(&app, &owner).await.len(), 1, "a failed restore keeps the item");
    delete(&app, &org_path(&owner, &format!("/saved-replies/{}", again["id"].as_str().expect("id"))), &owner.token)
        .await;
    let (status, _) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, replies) = app.get(&org_path(&owner, "/saved-replies"), Some(&owner.token)).await;
    assert_eq!(replies[0]["body"], "Hi!", "{replies}");

    let (_, created) =
        app.post(&org_path(&owner, "/feedback-projects"), Some(&owner.token), json!({"name": "Shop"})).await;
    let project = created["project_id"].as_str().expect("project").to_owned();
    let secret = created["secret_key"].as_str().expect("secret").to_owned();
    let (status, _) = app
        .post(
            &org_path(&owner, &format!("/feedback-projects/{project}/events")),
            Some(&owner.token),
            json!({"event_id": "paid", "name": "Paid"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post("/sdk/v1/feedback", None, json!({"project_id": project, "event_id": "paid", "reaction": "positive"}))
        .await;
    assert!(status.is_success(), "{status}");
    // Agents may not delete projects; another organisation cannot even see this one.
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let stranger = app.signup("stranger@example.com").await;
    let project_path = org_path(&owner, &format!("/feedback-projects/{project}"));
    assert_eq!(delete(&app, &project_path, &agent.token).await.0, StatusCode::FORBIDDEN);
    assert_eq!(delete(&app, &project_path, &stranger.token).await.0, StatusCode::NOT_FOUND);
    let fetch = |key: String| {
        let body = json!({"project_id": project});
        let client = app.client.clone();
        let url = format!("{}/fetchFeedbacks", app.address);
        async move { client.post(url).bearer_auth(key).json(&body).send().await.expect("fetch") }
    };
    assert_eq!(fetch(secret.clone()).await.status(), StatusCode::OK);
    let (status, _) = delete(&app, &org_path(&owner, &format!("/feedback-projects/{project}")), &owner.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(secret.clone()).await.status(), StatusCode::UNAUTHORIZED, "a trashed project's key stops");
    let (_, trash) = app.get(&org_path(&owner, "/trash"), Some(&owner.token)).await;
    let entry = trash.as_array().expect("trash").iter().find(|t| t["kind"] == "feedback_project").expect("project");
    let restore = org_path(&owner, &format!("/trash/feedback_project/{}/restore", entry["id"].as_str().expect("id")));
    let (status, _) = app.post(&restore, Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let resp = fetch(secret).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let feedbacks: Value = resp.json().await.expect("json");
    assert_eq!(feedbacks.as_object().map(|o| o.len()), Some(1), "its feedback came back: {feedbacks}");
    let (status, _) = app
        .post(
            &org_path(&owner, "/trash/widget/00000000-0000-0000-0000-000000000000/restore"),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn owners_read_an_audit_log_of_exports_restores_erasures_roles_keys_and_settings() {
    let app = TestApp::spawn().await;
    let (owner, key) = organisation_with(&app, "owner@example.com", &[]).await;
    let admin = app.add_member(&owner, &owner.org_id, "admin@example.com", "admin").await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    app.call(Method::PATCH, &org_path(&owner, "/settings"), Some(&admin.token), Some(json!({"greeting": "Hej!"})))
        .await;
    app.post(&org_path(&owner, "/widget-key/rotate"), Some(&owner.token), json!({})).await;
    app.call(
        Method::PATCH,
        &org_path(&owner, &format!("/members/{}", agent.user_id)),
        Some(&owner.token),
        Some(json!({"role": "admin"})),
    )
    .await;
    let (_, key_now) = app.get(&org_path(&owner, ""), Some(&owner.token)).await;
    let key = key_now["widget_key"].as_str().unwrap_or(&key).to_owned();
    let (_, conv) = visitor_conversation(&app, &key, None, "Talk to a person").await;
    delete(&app, &org_path(&owner, &format!("/conversations/{conv}")), &owner.token).await;
    app.post(&org_path(&owner, &format!("/trash/conversation/{conv}/restore")), Some(&owner.token), json!({})).await;
    app.post(&org_path(&owner, &format!("/conversations/{conv}/erase")), Some(&admin.token), json!({})).await;
    let (status, _) = app.post(&org_path(&owner, "/exports"), Some(&owner.token), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let (status, _) = app.get(&org_path(&owner, "/audit"), Some(&admin.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "owners only");
    let stranger = app.signup("stranger@example.com").await;
    let (status, _) = app.get(&org_path(&owner, "/audit"), Some(&stranger.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's owner does not see it");
    let (status, log) = app.get(&org_path(&owner, "/audit?limit=50"), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let actions: Vec<&str> = log.as_array().expect("log").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["export", "erase", "restore", "trash", "member.role", "widget_key.rotate", "settings.update"],
        "newest first: {log}"
    );
    let entry =
        |action: &str| log.as_array().expect("log").iter().find(|e| e["action"] == action).expect("entry").clone();
    assert_eq!(entry("erase")["actor"]["email"], "admin@example.com");
    assert_eq!(entry("settings.update")["target"], "greeting");
    assert!(entry("member.role")["target"].as_str().expect("target").contains("agent@example.com"));
    assert!(!entry("erase")["target"].as_str().expect("target").contains(&conv), "erasure names no id");
    let (status, limited) = app.get(&org_path(&owner, "/audit?limit=2"), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(limited.as_array().map(Vec::len), Some(2));
    let (status, body) = app.get(&org_path(&owner, "/audit?limit=zero"), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn retention_erases_conversations_idle_longer_than_the_organisation_keeps_them() {
    let app = TestApp::spawn().await;
    let (owner, key) = organisation_with(&app, "owner@example.com", &[]).await;
    let (neighbour, neighbour_key) = organisation_with(&app, "neighbour@example.com", &[]).await;
    let (_, conv) = visitor_conversation(&app, &key, None, "Talk to a person").await;
    let (_, kept) = visitor_conversation(&app, &neighbour_key, None, "Talk to a person").await;
    let (status, body) = app
        .call(Method::PATCH, &org_path(&owner, "/settings"), Some(&owner.token), Some(json!({"retention_days": 4000})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for bad in [json!({"trash_days": 0}), json!({"trash_days": 366}), json!({"retention_days": -1})] {
        let (status, body) =
            app.call(Method::PATCH, &org_path(&owner, "/settings"), Some(&owner.token), Some(bad.clone())).await;
        assert!(status.is_client_error(), "{bad} → {status} {body}");
    }
    let (_, org) = app.get(&org_path(&owner, ""), Some(&owner.token)).await;
    assert_eq!(
        (org["settings"]["trash_days"].as_u64(), org["settings"]["retention_days"].as_u64()),
        (Some(30), Some(0))
    );
    let (status, _) = app
        .call(Method::PATCH, &org_path(&owner, "/settings"), Some(&owner.token), Some(json!({"retention_days": 30})))
        .await;
    assert_eq!(status, StatusCode::OK);

    let now = chrono::Utc::now();
    assert_eq!(app.services.apply_retention(now + chrono::Duration::days(29)).await.expect("retention"), 0);
    assert_eq!(app.services.apply_retention(now + chrono::Duration::days(31)).await.expect("retention"), 1);
    let (status, _) = app.get(&org_path(&owner, &format!("/conversations/{conv}")), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&org_path(&neighbour, &format!("/conversations/{kept}")), Some(&neighbour.token)).await;
    assert_eq!(status, StatusCode::OK, "an organisation without retention keeps everything");
    let (_, log) = app.get(&org_path(&owner, "/audit"), Some(&owner.token)).await;
    assert_eq!(log[0]["action"], "retention", "{log}");
    assert!(log[0]["actor"].is_null());
}

#[tokio::test]
async fn usage_counts_each_month_from_what_visitors_and_the_ai_did() {
    let app = TestApp::spawn().await;
    let (owner, key) = organisation_with(&app, "owner@example.com", &[("Returns", RETURNS)]).await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let other = app.signup("other@example.com").await;
    // One conversation the AI answers (and the visitor likes), one that goes to a person.
    let (token, _) = visitor_conversation(&app, &key, None, "How many days do I have to return an item?").await;
    let (_, session) =
        app.post("/api/v1/widget/session", None, json!({"widget_key": key, "visitor_token": token})).await;
    let answer = session["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "ai")
        .unwrap_or_else(|| panic!("the AI answered: {session}"))
        .clone();
    let (status, _) = app
        .post(
            &format!("/api/v1/widget/messages/{}/feedback", answer["id"].as_str().expect("id")),
            Some(&token),
            json!({"helpful": true}),
        )
        .await;
    assert!(status.is_success());
    visitor_conversation(&app, &key, None, "I want to talk to a human").await;

    let (status, usage) = app.get(&org_path(&owner, "/usage?months=13"), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    let months = usage.as_array().expect("months");
    assert_eq!(months.len(), 13);
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(months[0]["month"], this_month.as_str(), "newest first");
    let m = &months[0];
    assert_eq!(
        [
            &m["conversations"],
            &m["visitor_messages"],
            &m["ai_answers"],
            &m["escalations"],
            &m["ai_resolved"],
            &m["helpful"],
            &m["not_helpful"]
        ],
        [&json!(2), &json!(2), &json!(1), &json!(1), &json!(1), &json!(1), &json!(0)],
        "{m}"
    );
    assert_eq!(m["llm_calls"], 0, "the extractive default calls no chat model");
    let (calls, inputs) = (m["embedding_calls"].as_i64().unwrap_or(0), m["embedding_inputs"].as_i64().unwrap_or(0));
    assert!(calls >= 3 && inputs >= calls, "the document's passages and each question: {m}");
    assert!(months[1..].iter().all(|m| m["conversations"] == 0 && m["embedding_calls"] == 0), "{usage}");
    assert!(months[1]["month"].as_str().expect("month") < this_month.as_str());

    let (status, _) = app.get(&org_path(&owner, "/usage"), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&format!("/api/v1/orgs/{}/usage", owner.org_id), Some(&other.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.get(&org_path(&owner, "/usage?months=0"), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, default) = app.get(&org_path(&owner, "/usage"), Some(&owner.token)).await;
    assert_eq!(default.as_array().map(Vec::len), Some(12));
    let (_, other_usage) = app.get(&format!("/api/v1/orgs/{}/usage", other.org_id), Some(&other.token)).await;
    assert_eq!(other_usage[0]["embedding_calls"], 0, "another organisation's calls are its own: {other_usage}");
}
