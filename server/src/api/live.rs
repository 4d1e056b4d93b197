//! `GET /api/v1/orgs/{org_id}/live`: the dashboard's WebSocket. Every event of the
//! organisation's conversations is pushed as JSON (`{"type": "escalated", "conversation_id": …}`,
//! the shapes of `domain::events::ConversationEvent`); `{"type": "resync"}` means events may have
//! been missed and the page should re-read. Authenticated by the session cookie (the dashboard)
//! or a bearer token (programs); never by a token in the address, where logs and proxies keep
//! it. Members of the organisation only.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::response::Response;
use domain::events::ConversationEvent;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::Path;
use crate::state::AppState;

/// How often the server pings an idle socket (proxies close silent ones).
const PING: std::time::Duration = std::time::Duration::from_secs(25);

#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/live",
    tag = "inbox",
    summary = "The dashboard's live events (WebSocket)",
    params(("org_id" = uuid::Uuid, Path, description = "The organisation")),
    security(("session" = []), ("session_cookie" = [])),
    responses((status = 101, description = "WebSocket: the organisation's conversation events"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody))
)]
pub async fn live(
    State(state): State<AppState>,
    Path(org_id): Path<Uuid>,
    parts: Parts,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let token = super::extract::bearer_token(&parts)
        .or_else(|| app::session_cookie::read(&parts.headers))
        .ok_or(ApiError::Domain(domain::DomainError::Unauthorized("sign in first")))?;
    let actor = state.services.authenticate(&token).await?;
    // Members only: anyone else gets the same 404 as for any other organisation route.
    state.services.organization_for_member(actor.user.id, org_id).await?;
    let upgrade = upgrade.map_err(|e| ApiError::bad_request(format!("open a WebSocket here: {}", e.body_text())))?;
    let held = state.connections.open(&[(
        crate::rate_limit::Key::digest("user", &actor.user.id.to_string()),
        state.connections.settings().sockets_per_user,
    )])?;
    let events = state.services.subscribe();
    let access = Access { services: state.services.clone(), token, user_id: actor.user.id, org_id };
    Ok(upgrade.on_upgrade(move |socket| async move {
        push(socket, events, access).await;
        drop(held);
    }))
}

/// Who a socket was opened for, to check again when their access changes.
struct Access {
    services: domain::Services,
    token: String,
    user_id: Uuid,
    org_id: Uuid,
}

impl Access {
    /// Whether the session still works and the person is still a member.
    async fn still_granted(&self) -> bool {
        match self.services.authenticate(&self.token).await {
            Ok(actor) => self.services.organization_for_member(actor.user.id, self.org_id).await.is_ok(),
            Err(_) => false,
        }
    }
}

async fn push(mut socket: WebSocket, mut events: tokio::sync::broadcast::Receiver<ConversationEvent>, access: Access) {
    let org_id = access.org_id;
    let mut ping = tokio::time::interval(PING);
    ping.tick().await;
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                // Signed out or removed: the socket closes (policy violation), no more events.
                Ok(ConversationEvent::AccessChanged { user_id }) if user_id == access.user_id => {
                    if access.still_granted().await {
                        continue;
                    }
                    let _ = socket
                        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
                            code: axum::extract::ws::close_code::POLICY,
                            reason: "access revoked".into(),
                        })))
                        .await;
                    return;
                }
                Ok(event) if event.organization_id() == Some(org_id) || event == ConversationEvent::Resync => event,
                Ok(_) => continue,
                // This socket fell behind the broadcast: tell the page to re-read.
                Err(RecvError::Lagged(_)) => ConversationEvent::Resync,
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let Ok(json) = serde_json::to_string(&outgoing) else { continue };
        if socket.send(Message::Text(json.into())).await.is_err() {
            return;
        }
    }
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(live))]
pub(super) struct Doc;
