use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn a_person_can_own_several_organisations_and_read_each() {
    let app = TestApp::spawn().await;
    let ann = app.signup("ann@example.com").await;
    let (status, second) = app.post("/api/v1/orgs", Some(&ann.token), json!({"name": "Second Co"})).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second_id = second["id"].as_str().expect("id");

    let (_, me) = app.get("/api/v1/me", Some(&ann.token)).await;
    let names: Vec<&str> =
        me["memberships"].as_array().expect("list").iter().filter_map(|m| m["organization"]["name"].as_str()).collect();
    assert_eq!(names, vec!["Org of ann@example.com", "Second Co"]);
    assert!(me["memberships"].as_array().expect("list").iter().all(|m| m["role"] == "owner"));

    let (status, org) = app.get(&format!("/api/v1/orgs/{second_id}"), Some(&ann.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(org["name"], "Second Co");
    assert_eq!(org["settings"]["ai_only_mode"], false);
    assert_eq!(org["settings"]["position"], "bottom-right");
    assert!(
        org["widget_key"]
            .as_str()
            .is_some_and(|k| k != second["widget_key"].as_str().unwrap_or_default() || !k.is_empty())
    );
}

#[tokio::test]
async fn settings_update_partially_and_refuse_bad_fields_without_losing_anything() {
    let app = TestApp::spawn().await;
    let ann = app.signup("ann@example.com").await;
    let path = format!("/api/v1/orgs/{}/settings", ann.org_id);

    let (status, org) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ann.token),
            Some(json!({"ai_only_mode": true, "escalation_recipients": ["A@x.com", "a@X.com", "b@y.org"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["settings"]["ai_only_mode"], true);
    assert_eq!(org["settings"]["escalation_recipients"], json!(["a@x.com", "b@y.org"]));

    let eleven: Vec<String> = (0..11).map(|i| format!("p{i}@example.com")).collect();
    let (status, body) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ann.token),
            Some(json!({"escalation_recipients": eleven, "ai_only_mode": false})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app.call(Method::PATCH, &path, Some(&ann.token), Some(json!({"primary_color": "blue"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app.call(Method::PATCH, &path, Some(&ann.token), Some(json!({"no_such_setting": 1}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (_, org) = app.get(&format!("/api/v1/orgs/{}", ann.org_id), Some(&ann.token)).await;
    assert_eq!(org["settings"]["ai_only_mode"], true, "the refused update changed nothing");
    assert_eq!(org["settings"]["escalation_recipients"], json!(["a@x.com", "b@y.org"]));
}

#[tokio::test]
async fn agents_cannot_change_settings() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com").await;
    let agent = app.add_member(&owner, &owner.org_id, "agent@example.com", "agent").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/settings", owner.org_id),
            Some(&agent.token),
            Some(json!({"ai_only_mode": true})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, org) = app.get(&format!("/api/v1/orgs/{}", owner.org_id), Some(&agent.token)).await;
    assert_eq!(status, StatusCode::OK, "agents may read their organisation");
    assert_eq!(org["settings"]["ai_only_mode"], false);
}

#[tokio::test]
async fn malformed_ids_are_400_and_unknown_ids_404() {
    let app = TestApp::spawn().await;
    let ann = app.signup("ann@example.com").await;
    let (status, body) = app.get("/api/v1/orgs/not-a-uuid", Some(&ann.token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = app.get(&format!("/api/v1/orgs/{}", uuid::Uuid::new_v4()), Some(&ann.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn rotating_the_widget_key_stops_the_old_one_at_once_and_only_admins_of_that_org_may() {
    let app = TestApp::spawn().await;
    let ann = app.signup("ann@example.com").await;
    let agent = app.add_member(&ann, &ann.org_id, "agent@example.com", "agent").await;
    let other = app.signup("other@example.com").await;
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", ann.org_id), Some(&ann.token)).await;
    let old_key = org["widget_key"].as_str().expect("key").to_owned();
    let (status, visitor) = app.post("/api/v1/widget/session", None, json!({"widget_key": old_key})).await;
    assert_eq!(status, StatusCode::OK, "{visitor}");
    let path = format!("/api/v1/orgs/{}/widget-key/rotate", ann.org_id);

    let (status, body) = app.post(&path, Some(&agent.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents cannot rotate: {body}");
    let (status, body) = app.post(&path, Some(&other.token), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's owner does not even see it: {body}");
    let (_, unchanged) = app.get(&format!("/api/v1/orgs/{}", ann.org_id), Some(&ann.token)).await;
    assert_eq!(unchanged["widget_key"], old_key.as_str());

    let (status, rotated) = app.post(&path, Some(&ann.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_key = rotated["widget_key"].as_str().expect("new key");
    assert!(new_key.starts_with("wk_") && new_key != old_key, "{rotated}");
    let (status, _) = app.post("/api/v1/widget/session", None, json!({"widget_key": old_key})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old key stops at once");
    let (status, _) = app.post("/api/v1/widget/session", None, json!({"widget_key": new_key})).await;
    assert_eq!(status, StatusCode::OK);
    // A visitor who came through the old key keeps their conversation token.
    let token = visitor["visitor_token"].as_str().expect("token");
    let (status, _) = app.get("/api/v1/widget/messages", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_confidence_choice_is_one_of_three_and_a_wrong_one_changes_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.signup("ann@example.com").await;
    let path = format!("/api/v1/orgs/{}/settings", ann.org_id);
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", ann.org_id), Some(&ann.token)).await;
    assert_eq!(org["settings"]["confidence"], "balanced");
    let (status, body) =
        app.call(Method::PATCH, &path, Some(&ann.token), Some(json!({"confidence": "escalate_more"}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["confidence"], "escalate_more");
    let (status, body) = app
        .call(Method::PATCH, &path, Some(&ann.token), Some(json!({"confidence": "reckless", "greeting": "Hi!"})))
        .await;
    assert!(status.is_client_error(), "{status} {body}");
    let (_, org) = app.get(&format!("/api/v1/orgs/{}", ann.org_id), Some(&ann.token)).await;
    assert_eq!(org["settings"]["confidence"], "escalate_more");
    assert_ne!(org["settings"]["greeting"], "Hi!", "nothing of a refused patch is stored");
}

#[tokio::test]
async fn the_install_checklist_ticks_from_real_state_and_the_preview_page_carries_the_live_widget() {
    let app = TestApp::spawn().await;
    let ann = app.signup("ann@example.com").await;
    let agent = app.add_member(&ann, &ann.org_id, "agent@example.com", "agent").await;
    let org_id: uuid::Uuid = ann.org_id.parse().expect("uuid");
    let actor = app.services.authenticate(&ann.token).await.expect("actor");
    let (org, progress) = app.services.setup_progress(&actor, org_id).await.expect("progress");
    assert_eq!((progress.documents_ready, progress.conversations, progress.teammates), (0, 0, 1), "the agent");
    assert!(org.widget_seen_at.is_none());
    let agent_actor = app.services.authenticate(&agent.token).await.expect("actor");
    assert!(matches!(app.services.setup_progress(&agent_actor, org_id).await, Err(domain::DomainError::Forbidden(_))));

    // The preview page embeds the widget from this server, same origin.
    let key = org.widget_key.clone();
    let page = app.client.get(format!("{}/preview?key={key}", app.address)).send().await.expect("preview");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(&format!("<script src=\"/widget.js\" data-widget-key=\"{key}\" async></script>")), "{html}");
    let bad = app.client.get(format!("{}/preview?key=%22%3E%3Cscript%3E", app.address)).send().await.expect("preview");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "only key characters are echoed");
    // The settings page's live preview passes unsaved values; none can break out of the script.
    let live = format!(
        "{}/preview?key={key}&color=%230f766e&position=bottom-left&greeting=Hi%3C%2Fscript%3E%3Cb%3E&open=1",
        app.address
    );
    let preview_as = |token: &str| {
        let client = app.client.clone();
        let (live, cookie) = (live.clone(), format!("iterochat_session={token}"));
        async move { client.get(live).header("Cookie", cookie).send().await.expect("preview") }
    };
    // Only the organisation's owners and admins may dress its widget in unsaved words.
    let stranger = app.signup("stranger@example.com").await;
    for (who, token) in
        [("nobody", "none"), ("an agent", agent.token.as_str()), ("a stranger", stranger.token.as_str())]
    {
        let html = preview_as(token).await.text().await.expect("html");
        assert!(
            !html.contains("renderWebWidget") && !html.contains("Hi&lt;") && !html.contains("0f766e"),
            "{who}: {html}"
        );
        assert!(html.contains(&format!("data-widget-key=\"{key}\"")), "{who} gets the plain page");
    }
    let resp = preview_as(&ann.token).await;
    let headers = resp.headers().clone();
    assert_eq!(headers.get("x-frame-options").and_then(|v| v.to_str().ok()), Some("SAMEORIGIN"));
    assert!(
        headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("frame-ancestors 'self'"))
    );
    let html = resp.text().await.expect("html");
    let call = html.split("Iterochat.renderWebWidget(").nth(1).expect("rendered with options");
    let options: serde_json::Value =
        serde_json::from_str(call.split(");</script>").next().expect("call")).expect("options are JSON");
    assert_eq!(options["widgetKey"], key.as_str());
    assert_eq!(options["primaryColor"], "#0f766e");
    assert_eq!(options["position"], "bottom-left");
    assert_eq!(options["greeting"], "Hi</script><b>");
    assert_eq!(options["open"], true);
    assert!(!html.contains("Hi</script>"), "{html}");

    // Limited to one site, the widget still opens on the server's own preview page, which does
    // not count as an installation; a page on the listed site does.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/settings", ann.org_id),
            Some(&ann.token),
            Some(json!({"allowed_origins": ["https://shop.example"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let session = |origin: String| {
        let client = app.client.clone();
        let url = format!("{}/api/v1/widget/session", app.address);
        let key = key.clone();
        async move {
            client
                .post(url)
                .header("Origin", origin)
                .json(&json!({"widget_key": key}))
                .send()
                .await
                .expect("session")
                .status()
        }
    };
    assert_eq!(session(app.address.clone()).await, StatusCode::OK, "the preview page is the server's own");
    assert_eq!(session("https://elsewhere.example".into()).await, StatusCode::FORBIDDEN);
    let (org, _) = app.services.setup_progress(&actor, org_id).await.expect("progress");
    assert!(org.widget_seen_at.is_none(), "neither the preview nor a refused site counts");
    assert_eq!(session("https://shop.example".into()).await, StatusCode::OK);
    let (org, _) = app.services.setup_progress(&actor, org_id).await.expect("progress");
    assert!(org.widget_seen_at.is_some());
    assert_eq!(org.widget_seen_origin.as_deref(), Some("https://shop.example"));

    // A test question is a conversation.
    let (_, visitor) = app.post("/api/v1/widget/session", None, json!({"widget_key": key})).await;
    let token = visitor["visitor_token"].as_str().expect("token");
    let (status, _) =
        app.post("/api/v1/widget/messages", Some(token), json!({"text": "Hello, is anyone there?"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, progress) = app.services.setup_progress(&actor, org_id).await.expect("progress");
    assert_eq!(progress.conversations, 1);
}

#[tokio::test]
async fn the_loader_reads_the_widgets_settings_without_making_a_visitor() {
    let app = TestApp::spawn().await;
    let ann = app.signup("ann@example.com").await;
    let org_id: uuid::Uuid = ann.org_id.parse().expect("uuid");
    let actor = app.services.authenticate(&ann.token).await.expect("actor");
    app.patch_settings(
        &ann,
        json!({"primary_color": "#e11d48", "position": "bottom-left", "allowed_origins": ["https://shop.example"]}),
    )
    .await;
    let (org, _) = app.services.setup_progress(&actor, org_id).await.expect("progress");
    let key = org.widget_key.clone();
    let config = |key: String, origin: &'static str| {
        let client = app.client.clone();
        let url = format!("{}/api/v1/widget/config", app.address);
        async move { client.get(url).query(&[("key", key)]).header("Origin", origin).send().await.expect("config") }
    };

    let resp = config(key.clone(), "https://shop.example").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "public, max-age=300");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["primary_color"], "#e11d48");
    assert_eq!(body["position"], "bottom-left");
    assert!(body.get("visitor_token").is_none(), "{body}");
    // It counts as the widget seen on that site (the install checklist), and made no visitor.
    let (org, _) = app.services.setup_progress(&actor, org_id).await.expect("progress");
    assert_eq!(org.widget_seen_origin.as_deref(), Some("https://shop.example"));
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let visitors = domain::entities::visitor::Entity::find()
        .filter(domain::entities::visitor::Column::OrganizationId.eq(org_id))
        .count(&app.services.db)
        .await
        .expect("count");
    assert_eq!(visitors, 0);

    assert_eq!(config(key.clone(), "https://elsewhere.example").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(config("wk_unknown".into(), "https://shop.example").await.status(), StatusCode::NOT_FOUND);
}
