//! The public widget API (CONTRACTS.md): open CORS, visitors identified by their token,
//! rate-limited per token and per client network ([`crate::rate_limit`]).

use app::dto::{TurnDto, WidgetMessagesDto, WidgetSessionDto};
use axum::extract::{FromRef, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use domain::conversation::Visitor;
use serde::Deserialize;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path};
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

#[derive(Deserialize)]
pub struct SessionBody {
    widget_key: String,
    #[serde(default)]
    visitor_token: Option<String>,
    /// The browser's time zone ("Europe/Berlin"): the inbox names an anonymous visitor by it.
    #[serde(default)]
    time_zone: Option<String>,
}

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
pub async fn typing(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
) -> ApiResult<axum::http::StatusCode> {
    state.services.visitor_typing(&visitor).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ConfigQuery {
    key: String,
}

/// `GET /widget/config?key=…`: the widget's settings (as a session's `config`) for the loader,
/// which draws the launcher with them and fetches the widget itself only when the visitor
/// shows interest (or at once for a proactive message). No visitor is made. Cached by the
/// browser for 5 minutes, like the loader.
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
        axum::Json(app::dto::WidgetConfigDto::from(config)),
    ))
}

#[derive(Deserialize)]
pub struct ContactBody {
    name: String,
    email: String,
}

pub async fn contact(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Json(body): Json<ContactBody>,
) -> ApiResult<impl IntoResponse> {
    state.services.set_visitor_contact(&visitor, &body.name, &body.email).await?;
    Ok(axum::Json(serde_json::json!({"status": "ok"})))
}

#[derive(Deserialize)]
pub struct MessageBody {
    text: String,
    /// The widget's own id for this message: a re-send with the same id is stored once.
    #[serde(default)]
    client_id: Option<Uuid>,
}

pub async fn send_message(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Json(body): Json<MessageBody>,
) -> ApiResult<axum::Json<TurnDto>> {
    Ok(axum::Json(state.services.visitor_message_once(&visitor, &body.text, body.client_id).await?.into()))
}

pub async fn escalate(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
) -> ApiResult<axum::Json<TurnDto>> {
    Ok(axum::Json(state.services.visitor_escalate(&visitor).await?.into()))
}

#[derive(Deserialize)]
pub struct FeedbackBody {
    helpful: bool,
}

pub async fn feedback(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Path(message_id): Path<Uuid>,
    Json(body): Json<FeedbackBody>,
) -> ApiResult<impl IntoResponse> {
    state.services.message_feedback(&visitor, message_id, body.helpful).await?;
    Ok(axum::Json(serde_json::json!({"status": "ok"})))
}

#[derive(Deserialize)]
pub struct AfterQuery {
    #[serde(default)]
    after: Option<Uuid>,
}

pub async fn messages(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
    Query(query): Query<AfterQuery>,
) -> ApiResult<axum::Json<WidgetMessagesDto>> {
    let (conversation_id, status, messages) = state.services.visitor_messages(&visitor, query.after).await?;
    Ok(axum::Json(WidgetMessagesDto {
        conversation_id,
        status,
        messages: messages.into_iter().map(Into::into).collect(),
    }))
}

/// The ticket for one live-stream connection.
#[derive(serde::Serialize)]
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
pub async fn stream_ticket(
    State(state): State<AppState>,
    VisitorAuth(visitor): VisitorAuth,
) -> ApiResult<axum::Json<StreamTicketDto>> {
    let ticket = state.services.issue_stream_ticket(&visitor).await?;
    let expires_in = domain::conversation::stream_ticket::TICKET_LIFETIME.num_seconds();
    Ok(axum::Json(StreamTicketDto { ticket, expires_in }))
}

#[derive(Deserialize)]
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
