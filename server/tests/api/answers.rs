//! Answer quality through the widget API, on a small shop whose facts sit in tables, product
//! records and lists: a follow-up is read with the question before it, a product that does not
//! exist is never answered with another product's facts, a yes/no question gets its yes only
//! when the quote says so, and escalation still comes before answering.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, organisation_with, visitor_says, visitor_session};

const SHOP: &[(&str, &str)] = &[
    (
        "Delivery",
        "# Delivery\n\nWe ship from our warehouse in Hamburg.\n\n## Delivery times\n\n| Country | Standard | Cost |\n\
         |---|---|---|\n| Germany | 2 working days | 4.90 euros |\n| Norway | 6 to 8 working days | 14.90 euros |\n\
         | Spain | 4 to 5 working days | 7.90 euros |\n| France | 3 to 4 working days | 6.90 euros |",
    ),
    (
        "Payment",
        "# Payment\n\nWe accept Visa, Mastercard, Apple Pay and PayPal. Invoices are sent by email after dispatch.\n\n\
         ## Instalments\nOrders above 300 euros can be paid in three instalments.",
    ),
    (
        "Headlamps",
        "# Headlamps\n\n## Lumen 400\nPrice: 39 euros\nWeight: 86 g\nBattery: 12 hours on low, 3 hours on high\n\n\
         ## Lumen 800\nPrice: 69 euros\nWeight: 112 g\nBattery: 20 hours on low, 5 hours on high\nWaterproofing: IPX7, can be submerged to 1 metre",
    ),
    (
        "Tents",
        "# Tents\n\nAll our tents are tested in storms before they go on sale.\n\n\
         - Summit 2: 2 persons, 2.1 kg, 249 euros\n- Summit 3: 3 persons, 2.9 kg, 329 euros\n\
         - Ridgeback 4: 4 persons, 4.4 kg, 399 euros",
    ),
    (
        "Returns",
        "# Returns\n\nYou can return unused items within 30 days of delivery. Refunds reach your account within 5 \
         working days after the return arrives.",
    ),
];

async fn shop(app: &TestApp, email: &str) -> (Account, String) {
    organisation_with(app, email, SHOP).await
}

async fn session(app: &TestApp, widget_key: &str) -> String {
    visitor_session(app, widget_key).await
}

async fn say(app: &TestApp, token: &str, text: &str) -> Value {
    visitor_says(app, token, text).await
}

fn reply_text(turn: &Value) -> &str {
    turn["reply"]["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn follow_ups_are_answered_with_the_question_before_them() {
    let app = TestApp::spawn().await;
    let (_, key) = shop(&app, "owner@example.com").await;

    let token = session(&app, &key).await;
    let first = say(&app, &token, "How long does delivery to Norway take?").await;
    assert_eq!(first["status"], "ai", "{first}");
    assert!(reply_text(&first).contains("6 to 8 working days"), "{first}");
    let next = say(&app, &token, "And to Spain?").await;
    assert_eq!(next["status"], "ai", "an elliptical follow-up is answered: {next}");
    assert!(reply_text(&next).contains("4 to 5 working days"), "{next}");
    assert!(!reply_text(&next).contains("6 to 8"), "the new place replaces the old one: {next}");

    let token = session(&app, &key).await;
    say(&app, &token, "Tell me about the Lumen 800 headlamp").await;
    let weight = say(&app, &token, "How much does it weigh?").await;
    assert_eq!(weight["status"], "ai", "{weight}");
    assert!(reply_text(&weight).contains("112 g"), "the product discussed, not another: {weight}");
    assert!(!reply_text(&weight).contains("86 g"), "{weight}");

    // "it" may be the headlamp or nothing at all: the reading with the question before it is
    // tried, but only a line the message itself is about is quoted.
    let token = session(&app, &key).await;
    say(&app, &token, "Tell me about the Lumen 800 headlamp").await;
    let rain = say(&app, &token, "Is it fine to use it when it is raining?").await;
    assert_eq!(rain["status"], "ai", "{rain}");
    assert!(reply_text(&rain).contains("IPX7"), "{rain}");
    let pay = say(&app, &token, "Can I pay for it with PayPal?").await;
    assert_eq!(pay["status"], "ai", "{pay}");
    assert!(reply_text(&pay).contains("PayPal"), "the payment methods, not a headlamp line: {pay}");
    assert!(!reply_text(&pay).contains("Lumen"), "{pay}");
}

#[tokio::test]
async fn a_product_that_does_not_exist_is_never_answered_with_another_products_facts() {
    let app = TestApp::spawn().await;
    let (owner, key) = shop(&app, "owner@example.com").await;

    let token = session(&app, &key).await;
    let real = say(&app, &token, "What is the battery life of the Lumen 400?").await;
    assert_eq!(real["status"], "ai", "{real}");
    assert!(reply_text(&real).contains("12 hours on low"), "{real}");
    assert!(reply_text(&real).contains("Lumen 400"), "a record line is quoted with its subject: {real}");

    let token = session(&app, &key).await;
    let invented = say(&app, &token, "What is the battery life of the Lumen 600?").await;
    assert_eq!(invented["status"], "escalated", "{invented}");
    assert_eq!(invented["reply"]["role"], "system");

    // In AI-only mode the same question gets "I don't know", not a neighbour's figures.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/orgs/{}/settings", owner.org_id),
            Some(&owner.token),
            Some(json!({"ai_only_mode": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = session(&app, &key).await;
    let invented = say(&app, &token, "How heavy is the Summit 5 tent?").await;
    assert_eq!(invented["status"], "ai");
    let text = reply_text(&invented);
    assert!(text.starts_with("Sorry, I don't know"), "{text}");
    assert!(!text.contains("kg"), "{text}");
}

#[tokio::test]
async fn short_questions_are_answered_with_the_line_that_answers_them() {
    let app = TestApp::spawn().await;
    let (_, key) = shop(&app, "owner@example.com").await;
    let token = session(&app, &key).await;

    let pay = say(&app, &token, "Do you take Apple Pay?").await;
    assert_eq!(pay["status"], "ai", "a short question against a longer passage is answered: {pay}");
    let text = reply_text(&pay);
    assert!(text.starts_with("Yes."), "the quote says so: {text}");
    assert!(text.contains("We accept Visa, Mastercard, Apple Pay and PayPal."), "{text}");
    assert!(!text.contains("Invoices"), "only the sentence that answers: {text}");

    let tent = say(&app, &token, "How much is the Summit 3?").await;
    assert!(reply_text(&tent).contains("Summit 3: 3 persons, 2.9 kg, 329 euros"), "that item's line: {tent}");
    assert!(!reply_text(&tent).contains("249"), "{tent}");
}

#[tokio::test]
async fn escalation_still_comes_first_and_informational_questions_stay_with_the_ai() {
    let app = TestApp::spawn().await;
    let (_, key) = shop(&app, "owner@example.com").await;

    let token = session(&app, &key).await;
    let info = say(&app, &token, "How long do refunds take?").await;
    assert_eq!(info["status"], "ai", "{info}");
    assert!(reply_text(&info).contains("5 working days"), "{info}");

    for (message, reason) in [
        ("You charged me twice for the same tent, put the money back on my card", "refund"),
        ("I want my money back for the Summit 2", "refund"),
        ("Your courier lost my parcel again and nobody cares, this is a joke", "complaint"),
        ("Someone changed the email on my account and now I can't get in", "account"),
        ("Kann ich bitte mit einem Menschen sprechen?", "requested"),
    ] {
        let token = session(&app, &key).await;
        let turn = say(&app, &token, message).await;
        assert_eq!(turn["status"], "escalated", "{message}: {turn}");
        assert!(!reply_text(&turn).contains("euros"), "never answered with prices: {turn}");
        let (_, messages) = app.get("/api/v1/widget/messages", Some(&token)).await;
        assert_eq!(messages["status"], "escalated");
        let id = turn["conversation_id"].as_str().expect("id");
        let row = sea_orm::ConnectionTrait::query_one_raw(
            &app.services.db,
            sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT escalation_reason FROM conversations WHERE id = $1::uuid",
                [id.into()],
            ),
        )
        .await
        .expect("query")
        .expect("row");
        assert_eq!(row.try_get::<String>("", "escalation_reason").expect("reason"), reason, "{message}");
        // And the AI stays silent afterwards.
        let after = say(&app, &token, "How long does delivery to Spain take?").await;
        assert!(after["reply"].is_null(), "{after}");
    }
}

/// With `ITEROCHAT_LOCAL_MODEL=multilingual-e5-small` (built exactly as production builds it), a
/// visitor writing Spanish or German is answered from the English articles: the fact quoted, the
/// introduction in the visitor's language, and a note that the source is in English. Refunds
/// still go to a person, in any language.
#[tokio::test]
async fn the_multilingual_model_answers_other_languages_from_english_articles() {
    let mut settings = TestApp::settings();
    settings.local_model = domain::embeddings::LocalModel::MultilingualE5Small;
    settings.model_dir = Some(crate::helpers::models_dir().join(settings.local_model.name()));
    let app = TestApp::spawn_with_settings(std::sync::Arc::new(crate::helpers::TestDb::create().await), settings).await;
    assert_eq!(app.services.embedder.model_id(), "local:multilingual-e5-small");
    let (_, key) = shop(&app, "owner@example.com").await;

    let token = session(&app, &key).await;
    let payment = say(&app, &token, "¿Qué formas de pago aceptan?").await;
    assert_eq!(payment["status"], "ai", "{payment}");
    let text = reply_text(&payment);
    assert!(text.contains("Visa, Mastercard"), "{payment}");
    assert!(text.contains("inglés"), "the Spanish reply says the source is English: {payment}");

    let token = session(&app, &key).await;
    let weight = say(&app, &token, "Wie viel wiegt die Stirnlampe Lumen 800?").await;
    assert_eq!(weight["status"], "ai", "{weight}");
    assert!(reply_text(&weight).contains("112 g"), "{weight}");

    let token = session(&app, &key).await;
    let refund = say(&app, &token, "Quiero que me devuelvan el dinero de mi pedido.").await;
    assert_eq!(refund["status"], "escalated", "{refund}");
}

/// With the default English-only model, a question in another language that finds nothing as
/// written is read in the glossary's English words: the fact is quoted under an introduction in
/// the visitor's language, with a note that the source is in English. A product that does not
/// exist stays unanswered in any language.
#[tokio::test]
async fn the_default_model_reads_other_languages_through_the_glossary() {
    let app = TestApp::spawn().await;
    assert_eq!(app.services.embedder.model_id(), domain::embeddings::LOCAL_MODEL_ID);
    let (_, key) = shop(&app, "owner@example.com").await;

    for (question, fact, note) in [
        ("¿Cuánto tarda el envío a Francia?", "3 to 4 working days", "inglés"),
        ("Est-ce que je peux payer en plusieurs fois ?", "three instalments", "anglais"),
        ("Wie viel wiegt die Stirnlampe Lumen 800?", "112 g", "Englisch"),
    ] {
        let token = session(&app, &key).await;
        let turn = say(&app, &token, question).await;
        assert_eq!(turn["status"], "ai", "{question}: {turn}");
        assert!(reply_text(&turn).contains(fact), "{question}: {turn}");
        assert!(reply_text(&turn).contains(note), "the reply says the source is in English: {turn}");
    }

    let token = session(&app, &key).await;
    let invented = say(&app, &token, "Quanto costa la lampada frontale Lumen 900?").await;
    assert_eq!(invented["status"], "escalated", "no Lumen 900 is sold: {invented}");
    assert!(!reply_text(&invented).contains("euros"), "{invented}");
}

#[tokio::test]
async fn testing_a_question_says_what_the_ai_would_do_and_stores_nothing() {
    use domain::conversation::{TrialTurn, escalation::EscalationReason};
    let app = TestApp::spawn().await;
    let (owner, _) = shop(&app, "owner@example.com").await;
    let actor = app.services.authenticate(&owner.token).await.expect("actor");
    let org: uuid::Uuid = owner.org_id.parse().expect("uuid");

    let answered =
        app.services.try_question(&actor, org, "How long does delivery to Norway take?").await.expect("trial");
    let TrialTurn::Answers { reply, source } = answered else { panic!("answered: {answered:?}") };
    assert!(reply.contains("6 to 8 working days"), "{reply}");
    assert_eq!(source, "Delivery");

    // The visitor's own language, as in a real turn.
    let spanish = app.services.try_question(&actor, org, "Quiero que me devuelvan el dinero").await.expect("trial");
    assert!(matches!(spanish, TrialTurn::HandsOff { reason: EscalationReason::Refund, .. }), "{spanish:?}");

    let invented =
        app.services.try_question(&actor, org, "What is the battery life of the Lumen 600?").await.expect("trial");
    let TrialTurn::HandsOff { reason, reply } = invented else { panic!("handed off: {invented:?}") };
    assert_eq!(reason, EscalationReason::LowConfidence);
    assert!(!reply.contains("hours"), "{reply}");

    // Nothing was stored: no conversation, no alert.
    let (status, list) = app.get(&format!("/api/v1/orgs/{}/conversations", owner.org_id), Some(&owner.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list["items"].as_array().map(Vec::len).unwrap_or_else(|| list.as_array().map_or(0, Vec::len)),
        0,
        "{list}"
    );

    // AI-only mode: it declines and hands nothing off.
    app.patch_settings(&owner, json!({"ai_only_mode": true})).await;
    let alone = app.services.try_question(&actor, org, "How heavy is the Summit 5 tent?").await.expect("trial");
    let TrialTurn::DeclinesAlone { reply, .. } = alone else { panic!("declined: {alone:?}") };
    assert!(reply.starts_with("Sorry, I don't know"), "{reply}");

    // Agents and other organisations may not.
    let other = app.signup("other@example.com").await;
    let stranger = app.services.authenticate(&other.token).await.expect("actor");
    let refused = app.services.try_question(&stranger, org, "How long does delivery to Norway take?").await;
    assert!(
        matches!(refused, Err(domain::DomainError::NotFound(_) | domain::DomainError::Forbidden(_))),
        "{refused:?}"
    );
    let empty = app.services.try_question(&actor, org, "   ").await;
    assert!(matches!(empty, Err(domain::DomainError::Invalid { .. })), "{empty:?}");
}
