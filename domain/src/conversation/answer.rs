//! Composing an answer from retrieved passages, and the grounding guard every answer passes.
//!
//! The offline default is **extractive**: the sentences of the retrieved passages closest in
//! meaning to the question, quoted verbatim under a short intro in the visitor's language. It
//! cannot state a fact the knowledge base does not. The guard checks any answer (extractive or
//! from an LLM): every number, price, duration and product-like name it contains must appear
//! in the passages it was given (or in the question), and a yes/no statement must not flip the
//! polarity of the passage sentence it restates.

use std::collections::HashMap;

use super::expectation::{Expect, states};
use super::language::detect;
use super::understanding::{content_stems, days, mentions_all, stems_match};
use crate::knowledge::chunking::{answer_units, sentences};
use crate::knowledge::retrieval::Passage;

/// Passages whose units compete for the answer.
const PASSAGES_READ: usize = 8;

/// The confidence decision's operating point (chosen with `make eval`; the curve is in the
/// README). A unit answers when its meaning is close to the question **and** it shares the
/// question's words: `similarity + lexical_weight × coverage ≥ min_score`, with
/// `similarity ≥ min_similarity` in any case.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnswerPolicy {
    pub min_score: f32,
    pub min_similarity: f32,
    pub lexical_weight: f32,
    /// Added for a unit that mentions every named thing of the question (or a follow-up's own
    /// words).
    pub name_bonus: f32,
    /// Added for a unit that states the kind of fact the question asks for (a duration for "How
    /// long …?", a price for "How much …?").
    pub kind_bonus: f32,
    /// Posterior from which the naive Bayes intent model alone escalates.
    pub intent_probability: f32,
    /// Similarity from which the nearest labelled example alone escalates.
    pub intent_similarity: f32,
    /// Word coverage credited to a unit of a passage in another language than the question,
    /// whose words cannot match it; 0 for an English-only model, whose similarities across
    /// languages mean nothing.
    pub foreign_coverage: f32,
}

impl AnswerPolicy {
    /// The operating point for an embedding model's similarity scale.
    pub fn calibrated(c: crate::embeddings::Calibration) -> Self {
        Self {
            min_score: c.min_score,
            min_similarity: c.min_similarity,
            lexical_weight: c.lexical_weight,
            name_bonus: 0.1,
            kind_bonus: 0.1,
            intent_probability: 0.9,
            intent_similarity: c.intent_similarity,
            foreign_coverage: c.foreign_coverage,
        }
    }

    /// This operating point moved by an organisation's choice: answer a little more often, or
    /// escalate a little more often, than the calibrated balance.
    pub fn with_confidence(self, confidence: crate::organizations::Confidence) -> Self {
        use crate::organizations::Confidence;
        let shift = match confidence {
            Confidence::AnswerMore => -CONFIDENCE_STEP,
            Confidence::Balanced => 0.0,
            Confidence::EscalateMore => CONFIDENCE_STEP,
        };
        Self { min_score: self.min_score + shift, ..self }
    }
}

/// How far an organisation's confidence choice moves the least score of a quoted unit: on the
/// README's curve, about the distance between neighbouring operating points.
const CONFIDENCE_STEP: f32 = 0.04;

impl Default for AnswerPolicy {
    /// all-MiniLM-L6-v2's operating point.
    fn default() -> Self {
        Self::calibrated(crate::embeddings::Calibration::ALL_MINILM_L6_V2)
    }
}

/// One unit (sentence, list item, table row or one of its cells, record line) a passage could
/// be quoted with.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Index of its passage.
    pub passage: usize,
    /// Position among its passage's units.
    pub index: usize,
    /// The unit as written.
    pub text: String,
    /// The unit with its subject in front, as it was embedded ("Summit 2 — Price: 249 euros").
    pub with_subject: String,
    /// For a cell of a wide table row, the row's `index`.
    pub cell_of: Option<usize>,
}

/// The units of the best passages, in passage order.
pub fn candidates(passages: &[Passage]) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (i, p) in passages.iter().enumerate().take(PASSAGES_READ) {
        for (index, u) in answer_units(&p.title, &p.heading, &p.text).into_iter().enumerate() {
            // Even one word ("- PayPal") is a unit: its subject says what it is.
            out.push(Candidate { passage: i, index, text: u.text, with_subject: u.with_subject, cell_of: u.cell_of });
        }
    }
    out
}

/// The unit embeddings stored with the passages at ingestion, by unit text. Passages without
/// them (or whose text no longer splits the same way) contribute nothing.
pub fn stored_sentence_vectors(passages: &[Passage]) -> HashMap<String, Vec<f32>> {
    let mut out = HashMap::new();
    for p in passages {
        let Some(vectors) = p.sentence_vectors.as_deref().and_then(crate::embeddings::dequantize) else { continue };
        let units = answer_units(&p.title, &p.heading, &p.text);
        if units.len() == vectors.len() {
            out.extend(units.into_iter().map(|u| u.text).zip(vectors));
        }
    }
    out
}

/// The question as the answerer reads it.
#[derive(Clone, Debug, Default)]
pub struct Question {
    /// Content-word stems ([`content_stems`]).
    pub stems: Vec<String>,
    /// Other ways to say some of them ([`super::thesaurus::alternatives`]): a unit holding every
    /// stem of one alternative covers that question word.
    pub related: Vec<(String, Vec<Vec<String>>)>,
    /// Named things every answer must mention ([`super::understanding::named_things`]).
    pub names: Vec<String>,
    /// Asks for a yes or a no.
    pub yes_no: bool,
    /// For a follow-up read with the question before it: the stems of the follow-up itself
    /// ("train" of "And by train?"). Units that mention one of them are preferred.
    pub focus: Vec<String>,
    /// Days of the week asked about ([`days`]); units that cover them are preferred.
    pub days: u8,
    /// The visitor's language; a passage in another one cannot share the question's words.
    pub language: Option<super::language::Language>,
    /// The kind of fact asked for ("How long …?" → a duration); units stating one are preferred.
    pub expects: Option<Expect>,
}

/// Why nothing is quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unanswerable {
    /// The question names something (a product, place, code) no passage mentions.
    UnknownName,
    /// Nothing is close enough in meaning and words.
    LowConfidence,
    /// No passages, or none with text.
    Nothing,
}

/// What to quote.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// Index of the passage the quote comes from.
    pub passage: usize,
    /// One or two units, as they will be quoted.
    pub quoted: Vec<String>,
    /// The best unit's similarity and combined score.
    pub similarity: f32,
    pub score: f32,
    /// For a yes/no question: `Some(true)` when the quoted unit says yes, `Some(false)` when it
    /// says no, `None` when it does not say either plainly.
    pub verdict: Option<bool>,
}

/// Share of the question's content words found in the unit (1 each), or only said there in other
/// words ([`super::thesaurus`]) or in its passage's title and heading (½ each), each word weighted by its rarity among the candidate units
/// (`weights`): "minibar" found nowhere counts for more than "room" found everywhere.
fn coverage(question: &Question, weights: &[f32], unit: &[String], section: &[String]) -> f32 {
    let total: f32 = weights.iter().sum();
    if question.stems.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let sum: f32 = question
        .stems
        .iter()
        .zip(weights)
        .map(|(q, w)| {
            w * if unit.iter().any(|u| stems_match(u, q)) {
                1.0
            } else if question.covered(q, unit) || question.covered(q, section) {
                0.5
            } else {
                0.0
            }
        })
        .sum();
    sum / total
}

impl Question {
    /// Whether `stems` (a unit's or a heading's) hold the question word `q`, as written or in
    /// other words.
    fn covered(&self, q: &str, stems: &[String]) -> bool {
        let has = |a: &str| stems.iter().any(|w| stems_match(w, a));
        has(q)
            || self
                .related
                .iter()
                .filter(|(s, _)| s == q)
                .flat_map(|(_, alts)| alts)
                .any(|alt| alt.iter().all(|a| has(a)))
    }
}

/// Inverse document frequency of each question word among the units, counting the units that
/// hold it as written: a word's other names do not make it commoner (with them, "cost" would
/// weigh little wherever prices are listed, and the unit that says "cost" would lose ground).
fn rarity(question: &[String], units: &[Vec<String>]) -> Vec<f32> {
    let n = units.len() as f32;
    question
        .iter()
        .map(|q| {
            let df = units.iter().filter(|u| u.iter().any(|w| stems_match(w, q))).count() as f32;
            ((n + 1.0) / (df + 0.5)).ln().max(0.1)
        })
        .collect()
}

/// The confidence decision and the choice of what to quote. `similarities[i]` is candidate
/// `i`'s cosine similarity to the question.
pub fn choose(
    question: &Question,
    candidates: &[Candidate],
    similarities: &[f32],
    passages: &[Passage],
    policy: AnswerPolicy,
) -> Result<Choice, Unanswerable> {
    if candidates.is_empty() {
        return Err(Unanswerable::Nothing);
    }
    // Stems and name matches are computed once per passage and per unit.
    let section_stems: Vec<Vec<String>> =
        passages.iter().map(|p| content_stems(&format!("{} {}", p.title, p.heading))).collect();
    let unit_stems: Vec<Vec<String>> = candidates.iter().map(|c| content_stems(&c.with_subject)).collect();
    let weights = rarity(&question.stems, &unit_stems);
    let names_in_unit: Vec<bool> = candidates
        .iter()
        .map(|c| mentions_all(&format!("{} {}", c.with_subject, passages[c.passage].heading), &question.names))
        .collect();
    let has_focus: Vec<bool> =
        unit_stems.iter().map(|stems| question.focus.iter().any(|f| stems.iter().any(|s| stems_match(s, f)))).collect();
    let foreign: Vec<bool> = passages
        .iter()
        .map(|p| {
            policy.foreign_coverage > 0.0
                && question.language.is_some_and(|l| detect(&format!("{}. {}", p.title, p.text), None) != l)
        })
        .collect();
    let scored: Vec<(usize, f32, f32)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut lex = coverage(question, &weights, &unit_stems[i], &section_stems[c.passage]);
            if foreign[c.passage] {
                lex = lex.max(policy.foreign_coverage);
            }
            // Mentioning the question's named things, or a follow-up's own words ("filling" of
            // "And a filling?"), is evidence meaning alone underrates.
            let named = !question.names.is_empty() && names_in_unit[i];
            let mut bonus = if named || has_focus[i] { policy.name_bonus } else { 0.0 };
            if question.expects.is_some_and(|e| states(&c.text, e)) {
                bonus += policy.kind_bonus;
            }
            (i, similarities[i], similarities[i] + policy.lexical_weight * lex + bonus)
        })
        .collect();
    // Named things: prefer units that mention them all; else passages that do; else nothing.
    let eligible: Vec<&(usize, f32, f32)> = if question.names.is_empty() {
        scored.iter().collect()
    } else {
        let in_unit: Vec<&(usize, f32, f32)> = scored.iter().filter(|(i, _, _)| names_in_unit[*i]).collect();
        if in_unit.is_empty() {
            scored
                .iter()
                .filter(|(i, _, _)| {
                    let p = &passages[candidates[*i].passage];
                    mentions_all(&format!("{} {} {}", p.title, p.heading, p.text), &question.names)
                })
                .collect()
        } else {
            in_unit
        }
    };
    // A follow-up's own words decide between the units the earlier question also matches.
    let focused: Vec<&(usize, f32, f32)> = eligible.iter().copied().filter(|(i, _, _)| has_focus[*i]).collect();
    let eligible = if focused.is_empty() { eligible } else { focused };
    // "On Fridays": the row for Friday (or "Monday to Friday"), not Sunday's.
    let eligible = if question.days == 0 {
        eligible
    } else {
        let covering: Vec<&(usize, f32, f32)> = eligible
            .iter()
            .copied()
            .filter(|(i, _, _)| days(&candidates[*i].with_subject) & question.days == question.days)
            .collect();
        if covering.is_empty() { eligible } else { covering }
    };
    if tracing::enabled!(tracing::Level::DEBUG) {
        let mut top: Vec<&(usize, f32, f32)> = eligible.clone();
        top.sort_by(|a, b| b.2.total_cmp(&a.2));
        let top: Vec<(&str, f32, f32)> =
            top.iter().take(3).map(|(i, sim, score)| (candidates[*i].with_subject.as_str(), *sim, *score)).collect();
        tracing::debug!(?top, "best units");
    }
    let Some(&&(best, similarity, score)) = eligible.iter().max_by(|a, b| a.2.total_cmp(&b.2)) else {
        return Err(Unanswerable::UnknownName);
    };
    if similarity < policy.min_similarity || score < policy.min_score {
        return Err(Unanswerable::LowConfidence);
    }
    let first = &candidates[best];
    let mut quoted = vec![quote(first)];
    // A second unit only when it is the next one of the same passage, nearly as close, and adds
    // words of the question the first one lacks (or the first one is too short to stand alone).
    // (A cell stands alone; after a row comes the next unit that is not one of its cells.)
    let next_unit = scored
        .iter()
        .filter(|(i, _, _)| {
            let c = &candidates[*i];
            c.passage == first.passage && c.index > first.index && c.cell_of.is_none()
        })
        .min_by_key(|(i, _, _)| candidates[*i].index)
        .filter(|_| first.cell_of.is_none());
    if let Some(&(next, next_similarity, _)) = next_unit {
        let (first_stems, next_stems) = (&unit_stems[best], &unit_stems[next]);
        let adds = question.stems.iter().any(|q| question.covered(q, next_stems) && !question.covered(q, first_stems));
        // A short sentence ("It is free.") may need the next one; a row or record line stands alone.
        let short = first.text.ends_with(['.', '!', '?']) && first.text.split_whitespace().count() < 6;
        if next_similarity >= similarity - 0.08 && (adds || short) {
            quoted.push(quote(&candidates[next]));
        }
    }
    // A yes or a no needs the quoted unit itself to be about the question: all its named things
    // and most of its words ("Do you take Apple Pay?" ← "We accept … Apple Pay …").
    let verdict = if question.yes_no && mentions_all(&first.with_subject, &question.names) {
        let plain = vec![1.0; question.stems.len()];
        let own = coverage(question, &plain, &unit_stems[best], &[]);
        let needed = if question.names.is_empty() { 0.75 } else { 0.5 };
        (own >= needed).then(|| !negated(&first.text))
    } else {
        None
    };
    Ok(Choice { passage: first.passage, quoted, similarity, score, verdict })
}

/// A prose sentence is quoted as written; a line (record, row, item) with its subject, since
/// "Price: 249 euros" alone does not say of what.
fn quote(c: &Candidate) -> String {
    if c.text.ends_with(['.', '!', '?']) { c.text.clone() } else { c.with_subject.clone() }
}

/// Claims in `answer` that the passages do not support (names may also come from the question);
/// empty = grounded.
pub fn unsupported_claims(answer: &str, question: &str, passages: &[Passage]) -> Vec<String> {
    let from_passages: String =
        passages.iter().map(|p| format!("{} {} {}", p.title, p.heading, p.text)).collect::<Vec<_>>().join(" ");
    // Numbers must come from the knowledge base: a figure the visitor wrote ("Is it 500
    // euros?") is no evidence that it is right. A name they wrote may be repeated.
    let evidence_numbers = numbers(&from_passages.to_lowercase());
    let evidence = format!("{from_passages} {question}").to_lowercase();
    let mut missing = Vec::new();
    for n in numbers(&answer.to_lowercase()) {
        if !evidence_numbers.contains(&n) {
            missing.push(n);
        }
    }
    // Names are compared without their hyphens ("USB-C", "VelaAzul-Guest" → "usbc").
    let evidence_joined: String = evidence.chars().filter(|c| *c != '-' && *c != '‑').collect();
    for name in product_names(answer) {
        if !evidence_joined.contains(&name.to_lowercase()) {
            missing.push(name);
        }
    }
    missing.sort();
    missing.dedup();
    missing
}

/// Answer sentences whose yes/no polarity contradicts the passage sentence they restate: "Yes,
/// we ship to Canada" against "We do not ship to Canada", or the reverse. A sentence is matched
/// to the passage sentences sharing the most content words (two at least); it is unsupported
/// when none of them has its polarity.
pub fn polarity_mismatches(answer: &str, passages: &[Passage]) -> Vec<String> {
    let evidence: Vec<(Vec<String>, bool)> =
        passages.iter().flat_map(|p| sentences(&p.text)).map(|s| (polarity_stems(&s), negated(&s))).collect();
    let mut out = Vec::new();
    for sentence in sentences(answer) {
        let stems = polarity_stems(&sentence);
        let overlaps: Vec<usize> =
            evidence.iter().map(|(e, _)| stems.iter().filter(|w| e.contains(w)).count()).collect();
        let best = overlaps.iter().copied().max().unwrap_or(0);
        if best < 2 {
            continue;
        }
        let polarity = negated(&sentence);
        let agrees = evidence.iter().zip(&overlaps).any(|((_, neg), o)| *o == best && *neg == polarity);
        if !agrees {
            out.push(sentence);
        }
    }
    out
}

/// Words of four letters or more, cut to five letters ("returned" and "returns" meet).
fn polarity_stems(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(|w| w.to_lowercase().chars().take(5).collect())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a sentence is negative ("No, …", "not", "never", "can't", and their equivalents in
/// the languages we speak).
fn negated(sentence: &str) -> bool {
    const NEGATIONS: &[&str] = &[
        "no", "not", "never", "cannot", "none", "nothing", "nobody", "nunca", "ningún", "ninguna", "tampoco", "nicht",
        "kein", "keine", "keinen", "keiner", "nie", "niemals", "pas", "jamais", "aucun", "aucune", "não", "nenhum",
        "nenhuma", "non", "mai", "nessun", "nessuna", "niet", "geen", "nooit",
    ];
    sentence
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .any(|w| NEGATIONS.contains(&w) || w.ends_with("n't") || w.ends_with("n’t"))
}

/// Numbers as written ("4.99", "30", "2") plus number words up to twelve, normalised to digits.
fn numbers(text: &str) -> Vec<String> {
    const WORDS: &[(&str, &str)] = &[
        ("one", "1"),
        ("two", "2"),
        ("three", "3"),
        ("four", "4"),
        ("five", "5"),
        ("six", "6"),
        ("seven", "7"),
        ("eight", "8"),
        ("nine", "9"),
        ("ten", "10"),
        ("eleven", "11"),
        ("twelve", "12"),
    ];
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let decimal_point =
            (c == '.' || c == ',') && !current.is_empty() && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || decimal_point {
            current.push(if c == ',' { '.' } else { c });
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    for word in text.split(|c: char| !c.is_alphabetic()) {
        if let Some((_, digit)) = WORDS.iter().find(|(w, _)| *w == word) {
            out.push((*digit).to_owned());
        }
    }
    out
}

/// Capitalised words that are not the first word of a sentence ("Brightbox", "Pro", "iPhone"
/// would count when mid-sentence): names the answer asserts.
fn product_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in sentences(text) {
        for (i, raw) in sentence.split_whitespace().enumerate() {
            let word: String = raw.chars().filter(|c| c.is_alphanumeric()).collect();
            let capitalised = word.chars().next().is_some_and(char::is_uppercase) && word.chars().count() >= 3;
            if i > 0 && capitalised && !COMMON_CAPITALISED.contains(&word.as_str()) {
                out.push(word);
            }
        }
    }
    out
}

/// Capitalised words that are not product claims.
const COMMON_CAPITALISED: &[&str] = &[
    "The",
    "You",
    "Your",
    "Our",
    "We",
    "This",
    "That",
    "Please",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Settings",
    "Here",
];

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn passage(text: &str) -> Passage {
        Passage {
            chunk_id: Uuid::nil(),
            document_id: Uuid::nil(),
            title: "Plans".into(),
            heading: String::new(),
            text: text.into(),
            source_url: None,
            score: 0.8,
            sentence_vectors: None,
        }
    }

    #[test]
    fn a_word_said_in_other_words_counts_half_as_much_as_the_word_itself() {
        let text = "Can I leave my bags at reception?";
        let q = Question {
            stems: content_stems(text),
            related: crate::conversation::thesaurus::alternatives(text),
            ..Question::default()
        };
        let plain = vec![1.0; q.stems.len()];
        let said = |unit: &str| coverage(&q, &plain, &content_stems(unit), &[]);
        let as_written = said("Bags can be left at reception.");
        let in_other_words = said("Luggage can be left at reception.");
        let without = said("Keys can be left at reception.");
        assert!(as_written > in_other_words && in_other_words > without, "{as_written} {in_other_words} {without}");
        let per_word = 1.0 / q.stems.len() as f32;
        assert!((as_written - in_other_words - per_word / 2.0).abs() < 1e-6);
    }

    #[test]
    fn numbers_and_names_must_come_from_the_passages() {
        let p = [passage("Brightbox Pro costs 10 euros per month and supports up to 20 cameras.")];
        assert!(unsupported_claims("Brightbox Pro costs 10 euros a month.", "price?", &p).is_empty());
        assert_eq!(unsupported_claims("Brightbox Pro costs 12 euros a month.", "price?", &p), vec!["12"]);
        assert_eq!(unsupported_claims("You can also buy Brightbox Ultra.", "?", &p), vec!["Ultra"]);
        assert!(unsupported_claims("It supports twenty cameras? No: up to 20 cameras.", "?", &p).is_empty());
        let hyphens = [passage("Network name: VelaAzul-Guest. Charging via USB-C.")];
        assert!(unsupported_claims("Network name: VelaAzul-Guest, via USB-C.", "?", &hyphens).is_empty());
        assert_eq!(unsupported_claims("Delivery takes eleven days.", "?", &p), vec!["11"]);
        // The visitor's own figure is not evidence for it.
        assert_eq!(
            unsupported_claims("Yes, Brightbox Pro costs 500 euros a month.", "Is Brightbox Pro 500 euros?", &p),
            vec!["500"]
        );
    }

    #[test]
    fn yes_and_no_must_agree_with_the_passage_they_restate() {
        let p =
            [passage("We do not ship to Canada. Orders to Mexico arrive in 5 days. Opened items cannot be returned.")];
        assert_eq!(polarity_mismatches("Yes, we ship to Canada.", &p), vec!["Yes, we ship to Canada."]);
        assert!(polarity_mismatches("No, we don't ship to Canada.", &p).is_empty());
        assert!(polarity_mismatches("No, opened items can't be returned.", &p).is_empty());
        assert_eq!(polarity_mismatches("You can return opened items.", &p), vec!["You can return opened items."]);
        assert_eq!(polarity_mismatches("No, orders never reach Mexico.", &p), vec!["No, orders never reach Mexico."]);
        // A sentence that restates nothing in particular is the other checks' business.
        assert!(polarity_mismatches("No.", &p).is_empty());
        let es = [passage("No hacemos envíos a Canadá.")];
        assert_eq!(polarity_mismatches("Sí, hacemos envíos a Canadá.", &es).len(), 1);
    }

    #[test]
    fn decimals_and_commas_are_the_same_number() {
        let p = [passage("Express delivery costs 9,99 euros.")];
        assert!(unsupported_claims("Express costs 9.99 euros.", "?", &p).is_empty());
    }

    fn candidate(passage: usize, index: usize, text: &str) -> Candidate {
        Candidate { passage, index, text: text.into(), with_subject: text.into(), cell_of: None }
    }

    #[test]
    fn the_unit_that_answers_is_quoted_with_its_neighbour_only_when_it_adds_something() {
        let p = [passage("Refunds go back to the card.\nIt takes five days.\nLabels are free.")];
        let cands = vec![
            candidate(0, 0, "Refunds go back to the card."),
            candidate(0, 1, "It takes five days."),
            candidate(0, 2, "Labels are free."),
        ];
        let q = Question {
            stems: content_stems("How are refunds paid back, and how long does that take?"),
            ..Question::default()
        };
        let choice = choose(&q, &cands, &[0.7, 0.65, 0.2], &p, AnswerPolicy::default()).expect("answerable");
        assert_eq!(choice.quoted, vec!["Refunds go back to the card.", "It takes five days."]);
        let unrelated = Question { stems: content_stems("Do you sell skis?"), ..Question::default() };
        assert_eq!(
            choose(&unrelated, &cands, &[0.3, 0.2, 0.1], &p, AnswerPolicy::default()),
            Err(Unanswerable::LowConfidence)
        );
    }

    #[test]
    fn a_passage_in_another_language_is_judged_on_meaning_only_by_a_multilingual_model() {
        use crate::conversation::language::Language;
        use crate::embeddings::Calibration;
        let p =
            [passage("We accept Visa, Mastercard, Apple Pay and PayPal. Invoices are sent by email after dispatch.")];
        let cands = candidates(&p);
        let q = Question {
            stems: content_stems("¿Qué formas de pago aceptan?"),
            language: Some(Language::Es),
            ..Question::default()
        };
        let sims = [0.89, 0.84];
        // The multilingual model's similarity carries the decision; no Spanish word can match.
        let multilingual = AnswerPolicy::calibrated(Calibration::MULTILINGUAL_E5_SMALL);
        let choice = choose(&q, &cands, &sims, &p, multilingual).expect("answered across languages");
        assert_eq!(choice.quoted, vec!["We accept Visa, Mastercard, Apple Pay and PayPal."]);
        // The same similarity from an unrelated unit is not enough.
        assert_eq!(choose(&q, &cands, &[0.82, 0.81], &p, multilingual), Err(Unanswerable::LowConfidence));
        // In the passage's own language the words must do their part.
        let english = Question { language: Some(Language::En), ..q.clone() };
        assert_eq!(choose(&english, &cands, &sims, &p, multilingual), Err(Unanswerable::LowConfidence));
        // An English-only model's similarities across languages mean nothing: no credit.
        let english_only = AnswerPolicy::calibrated(Calibration::ALL_MINILM_L6_V2);
        assert_eq!(choose(&q, &cands, &[0.55, 0.5], &p, english_only), Err(Unanswerable::LowConfidence));
    }

    #[test]
    fn an_organisations_confidence_moves_where_a_match_is_answered() {
        use crate::organizations::Confidence;
        let p = [passage("Gift cards never expire.")];
        let cands = candidates(&p);
        // A match no word of the question shares: its similarity alone decides.
        let q = Question { stems: content_stems("Is there a time limit on vouchers?"), ..Question::default() };
        let balanced = AnswerPolicy::default();
        let borderline = [balanced.min_score + 0.01];
        assert!(choose(&q, &cands, &borderline, &p, balanced).is_ok());
        let strict = balanced.with_confidence(Confidence::EscalateMore);
        assert_eq!(choose(&q, &cands, &borderline, &p, strict), Err(Unanswerable::LowConfidence));
        let lenient = balanced.with_confidence(Confidence::AnswerMore);
        let below = [balanced.min_score - 0.01];
        assert_eq!(choose(&q, &cands, &below, &p, balanced), Err(Unanswerable::LowConfidence));
        assert!(choose(&q, &cands, &below, &p, lenient).is_ok());
    }

    #[test]
    fn a_follow_ups_own_words_pick_the_unit() {
        let p = [passage("Buses 8 and 9 stop outside the clinic.\nThe train station is a 12-minute walk away.")];
        let cands = candidates(&p);
        let q = Question {
            stems: content_stems("Which buses stop near the clinic? And by train?"),
            focus: content_stems("And by train?"),
            ..Question::default()
        };
        let got = choose(&q, &cands, &[0.7, 0.6], &p, AnswerPolicy::default()).expect("answerable");
        assert_eq!(got.quoted, vec!["The train station is a 12-minute walk away."]);
    }

    #[test]
    fn a_question_about_one_column_of_a_wide_row_quotes_that_cell() {
        let mut p = passage(
            "Team · Price: $9 · Projects: 50 projects · Storage: 100 GB\nStarter · Price: free · Projects: 3 projects · Storage: 1 GB",
        );
        p.heading = "Plan comparison".into();
        let p = [p];
        let cands = candidates(&p);
        assert_eq!(cands.len(), 8, "two rows and their three cells each");
        let text = "What's the storage limit on Team?";
        let q = Question {
            stems: content_stems(text),
            names: super::super::understanding::named_things(text, super::super::Language::En, &[]),
            ..Question::default()
        };
        // The one column's cell is closest in meaning (the other columns do not dilute it); it is
        // quoted alone, with its row's key and the section.
        let sims: Vec<f32> =
            cands.iter().map(|c| if c.text == "Team · Storage: 100 GB" { 0.55 } else { 0.45 }).collect();
        let got = choose(&q, &cands, &sims, &p, AnswerPolicy::default()).expect("answerable");
        assert_eq!(got.quoted, vec!["Plan comparison — Team · Storage: 100 GB"]);
    }

    #[test]
    fn the_unit_stating_the_kind_of_fact_asked_for_is_preferred() {
        let p = [passage(
            "When the trial ends without an upgrade, the workspace moves to the Starter plan.\nEvery new workspace gets a 14-day free trial, with no card required.",
        )];
        let cands = candidates(&p);
        let text = "How long is the trial?";
        let q = Question {
            stems: content_stems(text),
            expects: crate::conversation::expectation::expected(text),
            ..Question::default()
        };
        let got = choose(&q, &cands, &[0.5, 0.45], &p, AnswerPolicy::default()).expect("answerable");
        assert_eq!(got.quoted[0], "Every new workspace gets a 14-day free trial, with no card required.");
        let without = Question { expects: None, ..q };
        let got = choose(&without, &cands, &[0.5, 0.45], &p, AnswerPolicy::default()).expect("answerable");
        assert_ne!(got.quoted[0], "Every new workspace gets a 14-day free trial, with no card required.");
    }

    #[test]
    fn a_named_thing_no_passage_mentions_is_not_answered() {
        let p = [passage("Summit 2\nBattery: 10 hours\nSummit 3\nBattery: 12 hours")];
        let cands = candidates(&p);
        let sims = vec![0.9; cands.len()];
        let q = |text: &str| Question {
            stems: content_stems(text),
            names: super::super::understanding::named_things(text, super::super::Language::En, &[]),
            ..Question::default()
        };
        assert_eq!(
            choose(&q("What is the battery life of the Summit 4?"), &cands, &sims, &p, AnswerPolicy::default()),
            Err(Unanswerable::UnknownName)
        );
        let got = choose(&q("What is the battery life of the Summit 3?"), &cands, &sims, &p, AnswerPolicy::default())
            .expect("answerable");
        assert_eq!(got.quoted[0], "Summit 3 — Battery: 12 hours");
    }

    #[test]
    fn yes_and_no_only_when_the_quoted_unit_says_so() {
        let p = [passage("We accept Visa, Mastercard, Apple Pay and bank transfer.\nWe do not ship to Canada.")];
        let cands = candidates(&p);
        let ask = |text: &str, sims: &[f32]| {
            let q = Question {
                stems: content_stems(text),
                names: super::super::understanding::named_things(text, super::super::Language::En, &[]),
                yes_no: true,
                ..Question::default()
            };
            choose(&q, &cands, sims, &p, AnswerPolicy::default())
        };
        assert_eq!(ask("Do you accept Apple Pay?", &[0.7, 0.2]).expect("answerable").verdict, Some(true));
        assert_eq!(ask("Do you take Apple Pay?", &[0.7, 0.2]).expect("answerable").verdict, Some(true));
        assert_eq!(ask("Do you ship to Canada?", &[0.2, 0.7]).expect("answerable").verdict, Some(false));
        // The quote is about payments but not about cheques: no bare "yes".
        let cheques = ask("Do you take cheques by post?", &[0.7, 0.2]);
        assert!(cheques.is_err() || cheques.is_ok_and(|c| c.verdict.is_none()));
    }
}
