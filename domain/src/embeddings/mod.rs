//! Sentence embeddings behind one trait: `local` (all-MiniLM-L6-v2 on CPU with candle, the
//! default, no key needed) or `openai` (any OpenAI-compatible `/v1/embeddings` server).
//!
//! Every chunk records the [`Embedder::model_id`] that made its vector, so switching provider
//! re-embeds the knowledge base; the vector length always comes from the provider itself.

mod local;
mod openai;

use std::sync::Arc;

pub use local::{LocalEmbedder, MODEL_ID as LOCAL_MODEL_ID};
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

/// Packs unit vectors compactly: per vector a little-endian `u16` length, an `f32` scale and
/// one `i8` per component (a quarter of the `f32` size; cosine error about 0.005).
pub fn quantize(vectors: &[Vec<f32>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(vectors.iter().map(|v| v.len() + 6).sum());
    for v in vectors {
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        out.extend_from_slice(&(v.len().min(u16::MAX as usize) as u16).to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend(v.iter().take(u16::MAX as usize).map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8 as u8));
    }
    out
}

/// Unpacks [`quantize`]d vectors; `None` if the bytes are not in that format.
pub fn dequantize(mut bytes: &[u8]) -> Option<Vec<Vec<f32>>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len = u16::from_le_bytes(bytes.get(..2)?.try_into().ok()?) as usize;
        let scale = f32::from_le_bytes(bytes.get(2..6)?.try_into().ok()?);
        let body = bytes.get(6..6 + len)?;
        out.push(body.iter().map(|b| f32::from(*b as i8) * scale).collect());
        bytes = &bytes[6 + len..];
    }
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_vectors_keep_their_cosines() {
        let a: Vec<f32> = (0..384).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
        let b: Vec<f32> = (0..384).map(|i| ((i * 53 % 97) as f32 - 48.0) / 48.0).collect();
        let unit = |v: Vec<f32>| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
        };
        let (a, b) = (unit(a), unit(b));
        let back = dequantize(&quantize(&[a.clone(), b.clone()])).expect("round trip");
        assert_eq!(back.len(), 2);
        let cos = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        assert!((cos(&a, &b) - cos(&back[0], &back[1])).abs() < 0.01);
        assert!((cos(&a, &back[0]) - 1.0).abs() < 0.01);
        assert_eq!(dequantize(&[1, 0, 0]), None, "truncated bytes are refused");
        assert_eq!(dequantize(&[]), Some(vec![]));
    }
}
