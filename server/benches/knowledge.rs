//! `make bench`: knowledge-base figures, printed (never asserted).
//!
//! 1. Chunk size: top-3 document accuracy of the test corpus's reworded questions for several
//!    chunk sizes (how the default in `domain::knowledge::chunking` was chosen).
//! 2. Ingestion throughput of the local model (passages per second, batches of 16).
//! 3. Hybrid retrieval latency (p50/p95) at 10k and 100k passages, and recall@10 of the HNSW
//!    index against an exact scan, on a private embedded Postgres with clustered synthetic
//!    384-dimensional vectors.
//! 4. Server time per visitor message with the extractive default at 100k passages: the whole
//!    turn (store, language, escalation check, question embedding, retrieval, sentence
//!    embedding, guard, reply) with the real local model, the test corpus ingested for real and
//!    100k synthetic passages of the same model beside it.

mod support;

#[path = "../tests/api/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::embeddings::{Embedder, EmbeddingConfig, EmbeddingError, SharedEmbedder};
use domain::knowledge::chunking::{ChunkConfig, chunk};
use migrations::{Migrator, MigratorTrait};
use rand::{Rng, SeedableRng};
use sea_orm::prelude::PgVector;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use server::embedded_postgres::EmbeddedPostgres;
use uuid::Uuid;

const DIMS: usize = 384;
const QUERIES: usize = 200;

/// The in-process model measured: `ITEROCHAT_LOCAL_MODEL`, else the product's default.
fn local_model() -> domain::embeddings::LocalModel {
    std::env::var("ITEROCHAT_LOCAL_MODEL")
        .ok()
        .and_then(|name| domain::embeddings::LocalModel::from_name(&name))
        .unwrap_or_default()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let local = rt.block_on(domain::embeddings::from_config(&EmbeddingConfig::Local {
        model: local_model(),
        model_dir: root().join(".tools/models").join(local_model().name()),
    }))?;
    rt.block_on(chunk_sizes(&local))?;
    rt.block_on(ingestion(&local))?;
    let dir = tempfile::Builder::new().prefix("iterochat-bench-").tempdir()?;
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let pg = EmbeddedPostgres::start(
        dir.path(),
        &root().join(".tools/postgres"),
        &[
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("maintenance_work_mem", "1GB"),
            ("shared_buffers", "512MB"),
        ],
    )?;
    let result = rt.block_on(retrieval(&pg)).and_then(|()| rt.block_on(per_message(&pg, &local)));
    drop(rt);
    pg.stop()?;
    result
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The corpus as one long text without headings, so chunk sizes really change the passages;
/// each sentence remembers its topic. A question is answered when a top-3 passage contains a
/// sentence of its topic; "topics/passage" shows how much bigger passages dilute.
async fn chunk_sizes(embedder: &SharedEmbedder) -> anyhow::Result<()> {
    use domain::knowledge::chunking::sentences;
    let mut tagged: Vec<(&str, String)> = Vec::new();
    for (title, content) in corpus::DOCUMENTS {
        for line in content.lines().filter(|l| !l.trim_start().starts_with('#')) {
            tagged.extend(sentences(line).into_iter().map(|s| (*title, s)));
        }
    }
    let merged = tagged.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join(" ");
    println!(
        "== Chunk size vs. retrieval ({} questions over the corpus merged into one {}-word text)",
        corpus::QUESTIONS.len(),
        merged.split_whitespace().count()
    );
    println!(
        "{:>10} {:>8} {:>8} {:>15} {:>8} {:>8}",
        "max words", "overlap", "passages", "topics/passage", "top-1", "top-3"
    );
    let questions: Vec<String> = corpus::QUESTIONS.iter().map(|(q, _)| (*q).to_owned()).collect();
    let q_vecs = embedder.embed(&questions).await?;
    for (max_words, overlap) in [(30, 1), (60, 1), (90, 1), (120, 0), (120, 1), (180, 1), (400, 0)] {
        let passages = chunk(&merged, ChunkConfig { max_words, overlap_sentences: overlap });
        let topics: Vec<Vec<&str>> = passages
            .iter()
            .map(|p| {
                let mut t: Vec<&str> =
                    tagged.iter().filter(|(_, s)| p.text.contains(s.as_str())).map(|(t, _)| *t).collect();
                t.dedup();
                t
            })
            .collect();
        let texts: Vec<String> = passages.iter().map(|p| p.text.clone()).collect();
        let p_vecs = embedder.embed(&texts).await?;
        let (mut top1, mut top3) = (0, 0);
        for (qv, (_, expected)) in q_vecs.iter().zip(corpus::QUESTIONS) {
            let mut order: Vec<usize> = (0..p_vecs.len()).collect();
            order.sort_by(|&a, &b| cosine(qv, &p_vecs[b]).total_cmp(&cosine(qv, &p_vecs[a])));
            top1 += usize::from(order.first().is_some_and(|&i| topics[i].contains(expected)));
            top3 += usize::from(order.iter().take(3).any(|&i| topics[i].contains(expected)));
        }
        let n = corpus::QUESTIONS.len() as f64;
        let per = topics.iter().map(Vec::len).sum::<usize>() as f64 / topics.len().max(1) as f64;
        println!(
            "{max_words:>10} {overlap:>8} {:>8} {per:>15.1} {:>7.0}% {:>7.0}%",
            passages.len(),
            100.0 * top1 as f64 / n,
            100.0 * top3 as f64 / n
        );
    }
    Ok(())
}

async fn ingestion(embedder: &SharedEmbedder) -> anyhow::Result<()> {
    let mut passages = Vec::new();
    for round in 0..12 {
        for (title, content) in corpus::DOCUMENTS {
            for c in chunk(content, ChunkConfig::default()) {
                passages.push(format!("{title} (round {round})\n{}\n{}", c.heading, c.text));
            }
        }
    }
    let words: usize = passages.iter().map(|p| p.split_whitespace().count()).sum();
    let start = Instant::now();
    for batch in passages.chunks(16) {
        embedder.embed(batch).await?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("\n== Ingestion with the local model (all-MiniLM-L6-v2, candle, CPU)");
    println!(
        "{} passages (avg {} words) in {:.1} s: {:.1} passages/s",
        passages.len(),
        words / passages.len(),
        secs,
        passages.len() as f64 / secs
    );
    Ok(())
}

/// Returns a known vector for `q<index> …` texts; the synthetic benchmark needs no model.
#[derive(Debug)]
struct LookupEmbedder(Vec<Vec<f32>>);

#[async_trait::async_trait]
impl Embedder for LookupEmbedder {
    fn model_id(&self) -> &str {
        "bench:synthetic-384"
    }
    fn dimensions(&self) -> usize {
        DIMS
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        texts
            .iter()
            .map(|t| {
                let i: usize = t.trim_start_matches('q').split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
                self.0.get(i).cloned().ok_or_else(|| EmbeddingError::Inference("unknown query".into()))
            })
            .collect()
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    v
}

const WORDS: &[&str] = &[
    "order", "refund", "shipping", "delivery", "account", "password", "camera", "hub", "battery", "warranty",
    "invoice", "plan", "privacy", "data", "gift", "card", "support", "phone", "chat", "return", "label", "tracking",
    "parcel", "app", "sensor", "motion", "zone", "storage", "cloud", "update", "firmware", "light", "door", "lock",
    "alarm", "siren",
];

async fn retrieval(pg: &EmbeddedPostgres) -> anyhow::Result<()> {
    server::startup::ensure_database(&pg.url("postgres"), "bench").await?;
    let db = Database::connect(pg.url("bench")).await?;
    Migrator::up(&db, None).await?;
    let org = Uuid::new_v4();
    let doc = Uuid::new_v4();
    db.execute_unprepared(&format!(
        "INSERT INTO organizations (id, name, widget_key) VALUES ('{org}', 'Bench', 'wk_bench');
         INSERT INTO documents (id, organization_id, title, content, status) VALUES ('{doc}', '{org}', 'Synthetic', 'x', 'ready');"
    ))
    .await?;

    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let centroids: Vec<Vec<f32>> =
        (0..500).map(|_| unit((0..DIMS).map(|_| rng.gen_range(-1.0..1.0)).collect())).collect();
    let mut point = |rng: &mut rand::rngs::StdRng| -> Vec<f32> {
        let c = &centroids[rng.gen_range(0..centroids.len())];
        unit(c.iter().map(|x| x + rng.gen_range(-0.08..0.08)).collect())
    };
    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| point(&mut rng)).collect();
    let embedder: SharedEmbedder = Arc::new(LookupEmbedder(queries.clone()));
    let services = domain::Services::new(db.clone(), embedder.clone());

    println!("\n== Retrieval on Postgres + pgvector (HNSW m=16, ef_construction=64, ef_search=100)");
    let mut inserted = 0;
    for target in [10_000usize, 100_000] {
        // Bulk load without the vector index, then build it once (as a re-index would).
        db.execute_unprepared(
            "DO $$ DECLARE r record; BEGIN FOR r IN SELECT indexname FROM pg_indexes \
             WHERE tablename = 'chunks' AND indexname LIKE 'chunks_embedding_%' \
             LOOP EXECUTE 'DROP INDEX ' || quote_ident(r.indexname); END LOOP; END $$",
        )
        .await?;
        let start = Instant::now();
        insert_synthetic(&db, (org, doc, "bench:synthetic-384"), target - inserted, inserted, &mut rng, &mut point)
            .await?;
        inserted = target;
        let load = start.elapsed();
        let start = Instant::now();
        domain::knowledge::retrieval::ensure_vector_index(&db, embedder.as_ref()).await?;
        db.execute_unprepared("ANALYZE chunks").await?;
        let index = start.elapsed();

        for i in 0..20 {
            services.retrieve(org, &format!("q{i} refund order"), 10).await?;
        }
        let mut latencies: Vec<Duration> = Vec::with_capacity(QUERIES);
        for i in 0..QUERIES {
            let words = format!("q{i} {} {}", WORDS[i % WORDS.len()], WORDS[(i * 7) % WORDS.len()]);
            let start = Instant::now();
            services.retrieve(org, &words, 5).await?;
            latencies.push(start.elapsed());
        }
        latencies.sort();
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;

        let mut recall = 0.0;
        for q in queries.iter().take(100) {
            let approx = top10(&db, q, true).await?;
            let exact = top10(&db, q, false).await?;
            recall += approx.iter().filter(|id| exact.contains(id)).count() as f64 / exact.len().max(1) as f64;
        }
        println!(
            "{target:>7} passages: load {:.1} s, index build {:.1} s, hybrid retrieval p50 {:.1} ms / p95 {:.1} ms, HNSW recall@10 {:.3}",
            load.as_secs_f64(),
            index.as_secs_f64(),
            pct(0.50),
            pct(0.95),
            recall / 100.0
        );
    }
    db.close().await?;
    Ok(())
}

/// Inserts `count` synthetic passages of document `doc` (organisation `org`), tagged `model`.
async fn insert_synthetic(
    db: &DatabaseConnection,
    (org, doc, model): (Uuid, Uuid, &str),
    count: usize,
    offset: usize,
    rng: &mut rand::rngs::StdRng,
    point: &mut impl FnMut(&mut rand::rngs::StdRng) -> Vec<f32>,
) -> anyhow::Result<()> {
    for start in (0..count).step_by(500) {
        let n = 500.min(count - start);
        let mut sql = String::from(
            "INSERT INTO chunks (id, document_id, organization_id, ordinal, title, heading, text, model, embedding, sentence_vectors) VALUES ",
        );
        let mut values: Vec<sea_orm::Value> = Vec::new();
        for i in 0..n {
            // Zipf-distributed words over a 5,000-word vocabulary, support-centre flavoured.
            let text: Vec<String> = (0..40)
                .map(|_| {
                    let rank = (5000f64.powf(rng.gen_range(0.0..1.0)) as usize).max(1);
                    if rank <= WORDS.len() { WORDS[rank - 1].to_owned() } else { format!("term{rank}") }
                })
                .collect();
            if i > 0 {
                sql.push(',');
            }
            let p = values.len();
            sql.push_str(&format!(
                "(gen_random_uuid(), '{doc}', '{org}', {}, 'Synthetic', 'Section', ${}, ${}, ${}, ${})",
                offset + start + i,
                p + 1,
                p + 2,
                p + 3,
                p + 4
            ));
            let vector = point(rng);
            values.push(text.join(" ").into());
            values.push(model.into());
            // As ingestion stores them: the text has no sentence breaks, so one sentence vector.
            let sentence_vectors = domain::embeddings::quantize(std::slice::from_ref(&vector));
            values.push(PgVector::from(vector).into());
            values.push(sentence_vectors.into());
        }
        db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    }
    Ok(())
}

/// Server time of whole visitor turns, extractive default, 100k passages + the real corpus.
async fn per_message(pg: &EmbeddedPostgres, local: &SharedEmbedder) -> anyhow::Result<()> {
    const PASSAGES: usize = 100_000;
    const ROUNDS: usize = 8;
    server::startup::ensure_database(&pg.url("postgres"), "bench_messages").await?;
    let db = Database::connect(pg.url("bench_messages")).await?;
    Migrator::up(&db, None).await?;
    let services = domain::Services::new(db.clone(), local.clone());
    let (owner, actor) = support::owner(&services, "bench@example.com", "Brightbox").await?;
    let org = owner.organization.id;
    for (title, content) in corpus::DOCUMENTS {
        let input =
            domain::knowledge::DocumentInput { title: (*title).into(), content: (*content).into(), source_url: None };
        services.create_document(&actor, org, input).await?;
    }
    while services.ingest_pending().await? > 0 {}
    let filler = services
        .create_document(
            &actor,
            org,
            domain::knowledge::DocumentInput { title: "Archive".into(), content: "x".into(), source_url: None },
        )
        .await?;
    db.execute_unprepared(&format!("UPDATE documents SET status = 'ready' WHERE id = '{}'", filler.id)).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let centroids: Vec<Vec<f32>> =
        (0..500).map(|_| unit((0..DIMS).map(|_| rng.gen_range(-1.0..1.0)).collect())).collect();
    let mut point = |rng: &mut rand::rngs::StdRng| -> Vec<f32> {
        let c = &centroids[rng.gen_range(0..centroids.len())];
        unit(c.iter().map(|x| x + rng.gen_range(-0.08..0.08)).collect())
    };
    insert_synthetic(&db, (org, filler.id, local.model_id()), PASSAGES, 1000, &mut rng, &mut point).await?;
    domain::knowledge::retrieval::ensure_vector_index(&db, local.as_ref()).await?;
    db.execute_unprepared("ANALYZE chunks").await?;

    let session = services.widget_session(&owner.organization.widget_key, None, None, &Default::default()).await?;
    let warm = services.authenticate_visitor(&session.visitor_token).await?;
    services.visitor_message(&warm, "How long does delivery take?").await?;
    let mut latencies: Vec<Duration> = Vec::new();
    let (mut answered, mut escalated) = (0, 0);
    for _ in 0..ROUNDS {
        for (question, _) in corpus::QUESTIONS {
            // A fresh visitor per question, so an escalation never silences the next one.
            let session =
                services.widget_session(&owner.organization.widget_key, None, None, &Default::default()).await?;
            let visitor = services.authenticate_visitor(&session.visitor_token).await?;
            let start = Instant::now();
            let turn = services.visitor_message(&visitor, question).await?;
            latencies.push(start.elapsed());
            if turn.status == domain::ConversationStatus::Ai { answered += 1 } else { escalated += 1 }
        }
    }
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
    println!("\n== Per visitor message (extractive default, local model, {PASSAGES} synthetic + corpus passages)");
    println!(
        "{} messages ({answered} answered, {escalated} escalated): p50 {:.1} ms / p95 {:.1} ms / max {:.1} ms",
        latencies.len(),
        pct(0.50),
        pct(0.95),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    );
    db.close().await?;
    Ok(())
}

/// Top-10 chunk ids by cosine distance, through the HNSW index or by an exact scan.
async fn top10(db: &DatabaseConnection, q: &[f32], use_index: bool) -> anyhow::Result<Vec<Uuid>> {
    let txn = db.begin().await?;
    if use_index {
        txn.execute_unprepared("SET LOCAL hnsw.ef_search = 100; SET LOCAL hnsw.iterative_scan = 'relaxed_order'")
            .await?;
    } else {
        txn.execute_unprepared("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off").await?;
    }
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM chunks WHERE model = 'bench:synthetic-384' \
             ORDER BY (embedding::vector(384)) <=> $1::vector(384) LIMIT 10",
            [PgVector::from(q.to_vec()).into()],
        ))
        .await?;
    txn.commit().await?;
    Ok(rows.into_iter().filter_map(|r| r.try_get::<Uuid>("", "id").ok()).collect())
}
