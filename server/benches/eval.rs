//! `make eval`: the answer-quality report (figures printed, never asserted).
//!
//! Knowledge bases in `server/eval/kb/<name>/*.md` become one organisation each, on a private
//! embedded Postgres, ingested by the real worker. Cases in `server/eval/cases/*.jsonl` are
//! visitor conversations run through the real turn pipeline ([`domain::Services::visitor_message`]).
//! Files named `tuning-*` form the tuning set, `test-*` the test set: the test set was written
//! before any tuning and is never tuned on; the gap between the two is the figure that says
//! whether the behaviour generalises.
//!
//! Case kinds and what counts as correct:
//! - `answerable`, `follow_up`: the last turn is answered by the AI (not escalated) and the reply
//!   contains every `expect` string (`a|b` = either);
//! - `escalate`: the conversation is escalated after the last turn;
//! - `unknown`, `invented`: no fact is quoted (escalated, or "I don't know" in AI-only mode); a
//!   quoted answer counts as an **invented fact**;
//! - `injection`: no `forbid` string appears in any reply.
//!
//! `--sweep` also prints the answerable/unanswerable trade-off for a range of confidence
//! thresholds (the curve in the README). With `OPENAI_API_KEY`/`OPENAI_BASE_URL` set, the
//! chat model answers and a second report is printed for it.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use domain::conversation::answer::AnswerPolicy;
use domain::embeddings::{EmbeddingConfig, LocalModel, SharedEmbedder};
use domain::knowledge::DocumentInput;
use domain::{ConversationStatus, MessageRole, Services};
use migrations::{Migrator, MigratorTrait};
use sea_orm::Database;
use serde::Deserialize;
use server::embedded_postgres::EmbeddedPostgres;

#[derive(Clone, Debug, Deserialize)]
struct Case {
    id: String,
    kb: String,
    kind: String,
    lang: String,
    turns: Vec<String>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    forbid: Vec<String>,
}

/// What happened in one case.
#[derive(Clone, Debug)]
struct Run {
    case: Case,
    set: &'static str,
    /// Status after the last turn.
    status: ConversationStatus,
    /// The AI's (or system's) reply to the last turn.
    reply: String,
    reply_language: Option<String>,
    /// Whether the last reply quoted the knowledge base (an AI answer with a citation).
    quoted: bool,
    /// Every reply's text, for the injection check.
    all_replies: String,
    /// Milliseconds per turn.
    turn_ms: Vec<f64>,
}

impl Run {
    fn escalated(&self) -> bool {
        self.status == ConversationStatus::Escalated
    }

    fn facts_present(&self) -> bool {
        let reply = self.reply.to_lowercase();
        self.case.expect.iter().all(|e| e.split('|').any(|alt| reply.contains(&alt.to_lowercase())))
    }

    fn correct(&self) -> bool {
        match self.case.kind.as_str() {
            "answerable" | "follow_up" => !self.escalated() && self.quoted && self.facts_present(),
            "escalate" => self.escalated(),
            "unknown" | "invented" => !self.quoted,
            "injection" => {
                let all = self.all_replies.to_lowercase();
                !self.case.forbid.iter().any(|f| all.contains(&f.to_lowercase()))
            }
            _ => false,
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let sweep = args.iter().any(|a| a == "--sweep");
    let verbose = args.iter().any(|a| a == "--verbose");
    let only: Option<String> = args.iter().position(|a| a == "--set").and_then(|i| args.get(i + 1).cloned());
    if verbose {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("domain::conversation=debug"))
            .with_writer(std::io::stderr)
            .without_time()
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let dir = tempfile::Builder::new().prefix("iterochat-eval-").tempdir()?;
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let pg = EmbeddedPostgres::start(dir.path(), &root().join(".tools/postgres"), &[("fsync", "off")])?;
    let result = rt.block_on(evaluate(&pg, sweep, verbose, only.as_deref()));
    drop(rt);
    pg.stop()?;
    result
}

async fn evaluate(pg: &EmbeddedPostgres, sweep: bool, verbose: bool, only: Option<&str>) -> anyhow::Result<()> {
    let eval_dir = root().join("server/eval");
    let cases = load_cases(&eval_dir.join("cases"), only)?;
    let kbs: Vec<String> = {
        let mut k: Vec<String> = cases.iter().map(|(_, c)| c.kb.clone()).collect();
        k.sort();
        k.dedup();
        k
    };
    println!("== Answer quality (`make eval`): {} cases over {} knowledge bases", cases.len(), kbs.len());

    let settings = server::configuration::Settings::default().with_env(|k| std::env::var(k).ok())?;
    let chat = settings.chat_config();
    // Both in-process models, the default first; `ITEROCHAT_LOCAL_MODEL` measures one alone.
    let only_model = std::env::var("ITEROCHAT_LOCAL_MODEL").ok().and_then(|n| LocalModel::from_name(&n));
    let mut modes: Vec<(String, Option<domain::llm::ChatConfig>, SharedEmbedder)> = Vec::new();
    for model in LocalModel::ALL.into_iter().filter(|m| only_model.is_none_or(|only| only == *m)) {
        let config = EmbeddingConfig::Local { model, model_dir: root().join(".tools/models").join(model.name()) };
        let label = if model == LocalModel::default() { "offline default" } else { "offline, ITEROCHAT_LOCAL_MODEL" };
        modes.push((
            format!("{label} (extractive, local {})", model.name()),
            None,
            domain::embeddings::from_config(&config).await?,
        ));
    }
    if let Some(chat) = chat {
        let embedder = domain::embeddings::from_config(&settings.embedding_config()).await?;
        modes.push(("chat model (OPENAI_*)".to_owned(), Some(chat), embedder));
    }
    for (n, (label, chat, embedder)) in modes.into_iter().enumerate() {
        let db_name = format!("eval{n}");
        server::startup::ensure_database(&pg.url("postgres"), &db_name).await?;
        let db = Database::connect(pg.url(&db_name)).await?;
        Migrator::up(&db, None).await?;
        domain::knowledge::retrieval::ensure_vector_index(&db, embedder.as_ref()).await?;
        let chat_model = chat.as_ref().map(domain::llm::ChatModel::new).transpose()?;
        let services = Services::new(db, embedder).with_chat_model(chat_model);
        let keys = load_kbs(&services, &eval_dir.join("kb"), &kbs).await?;
        // Warm the intent index and the model outside the timings.
        services.intent_index().await?;
        let runs = run_cases(&services, &keys, &cases).await?;
        println!("\n## {label}");
        report(&runs, verbose);
        if sweep && chat.is_none() {
            curve(&services, &keys, &cases).await?;
        }
    }
    Ok(())
}

fn load_cases(dir: &Path, only: Option<&str>) -> anyhow::Result<Vec<(&'static str, Case)>> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for file in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "jsonl")) {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let set = if name.starts_with("tuning") {
            "tuning"
        } else if name.starts_with("test") {
            "test"
        } else {
            continue;
        };
        if only.is_some_and(|o| o != set) {
            continue;
        }
        for (i, line) in std::fs::read_to_string(&file)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case =
                serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{}:{}: {e}", file.display(), i + 1))?;
            out.push((set, case));
        }
    }
    Ok(out)
}

/// One organisation per knowledge base, its documents ingested; returns widget keys by name.
async fn load_kbs(services: &Services, dir: &Path, names: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut keys = BTreeMap::new();
    for name in names {
        let (signup, actor) = support::owner(services, &format!("owner@{name}.test"), &format!("Eval {name}")).await?;
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(dir.join(name))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for file in files {
            let content = std::fs::read_to_string(&file)?;
            let title = content
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .map(str::trim)
                .unwrap_or_else(|| file.file_stem().and_then(|s| s.to_str()).unwrap_or("Untitled"))
                .to_owned();
            services
                .create_document(&actor, signup.organization.id, DocumentInput { title, content, source_url: None })
                .await?;
        }
        keys.insert(name.clone(), signup.organization.widget_key.clone());
    }
    let start = Instant::now();
    while services.ingest_pending().await? > 0 {}
    println!("ingested {} knowledge bases in {:.1} s", names.len(), start.elapsed().as_secs_f64());
    Ok(keys)
}

async fn run_cases(
    services: &Services,
    keys: &BTreeMap<String, String>,
    cases: &[(&'static str, Case)],
) -> anyhow::Result<Vec<Run>> {
    let mut runs = Vec::with_capacity(cases.len());
    for (set, case) in cases {
        let key = keys.get(&case.kb).ok_or_else(|| anyhow::anyhow!("{}: unknown kb {}", case.id, case.kb))?;
        let session = services.widget_session(key, None, None, &Default::default()).await?;
        let visitor = services.authenticate_visitor(&session.visitor_token).await?;
        let mut run = Run {
            case: case.clone(),
            set,
            status: ConversationStatus::Ai,
            reply: String::new(),
            reply_language: None,
            quoted: false,
            all_replies: String::new(),
            turn_ms: Vec::new(),
        };
        for turn in &case.turns {
            tracing::debug!(target: "domain::conversation", case = %case.id, turn, "-- turn");
            let start = Instant::now();
            let outcome = services.visitor_message(&visitor, turn).await?;
            run.turn_ms.push(start.elapsed().as_secs_f64() * 1000.0);
            run.status = outcome.status;
            match outcome.reply {
                Some(reply) => {
                    run.quoted =
                        reply.role == MessageRole::Ai && reply.citations.as_ref().is_some_and(|c| !c.is_empty());
                    run.all_replies.push_str(&reply.text);
                    run.all_replies.push('\n');
                    run.reply = reply.text;
                    run.reply_language = reply.language;
                }
                None => {
                    run.quoted = false;
                    run.reply.clear();
                    run.reply_language = None;
                }
            }
        }
        runs.push(run);
    }
    Ok(runs)
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 { "   –  ".into() } else { format!("{:5.1}%", 100.0 * n as f64 / d as f64) }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(runs: &[Run], verbose: bool) {
    for set in ["tuning", "test"] {
        let runs: Vec<&Run> = runs.iter().filter(|r| r.set == set).collect();
        if runs.is_empty() {
            continue;
        }
        println!("\n### {set} set ({} cases)", runs.len());
        figures(&runs);
        let mut kbs: Vec<&str> = runs.iter().map(|r| r.case.kb.as_str()).collect();
        kbs.sort();
        kbs.dedup();
        println!(
            "{:<10} {:>8} {:>12} {:>10} {:>10} {:>10}",
            "kb", "cases", "answer(en)", "follow-up", "esc.recall", "invented"
        );
        for kb in kbs {
            let of: Vec<&Run> = runs.iter().copied().filter(|r| r.case.kb == kb).collect();
            let (a, a_ok) = count(&of, |r| r.case.kind == "answerable" && r.case.lang == "en");
            let (f, f_ok) = count(&of, |r| r.case.kind == "follow_up");
            let (e, e_ok) = count(&of, |r| r.case.kind == "escalate");
            let invented =
                of.iter().filter(|r| matches!(r.case.kind.as_str(), "unknown" | "invented") && r.quoted).count();
            println!(
                "{kb:<10} {:>8} {:>12} {:>10} {:>10} {:>10}",
                of.len(),
                pct(a_ok, a),
                pct(f_ok, f),
                pct(e_ok, e),
                invented
            );
        }
        if verbose {
            for r in runs.iter().filter(|r| !r.correct()) {
                println!(
                    "  ✗ {} [{} {}] {:?} → {} {:?}",
                    r.case.id,
                    r.case.kind,
                    r.case.lang,
                    r.case.turns,
                    r.status,
                    r.reply.replace('\n', " ⏎ ")
                );
            }
        }
    }
}

fn count(runs: &[&Run], pick: impl Fn(&Run) -> bool) -> (usize, usize) {
    let of: Vec<&&Run> = runs.iter().filter(|r| pick(r)).collect();
    (of.len(), of.iter().filter(|r| r.correct()).count())
}

fn figures(runs: &[&Run]) {
    let (en, en_ok) = count(runs, |r| r.case.kind == "answerable" && r.case.lang == "en");
    let (xl, xl_ok) = count(runs, |r| r.case.kind == "answerable" && r.case.lang != "en");
    let (fu, fu_ok) = count(runs, |r| r.case.kind == "follow_up");
    let (esc, esc_ok) = count(runs, |r| r.case.kind == "escalate");
    let (unk, unk_ok) = count(runs, |r| matches!(r.case.kind.as_str(), "unknown" | "invented"));
    let (inj, inj_ok) = count(runs, |r| r.case.kind == "injection");
    let answerable: Vec<&&Run> =
        runs.iter().filter(|r| matches!(r.case.kind.as_str(), "answerable" | "follow_up")).collect();
    let false_escalations = answerable.iter().filter(|r| r.escalated()).count();
    let invented = runs.iter().filter(|r| matches!(r.case.kind.as_str(), "unknown" | "invented") && r.quoted).count();
    let with_reply: Vec<&&Run> = runs.iter().filter(|r| r.reply_language.is_some()).collect();
    let language_ok = with_reply.iter().filter(|r| r.reply_language.as_deref() == Some(r.case.lang.as_str())).count();
    let mut times: Vec<f64> = runs.iter().flat_map(|r| r.turn_ms.iter().copied()).collect();
    times.sort_by(f64::total_cmp);
    println!("answer accuracy, English            {} ({en_ok}/{en})", pct(en_ok, en));
    println!("answer accuracy, other languages    {} ({xl_ok}/{xl})", pct(xl_ok, xl));
    println!("follow-ups answered                 {} ({fu_ok}/{fu})", pct(fu_ok, fu));
    println!(
        "false escalations (answerable)      {} ({false_escalations}/{})",
        pct(false_escalations, answerable.len()),
        answerable.len()
    );
    println!("escalation recall                   {} ({esc_ok}/{esc})", pct(esc_ok, esc));
    println!("unknown/invented not answered       {} ({unk_ok}/{unk})", pct(unk_ok, unk));
    println!("invented facts                      {invented}");
    println!("injections resisted                 {} ({inj_ok}/{inj})", pct(inj_ok, inj));
    println!(
        "reply language = visitor language   {} ({language_ok}/{})",
        pct(language_ok, with_reply.len()),
        with_reply.len()
    );
    println!(
        "turn time                           p50 {:.1} ms, p95 {:.1} ms ({} turns)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.len()
    );
}

/// The confidence trade-off: for each `min_score`, answered answerable questions and quoted
/// unknown/invented ones (tuning and test sets together and apart).
async fn curve(
    services: &Services,
    keys: &BTreeMap<String, String>,
    cases: &[(&'static str, Case)],
) -> anyhow::Result<()> {
    println!("\n## Confidence curve (answerable = answered correctly, unknown = unknown/invented quoted anyway)");
    println!(
        "{:>6} {:>6} {:>8} {:>9} {:>18} {:>18} {:>18} {:>18}",
        "kind",
        "min_sim",
        "lexical",
        "min_score",
        "tuning answerable",
        "tuning unknown",
        "test answerable",
        "test unknown"
    );
    let relevant: Vec<(&'static str, Case)> = cases
        .iter()
        .filter(|(_, c)| matches!(c.kind.as_str(), "answerable" | "follow_up" | "unknown" | "invented"))
        .cloned()
        .collect();
    // Around the model's calibrated point: its similarity scale is its own. (The least
    // similarity rarely decides; the score does.)
    let at = services.answer_policy;
    let step = at.min_score / 30.0;
    // Kind-of-fact bonus (off, calibrated), lexical weight and least score.
    let grid = [0.0f32, at.kind_bonus].into_iter().flat_map(move |kind_bonus| {
        [0.5f32, 1.0, 2.0].into_iter().flat_map(move |lw| {
            [-2.0f32, -1.0, 0.0, 1.0, 2.0].map(move |k| AnswerPolicy {
                kind_bonus,
                lexical_weight: at.lexical_weight * lw,
                min_score: at.min_score + k * step,
                ..at
            })
        })
    });
    for policy in grid {
        let mut s = services.clone();
        s.answer_policy = policy;
        let runs = run_cases(&s, keys, &relevant).await?;
        let cell = |set: &str, unknown: bool| {
            let of: Vec<&Run> = runs
                .iter()
                .filter(|r| r.set == set && matches!(r.case.kind.as_str(), "unknown" | "invented") == unknown)
                .collect();
            let n = if unknown {
                of.iter().filter(|r| r.quoted).count()
            } else {
                of.iter().filter(|r| r.correct()).count()
            };
            format!("{n}/{}", of.len())
        };
        println!(
            "{:>6.2} {:>6.2} {:>8.2} {:>9.3} {:>18} {:>18} {:>18} {:>18}",
            policy.kind_bonus,
            policy.min_similarity,
            policy.lexical_weight,
            policy.min_score,
            cell("tuning", false),
            cell("tuning", true),
            cell("test", false),
            cell("test", true)
        );
    }
    Ok(())
}
