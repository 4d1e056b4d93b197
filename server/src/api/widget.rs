//! The public widget API (tag `widget` of the OpenAPI description): open CORS, visitors identified by their token,
//! rate-limited per token and per client network ([`crate::rate_limit`]).

use crate::api::dto::{TurnDto, WidgetMessagesDto, WidgetSessionDto};
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use domain::conversation::Visitor;
use serde::Deserialize;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use crate::client_ip::ClientIp;
use crate::rate_limit::{Budget, Key};
use crate::state::AppState;

/// The visitor behind `Authorization: Bearer <visitor_token>`, within their rate limits.
pub struct VisitorAuth(pub Visitor);

impl<S> FromRequestParts<S> for VisitorAuth
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = super::extract::bearer_token(parts)
            .ok_or(ApiError::Domain(domain::DomainError::Unauthorized("send Authorization: Bearer <visitor_token>")))?;
        visitor_budgets(&state, &ClientIp::of(parts, &state), &token)?;
        Ok(Self(state.services.authenticate_widget_visitor(&token, origin(&state, &parts.headers)).await?))
    }
}

/// The page's `Origin` header, which the organisation's allowed sites are checked against. The
/// server's own pages (the install page's preview) are not another site: `None`, like a request
/// without the header.
fn origin<'h>(state: &AppState, headers: &'h axum::http::HeaderMap) -> Option<&'h str> {
    let origin = headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok())?;
    let own = own_origin(&state.services.alerts.public_url);
    (!origin.trim_end_matches('/').eq_ignore_ascii_case(own)).then_some(origin)
}

/// `scheme://host[:port]` of a URL: everything before its path.
fn own_origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..].find('/').map_or(url, |end| &url[..after_scheme + end])
}

/// Spends one request of the client network's budget and of the visitor token's.
fn visitor_budgets(state: &AppState, ip: &ClientIp, token: &str) -> ApiResult<()> {
    state.limits.check(Budget::ClientIp, ip.key())?;
    Ok(state.limits.check(Budget::Visitor, Key::digest("visitor", token))?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SessionBody {
    widget_key: String,
    #[serde(default)]
    visitor_token: Option<String>,
    /// The browser's time zone ("Europe/Berlin"): the inbox names an anonymous visitor by it.
    #[serde(default)]
    time_zone: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/widget/session",
    tag = "widget",
    summary = "Open or resume a visitor session",
    request_body = SessionBody,
    responses((status = 200, description = "A visitor token, the widget's settings and the history", body = crate::api::dto::WidgetSessionDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn session(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: axum::http::HeaderMap,
    Json(body): Json<SessionBody>,
) -> ApiResult<axum::Json<WidgetSessionDto>> {
    // Per client network, and a returning visitor by their token; never per site, so a busy
    // site's visitors (or anyone holding its public key) cannot use up each other's sessions.
    state.limits.check(Budget::ClientIp, ip.key())?;
    match body.visitor_token.as_deref() {
        Some(token) => state.limits.check(Budget::ReturningSession, Key::digest("visitor", token))?,
        None => state.limits.check(Budget::NewSessionPerIp, ip.key())?,
    }
    let session = state
        .services
        .widget_session(
            &body.widget_key,
            body.visitor_token.as_deref(),
            origin(&state, &headers),
            &domain::conversation::VisitorClient {
                user_agent: headers
                    .get(axum::http::header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                time_zone: body.time_zone,
            },
        )
        .await?;
    Ok(axum::Json(session.into()))
}

/// `POST /widget/typing`: the visitor is typing. While a person has the conversation, the
/// team's dashboards show it for a few seconds; otherwise nothing happens. 204 either way.
#[utoipa::path(
    post,
    path = "/api/v1/widget/typing",
    tag = "widget",
    summary = "The visitor is typing",
    security(("visitor_token" = [])),
    responses((status = 204, description = "Shown to the agent who has the conversation"), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn typing(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
) -> ApiResult<axum::http::StatusCode> {
    state.services.visitor_typing(&visitor).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigQuery {
    key: String,
}

/// `GET /widget/config?key=…`: the widget's settings (as a session's `config`) for the loader,
/// which draws the launcher with them and fetches the widget itself only when the visitor
/// shows interest (or at once for a proactive message). No visitor is made. Cached by the
/// browser for 5 minutes, like the loader.
#[utoipa::path(
    get,
    path = "/api/v1/widget/config",
    tag = "widget",
    summary = "The widget's look, before any session",
    params(ConfigQuery),
    responses((status = 200, description = "What the loader needs to draw the launcher", body = crate::api::dto::WidgetConfigDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn config(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: axum::http::HeaderMap,
    Query(query): Query<ConfigQuery>,
) -> ApiResult<impl IntoResponse> {
    state.limits.check(Budget::ClientIp, ip.key())?;
    let config = state.services.widget_look(&query.key, origin(&state, &headers)).await?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "public, max-age=300"), (axum::http::header::VARY, "Origin")],
        axum::Json(crate::api::dto::WidgetConfigDto::from(config)),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ContactBody {
    #[schema(max_length = 100)]
    name: String,
    email: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/widget/contact",
    tag = "widget",
    summary = "Tell the team how to reach me",
    request_body = ContactBody,
    security(("visitor_token" = [])),
    responses((status = 200, description = "Done", body = crate::api::dto::OkDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn contact(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Json(body): Json<ContactBody>,
) -> ApiResult<impl IntoResponse> {
    state.services.set_visitor_contact(&visitor, &body.name, &body.email).await?;
    Ok(axum::Json(crate::api::dto::OkDto::default()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MessageBody {
    #[schema(min_length = 1, max_length = 4000)]
    text: String,
    /// The widget's own id for this message: a re-send with the same id is stored once.
    #[serde(default)]
    client_id: Option<Uuid>,
}

#[utoipa::path(
    post,
    path = "/api/v1/widget/messages",
    tag = "widget",
    summary = "Send a visitor message",
    request_body = MessageBody,
    security(("visitor_token" = [])),
    responses((status = 200, description = "The conversation's status and the reply (null while a person has it)", body = crate::api::dto::TurnDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 409, description = "Conflicts with the current state", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn send_message(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Json(body): Json<MessageBody>,
) -> ApiResult<axum::Json<TurnDto>> {
    Ok(axum::Json(state.services.visitor_message_once(&visitor, &body.text, body.client_id).await?.into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/widget/escalate",
    tag = "widget",
    summary = "Ask for a person",
    security(("visitor_token" = [])),
    responses((status = 200, description = "The conversation handed to the team", body = crate::api::dto::TurnDto), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn escalate(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
) -> ApiResult<axum::Json<TurnDto>> {
    Ok(axum::Json(state.services.visitor_escalate(&visitor).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FeedbackBody {
    helpful: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/widget/messages/{message_id}/feedback",
    tag = "widget",
    summary = "Rate an AI answer",
    params(("message_id" = uuid::Uuid, Path, description = "An AI message of this visitor")),
    request_body = FeedbackBody,
    security(("visitor_token" = [])),
    responses((status = 200, description = "Done", body = crate::api::dto::OkDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "Not found in this organisation (or not a member)", body = super::error::ErrorBody), (status = 422, description = "A field is invalid; `field` names it", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn feedback(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Path(message_id): Path<Uuid>,
    Json(body): Json<FeedbackBody>,
) -> ApiResult<impl IntoResponse> {
    state.services.message_feedback(&visitor, message_id, body.helpful).await?;
    Ok(axum::Json(crate::api::dto::OkDto::default()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    #[serde(default)]
    after: Option<Uuid>,
}

#[utoipa::path(
    get,
    path = "/api/v1/widget/messages",
    tag = "widget",
    summary = "Catch up on messages",
    params(AfterQuery),
    security(("visitor_token" = [])),
    responses((status = 200, description = "Messages after `after`, oldest first", body = crate::api::dto::WidgetMessagesDto), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 404, description = "`after` names no message of this visitor", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn messages(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Query(query): Query<AfterQuery>,
) -> ApiResult<axum::Json<WidgetMessagesDto>> {
    let (conversation_id, status, messages) = state.services.visitor_messages(&visitor, query.after).await?;
    Ok(axum::Json(WidgetMessagesDto {
        conversation_id,
        status: status.into(),
        messages: messages.into_iter().map(Into::into).collect(),
    }))
}

/// The ticket for one live-stream connection.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StreamTicketDto {
    /// Single use: opens `GET /widget/stream?ticket=…` once.
    pub ticket: String,
    /// Seconds it stays valid if unused.
    pub expires_in: i64,
}

/// `POST /widget/stream-ticket` (Bearer visitor token) → 200 `{ticket, expires_in}`; 401 for an
/// unknown token, 403 on a site the organisation does not allow, 429 over the visitor's budget.
/// The live stream is opened with this ticket, never with the long-lived token: URLs end up in
/// proxies' and servers' logs.
#[utoipa::path(
    post,
    path = "/api/v1/widget/stream-ticket",
    tag = "widget",
    summary = "A ticket for the live stream",
    security(("visitor_token" = [])),
    responses((status = 200, description = "A single-use ticket for one stream connection", body = StreamTicketDto), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody))
)]
pub async fn stream_ticket(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
) -> ApiResult<axum::Json<StreamTicketDto>> {
    let ticket = state.services.issue_stream_ticket(&visitor).await?;
    let expires_in = domain::conversation::stream_ticket::TICKET_LIFETIME.num_seconds();
    Ok(axum::Json(StreamTicketDto { ticket, expires_in }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// A ticket from `POST /widget/stream-ticket` (`EventSource` cannot send an
    /// `Authorization` header, and the visitor token must not travel in a URL).
    ticket: String,
}

/// `GET /widget/stream?ticket=…` → Server-Sent Events for the visitor's conversations; 401 for
/// an unknown, expired or already used ticket (the widget asks for a new one and reconnects).
/// `event: message` carries a [`app::dto::MessageDto`] the visitor did not receive in an HTTP
/// reply (system notes, agent replies); `event: status` carries `{conversation_id, status}`;
/// `event: typing` carries `{conversation_id, name}` while an agent types; `event: resync` (no
/// data) says events may have been missed (this stream fell behind, or the instance's `LISTEN`
/// reconnected): the widget re-reads with `GET /messages?after=`; `event: reconnect` (no data)
/// is the last event of a stream whose instance is shutting down: connect again (with a new
/// ticket). A comment line every 15 s keeps proxies from closing it.
#[utoipa::path(
    get,
    path = "/api/v1/widget/stream",
    tag = "widget",
    summary = "The visitor's live stream (Server-Sent Events)",
    params(StreamQuery),
    responses((status = 200, description = "Server-Sent Events: `message`, `status`, `typing`, `resync`, `reconnect`", body = String, content_type = "text/event-stream"), (status = 400, description = "Malformed request (bad JSON, a bad id in the path, a missing parameter)", body = super::error::ErrorBody), (status = 401, description = "Not signed in, or an unknown or expired token", body = super::error::ErrorBody), (status = 403, description = "Signed in, but this role may not do this (or the page's site is not allowed)", body = super::error::ErrorBody), (status = 429, description = "Over a rate limit; `Retry-After` says when to try again", body = super::error::ErrorBody), (status = 503, description = "At capacity; retry after `Retry-After` seconds", body = super::error::ErrorBody))
)]
pub async fn stream(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: axum::http::HeaderMap,
    Query(query): Query<StreamQuery>,
) -> ApiResult<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use domain::conversation::ConversationEvent;
    use futures_util::StreamExt as _;

    state.limits.check(Budget::ClientIp, ip.key())?;
    let visitor = state.services.redeem_stream_ticket(&query.ticket, origin(&state, &headers)).await?;
    // Held while the stream is open: a visitor's tabs, one network's visitors, and the server
    // in all are capped.
    let caps = state.connections.settings();
    let held = state.connections.open(&[
        (Key::digest("visitor-streams", &visitor.id.to_string()), caps.streams_per_visitor),
        (ip.key(), caps.streams_per_ip),
    ])?;
    let services = state.services.clone();
    let events = tokio_stream::wrappers::BroadcastStream::new(services.subscribe()).filter_map(move |event| {
        let services = services.clone();
        let visitor = visitor.clone();
        let _ = &held; // dropped with the stream
        // Boxed: an idle stream then holds one empty slot, not room for a database query's
        // future (about 2.7 KiB of every open stream otherwise, measured with heaptrack).
        Box::pin(async move {
            let event = match event {
                Ok(event) if event.visitor_id() == Some(visitor.id) => event,
                // Missed events (this stream fell behind) or a fan-out that may have: re-read.
                Err(_) | Ok(ConversationEvent::Resync) => return Some(Ok(Event::default().event("resync").data("{}"))),
                Ok(_) => return None,
            };
            let sse = match event {
                ConversationEvent::MessageAdded { message_id, .. } => {
                    let (_, message) = services.visitor_message_by_id(&visitor, message_id).await.ok()?;
                    Event::default().event("message").json_data(app::dto::MessageDto::from(message)).ok()?
                }
                ConversationEvent::Escalated { conversation_id, .. } => Event::default()
                    .event("status")
                    .json_data(serde_json::json!({"conversation_id": conversation_id, "status": "escalated"}))
                    .ok()?,
                ConversationEvent::StatusChanged { conversation_id, status, .. } => Event::default()
                    .event("status")
                    .json_data(serde_json::json!({"conversation_id": conversation_id, "status": status}))
                    .ok()?,
                // An agent typing: their first name only. The visitor's own typing is not sent back.
                ConversationEvent::Typing { conversation_id, agent: Some(agent), .. } => Event::default()
                    .event("typing")
                    .json_data(serde_json::json!({"conversation_id": conversation_id, "name": agent.name}))
                    .ok()?,
                ConversationEvent::VisitorMessage { .. }
                | ConversationEvent::AiReplied { .. }
                | ConversationEvent::Typing { agent: None, .. }
                | ConversationEvent::Resync
                | ConversationEvent::AccessChanged { .. } => return None,
            };
            Some(Ok(sse))
        })
    });
    // Shutdown begins: a last `reconnect` event, and the stream ends (the widget reconnects
    // with a new ticket, through the load balancer, to an instance that stays).
    let mut stopping = state.stopping.subscribe();
    let stopped = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
    };
    let events = events
        .take_until(stopped)
        .chain(futures_util::stream::once(async { Ok(Event::default().event("reconnect").data("{}")) }));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_own_origin_is_the_public_url_without_its_path() {
        assert_eq!(super::own_origin("https://chat.example.com/"), "https://chat.example.com");
        assert_eq!(super::own_origin("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        assert_eq!(super::own_origin("https://example.com/support/chat"), "https://example.com");
    }
}

/// This module's operations in the OpenAPI description ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(session, config, contact, send_message, messages, escalate, typing, feedback, stream_ticket, stream))]
pub(super) struct Doc;
