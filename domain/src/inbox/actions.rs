//! What agents do to a conversation: claim, type, reply, resolve, reopen; each announced live.

use super::*;

impl Services {
    /// Takes the conversation: `Conflict` naming the holder when another agent has it, or when
    /// it is resolved.
    pub async fn claim_conversation(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<ConversationSummary> {
        self.membership(actor, org_id).await?;
        let txn = self.db.begin().await?;
        let claimed = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations c SET status = $4, claimed_by = $3, claimed_at = now(), updated_at = now() \
                 FROM (SELECT id, status = $4 AND claimed_by = $3 AS already FROM conversations \
                       WHERE id = $1 FOR UPDATE) o \
                 WHERE c.id = o.id AND c.organization_id = $2 \
                   AND (c.status IN ($5, $6) OR (c.status = $4 AND c.claimed_by = $3)) \
                 RETURNING c.visitor_id, o.already",
                [
                    id.into(),
                    org_id.into(),
                    actor.user.id.into(),
                    ConversationStatus::Claimed.into(),
                    ConversationStatus::Ai.into(),
                    ConversationStatus::Escalated.into(),
                ],
            ))
            .await?;
        let Some(row) = claimed else {
            let current = self.conversation_summary(&txn, org_id, id).await?;
            txn.rollback().await?;
            return Err(match current.status {
                ConversationStatus::Resolved => {
                    DomainError::Conflict("this conversation is resolved; reopen it first".into())
                }
                _ => DomainError::Conflict(format!(
                    "{} already claimed this conversation",
                    current.claimed_by_name.as_deref().unwrap_or("another agent")
                )),
            });
        };
        let visitor_id: Uuid = row.try_get("", "visitor_id")?;
        let already: bool = row.try_get("", "already")?;
        let joined = if already {
            None
        } else {
            let conv = crate::conversation::find_conversation(&txn, org_id, id).await?;
            self.insert_joined(&txn, &conv, actor).await?
        };
        let summary = self.conversation_summary(&txn, org_id, id).await?;
        txn.commit().await?;
        self.wake_outbox();
        self.emit_status(org_id, visitor_id, id, ConversationStatus::Claimed).await;
        if let Some(joined) = joined {
            self.announce_message(org_id, visitor_id, id, joined.id).await;
        }
        Ok(summary)
    }

    /// An agent's reply, delivered to the visitor's widget. Claims an `ai` or `escalated`
    /// conversation for the replying agent; a resolved one must be reopened first.
    /// An agent is typing a reply: the visitor and the colleagues see "Ana is typing…" for a few
    /// seconds. Nothing is stored. Members only; not in a resolved conversation.
    pub async fn agent_typing(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> DomainResult<()> {
        self.membership(actor, org_id).await?;
        let conv = crate::conversation::find_conversation(&self.db, org_id, id).await?;
        if conv.status == ConversationStatus::Resolved {
            return Ok(());
        }
        let name = crate::conversation::first_name(&actor.user.name).unwrap_or_else(|| "An agent".to_owned());
        self.emit(crate::events::ConversationEvent::Typing {
            organization_id: org_id,
            visitor_id: conv.visitor_id,
            conversation_id: id,
            agent: Some(crate::events::TypingAgent { id: actor.user.id, name }),
        })
        .await;
        Ok(())
    }

    pub async fn agent_reply(&self, actor: &Actor, org_id: Uuid, id: Uuid, text: &str) -> DomainResult<AgentMessage> {
        self.agent_reply_with(actor, org_id, id, text, HeldReply::Send).await
    }

    /// [`Services::agent_reply`], where a conversation a colleague holds may first need the
    /// agent's confirmation (the dashboard asks; integrations through REST do not).
    pub async fn agent_reply_with(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
        text: &str,
        held: HeldReply,
    ) -> DomainResult<AgentMessage> {
        self.membership(actor, org_id).await?;
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid("text", "is empty"));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(DomainError::invalid("text", format!("must be at most {MAX_REPLY_CHARS} characters")));
        }
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DomainError::invalid("text", "must not contain control characters"));
        }
        let conv = crate::conversation::find_conversation(&self.db, org_id, id).await?;
        if conv.status == ConversationStatus::Resolved {
            return Err(DomainError::Conflict("this conversation is resolved; reopen it to reply".into()));
        }
        if let (HeldReply::AskFirst, Some(holder)) = (held, conv.claimed_by.filter(|by| *by != actor.user.id))
            && conv.status == ConversationStatus::Claimed
        {
            let name = <crate::entities::user::Entity as sea_orm::EntityTrait>::find_by_id(holder)
                .one(&self.db)
                .await?
                .map_or_else(|| "A colleague".to_owned(), |u| u.name);
            return Err(DomainError::invalid(
                "confirm",
                format!("{name} holds this conversation; tick \"Reply anyway\" to send yours too"),
            ));
        }
        let txn = self.db.begin().await?;
        let took = txn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations SET status = $3, claimed_by = $2, claimed_at = now() \
                 WHERE id = $1 AND status IN ($4, $5)",
                [
                    id.into(),
                    actor.user.id.into(),
                    ConversationStatus::Claimed.into(),
                    ConversationStatus::Ai.into(),
                    ConversationStatus::Escalated.into(),
                ],
            ))
            .await?
            .rows_affected()
            > 0;
        // Taking the conversation over says so to the visitor first.
        let joined = if took { self.insert_joined(&txn, &conv, actor).await? } else { None };
        let message = crate::conversation::insert_agent_message(&txn, &self.alerts, &conv, actor.user.id, text).await?;
        txn.commit().await?;
        self.wake_outbox();
        if took {
            self.emit_status(org_id, conv.visitor_id, id, ConversationStatus::Claimed).await;
        }
        for added in joined.iter().chain([&message]) {
            self.announce_message(org_id, conv.visitor_id, id, added.id).await;
        }
        Ok(AgentMessage { message, author_name: Some(actor.user.name.clone()) })
    }

    /// "Ana joined the conversation", when `actor` takes `conv` over (inside the caller's
    /// transaction).
    async fn insert_joined(
        &self,
        txn: &impl ConnectionTrait,
        conv: &crate::entities::conversation::Model,
        actor: &Actor,
    ) -> DomainResult<Option<Message>> {
        let joined = Notice::Joined { agent_id: actor.user.id, agent_name: &actor.user.name };
        crate::conversation::insert_notice(txn, &self.alerts, conv, joined).await
    }

    /// Tells the visitor's widget and the dashboards that a message was added.
    async fn announce_message(&self, org_id: Uuid, visitor_id: Uuid, conversation_id: Uuid, message_id: Uuid) {
        self.emit(ConversationEvent::MessageAdded { organization_id: org_id, visitor_id, conversation_id, message_id })
            .await;
    }

    /// Closes the conversation (from any open status); resolving a resolved one changes nothing.
    /// The visitor's next message starts a new conversation with the AI.
    pub async fn resolve_conversation(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
    ) -> DomainResult<ConversationSummary> {
        self.membership(actor, org_id).await?;
        let txn = self.db.begin().await?;
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations SET status = $3, resolved_at = now(), updated_at = now() \
                 WHERE id = $1 AND organization_id = $2 AND status <> $3 RETURNING visitor_id, resolved_at",
                [id.into(), org_id.into(), ConversationStatus::Resolved.into()],
            ))
            .await?;
        let Some(row) = row else {
            let current = self.conversation_summary(&txn, org_id, id).await?;
            txn.rollback().await?;
            return Ok(current);
        };
        let visitor_id: Uuid = row.try_get("", "visitor_id")?;
        let resolved_at: DateTime<Utc> = row.try_get("", "resolved_at")?;
        let data = json!({
            "conversation_id": id,
            "session_id": visitor_id,
            "organization_id": org_id,
            "resolved_at": resolved_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "resolved_by": actor.user.id,
        });
        crate::alerts::enqueue_event(&txn, &self.alerts, org_id, crate::alerts::RESOLVED, data).await?;
        let conv = crate::conversation::find_conversation(&txn, org_id, id).await?;
        let note = crate::conversation::insert_notice(&txn, &self.alerts, &conv, Notice::Resolved).await?;
        let summary = self.conversation_summary(&txn, org_id, id).await?;
        txn.commit().await?;
        self.wake_outbox();
        self.emit_status(org_id, visitor_id, id, ConversationStatus::Resolved).await;
        if let Some(note) = note {
            self.announce_message(org_id, visitor_id, id, note.id).await;
        }
        Ok(summary)
    }

    /// Puts a resolved conversation back in the human queue (unclaimed).
    pub async fn reopen_conversation(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
    ) -> DomainResult<ConversationSummary> {
        self.membership(actor, org_id).await?;
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE conversations SET status = $3, resolved_at = NULL, claimed_by = NULL, claimed_at = NULL, \
                 escalated_at = coalesce(escalated_at, now()), \
                 escalation_reason = coalesce(escalation_reason, 'requested'), updated_at = now() \
                 WHERE id = $1 AND organization_id = $2 AND status = $4 RETURNING visitor_id",
                [id.into(), org_id.into(), ConversationStatus::Escalated.into(), ConversationStatus::Resolved.into()],
            ))
            .await?;
        let current = self.conversation_summary(&self.db, org_id, id).await?;
        match row {
            Some(row) => {
                self.emit_status(org_id, row.try_get("", "visitor_id")?, id, ConversationStatus::Escalated).await;
                Ok(current)
            }
            None => Err(DomainError::Conflict(format!(
                "only a resolved conversation can be reopened; this one is {}",
                current.status
            ))),
        }
    }

    async fn emit_status(
        &self,
        organization_id: Uuid,
        visitor_id: Uuid,
        conversation_id: Uuid,
        status: ConversationStatus,
    ) {
        self.emit(ConversationEvent::StatusChanged { organization_id, visitor_id, conversation_id, status }).await;
    }
}
