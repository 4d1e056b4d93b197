//! One visitor turn, from the stored message to the answer or the hand-off (see the parent
//! module's documentation for the pipeline), and the knowledge base's "Test a question".

use super::*;

/// Passages the answer pipeline reads.
const PASSAGES: usize = 8;

impl Services {
    /// One visitor turn; see the module documentation for the pipeline.
    pub async fn visitor_message(&self, visitor: &Visitor, text: &str) -> DomainResult<TurnOutcome> {
        self.visitor_message_once(visitor, text, None).await
    }

    /// [`Services::visitor_message`] for a message the widget tagged with `client_id`: a
    /// re-send of an id already stored changes nothing and answers with the conversation's
    /// current status and no reply (the widget catches up through `GET /messages`).
    pub async fn visitor_message_once(
        &self,
        visitor: &Visitor,
        text: &str,
        client_id: Option<Uuid>,
    ) -> DomainResult<TurnOutcome> {
        let started = std::time::Instant::now();
        let outcome = self.visitor_turn(visitor, text, client_id).await;
        if let Ok(turn) = &outcome {
            let label = turn.metric_label();
            metrics::counter!("iterochat_visitor_turns_total", "outcome" => label).increment(1);
            metrics::histogram!("iterochat_visitor_turn_seconds", "outcome" => label)
                .record(started.elapsed().as_secs_f64());
        }
        outcome
    }

    async fn visitor_turn(&self, visitor: &Visitor, text: &str, client_id: Option<Uuid>) -> DomainResult<TurnOutcome> {
        if let Some(id) = client_id
            && let Some(done) = self.already_received(visitor, id).await?
        {
            return Ok(done);
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid("text", "is empty"));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DomainError::invalid("text", format!("must be at most {MAX_MESSAGE_CHARS} characters")));
        }
        if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(DomainError::invalid("text", "must not contain control characters"));
        }
        let org = self.visitor_organization(visitor).await?;
        if org.settings.require_contact && visitor.email.is_none() {
            return Err(DomainError::invalid("contact", "please give your name and email first"));
        }
        let conv = self.open_conversation(visitor).await?;
        let stored = {
            let txn = self.db.begin().await?;
            let inserted =
                insert_message_by(&txn, &self.alerts, &conv, MessageRole::Visitor, text, None, None, None, client_id)
                    .await;
            match inserted {
                Ok(message) => {
                    txn.commit().await?;
                    self.wake_outbox();
                    message
                }
                // A concurrent re-send of the same message won the insert.
                Err(DomainError::Conflict(_)) if client_id.is_some() => {
                    txn.rollback().await?;
                    return Ok(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None });
                }
                Err(e) => return Err(e),
            }
        };
        // Waiting in the queue, the visitor added something: the agents' summary says so before
        // the inbox hears of the message. The message is stored either way.
        if conv.status == ConversationStatus::Escalated
            && let Err(e) = self.refresh_summary(&conv, visitor).await
        {
            tracing::warn!(conversation_id = %conv.id, error = %crate::error::Report(&e), "could not refresh the hand-off summary");
        }
        self.emit(ConversationEvent::VisitorMessage {
            organization_id: org.id,
            visitor_id: visitor.id,
            conversation_id: conv.id,
            message_id: stored.id,
        })
        .await;
        // The message is stored; failing to read contact details out of it must not lose it.
        if let Err(e) = self.absorb_contact_details(visitor, text).await {
            tracing::warn!(visitor_id = %visitor.id, error = %crate::error::Report(&e), "could not update the contact from a message");
        }
        if conv.status.with_team() {
            return Ok(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None });
        }

        let lang = detect(text, conv.language.as_deref().and_then(Language::from_code));
        set_language(&self.db, conv.id, lang).await?;
        // Embedded once: the intent check, retrieval and unit selection all compare against it.
        let message_vector = self.embed_query_for(org.id, text).await?;
        if let Some(reason) = self.escalation_reason(text, &message_vector, lang).await? {
            if org.settings.escalates(reason) {
                return self.hand_off(&org, &conv, visitor, reason, lang).await;
            }
            tracing::debug!(?reason, "this escalation reason is off for the organisation; the AI answers");
        }
        // Sentences that try to instruct the AI are not read; a message made only of them gets no
        // answer at all.
        let cleaned = prompt::strip_instructions(text);
        let text = cleaned.trim();
        if text.is_empty() {
            return self.hand_off(&org, &conv, visitor, EscalationReason::LowConfidence, lang).await;
        }
        // Read alone, or with the previous questions when it only makes sense after them.
        let exempt = [org.name.clone(), org.settings.company_name.clone()];
        let resolved = match understanding::ellipsis(text) {
            Ellipsis::Standalone => None,
            kind => self
                .previous_question(&conv, stored.id, lang, &exempt)
                .await?
                .map(|previous| (kind, understanding::resolve(text, &previous, lang, &exempt))),
        };
        let found = match &resolved {
            Some((kind @ (Ellipsis::Continues | Ellipsis::Points), question)) => {
                let reading = Reading::FollowUp {
                    own: text,
                    own_vector: &message_vector,
                    carries_names: *kind == Ellipsis::Points,
                    must_relate: false,
                };
                self.find_answer(&org, question, reading, lang, &exempt).await?
            }
            Some((Ellipsis::Maybe, question)) => {
                // A short message may stand alone ("Opening hours?") or continue ("How long does
                // the battery last?" after the Lumen 400). It is read with the question before
                // it first when that named a thing and it names none, or when it says almost
                // nothing alone ("Until what time?"); the other reading is the fallback.
                let alone = Reading::Alone(message_vector.clone());
                // Saying something of its own, it must also be about what it would quote.
                let says_something = understanding::content_stems(text).len() >= 2;
                let together = Reading::FollowUp {
                    own: text,
                    own_vector: &message_vector,
                    carries_names: true,
                    must_relate: says_something,
                };
                let previous_names = understanding::named_things(question, lang, &exempt);
                let own_names = understanding::named_things(text, lang, &exempt);
                let together_first = (!previous_names.is_empty() && own_names.is_empty()) || !says_something;
                let (first, second) = if together_first {
                    ((question.as_str(), together), (text, alone))
                } else {
                    ((text, alone), (question.as_str(), together))
                };
                let found = self.find_answer(&org, first.0, first.1, lang, &exempt).await?;
                if found.choice.is_ok() {
                    found
                } else {
                    let again = self.find_answer(&org, second.0, second.1, lang, &exempt).await?;
                    if again.choice.is_ok() { again } else { found }
                }
            }
            _ => self.find_answer(&org, text, Reading::Alone(message_vector.clone()), lang, &exempt).await?,
        };
        // In another language than English, with an English-only model, the question is read
        // once more in the glossary's English words.
        let found = if lang != Language::En && !self.embedder.calibration().multilingual {
            self.better_in_english(&org, found, text, lang, &exempt).await?
        } else {
            found
        };
        let Found { question: asked, passages, choice, .. } = found;
        let composed = match (&self.chat, choice) {
            (_, Err(Unanswerable::UnknownName | Unanswerable::Nothing)) => None,
            (Some(chat), choice) => {
                // The model reads the passages when the extractive decision found an answer, or
                // when retrieval alone is confident; it may still decline.
                let retrieval_confident =
                    passages.first().is_some_and(|p| p.score >= self.embedder.calibration().relevance);
                if choice.is_ok() || retrieval_confident {
                    match self.model_answer(chat, &org, &conv, stored.id, &asked, lang, &passages).await? {
                        Ok(composed) => composed,
                        Err(e) => {
                            tracing::warn!(conversation_id = %conv.id, error = %crate::error::Report(&e), "chat model failed; answering extractively");
                            choice.ok().map(|c| extractive_reply(&c, &passages, lang))
                        }
                    }
                } else {
                    None
                }
            }
            (None, Ok(choice)) => Some(extractive_reply(&choice, &passages, lang)),
            (None, Err(_)) => None,
        };
        let Some(composed) = composed else {
            return self.hand_off(&org, &conv, visitor, EscalationReason::LowConfidence, lang).await;
        };
        let unsupported = ungrounded(&composed, &asked, &passages);
        if !unsupported.is_empty() {
            tracing::info!(conversation_id = %conv.id, ?unsupported, "grounding guard blocked an answer");
            return self.hand_off(&org, &conv, visitor, EscalationReason::LowConfidence, lang).await;
        }
        let Some(reply) = self.add_ai_reply(&conv, &composed.text, Some(&composed.citations), lang).await? else {
            return self.outcome_without_reply(&conv).await;
        };
        self.announce_ai_reply(&conv, &reply).await;
        Ok(TurnOutcome { conversation_id: conv.id, status: ConversationStatus::Ai, reply: Some(reply) })
    }

    /// Stores the AI's reply only while the AI still has the conversation. The status is read
    /// under a row lock in the transaction that inserts the reply, so a person who claimed the
    /// conversation (or a hand-off) while the answer was being written wins: the reply is
    /// discarded (`None`) and the AI stays silent.
    async fn add_ai_reply(
        &self,
        conv: &conversation::Model,
        text: &str,
        citations: Option<&[Citation]>,
        lang: Language,
    ) -> DomainResult<Option<Message>> {
        let txn = self.db.begin().await?;
        let status = conversation::Entity::find_by_id(conv.id).lock_exclusive().one(&txn).await?.map(|c| c.status);
        if status != Some(ConversationStatus::Ai) {
            txn.rollback().await?;
            tracing::info!(conversation_id = %conv.id, ?status, "a person took over while the AI was answering; its reply is discarded");
            return Ok(None);
        }
        let message = insert_message(&txn, &self.alerts, conv, MessageRole::Ai, text, citations, Some(lang)).await?;
        txn.commit().await?;
        self.wake_outbox();
        Ok(Some(message))
    }

    /// A turn that ends without a reply: the conversation's status as it is now.
    async fn outcome_without_reply(&self, conv: &conversation::Model) -> DomainResult<TurnOutcome> {
        let status = conversation::Entity::find_by_id(conv.id).one(&self.db).await?.map_or(conv.status, |c| c.status);
        Ok(TurnOutcome { conversation_id: conv.id, status, reply: None })
    }

    /// The visitor is typing: the team sees it while a person has (or is about to take) the
    /// conversation; with the AI answering, nobody is watching and nothing is sent. Never stored.
    pub async fn visitor_typing(&self, visitor: &Visitor) -> DomainResult<()> {
        let Some(conv) = latest_conversation(&self.db, visitor.id).await? else { return Ok(()) };
        if conv.status.with_team() {
            self.emit(ConversationEvent::Typing {
                organization_id: conv.organization_id,
                visitor_id: visitor.id,
                conversation_id: conv.id,
                agent: None,
            })
            .await;
        }
        Ok(())
    }

    /// The widget's "Connect to an agent" button.
    pub async fn visitor_escalate(&self, visitor: &Visitor) -> DomainResult<TurnOutcome> {
        let org = self.visitor_organization(visitor).await?;
        let conv = self.open_conversation(visitor).await?;
        if conv.status != ConversationStatus::Ai {
            return Ok(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None });
        }
        let lang = conv.language.as_deref().and_then(Language::from_code).unwrap_or(Language::En);
        self.hand_off(&org, &conv, visitor, EscalationReason::Requested, lang).await
    }

    /// Tells dashboards the AI answered (the visitor has the answer in the HTTP reply).
    async fn announce_ai_reply(&self, conv: &conversation::Model, reply: &Message) {
        self.emit(ConversationEvent::AiReplied {
            organization_id: conv.organization_id,
            visitor_id: conv.visitor_id,
            conversation_id: conv.id,
            message_id: reply.id,
        })
        .await;
    }

    /// The outcome to report for a message this visitor already sent with `client_id`.
    async fn already_received(&self, visitor: &Visitor, client_id: Uuid) -> DomainResult<Option<TurnOutcome>> {
        let Some(m) = message::Entity::find()
            .filter(message::Column::OrganizationId.eq(visitor.organization_id))
            .filter(message::Column::ClientId.eq(client_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let conv = conversation::Entity::find_by_id(m.conversation_id)
            .one(&self.db)
            .await?
            .filter(|c| c.visitor_id == visitor.id)
            .ok_or_else(|| DomainError::Conflict("this message id was used by someone else".into()))?;
        Ok(Some(TurnOutcome { conversation_id: conv.id, status: conv.status, reply: None }))
    }

    /// The visitor's conversation that is not resolved, or a new one.
    async fn open_conversation(&self, visitor: &Visitor) -> DomainResult<conversation::Model> {
        if let Some(c) =
            latest_conversation(&self.db, visitor.id).await?.filter(|c| c.status != ConversationStatus::Resolved)
        {
            return Ok(c);
        }
        // Two first messages at once (two tabs, a retry): the visitor's row is locked while
        // one of them opens the conversation, and the other then finds it.
        let txn = self.db.begin().await?;
        visitor::Entity::find_by_id(visitor.id).lock_exclusive().one(&txn).await?;
        if let Some(c) =
            latest_conversation(&txn, visitor.id).await?.filter(|c| c.status != ConversationStatus::Resolved)
        {
            txn.commit().await?;
            return Ok(c);
        }
        let now = Utc::now();
        let opened = conversation::ActiveModel {
            id: Set(Uuid::new_v4()),
            organization_id: Set(visitor.organization_id),
            visitor_id: Set(visitor.id),
            status: Set(ConversationStatus::Ai),
            language: Set(None),
            escalation_reason: Set(None),
            handoff_summary: Set(None),
            escalated_at: Set(None),
            claimed_by: Set(None),
            claimed_at: Set(None),
            resolved_at: Set(None),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(opened)
    }

    /// The passages for `question` and what the extractive answerer would quote from them.
    async fn find_answer(
        &self,
        org: &Organization,
        question: &str,
        reading: Reading<'_>,
        lang: Language,
        exempt: &[String],
    ) -> DomainResult<Found> {
        let follow_up = match &reading {
            Reading::Alone(_) => None,
            Reading::FollowUp { carries_names, must_relate, .. } => Some((*carries_names, *must_relate)),
        };
        let (vector, own, own_vector, must_relate) = match reading {
            Reading::Alone(v) => (v, None, None, false),
            Reading::FollowUp { own, own_vector, carries_names, must_relate } => (
                self.embed_query_for(org.id, question).await?,
                Some((own, carries_names)),
                Some(own_vector),
                must_relate,
            ),
        };
        // The lexical leg also ranks passages that say the question's words in other words.
        let passages = self.retrieve_with_vector(org.id, &thesaurus::expanded(question), &vector, PASSAGES).await?;
        let stored = answer::stored_sentence_vectors(&passages);
        // Instructions planted in documents never reach an answerer.
        let passages: Vec<Passage> = passages
            .into_iter()
            .map(|mut p| {
                p.text = prompt::strip_instructions(&p.text);
                p
            })
            .collect();
        let candidates = answer::candidates(&passages);
        // Units embedded at ingestion are looked up; only the others are embedded now.
        let missing: Vec<String> =
            candidates.iter().filter(|c| !stored.contains_key(&c.text)).map(|c| c.with_subject.clone()).collect();
        let mut fresh =
            if missing.is_empty() { Vec::new() } else { self.embed_for(org.id, &missing).await? }.into_iter();
        // A follow-up is as close to a unit as either of its readings: "And a filling?" alone is
        // closer to the filling's price than the question it continues.
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let unit_vectors: Vec<Vec<f32>> = candidates
            .iter()
            .map(|c| stored.get(&c.text).cloned().or_else(|| fresh.next()).unwrap_or_default())
            .collect();
        // A message read with the question before it only on a guess ("Is it possible to pay by
        // card?" after a question about a headlamp) may only quote a unit that its own words are
        // about too, or the earlier question's words alone would pick the headlamp's brightness.
        let unrelated =
            |v: &[f32]| must_relate && own_vector.is_some_and(|o| dot(v, o) < self.answer_policy.min_similarity);
        let similarities: Vec<f32> = unit_vectors
            .iter()
            .map(|v| if unrelated(v) { -1.0 } else { dot(v, &vector).max(own_vector.map_or(f32::MIN, |o| dot(v, o))) })
            .collect();
        // A follow-up must mention its own named things; one that points back ("How much does
        // it weigh?") those of the question before it too.
        let names = match own {
            Some((own, false)) => understanding::named_things(own, lang, exempt),
            _ => understanding::named_things(question, lang, exempt),
        };
        let own_days = own.map_or(0, |(own, _)| understanding::days(own));
        let asked = answer::Question {
            stems: understanding::content_stems(question),
            related: thesaurus::alternatives(question),
            names,
            yes_no: understanding::is_yes_no(own.map_or(question, |(own, _)| own), lang),
            focus: own.map(|(own, _)| understanding::focus_stems(own)).unwrap_or_default(),
            days: if own_days != 0 { own_days } else { understanding::days(question) },
            // "And to Spain?" asks for what the question before it asked for; a follow-up that
            // asks its own question ("How old must I be to ride it?" after a price) does not.
            expects: match own {
                Some((own, false)) => expectation::expected(own).or_else(|| expectation::expected(question)),
                Some((own, true)) => expectation::expected(own),
                None => expectation::expected(question),
            },
            language: Some(lang),
        };
        let policy = self.answer_policy.with_confidence(org.settings.confidence);
        let choice = answer::choose(&asked, &candidates, &similarities, &passages, policy);
        if tracing::enabled!(tracing::Level::DEBUG) {
            let best = similarities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1));
            tracing::debug!(
                question,
                names = ?asked.names,
                best_by_similarity = ?best.map(|(i, s)| (&candidates[i].with_subject, *s)),
                ?choice,
                "answer decision"
            );
        }
        Ok(Found { question: question.to_owned(), passages, choice, follow_up })
    }

    /// `found` against the same question read in the glossary's English words: the better-scored
    /// quote wins (read as written, an English article matches a German question only by its
    /// names and numbers). A follow-up is read as one in English words too: its own words ("Und
    /// auf die Akkus?" → "battery") pick among the units the resolved question matches.
    async fn better_in_english(
        &self,
        org: &Organization,
        found: Found,
        own: &str,
        lang: Language,
        exempt: &[String],
    ) -> DomainResult<Found> {
        let names = understanding::named_things(&found.question, lang, exempt);
        let Some(gloss) = glossary::to_english(&found.question, lang, &names) else { return Ok(found) };
        let again = match found.follow_up {
            Some((carries_names, must_relate)) => {
                let own_names = understanding::named_things(own, lang, exempt);
                let own = glossary::english_words(own, lang, &own_names).map_or_else(|| own.to_owned(), |g| g.text);
                let own_vector = self.embed_query_for(org.id, &own).await?;
                let reading = Reading::FollowUp { own: &own, own_vector: &own_vector, carries_names, must_relate };
                self.find_answer(org, &gloss.text, reading, Language::En, exempt).await?
            }
            None => {
                let vector = self.embed_query_for(org.id, &gloss.text).await?;
                self.find_answer(org, &gloss.text, Reading::Alone(vector), Language::En, exempt).await?
            }
        };
        tracing::debug!(answered = again.choice.is_ok(), "read in English words");
        Ok(match (&found.choice, &again.choice) {
            (Ok(a), Ok(b)) if b.score > a.score => again,
            (Err(_), Ok(_)) => again,
            _ => found,
        })
    }

    /// Why this message must go to a person, if it must: the rules, then the learned intent
    /// model, then (for English, with the local embedding model) the nearest labelled examples.
    async fn escalation_reason(
        &self,
        text: &str,
        vector: &[f32],
        lang: Language,
    ) -> DomainResult<Option<EscalationReason>> {
        if let Some(reason) = escalation::classify(text) {
            tracing::debug!(?reason, "escalation: rule");
            return Ok(Some(reason));
        }
        let (label, p) = escalation::IntentModel::shipped().predict(text);
        if label.is_some() && p >= self.answer_policy.intent_probability {
            tracing::debug!(?label, p, "escalation: intent model");
            return Ok(label);
        }
        // An English-only model's similarities mean something in English only.
        if lang != Language::En && !self.embedder.calibration().multilingual {
            return Ok(None);
        }
        let Some(index) = self.intent_index().await? else { return Ok(None) };
        let mut neighbours: Vec<(Option<EscalationReason>, f32)> =
            index.iter().map(|(label, v)| (*label, v.iter().zip(vector).map(|(a, b)| a * b).sum())).collect();
        neighbours.sort_by(|a, b| b.1.total_cmp(&a.1));
        neighbours.truncate(5);
        let nearest = escalation::nearest_intent(&neighbours, self.answer_policy.intent_similarity);
        tracing::debug!(?nearest, ?neighbours, "escalation: nearest examples");
        Ok(nearest)
    }

    /// The labelled examples' embeddings, made once per process and local model (whose
    /// similarities the threshold was chosen for); `None` with any other embedder.
    pub async fn intent_index(&self) -> DomainResult<Option<&'static [(Option<EscalationReason>, Vec<f32>)]>> {
        type Index = tokio::sync::OnceCell<Vec<(Option<EscalationReason>, Vec<f32>)>>;
        static ENGLISH: Index = tokio::sync::OnceCell::const_new();
        static MULTILINGUAL: Index = tokio::sync::OnceCell::const_new();
        let index = match self.embedder.model_id() {
            crate::embeddings::LOCAL_MODEL_ID => &ENGLISH,
            crate::embeddings::MULTILINGUAL_MODEL_ID => &MULTILINGUAL,
            _ => return Ok(None),
        };
        let index = index
            .get_or_try_init(|| async {
                let examples = escalation::intent_examples();
                let texts: Vec<String> = examples.iter().map(|(_, t)| (*t).to_owned()).collect();
                let vectors = self
                    .embedder
                    .embed(&texts)
                    .await
                    .map_err(|e| DomainError::internal_from("embedding the escalation examples", e))?;
                Ok::<_, DomainError>(examples.into_iter().map(|(l, _)| l).zip(vectors).collect())
            })
            .await?;
        Ok(Some(index.as_slice()))
    }

    /// The visitor's previous questions in this conversation, read together: each follow-up
    /// resolved against the one before ("How long to Norway?" → "And Spain?" → "And Italy?").
    async fn previous_question(
        &self,
        conv: &conversation::Model,
        current: Uuid,
        lang: Language,
        exempt: &[String],
    ) -> DomainResult<Option<String>> {
        let recent = message::Entity::find()
            .filter(message::Column::ConversationId.eq(conv.id))
            .filter(message::Column::Role.eq(MessageRole::Visitor))
            .filter(message::Column::Id.ne(current))
            .order_by_desc(message::Column::CreatedAt)
            .limit(3)
            .all(&self.db)
            .await?;
        let mut resolved: Option<String> = None;
        for m in recent.iter().rev() {
            resolved = Some(match (&resolved, understanding::ellipsis(&m.text)) {
                (Some(before), Ellipsis::Continues | Ellipsis::Points | Ellipsis::Maybe) => {
                    understanding::resolve(&m.text, before, lang, exempt)
                }
                _ => m.text.clone(),
            });
        }
        Ok(resolved)
    }

    /// The chat model's answer from the passages: `Ok(None)` when it has none (or its reply is
    /// unusable), `Err` when the server failed (the caller falls back to extractive answers).
    #[allow(clippy::too_many_arguments, reason = "the turn's pieces, passed as they are computed")]
    async fn model_answer(
        &self,
        chat: &ChatModel,
        org: &Organization,
        conv: &conversation::Model,
        current: Uuid,
        question: &str,
        lang: Language,
        passages: &[Passage],
    ) -> DomainResult<Result<Option<Composed>, LlmError>> {
        let history: Vec<Message> =
            recent_messages(&self.db, conv.id).await?.into_iter().filter(|m| m.id != current).collect();
        let canary = format!("ref-{}", &tokens::random_token()[..12]);
        let company = widget_config(org).company_name;
        let messages =
            prompt::answer_prompt(&company, &org.settings.ai_instructions, lang, passages, &history, question, &canary);
        self.usage_counters.llm_call(conv.organization_id);
        let reply = match chat.complete(&messages, 400).await {
            Ok(reply) => reply,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(match prompt::read_answer(&reply, passages, &canary) {
            ModelAnswer::Answer { text, citations } => {
                Some(Composed { claims: prompt::strip_markers(&text), text, citations })
            }
            ModelAnswer::NoAnswer => None,
            ModelAnswer::Rejected(why) => {
                tracing::warn!(conversation_id = %conv.id, why, "chat model reply rejected");
                None
            }
        }))
    }

    /// Escalates (or, in AI-only mode, says it cannot help) and returns the turn's outcome.
    async fn hand_off(
        &self,
        org: &Organization,
        conv: &conversation::Model,
        visitor: &Visitor,
        reason: EscalationReason,
        lang: Language,
    ) -> DomainResult<TurnOutcome> {
        if let Some(text) = stays_with_ai(&org.settings, reason, lang) {
            let Some(reply) = self.add_ai_reply(conv, &text, Some(&[]), lang).await? else {
                return self.outcome_without_reply(conv).await;
            };
            self.announce_ai_reply(conv, &reply).await;
            return Ok(TurnOutcome { conversation_id: conv.id, status: ConversationStatus::Ai, reply: Some(reply) });
        }
        let history = recent_messages(&self.db, conv.id).await?;
        let summary = self.summary_for(visitor, reason, &history).await;
        let now = Utc::now();
        // The status change, the confirmation and every alert commit together or not at all.
        let txn = self.db.begin().await?;
        // Only an `ai` conversation escalates: of two racing turns, one wins.
        let updated = conversation::Entity::update_many()
            .col_expr(conversation::Column::Status, sea_orm::sea_query::Expr::value(ConversationStatus::Escalated))
            .col_expr(conversation::Column::EscalationReason, sea_orm::sea_query::Expr::value(reason.as_str()))
            .col_expr(conversation::Column::HandoffSummary, sea_orm::sea_query::Expr::value(summary.clone()))
            .col_expr(conversation::Column::EscalatedAt, sea_orm::sea_query::Expr::value(now))
            .col_expr(conversation::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
            .filter(conversation::Column::Id.eq(conv.id))
            .filter(conversation::Column::Status.eq(ConversationStatus::Ai))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            txn.rollback().await?;
            return self.outcome_without_reply(conv).await;
        }
        let latest_question =
            history.iter().rev().find(|m| m.role == MessageRole::Visitor).map(|m| m.text.as_str()).unwrap_or("");
        let alert = crate::alerts::EscalationAlert {
            organization: org,
            conversation_id: conv.id,
            visitor_id: visitor.id,
            escalated_at: now,
            reason,
            summary: &summary,
            last_message: latest_question,
            message_count: history.len(),
        };
        crate::alerts::enqueue_escalation(&txn, &self.alerts, &alert).await?;
        let confirmation = confirmation(&org.settings, reason, lang);
        let reply =
            insert_message(&txn, &self.alerts, conv, MessageRole::System, &confirmation, None, Some(lang)).await?;
        txn.commit().await?;
        self.wake_outbox();
        self.emit(ConversationEvent::Escalated {
            organization_id: org.id,
            visitor_id: visitor.id,
            conversation_id: conv.id,
            reason,
        })
        .await;
        self.emit(ConversationEvent::MessageAdded {
            organization_id: org.id,
            visitor_id: visitor.id,
            conversation_id: conv.id,
            message_id: reply.id,
        })
        .await;
        tracing::info!(conversation_id = %conv.id, reason = reason.as_str(), "escalated");
        metrics::counter!("iterochat_escalations_total", "reason" => reason.as_str()).increment(1);
        Ok(TurnOutcome { conversation_id: conv.id, status: ConversationStatus::Escalated, reply: Some(reply) })
    }
}

/// What the AI would do with a question asked as the first message of a new conversation
/// ([`Services::try_question`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrialTurn {
    /// It would answer: the reply as the visitor would read it (with a chat model configured,
    /// the model words it from the same passages) and the document it quotes.
    Answers { reply: String, source: String },
    /// It would hand the conversation to the team, for this reason, telling the visitor `reply`.
    HandsOff { reason: EscalationReason, reply: String },
    /// In AI-only mode (or with the low-confidence hand-off turned off) it would say it cannot
    /// help with that, and hand nothing off.
    DeclinesAlone { reason: EscalationReason, reply: String },
}

impl Services {
    /// The knowledge base's "Test a question": the escalation check, the answer decision and the
    /// grounding guard of a visitor turn, read as the first message of a new conversation in the
    /// question's language, with the organisation's settings; nothing is stored, no one is
    /// alerted. Owners and admins.
    pub async fn try_question(
        &self,
        actor: &crate::accounts::Actor,
        org_id: Uuid,
        text: &str,
    ) -> DomainResult<TrialTurn> {
        self.membership(actor, org_id).await?.require(crate::Role::Admin, "manage the knowledge base")?;
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid("question", "must not be empty"));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DomainError::invalid("question", format!("must be at most {MAX_MESSAGE_CHARS} characters")));
        }
        let (org, _) = self.organization_for_member(actor.user.id, org_id).await?;
        let lang = detect(text, None);
        let declined = |reason: EscalationReason| match stays_with_ai(&org.settings, reason, lang) {
            Some(reply) => TrialTurn::DeclinesAlone { reason, reply },
            None => TrialTurn::HandsOff { reason, reply: confirmation(&org.settings, reason, lang) },
        };
        let vector = self.embed_query_for(org.id, text).await?;
        if let Some(reason) = self.escalation_reason(text, &vector, lang).await?
            && org.settings.escalates(reason)
        {
            return Ok(declined(reason));
        }
        let cleaned = prompt::strip_instructions(text);
        let question = cleaned.trim();
        if question.is_empty() {
            return Ok(declined(EscalationReason::LowConfidence));
        }
        let exempt = [org.name.clone(), org.settings.company_name.clone()];
        let found = self.find_answer(&org, question, Reading::Alone(vector), lang, &exempt).await?;
        let found = if lang != Language::En && !self.embedder.calibration().multilingual {
            self.better_in_english(&org, found, question, lang, &exempt).await?
        } else {
            found
        };
        let Found { question: asked, passages, choice, .. } = found;
        let Ok(choice) = choice else { return Ok(declined(EscalationReason::LowConfidence)) };
        let composed = extractive_reply(&choice, &passages, lang);
        if !ungrounded(&composed, &asked, &passages).is_empty() {
            return Ok(declined(EscalationReason::LowConfidence));
        }
        Ok(TrialTurn::Answers { reply: composed.text, source: passages[choice.passage].title.clone() })
    }
}

/// What the AI says instead of a hand-off when nothing is handed off: in AI-only mode, and for
/// an unanswered question with the low-confidence hand-off turned off (the visitor's own
/// request for a person still goes to the team). `None`: the conversation goes to the team.
fn stays_with_ai(settings: &OrgSettings, reason: EscalationReason, lang: Language) -> Option<String> {
    let unanswered_stays = reason == EscalationReason::LowConfidence && !settings.escalates(reason);
    if !(settings.ai_only_mode || unanswered_stays) {
        return None;
    }
    let p = if reason == EscalationReason::LowConfidence { Phrase::DontKnow } else { Phrase::CannotHandle };
    let text = phrase(p, lang);
    Some(if settings.contact_route.is_empty() {
        text.to_owned()
    } else {
        format!("{text} {}", language::contact_hint(lang, &settings.contact_route))
    })
}

/// The grounding guard: the claims of an answer its passages do not support (numbers and names
/// not in them, a yes or no the quoted passage does not say).
fn ungrounded(composed: &Composed, question: &str, passages: &[Passage]) -> Vec<String> {
    answer::unsupported_claims(&composed.claims, question, passages)
        .into_iter()
        .chain(answer::polarity_mismatches(&composed.claims, passages))
        .collect()
}

/// The organisation's confirmation message; the default one says, in the visitor's language,
/// why a person takes over: a question the AI is unsure of, a matter for a person (refund,
/// complaint, account), or the visitor's own request.
fn confirmation(settings: &OrgSettings, reason: EscalationReason, lang: Language) -> String {
    if settings.confirmation_message == OrgSettings::default().confirmation_message {
        let p = match reason {
            EscalationReason::LowConfidence => Phrase::PassedOn,
            EscalationReason::Requested => Phrase::Escalated,
            EscalationReason::Refund | EscalationReason::Complaint | EscalationReason::Account => Phrase::NeedsPerson,
        };
        phrase(p, lang).to_owned()
    } else {
        settings.confirmation_message.clone()
    }
}

/// How a question is read: alone (with its embedding, already made), or as the resolved form
/// of a follow-up whose own words are given, and which keeps the earlier question's named
/// things when it points back at them.
#[derive(Clone, Debug)]
enum Reading<'a> {
    Alone(Vec<f32>),
    /// `must_relate`: read together only on a guess, so the quoted unit must be close to the
    /// message's own words too.
    FollowUp {
        own: &'a str,
        own_vector: &'a [f32],
        carries_names: bool,
        must_relate: bool,
    },
}

/// What retrieval and the extractive decision found for one reading of the question.
struct Found {
    /// The question as it was read (the visitor's words, or resolved against earlier ones).
    question: String,
    passages: Vec<Passage>,
    choice: Result<answer::Choice, Unanswerable>,
    /// For a follow-up reading: `(carries_names, must_relate)` of [`Reading::FollowUp`].
    follow_up: Option<(bool, bool)>,
}

/// The extractive reply: a yes or no when the quote says so plainly, the fixed intro in the
/// visitor's language, the quote, and a note when the quote is in another language.
fn extractive_reply(choice: &answer::Choice, passages: &[Passage], lang: Language) -> Composed {
    let claims = choice.quoted.join("\n");
    let mut text = match choice.verdict {
        Some(true) => format!("{} {}", phrase(Phrase::Yes, lang), phrase(Phrase::AnswerIntro, lang)),
        Some(false) => format!("{} {}", phrase(Phrase::No, lang), phrase(Phrase::AnswerIntro, lang)),
        None => phrase(Phrase::AnswerIntro, lang).to_owned(),
    };
    text.push_str("\n\n");
    text.push_str(&claims);
    // The knowledge base's language, read from the whole passage (a quoted table row alone is
    // too short to tell), or when even that is too short (a table), from every passage read;
    // and only when the text says it clearly.
    let source_passage = &passages[choice.passage];
    let source =
        language::detect_clearly(&format!("{}\n{}", source_passage.title, source_passage.text)).or_else(|| {
            let all: Vec<String> = passages.iter().map(|p| format!("{}\n{}", p.title, p.text)).collect();
            language::detect_clearly(&all.join("\n"))
        });
    if let Some(source) = source.filter(|s| *s != lang) {
        text.push_str("\n\n");
        text.push_str(&language::source_note(lang, source));
    }
    Composed { text, claims, citations: vec![Citation::of(&passages[choice.passage])] }
}

/// An answer ready to send: `text` as the visitor sees it, `claims` what the guard checks.
#[derive(Clone, Debug)]
struct Composed {
    text: String,
    claims: String,
    citations: Vec<Citation>,
}
