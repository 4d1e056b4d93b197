//! Dynamic batching of short embedding requests for the in-process models.
//!
//! Every visitor turn embeds one short text. Run one at a time, a forward pass of
//! all-MiniLM-L6-v2 costs about 9 ms of CPU per question; the same questions in passes of 8 cost
//! under 4 ms each, because the matrix products get wide enough to use the cores (measured on
//! the project's 2-core machine). Under load many turns wait for the model at once, so one
//! worker thread takes whatever requests are queued when it becomes free and embeds them in one
//! pass. An idle server waits for nothing: a lone request is embedded as soon as it arrives.
//!
//! Large requests (ingestion's batches) keep their own pass on the blocking pool; they would
//! only hold short requests back.

use tokio::sync::{mpsc, oneshot};

use super::EmbeddingError;

/// Requests of at most this many texts are coalesced.
pub(crate) const SHORT_REQUEST: usize = 8;
/// Most texts in one coalesced pass.
const MOST_TEXTS_PER_PASS: usize = 32;

type Reply = oneshot::Sender<Result<Vec<Vec<f32>>, EmbeddingError>>;

/// A queue in front of one worker thread that embeds coalesced requests. The worker ends when
/// the queue is dropped.
#[derive(Debug)]
pub(crate) struct Coalescer {
    queue: mpsc::UnboundedSender<(Vec<String>, Reply)>,
}

impl Coalescer {
    /// Starts the worker; `embed` is the model's synchronous forward pass over many texts.
    pub(crate) fn start(
        name: &str,
        embed: impl Fn(&[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> + Send + 'static,
    ) -> Result<Self, EmbeddingError> {
        let (queue, mut requests) = mpsc::unbounded_channel::<(Vec<String>, Reply)>();
        std::thread::Builder::new()
            .name(format!("embed-{name}"))
            .spawn(move || {
                while let Some(first) = requests.blocking_recv() {
                    let mut batch = vec![first];
                    let mut texts = batch[0].0.len();
                    while texts < MOST_TEXTS_PER_PASS {
                        let Ok(next) = requests.try_recv() else { break };
                        texts += next.0.len();
                        batch.push(next);
                    }
                    run(&embed, batch);
                }
            })
            .map_err(|e| EmbeddingError::Load(format!("starting the embedding worker: {e}")))?;
        Ok(Self { queue })
    }

    /// Embeds `texts` in the next pass of the worker.
    pub(crate) async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((texts, reply))
            .map_err(|_| EmbeddingError::Inference("the embedding worker has stopped".to_owned()))?;
        answer.await.map_err(|_| EmbeddingError::Inference("the embedding worker has stopped".to_owned()))?
    }
}

/// One pass over every text of `batch`; each request gets its own vectors back, in order.
fn run(embed: &impl Fn(&[String]) -> Result<Vec<Vec<f32>>, EmbeddingError>, batch: Vec<(Vec<String>, Reply)>) {
    let all: Vec<String> = batch.iter().flat_map(|(texts, _)| texts.iter().cloned()).collect();
    match embed(&all) {
        Ok(vectors) if vectors.len() == all.len() => {
            let mut vectors = vectors.into_iter();
            for (texts, reply) in batch {
                // A caller that gave up (its request was cancelled) no longer listens.
                let _ = reply.send(Ok(vectors.by_ref().take(texts.len()).collect()));
            }
        }
        Ok(vectors) => {
            for (_, reply) in batch {
                let _ = reply.send(Err(EmbeddingError::Inference(format!(
                    "{} vectors for {} texts",
                    vectors.len(),
                    all.len()
                ))));
            }
        }
        Err(e) => {
            let message = e.to_string();
            for (_, reply) in batch {
                let _ = reply.send(Err(EmbeddingError::Inference(message.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A stand-in forward pass that records each pass's size and "embeds" a text as its length.
    fn counting(passes: Arc<Mutex<Vec<usize>>>) -> impl Fn(&[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        move |texts: &[String]| {
            passes.lock().expect("lock").push(texts.len());
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(texts.iter().map(|t| vec![t.len() as f32]).collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_passes_and_each_gets_its_own_vectors() {
        let passes = Arc::new(Mutex::new(Vec::new()));
        let coalescer = Arc::new(Coalescer::start("test", counting(Arc::clone(&passes))).expect("worker"));
        let mut tasks = Vec::new();
        for i in 0..20usize {
            let c = Arc::clone(&coalescer);
            tasks.push(tokio::spawn(async move {
                let texts = vec!["x".repeat(i + 1), "y".repeat(100 + i)];
                (i, c.embed(texts).await.expect("vectors"))
            }));
        }
        for task in tasks {
            let (i, vectors) = task.await.expect("task");
            assert_eq!(vectors, vec![vec![(i + 1) as f32], vec![(100 + i) as f32]], "request {i}");
        }
        let passes = passes.lock().expect("lock").clone();
        assert_eq!(passes.iter().sum::<usize>(), 40, "every text embedded exactly once");
        assert!(passes.len() < 20, "requests waiting together share a pass: {passes:?}");
        assert!(passes.iter().all(|&n| n <= MOST_TEXTS_PER_PASS), "{passes:?}");
    }

    #[tokio::test]
    async fn a_failed_pass_fails_every_request_in_it() {
        let coalescer = Coalescer::start("test", |_: &[String]| Err(EmbeddingError::Inference("no model".to_owned())))
            .expect("worker");
        let err = coalescer.embed(vec!["hello".to_owned()]).await.expect_err("the pass fails");
        assert!(err.to_string().contains("no model"), "{err}");
    }
}
