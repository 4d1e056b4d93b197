//! Live events: what happened in a conversation, for widgets (SSE), dashboards (WebSocket) and
//! anything else listening in-process.
//!
//! Fan-out goes through Postgres `LISTEN/NOTIFY` once a server calls
//! [`Services::listen_for_events`]: every instance NOTIFYs the `iterochat_events` channel and
//! re-broadcasts what it hears, so several servers behind a load balancer see each other's events.
//! Without a listener (tools, benches), events stay in-process. If the listening connection drops,
//! subscribers get [`ConversationEvent::Resync`] once it is back: whatever happened meanwhile must
//! be re-read.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::conversation::escalation::EscalationReason;
use crate::{ConversationStatus, Services};

/// The Postgres channel events travel on.
const CHANNEL: &str = "iterochat_events";

/// What happened in a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConversationEvent {
    /// A visitor wrote (whatever the status).
    VisitorMessage { organization_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, message_id: Uuid },
    /// The AI answered (the visitor got it in the HTTP reply).
    AiReplied { organization_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, message_id: Uuid },
    /// A message the visitor did not just receive in an HTTP reply (system notes, agents).
    MessageAdded { organization_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, message_id: Uuid },
    /// The conversation went to the human queue.
    Escalated { organization_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, reason: EscalationReason },
    /// An agent claimed, resolved or reopened it (`claimed`, `resolved`, `escalated`).
    StatusChanged { organization_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, status: ConversationStatus },
    /// Someone is typing in the conversation: the visitor (`agent: None`, shown to the team)
    /// or an agent (their first name, shown to the visitor and to colleagues). Never stored;
    /// an indicator shows it for a few seconds after the last one.
    Typing { organization_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, agent: Option<TypingAgent> },
    /// Events may have been missed (the fan-out connection dropped): re-read everything.
    Resync,
    /// A person's access changed (they signed out, or were removed from an organisation): their
    /// open dashboard connections check it again and close if it is gone. Never sent to a
    /// browser.
    AccessChanged { user_id: Uuid },
}

/// The agent of a [`ConversationEvent::Typing`]: their id (so their own page ignores it) and
/// first name (what the visitor and colleagues read).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingAgent {
    pub id: Uuid,
    pub name: String,
}

impl ConversationEvent {
    /// The visitor whose conversation this is (`None` for [`ConversationEvent::Resync`]).
    pub fn visitor_id(&self) -> Option<Uuid> {
        match self {
            Self::VisitorMessage { visitor_id, .. }
            | Self::AiReplied { visitor_id, .. }
            | Self::MessageAdded { visitor_id, .. }
            | Self::Escalated { visitor_id, .. }
            | Self::StatusChanged { visitor_id, .. }
            | Self::Typing { visitor_id, .. } => Some(*visitor_id),
            Self::Resync | Self::AccessChanged { .. } => None,
        }
    }

    /// The organisation whose conversation this is (`None` for [`ConversationEvent::Resync`]).
    pub fn organization_id(&self) -> Option<Uuid> {
        match self {
            Self::VisitorMessage { organization_id, .. }
            | Self::AiReplied { organization_id, .. }
            | Self::MessageAdded { organization_id, .. }
            | Self::Escalated { organization_id, .. }
            | Self::StatusChanged { organization_id, .. }
            | Self::Typing { organization_id, .. } => Some(*organization_id),
            Self::Resync | Self::AccessChanged { .. } => None,
        }
    }

    /// The conversation it happened in.
    pub fn conversation_id(&self) -> Option<Uuid> {
        match self {
            Self::VisitorMessage { conversation_id, .. }
            | Self::AiReplied { conversation_id, .. }
            | Self::MessageAdded { conversation_id, .. }
            | Self::Escalated { conversation_id, .. }
            | Self::StatusChanged { conversation_id, .. }
            | Self::Typing { conversation_id, .. } => Some(*conversation_id),
            Self::Resync | Self::AccessChanged { .. } => None,
        }
    }
}

/// A connected `LISTEN iterochat_events`, ready to be run by [`Services::run_event_listener`].
pub struct EventListener(sqlx::postgres::PgListener);

impl Services {
    /// Subscribes to live events.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ConversationEvent> {
        self.events.subscribe()
    }

    /// Whether this instance's `LISTEN` for live events is connected (readiness).
    pub fn events_listening(&self) -> bool {
        self.events_listening.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Connects the `LISTEN` and switches this instance to Postgres fan-out. Returns once the
    /// channel is listened to, so no event published after it can be missed.
    pub async fn listen_for_events(&self) -> Result<EventListener, sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect_with(self.db.get_postgres_connection_pool()).await?;
        listener.listen(CHANNEL).await?;
        self.fanout_via_postgres.store(true, std::sync::atomic::Ordering::Release);
        self.events_listening.store(true, std::sync::atomic::Ordering::Release);
        Ok(EventListener(listener))
    }

    /// Re-broadcasts what the channel carries until `shutdown` completes.
    pub async fn run_event_listener(self, listener: EventListener, shutdown: impl std::future::Future<Output = ()>) {
        let EventListener(mut listener) = listener;
        tokio::pin!(shutdown);
        loop {
            let received = tokio::select! {
                () = &mut shutdown => return,
                received = listener.try_recv() => received,
            };
            // Ok: listening (after a lost connection the next call reconnects); Err: not.
            self.events_listening.store(received.is_ok(), std::sync::atomic::Ordering::Release);
            match received {
                Ok(Some(notification)) => match serde_json::from_str::<ConversationEvent>(notification.payload()) {
                    Ok(event) => {
                        let _ = self.events.send(event);
                    }
                    Err(e) => {
                        tracing::warn!(error = %crate::error::Report(&e), "unreadable event on the fan-out channel")
                    }
                },
                // The connection dropped; the next call reconnects and listens again.
                Ok(None) => {
                    tracing::warn!("event fan-out connection lost; reconnecting");
                    let _ = self.events.send(ConversationEvent::Resync);
                }
                Err(e) => {
                    tracing::warn!(error = %crate::error::Report(&e), "event fan-out failed; retrying in a second");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    let _ = self.events.send(ConversationEvent::Resync);
                }
            }
        }
    }

    /// Tells every instance that `user_id`'s access changed (see
    /// [`ConversationEvent::AccessChanged`]).
    pub(crate) async fn access_changed(&self, user_id: Uuid) {
        self.emit(ConversationEvent::AccessChanged { user_id }).await;
    }

    /// Publishes an event: through Postgres when listening (every instance, this one included,
    /// re-broadcasts it), else in-process. A failed NOTIFY falls back to in-process.
    pub(crate) async fn emit(&self, event: ConversationEvent) {
        if self.fanout_via_postgres.load(std::sync::atomic::Ordering::Acquire) {
            let payload = serde_json::to_string(&event).unwrap_or_default();
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(&payload)
                .execute(self.db.get_postgres_connection_pool())
                .await;
            match sent {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %crate::error::Report(&e), "NOTIFY failed; delivering the event in this instance only")
                }
            }
        }
        let _ = self.events.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_as_tagged_json() {
        let event = ConversationEvent::StatusChanged {
            organization_id: Uuid::nil(),
            visitor_id: Uuid::nil(),
            conversation_id: Uuid::nil(),
            status: ConversationStatus::Claimed,
        };
        let json = serde_json::to_value(&event).expect("json");
        assert_eq!(json["type"], "status_changed");
        assert_eq!(serde_json::from_value::<ConversationEvent>(json).expect("back"), event);
        assert_eq!(
            serde_json::to_value(ConversationEvent::Resync).expect("json"),
            serde_json::json!({"type": "resync"})
        );
    }
}
