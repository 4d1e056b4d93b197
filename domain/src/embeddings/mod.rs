//! Sentence embeddings behind one trait: `local` (all-MiniLM-L6-v2 on CPU with candle, the
//! default, no key needed) or `openai` (any OpenAI-compatible `/v1/embeddings` server).
//!
//! Every chunk records the [`Embedder::model_id`] that made its vector, so switching provider
//! re-embeds the knowledge base; the vector length always comes from the provider itself.

mod batching;
mod e5;
mod local;
mod openai;

use std::sync::Arc;

pub use e5::{E5Embedder, MODEL_ID as MULTILINGUAL_MODEL_ID};
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

    /// Where this model's similarities mean "answers" and "same intent". Score distributions
    /// differ per model, so each local model carries its own, chosen with `make eval`; a
    /// server's model gets all-MiniLM-L6-v2's.
    fn calibration(&self) -> Calibration {
        Calibration::ALL_MINILM_L6_V2
    }
}

/// Similarity thresholds of one embedding model (cosines of unit vectors).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// A retrieved passage from which the chat model is asked even without an extractive answer.
    pub relevance: f32,
    /// Least sentence similarity of a quoted unit.
    pub min_similarity: f32,
    /// Weight of the question's word coverage next to the similarity.
    pub lexical_weight: f32,
    /// Least `similarity + lexical_weight × coverage (+ bonus)` of a quoted unit.
    pub min_score: f32,
    /// Similarity to a labelled escalation example from which that example's intent counts.
    pub intent_similarity: f32,
    /// Whether similarities hold across languages (a question and its translation are close).
    pub multilingual: bool,
    /// Word coverage credited to a passage in another language than the question (0 unless
    /// multilingual).
    pub foreign_coverage: f32,
}

impl Calibration {
    /// all-MiniLM-L6-v2 (answering passages ≥ 0.45, unrelated questions ≤ 0.25).
    pub const ALL_MINILM_L6_V2: Self = Self {
        relevance: 0.35,
        min_similarity: 0.2,
        lexical_weight: 0.4,
        min_score: 0.58,
        intent_similarity: 0.72,
        multilingual: false,
        foreign_coverage: 0.0,
    };
    /// multilingual-e5-small: nearly every pair of texts scores 0.7 or more, so the scale is
    /// compressed (answering sentences 0.85–0.92, near misses 0.8–0.88) and word coverage weighs
    /// less. Intent examples: unrelated questions reach 0.89 against an escalation example.
    pub const MULTILINGUAL_E5_SMALL: Self = Self {
        relevance: 0.85,
        min_similarity: 0.75,
        lexical_weight: 0.1,
        min_score: 0.9,
        intent_similarity: 0.92,
        multilingual: true,
        foreign_coverage: 0.5,
    };
}

/// A shared embedder, as services hold it.
pub type SharedEmbedder = Arc<dyn Embedder>;

/// The models that run in-process, with no server.
///
/// all-MiniLM-L6-v2 stays the default: on `make eval` it picks the answering sentence of an
/// English knowledge base more often (English is the product's first language); the multilingual
/// model answers questions in other languages that the English-only model cannot (README,
/// "Answer quality").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub enum LocalModel {
    /// all-MiniLM-L6-v2 (English only, 6 layers): the default.
    #[default]
    #[serde(rename = "all-MiniLM-L6-v2")]
    AllMiniLmL6V2,
    /// multilingual-e5-small (about 100 languages, 12 layers; twice the CPU per text).
    #[serde(rename = "multilingual-e5-small")]
    MultilingualE5Small,
}

impl LocalModel {
    pub const ALL: [Self; 2] = [Self::AllMiniLmL6V2, Self::MultilingualE5Small];

    /// The name used in settings (`ITEROCHAT_LOCAL_MODEL`) and as its folder under `.tools/models`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::MultilingualE5Small => "multilingual-e5-small",
            Self::AllMiniLmL6V2 => "all-MiniLM-L6-v2",
        }
    }

    /// The model called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Which provider to use, from the server's settings.
#[derive(Clone, Debug)]
pub enum EmbeddingConfig {
    /// An in-process model whose files are in this folder.
    Local { model: LocalModel, model_dir: std::path::PathBuf },
    /// An OpenAI-compatible server.
    OpenAi { base_url: String, api_key: String, model: String },
}

/// Builds the configured embedder; for `openai` one probe request learns the vector length.
pub async fn from_config(config: &EmbeddingConfig) -> Result<SharedEmbedder, EmbeddingError> {
    match config {
        EmbeddingConfig::Local { model, model_dir } => {
            let (model, dir) = (*model, model_dir.clone());
            tokio::task::spawn_blocking(move || -> Result<SharedEmbedder, EmbeddingError> {
                Ok(match model {
                    LocalModel::MultilingualE5Small => Arc::new(E5Embedder::load(&dir)?),
                    LocalModel::AllMiniLmL6V2 => Arc::new(LocalEmbedder::load(&dir)?),
                })
            })
            .await
            .map_err(|e| EmbeddingError::Load(e.to_string()))?
        }
        EmbeddingConfig::OpenAi { base_url, api_key, model } => {
            Ok(Arc::new(OpenAiEmbedder::connect(base_url, api_key, model).await?))
        }
    }
}

/// Mean pooling over the real tokens (`mask`: 1 for a token, 0 for padding) of an encoder's
/// `(batch, seq, hidden)` output, L2-normalised so that cosine similarity is a dot product.
pub(crate) fn mean_pool_normalised(
    hidden: &candle_core::Tensor,
    mask: &candle_core::Tensor,
) -> candle_core::Result<Vec<Vec<f32>>> {
    let mask = mask.to_dtype(candle_core::DType::F32)?.unsqueeze(2)?; // (batch, seq, 1)
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (batch, hidden)
    let counts = mask.sum(1)?.maximum(1e-9f32)?; // (batch, 1)
    let mean = summed.broadcast_div(&counts)?;
    let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.maximum(1e-12f32)?; // (batch, 1)
    mean.broadcast_div(&norms)?.to_vec2::<f32>()
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
