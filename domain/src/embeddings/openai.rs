//! Embeddings from any OpenAI-compatible server (OpenAI, Ollama, vLLM…) via openai-api-rs.

use openai_api_rs::v1::api::OpenAIClient;
use openai_api_rs::v1::embedding::EmbeddingRequest;

use super::{Embedder, EmbeddingError};

/// Inputs per request; servers cap batch sizes and this keeps requests small.
const BATCH: usize = 64;
/// Seconds before a request is abandoned.
const TIMEOUT_SECS: u64 = 60;

/// A remote embedding model. The vector length is learned from the server at connect time.
pub struct OpenAiEmbedder {
    client: OpenAIClient,
    model: String,
    model_id: String,
    dims: usize,
}

impl std::fmt::Debug for OpenAiEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiEmbedder").field("model", &self.model).field("dims", &self.dims).finish_non_exhaustive()
    }
}

impl OpenAiEmbedder {
    /// Connects to `base_url` (including `/v1`) and embeds a probe text to learn the dimension,
    /// so a wrong URL, key or model fails at start-up with the server's message.
    pub async fn connect(base_url: &str, api_key: &str, model: &str) -> Result<Self, EmbeddingError> {
        let client = OpenAIClient::builder()
            .with_endpoint(base_url.trim_end_matches('/'))
            .with_api_key(api_key)
            .with_timeout(TIMEOUT_SECS)
            .build()
            .map_err(|e| EmbeddingError::Load(e.to_string()))?;
        let mut embedder = Self { client, model: model.to_owned(), model_id: format!("openai:{model}"), dims: 0 };
        let probe = embedder.request(&["dimension probe".to_owned()]).await?;
        embedder.dims =
            probe.first().map(Vec::len).filter(|d| *d > 0).ok_or_else(|| {
                EmbeddingError::Remote(format!("the server returned no embedding for model '{model}'"))
            })?;
        Ok(embedder)
    }

    async fn request(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let response = self
            .client
            .embedding(EmbeddingRequest::new(self.model.clone(), texts.to_vec()))
            .await
            .map_err(|e| EmbeddingError::Remote(e.to_string()))?;
        let mut data = response.inner.data;
        if data.len() != texts.len() {
            return Err(EmbeddingError::Remote(format!("asked for {} embeddings, got {}", texts.len(), data.len())));
        }
        data.sort_by_key(|d| d.index);
        Ok(data.into_iter().map(|d| normalise(d.embedding)).collect())
    }
}

#[async_trait::async_trait]
impl Embedder for OpenAiEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            let vectors = self.request(batch).await?;
            if let Some(bad) = vectors.iter().find(|v| v.len() != self.dims) {
                return Err(EmbeddingError::Remote(format!("expected {} dimensions, got {}", self.dims, bad.len())));
            }
            out.extend(vectors);
        }
        Ok(out)
    }
}

/// Scales to unit length (OpenAI's vectors already are; other servers' may not be).
fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
