//! In-process sentence embeddings with candle: a BERT encoder (all-MiniLM-L6-v2) on the CPU,
//! mean-pooled over real tokens and L2-normalised, so no embedding server is needed.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{
    PaddingDirection, PaddingParams, PaddingStrategy, Tokenizer, TruncationDirection, TruncationParams,
    TruncationStrategy,
};

use super::batching::{Coalescer, SHORT_REQUEST};
use super::{Embedder, EmbeddingError};

/// Identifier stored with every chunk embedded by [`LocalEmbedder`].
pub const MODEL_ID: &str = "local:all-MiniLM-L6-v2";
/// Longest input, in tokens (special tokens included); longer texts are truncated.
const MAX_TOKENS: usize = 256;
/// Texts per forward pass; bounds peak memory for long inputs.
const BATCH_SIZE: usize = 32;

/// Sentence embedder running all-MiniLM-L6-v2 in-process on the CPU.
///
/// CPU threads: candle 0.11 runs matmuls through `gemm` with `Parallelism::Rayon(n)`, where
/// `n = candle_core::utils::get_num_threads()` = `RAYON_NUM_THREADS` if set (> 0), else the
/// number of physical cores; this type sets no global thread state.
pub struct LocalEmbedder {
    model: Arc<BertModel>,
    tokenizer: Arc<Tokenizer>,
    device: Device,
    dims: usize,
    model_id: String,
    /// Short requests (a visitor's question) share forward passes ([`super::batching`]).
    coalescer: Coalescer,
}

impl fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("model_id", &self.model_id)
            .field("dims", &self.dims)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl LocalEmbedder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `model_dir`.
    /// Fails with [`EmbeddingError::Load`] if a file is missing or does not match the BERT layout.
    pub fn load(model_dir: &Path) -> Result<Self, EmbeddingError> {
        let load_err = |e: &dyn fmt::Display| EmbeddingError::Load(e.to_string());
        let device = Device::Cpu;

        let config_path = model_dir.join("config.json");
        let config_text = std::fs::read_to_string(&config_path)
            .map_err(|e| EmbeddingError::Load(format!("{}: {e}", config_path.display())))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| EmbeddingError::Load(format!("{}: {e}", config_path.display())))?;

        let tokenizer_path = model_dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| EmbeddingError::Load(format!("{}: {e}", tokenizer_path.display())))?;
        // Keep the file's pad token/id; only switch Fixed(128) padding to per-batch padding.
        let (pad_id, pad_type_id, pad_token) = match tokenizer.get_padding() {
            Some(p) => (p.pad_id, p.pad_type_id, p.pad_token.clone()),
            None => {
                let token = "[PAD]";
                let id = tokenizer
                    .token_to_id(token)
                    .ok_or_else(|| EmbeddingError::Load(format!("tokenizer has no padding token {token}")))?;
                (id, 0, token.to_owned())
            }
        };
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id,
            pad_type_id,
            pad_token,
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: MAX_TOKENS.min(config.max_position_embeddings),
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| load_err(&e))?;

        let weights_path = model_dir.join("model.safetensors");
        // SAFETY: the weights file is memory-mapped read-only; it must not be modified or
        // truncated while mapped, which holds because model files are never written at runtime.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights_path], DType::F32, &device) }
            .map_err(|e| EmbeddingError::Load(format!("{}: {e}", weights_path.display())))?;
        // The sentence-transformers export has no "bert." prefix ("embeddings.*", "encoder.*");
        // BertModel::load tries unprefixed names first, then "{model_type}." ("bert."), so both work.
        let model = BertModel::load(vb, &config).map_err(|e| load_err(&e))?;

        tracing::debug!(
            model_dir = %model_dir.display(),
            dims = config.hidden_size,
            "loaded local embedding model"
        );
        let (model, tokenizer) = (Arc::new(model), Arc::new(tokenizer));
        let coalescer = {
            let (model, tokenizer, device, dims) =
                (Arc::clone(&model), Arc::clone(&tokenizer), device.clone(), config.hidden_size);
            Coalescer::start("minilm", move |texts| embed_texts(&model, &tokenizer, &device, dims, texts))?
        };
        Ok(Self { model, tokenizer, device, coalescer, dims: config.hidden_size, model_id: MODEL_ID.to_owned() })
    }

    /// Embeds `texts` on the calling thread (CPU-bound: call from a blocking context).
    /// Returns one unit-length vector of [`Embedder::dimensions`] floats per text, in order.
    pub fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        embed_texts(&self.model, &self.tokenizer, &self.device, self.dims, texts)
    }
}

#[async_trait::async_trait]
impl Embedder for LocalEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        if texts.len() <= SHORT_REQUEST {
            return self.coalescer.embed(texts.to_vec()).await;
        }
        let model = Arc::clone(&self.model);
        let tokenizer = Arc::clone(&self.tokenizer);
        let device = self.device.clone();
        let dims = self.dims;
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || embed_texts(&model, &tokenizer, &device, dims, &texts))
            .await
            .map_err(|e| EmbeddingError::Inference(format!("embedding task failed: {e}")))?
    }
}

/// Embeds `texts` in chunks of [`BATCH_SIZE`]; shared by the sync and async entry points.
fn embed_texts(
    model: &BertModel,
    tokenizer: &Tokenizer,
    device: &Device,
    dims: usize,
    texts: &[String],
) -> Result<Vec<Vec<f32>>, EmbeddingError> {
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(BATCH_SIZE) {
        out.extend(embed_chunk(model, tokenizer, device, dims, chunk)?);
    }
    Ok(out)
}

/// One forward pass: tokenize, encode, mean-pool over the attention mask, L2-normalise.
fn embed_chunk(
    model: &BertModel,
    tokenizer: &Tokenizer,
    device: &Device,
    dims: usize,
    texts: &[String],
) -> Result<Vec<Vec<f32>>, EmbeddingError> {
    let infer_err = |e: &dyn fmt::Display| EmbeddingError::Inference(e.to_string());
    if texts.is_empty() {
        return Ok(Vec::new());
    }

    let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let encodings =
        tokenizer.encode_batch(inputs, true).map_err(|e| EmbeddingError::Inference(format!("tokenizing: {e}")))?;

    // BatchLongest padding makes every encoding the same length.
    let batch = encodings.len();
    let seq_len = encodings.first().map_or(0, |e| e.get_ids().len());
    let mut ids = Vec::with_capacity(batch * seq_len);
    let mut type_ids = Vec::with_capacity(batch * seq_len);
    let mut mask = Vec::with_capacity(batch * seq_len);
    for encoding in &encodings {
        if encoding.get_ids().len() != seq_len {
            return Err(EmbeddingError::Inference("tokenizer returned encodings of different lengths".to_owned()));
        }
        ids.extend_from_slice(encoding.get_ids());
        type_ids.extend_from_slice(encoding.get_type_ids());
        mask.extend_from_slice(encoding.get_attention_mask());
    }

    // Run inside candle's own CPU thread pool (sized as documented on LocalEmbedder).
    let rows = device.with_context(|| -> candle_core::Result<Vec<Vec<f32>>> {
        let input_ids = Tensor::from_vec(ids, (batch, seq_len), device)?;
        let token_type_ids = Tensor::from_vec(type_ids, (batch, seq_len), device)?;
        let attention_mask = Tensor::from_vec(mask, (batch, seq_len), device)?;

        // (batch, seq_len, hidden)
        let hidden = model.forward(&input_ids, &token_type_ids, Some(&attention_mask))?;

        super::mean_pool_normalised(&hidden, &attention_mask)
    });
    let rows = rows.map_err(|e| infer_err(&e))?;

    if let Some(bad) = rows.iter().find(|row| row.len() != dims) {
        return Err(EmbeddingError::Inference(format!("model returned {} dimensions, expected {dims}", bad.len())));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/models/all-MiniLM-L6-v2");

    fn embedder() -> LocalEmbedder {
        LocalEmbedder::load(Path::new(MODEL_DIR)).expect("model loads")
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        // Inputs are unit vectors, so the dot product is the cosine.
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn vectors_have_model_dimensions_and_unit_norm() {
        let embedder = embedder();
        assert_eq!(embedder.dimensions(), 384);
        assert_eq!(embedder.model_id(), "local:all-MiniLM-L6-v2");

        let texts = vec![
            "Hello world".to_owned(),
            "A much longer sentence, so that the batch needs padding on the first one.".to_owned(),
            String::new(),
        ];
        let vectors = embedder.embed_batch(&texts).expect("embedding works");
        assert_eq!(vectors.len(), texts.len());
        for v in &vectors {
            assert_eq!(v.len(), 384);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "norm was {norm}");
        }

        assert!(embedder.embed_batch(&[]).expect("empty input").is_empty());
    }

    #[test]
    fn similar_sentences_are_closer_than_unrelated_ones() {
        let embedder = embedder();
        let texts = vec![
            "How do I reset my password?".to_owned(),
            "Steps to change a forgotten password".to_owned(),
            "Our office is closed on public holidays".to_owned(),
        ];
        let v = embedder.embed_batch(&texts).expect("embedding works");
        let related = cosine(&v[0], &v[1]);
        let unrelated = cosine(&v[0], &v[2]);
        assert!(related > unrelated, "related {related} should exceed unrelated {unrelated}");
    }
}
