//! The REST API under `/api/v1`, described by [`openapi`] (`GET /api/v1/openapi.json`). Handlers are thin: parse, authenticate, call one
//! `domain` service, map the result. Response shapes are the shared DTOs in `app::dto`.

mod alerts;
pub use alerts::confirm_recipient;
mod auth;
pub mod dto;
pub mod error;
pub mod extract;
pub mod feedback;
mod inbox;
pub mod knowledge;
mod live;
pub mod openapi;
mod orgs;
pub mod page;
mod privacy;
mod team;
mod widget;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};

use crate::state::AppState;

/// Document bodies may be larger than other requests, so an oversized document gets the
/// knowledge base's own 413 message (which says the limit) rather than a generic one.
const DOCUMENT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Every `/api/v1` route; unknown paths get a JSON 404.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::json))
        .route("/auth/signup", post(auth::signup))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password-reset", post(auth::request_password_reset))
        .route("/auth/password-reset/confirm", post(auth::reset_password))
        .route("/me", get(auth::me))
        .route("/orgs", post(orgs::create))
        .route("/orgs/{org_id}", get(orgs::show))
        .route("/orgs/{org_id}/settings", patch(orgs::update_settings))
        .route("/orgs/{org_id}/widget-key/rotate", post(orgs::rotate_widget_key))
        .route("/orgs/{org_id}/invites", post(team::invite).get(team::pending_invites))
        .route("/orgs/{org_id}/invites/{invite_id}", axum::routing::delete(team::revoke_invite))
        .route("/invites/{token}", get(team::preview_invite))
        .route("/invites/{token}/accept", post(team::accept_invite))
        .route(
            "/orgs/{org_id}/documents",
            post(knowledge::create).get(knowledge::list).layer(DefaultBodyLimit::max(DOCUMENT_BODY_LIMIT)),
        )
        .route(
            "/orgs/{org_id}/documents/upload",
            post(knowledge::upload).layer(DefaultBodyLimit::max(DOCUMENT_BODY_LIMIT)),
        )
        .route(
            "/orgs/{org_id}/documents/{document_id}",
            get(knowledge::show)
                .put(knowledge::update)
                .delete(knowledge::delete)
                .layer(DefaultBodyLimit::max(DOCUMENT_BODY_LIMIT)),
        )
        .route("/orgs/{org_id}/search", post(knowledge::search))
        .nest("/widget", widget_router())
        .route("/orgs/{org_id}/conversations", get(inbox::list))
        .route("/orgs/{org_id}/conversations.csv", get(inbox::list_csv))
        .route("/orgs/{org_id}/conversations/{conversation_id}", get(inbox::show).delete(privacy::trash_conversation))
        .route("/orgs/{org_id}/conversations/{conversation_id}/erase", post(privacy::erase_conversation))
        .route("/orgs/{org_id}/contacts", get(privacy::contacts))
        .route("/orgs/{org_id}/contacts/{contact_id}/erase", post(privacy::erase_contact))
        .route("/orgs/{org_id}/exports", post(privacy::start_export))
        .route("/orgs/{org_id}/exports/{export_id}", get(privacy::show_export))
        .route("/orgs/{org_id}/exports/{export_id}/download", get(privacy::download_export))
        .route("/orgs/{org_id}/trash", get(privacy::trash))
        .route("/orgs/{org_id}/trash/{kind}/{item_id}/restore", post(privacy::restore))
        .route("/orgs/{org_id}/audit", get(privacy::audit))
        .route("/orgs/{org_id}/usage", get(privacy::usage))
        .route("/orgs/{org_id}/usage.csv", get(privacy::usage_csv))
        .route("/orgs/{org_id}/conversations/{conversation_id}/claim", post(inbox::claim))
        .route("/orgs/{org_id}/conversations/{conversation_id}/merge-contact", post(inbox::merge_contact))
        .route("/orgs/{org_id}/conversations/{conversation_id}/messages", post(inbox::reply))
        .route("/orgs/{org_id}/conversations/{conversation_id}/resolve", post(inbox::resolve))
        .route("/orgs/{org_id}/conversations/{conversation_id}/reopen", post(inbox::reopen))
        .route("/orgs/{org_id}/conversations/{conversation_id}/transcript.csv", get(inbox::transcript))
        .route("/orgs/{org_id}/stats", get(inbox::stats))
        .route("/orgs/{org_id}/conversations/{conversation_id}/tags", post(inbox::add_tag))
        .route("/orgs/{org_id}/conversations/{conversation_id}/tags/{tag}", axum::routing::delete(inbox::remove_tag))
        .route("/orgs/{org_id}/saved-replies", get(inbox::list_saved_replies).post(inbox::create_saved_reply))
        .route(
            "/orgs/{org_id}/saved-replies/{saved_reply_id}",
            axum::routing::put(inbox::update_saved_reply).delete(inbox::delete_saved_reply),
        )
        .route("/orgs/{org_id}/live", get(live::live))
        .route("/me/notifications", get(alerts::notifications).put(alerts::set_notifications))
        .route("/orgs/{org_id}/webhooks", post(alerts::create_webhook).get(alerts::list_webhooks))
        .route("/orgs/{org_id}/webhooks/{webhook_id}", axum::routing::delete(alerts::delete_webhook))
        .route("/orgs/{org_id}/webhooks/{webhook_id}/rotate-secret", post(alerts::rotate_secret))
        .route("/orgs/{org_id}/webhooks/{webhook_id}/test", post(alerts::test_webhook))
        .route("/orgs/{org_id}/deliveries", get(alerts::deliveries))
        .route("/orgs/{org_id}/deliveries/{delivery_id}/retry", post(alerts::retry))
        .route("/orgs/{org_id}/feedback-projects", post(feedback::create_project).get(feedback::list_projects))
        .route(
            "/orgs/{org_id}/feedback-projects/{project_id}",
            get(feedback::show_project).delete(privacy::delete_feedback_project),
        )
        .route("/orgs/{org_id}/feedback-projects/{project_id}/rotate-secret", post(feedback::rotate_secret))
        .route("/orgs/{org_id}/feedback-projects/{project_id}/events", post(feedback::create_event))
        .route("/orgs/{org_id}/feedback-projects/{project_id}/feedback", get(feedback::list_feedback))
        .route("/orgs/{org_id}/members", get(team::members))
        .route("/orgs/{org_id}/members/{user_id}", patch(team::change_role).delete(team::remove_member))
        .fallback(not_found)
}

/// The public widget routes: CORS open to any site (visitors authenticate with their token,
/// never with cookies), unlike the rest of the API.
fn widget_router() -> Router<AppState> {
    use tower_http::cors::{Any, CorsLayer};
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([http::Method::GET, http::Method::POST])
        .allow_headers([http::header::CONTENT_TYPE, http::header::AUTHORIZATION]);
    Router::new()
        .route("/session", post(widget::session))
        .route("/config", get(widget::config))
        .route("/contact", post(widget::contact))
        .route("/messages", post(widget::send_message).get(widget::messages))
        .route("/escalate", post(widget::escalate))
        .route("/typing", post(widget::typing))
        .route("/stream-ticket", post(widget::stream_ticket))
        .route("/stream", get(widget::stream))
        .route("/messages/{message_id}/feedback", post(widget::feedback))
        .layer(cors)
}

/// The feedback SDK's public routes (`/sdk/v1`): CORS open like the widget's; the toast is
/// identified by the project id, and each conversation by its own token.
pub fn sdk_router() -> Router<AppState> {
    use tower_http::cors::{Any, CorsLayer};
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([http::Method::GET, http::Method::POST])
        .allow_headers([http::header::CONTENT_TYPE, http::header::AUTHORIZATION]);
    Router::new()
        .route("/projects/{project_id}", get(feedback::sdk_project))
        .route("/feedback", post(feedback::sdk_submit).layer(DefaultBodyLimit::max(feedback::SUBMIT_BODY_LIMIT)))
        .route("/feedback/{feedback_id}/messages", post(feedback::sdk_answer))
        .fallback(not_found)
        .layer(cors)
}

async fn not_found() -> error::ApiError {
    error::ApiError::Domain(domain::DomainError::NotFound("route"))
}
