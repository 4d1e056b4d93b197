//! Sentence embeddings behind one trait: `local` (all-MiniLM-L6-v2 on CPU with candle, the
//! default, no key needed) or `openai` (any OpenAI-compatible `/v1/embeddings` server).
//!
//! Every chunk records the [`Embedder::model_id`] that made its vector, so switching provider
//! re-embeds the knowledge base; the vector length always comes from the provider itself.

mod local;
mod openai;

use std::sync::Arc;

pub use local::LocalEmbedder;
pub use openai::OpenAiEmbedder;

/// Why embedding failed.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    #[error("loading the embedding model: {0}")]
    Load(String),
    #[error("embedding failed: {0}")]
    Inference(String),
    #[error("embedding server: {0}")]
    Remote(String),
}

/// Turns texts into vectors whose cosine similarity reflects meaning.
#[async_trait::async_trait]
pub trait Embedder: Send + Sync + std::fmt::Debug {
    /// Identifies the model that made a vector, stored with every chunk.
    fn model_id(&self) -> &str;
    /// Length of every vector this embedder returns.
    fn dimensions(&self) -> usize;
    /// One L2-normalised vector per input text, in order.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError>;

    /// Cosine similarity from which a passage counts as answering a question. Calibrated per
    /// model (score distributions differ); the default suits all-MiniLM-L6-v2, measured on the
    /// test corpus (answering passages ≥ 0.45, unrelated questions ≤ 0.25).
    fn relevance_threshold(&self) -> f32 {
        0.35
    }
}

/// A shared embedder, as services hold it.
pub type SharedEmbedder = Arc<dyn Embedder>;

/// Which provider to use, from the server's settings.
#[derive(Clone, Debug)]
pub enum EmbeddingConfig {
    /// In-process all-MiniLM-L6-v2 from this folder.
    Local { model_dir: std::path::PathBuf },
    /// An OpenAI-compatible server.
    OpenAi { base_url: String, api_key: String, model: String },
}

/// Builds the configured embedder; for `openai` one probe request learns the vector length.
pub async fn from_config(config: &EmbeddingConfig) -> Result<SharedEmbedder, EmbeddingError> {
    match config {
        EmbeddingConfig::Local { model_dir } => {
            let dir = model_dir.clone();
            let embedder = tokio::task::spawn_blocking(move || LocalEmbedder::load(&dir))
                .await
                .map_err(|e| EmbeddingError::Load(e.to_string()))??;
            Ok(Arc::new(embedder))
        }
        EmbeddingConfig::OpenAi { base_url, api_key, model } => {
            Ok(Arc::new(OpenAiEmbedder::connect(base_url, api_key, model).await?))
        }
    }
}

/// pgvector's text form of a vector: `[0.1,0.2,…]`, bound as a parameter and cast with `::vector`.
pub fn to_pgvector(v: &[f32]) -> String {
    let mut s = String::with_capacity(v.len() * 10 + 2);
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&x.to_string());
    }
    s.push(']');
    s
}
