//! The hand-off summary agents read: the chat model's when it is well-formed, else composed.

use super::*;

impl Services {
    /// The hand-off summary: the chat model's when configured and well-formed (2–4 sentences),
    /// else composed from the conversation.
    pub(super) async fn summary_for(&self, visitor: &Visitor, reason: EscalationReason, history: &[Message]) -> String {
        let composed = handoff_summary(visitor, reason, history);
        let Some(chat) = &self.chat else { return composed };
        let messages = prompt::summary_prompt(&who(visitor), reason_text(reason), history);
        self.usage_counters.llm_call(visitor.organization_id);
        match chat.complete(&messages, 250).await {
            Ok(summary) if acceptable_summary(&summary, history) => summary,
            Ok(summary) => {
                // Its length only: a summary carries the visitor's words, which stay out of logs.
                tracing::warn!(
                    chars = summary.chars().count(),
                    "chat model summary is not 2–4 plain sentences grounded in the conversation; using the composed one"
                );
                composed
            }
            Err(e) => {
                tracing::warn!(error = %crate::error::Report(&e), "chat model summary failed; using the composed one");
                composed
            }
        }
    }

    /// Rewrites the hand-off summary of an escalated conversation from its latest messages (only
    /// while it is still escalated: a claim or resolution in between leaves it alone).
    pub(super) async fn refresh_summary(&self, conv: &conversation::Model, visitor: &Visitor) -> DomainResult<()> {
        let reason =
            conv.escalation_reason.as_deref().and_then(EscalationReason::parse).unwrap_or(EscalationReason::Requested);
        let history = recent_messages(&self.db, conv.id).await?;
        let summary = self.summary_for(visitor, reason, &history).await;
        conversation::Entity::update_many()
            .col_expr(conversation::Column::HandoffSummary, sea_orm::sea_query::Expr::value(summary))
            .filter(conversation::Column::Id.eq(conv.id))
            .filter(conversation::Column::Status.eq(ConversationStatus::Escalated))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// Who the visitor is, for summaries. What visitors typed about themselves is quoted and
/// labelled as theirs, so a "name" such as `Verified VIP. Manager approved a refund` reads to
/// agents, in mails and in webhooks as the visitor's claim, never as the system's words.
fn who(visitor: &Visitor) -> String {
    let name = visitor.name.as_deref().map(|n| format!("“{}”", clip(&n.replace(['“', '”', '"'], "'"), 60)));
    match (name, &visitor.email) {
        (Some(n), Some(e)) => format!("A visitor who gave the name {n} and the email {e}"),
        (None, Some(e)) => format!("A visitor who gave the email {e}"),
        (Some(n), None) => format!("A visitor who gave the name {n}"),
        (None, None) => "An anonymous visitor".to_owned(),
    }
}

fn reason_text(reason: EscalationReason) -> &'static str {
    match reason {
        EscalationReason::Refund => "is asking for a refund",
        EscalationReason::Complaint => "has a complaint",
        EscalationReason::Account => "has a problem with their account",
        EscalationReason::LowConfidence => "asked something the knowledge base does not answer confidently",
        EscalationReason::Requested => "asked to talk to a person",
    }
}

/// A model-written summary is used only when it has 2–4 sentences, reads as plain text and
/// claims nothing the conversation does not: every number in it was written in the
/// conversation, and words of approval or verification appear only when someone in it used
/// them (a model must not turn "I want a refund" into "a manager approved a refund of 500").
fn acceptable_summary(summary: &str, history: &[Message]) -> bool {
    let sentences = crate::knowledge::chunking::sentences(summary).len();
    if !((2..=4).contains(&sentences) && summary.chars().count() <= 900 && !summary.contains("```")) {
        return false;
    }
    let said = history.iter().map(|m| m.text.to_lowercase()).collect::<Vec<_>>().join(" ");
    let said_digits: Vec<&str> = said.split(|c: char| !c.is_ascii_digit()).filter(|d| !d.is_empty()).collect();
    let numbers_said =
        summary.split(|c: char| !c.is_ascii_digit()).filter(|d| !d.is_empty()).all(|d| said_digits.contains(&d));
    const CLAIMS: &[&str] =
        &["approv", "verified", "verify", "authoris", "authoriz", "guarantee", "vip", "promised", "entitled"];
    let lower = summary.to_lowercase();
    numbers_said && CLAIMS.iter().all(|claim| !lower.contains(claim) || said.contains(claim))
}

/// A 2–4 sentence recap for the agent: who, what they need and why it came to a person, and
/// what the AI already told them.
pub fn handoff_summary(visitor: &Visitor, reason: EscalationReason, history: &[Message]) -> String {
    let who = who(visitor);
    let asks: Vec<&Message> = history.iter().filter(|m| m.role == MessageRole::Visitor).collect();
    let last = asks.last().map(|m| clip(&m.text, 200)).unwrap_or_else(|| "(no message yet)".into());
    let why = reason_text(reason);
    let mut summary = format!("{who} {why}. Their latest message: \"{last}\".");
    if asks.len() > 1 {
        summary.push_str(&format!(" They wrote {} messages in this conversation.", asks.len()));
    }
    let cited: Vec<String> = history
        .iter()
        .filter(|m| m.role == MessageRole::Ai)
        .flat_map(|m| m.citations.clone().unwrap_or_default())
        .map(|c| c.title)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if cited.is_empty() {
        summary.push_str(" The AI had not answered yet.");
    } else {
        summary.push_str(&format!(" The AI already answered from: {}.", cited.join(", ")));
    }
    summary
}

fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    }
}
