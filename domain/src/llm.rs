//! Chat completions from any OpenAI-compatible server (OpenAI, Ollama, vLLM…) via openai-api-rs.
//!
//! Replies are streamed (the server starts sending at once, and a stalled stream is cut at the
//! deadline) but collected whole: every answer passes the grounding guard before a visitor sees
//! it, so nothing half-checked is ever shown. No server configured → no [`ChatModel`], and the
//! conversation engine answers extractively.

use std::time::Duration;

use futures_util::StreamExt as _;
use openai_api_rs::v1::api::OpenAIClient;
use openai_api_rs::v1::chat_completion::chat_completion_stream::{
    ChatCompletionStreamRequest, ChatCompletionStreamResponse,
};
use openai_api_rs::v1::chat_completion::{ChatCompletionMessage, Content, MessageRole};

/// Longest a whole reply may take before it is abandoned (the visitor is waiting).
const DEADLINE: Duration = Duration::from_secs(45);

/// Why a completion failed. The engine falls back to the extractive answerer on any of them.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("chat server: {0}")]
    Remote(String),
    #[error("chat server sent nothing within {0:?}")]
    Timeout(Duration),
    #[error("chat server sent an empty reply")]
    Empty,
}

/// Where the chat model lives.
#[derive(Clone, Debug)]
pub struct ChatConfig {
    /// Base URL including `/v1`.
    pub base_url: String,
    pub api_key: String,
    pub model: String,
}

/// Who says a line of a prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaker {
    System,
    User,
    Assistant,
}

/// A remote chat model.
pub struct ChatModel {
    client: OpenAIClient,
    model: String,
}

impl std::fmt::Debug for ChatModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatModel").field("model", &self.model).finish_non_exhaustive()
    }
}

impl ChatModel {
    /// A client for `config`. Nothing is sent yet: a server that is down at start-up only means
    /// extractive answers until it is back.
    pub fn new(config: &ChatConfig) -> Result<Self, LlmError> {
        let client = OpenAIClient::builder()
            .with_endpoint(config.base_url.trim_end_matches('/'))
            .with_api_key(config.api_key.clone())
            .with_timeout(DEADLINE.as_secs())
            .build()
            .map_err(|e| LlmError::Remote(e.to_string()))?;
        Ok(Self { client, model: config.model.clone() })
    }

    /// The model's name on its server.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Streams one completion of `messages` and returns the whole text, trimmed.
    pub async fn complete(&self, messages: &[(Speaker, String)], max_tokens: i64) -> Result<String, LlmError> {
        let messages = messages
            .iter()
            .map(|(speaker, text)| ChatCompletionMessage {
                role: match speaker {
                    Speaker::System => MessageRole::system,
                    Speaker::User => MessageRole::user,
                    Speaker::Assistant => MessageRole::assistant,
                },
                content: Content::Text(text.clone()),
                name: None,
                tool_calls: None,
                tool_call_id: None,
            })
            .collect();
        let request =
            ChatCompletionStreamRequest::new(self.model.clone(), messages).temperature(0.0).max_tokens(max_tokens);
        let collect = async {
            let stream =
                self.client.try_chat_completion_stream(request).await.map_err(|e| LlmError::Remote(e.to_string()))?;
            let mut stream = std::pin::pin!(stream);
            let mut text = String::new();
            while let Some(item) = stream.next().await {
                match item.map_err(|e| LlmError::Remote(e.to_string()))? {
                    ChatCompletionStreamResponse::Content(piece) => text.push_str(&piece),
                    ChatCompletionStreamResponse::Done => break,
                    // Reasoning tokens and tool calls are not part of the answer.
                    ChatCompletionStreamResponse::Reasoning(_) | ChatCompletionStreamResponse::ToolCall(_) => {}
                }
            }
            Ok::<_, LlmError>(text)
        };
        let started = std::time::Instant::now();
        let result = match tokio::time::timeout(DEADLINE, collect).await {
            Err(_) => Err(LlmError::Timeout(DEADLINE)),
            Ok(Err(e)) => Err(e),
            Ok(Ok(text)) if text.trim().is_empty() => Err(LlmError::Empty),
            Ok(Ok(text)) => Ok(text.trim().to_owned()),
        };
        metrics::histogram!("iterochat_llm_seconds").record(started.elapsed().as_secs_f64());
        if let Err(e) = &result {
            let kind = match e {
                LlmError::Timeout(_) => "timeout",
                LlmError::Empty => "empty",
                LlmError::Remote(_) => "remote",
            };
            metrics::counter!("iterochat_llm_errors_total", "kind" => kind).increment(1);
        }
        result
    }
}
