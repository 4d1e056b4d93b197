//! Composing an answer from retrieved passages, and the grounding guard every answer passes.
//!
//! The offline default is **extractive**: the sentences of the retrieved passages closest in
//! meaning to the question, quoted verbatim under a short intro in the visitor's language. It
//! cannot state a fact the knowledge base does not. The guard checks any answer (extractive or
//! from an LLM): every number, price, duration and product-like name it contains must appear
//! in the passages it was given (or in the question), and a yes/no statement must not flip the
//! polarity of the passage sentence it restates.

use std::collections::HashMap;

use crate::knowledge::chunking::sentences;
use crate::knowledge::retrieval::Passage;

/// Most sentences an extractive answer quotes.
const MAX_SENTENCES: usize = 3;

/// Candidate sentences of the best passages, in passage order.
pub fn candidate_sentences(passages: &[Passage]) -> Vec<(usize, String)> {
    passages
        .iter()
        .enumerate()
        .take(3)
        .flat_map(|(i, p)| sentences(&p.text).into_iter().map(move |s| (i, s)))
        .filter(|(_, s)| s.split_whitespace().count() >= 3)
        .collect()
}

/// The sentence embeddings stored with the passages at ingestion, by sentence text. Passages
/// without them (or whose text no longer splits the same way) contribute nothing.
pub fn stored_sentence_vectors(passages: &[Passage]) -> HashMap<String, Vec<f32>> {
    let mut out = HashMap::new();
    for p in passages {
        let Some(vectors) = p.sentence_vectors.as_deref().and_then(crate::embeddings::dequantize) else { continue };
        let texts = sentences(&p.text);
        if texts.len() == vectors.len() {
            out.extend(texts.into_iter().zip(vectors));
        }
    }
    out
}

/// Picks the sentences to quote, given each candidate's similarity to the question: the best
/// one, plus others of the same passage that are nearly as close, in their original order.
pub fn pick_sentences(candidates: &[(usize, String)], similarities: &[f32]) -> Vec<String> {
    let Some((best, best_score)) = similarities.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return Vec::new();
    };
    let passage = candidates[best].0;
    let mut chosen: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(i, (p, _))| *p == passage && (*i == best || similarities[*i] >= best_score - 0.12))
        .map(|(i, _)| i)
        .collect();
    chosen.sort_by(|a, b| similarities[*b].total_cmp(&similarities[*a]));
    chosen.truncate(MAX_SENTENCES);
    chosen.sort_unstable();
    chosen.into_iter().map(|i| candidates[i].1.clone()).collect()
}

/// Claims in `answer` that the passages (and question) do not support; empty = grounded.
pub fn unsupported_claims(answer: &str, question: &str, passages: &[Passage]) -> Vec<String> {
    let evidence: String = passages
        .iter()
        .map(|p| format!("{} {} {}", p.title, p.heading, p.text))
        .chain(std::iter::once(question.to_owned()))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let evidence_numbers = numbers(&evidence);
    let mut missing = Vec::new();
    for n in numbers(&answer.to_lowercase()) {
        if !evidence_numbers.contains(&n) {
            missing.push(n);
        }
    }
    for name in product_names(answer) {
        if !evidence.contains(&name.to_lowercase()) {
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
        passages.iter().flat_map(|p| sentences(&p.text)).map(|s| (content_stems(&s), negated(&s))).collect();
    let mut out = Vec::new();
    for sentence in sentences(answer) {
        let stems = content_stems(&sentence);
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
fn content_stems(text: &str) -> Vec<String> {
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
    fn numbers_and_names_must_come_from_the_passages() {
        let p = [passage("Brightbox Pro costs 10 euros per month and supports up to 20 cameras.")];
        assert!(unsupported_claims("Brightbox Pro costs 10 euros a month.", "price?", &p).is_empty());
        assert_eq!(unsupported_claims("Brightbox Pro costs 12 euros a month.", "price?", &p), vec!["12"]);
        assert_eq!(unsupported_claims("You can also buy Brightbox Ultra.", "?", &p), vec!["Ultra"]);
        assert!(unsupported_claims("It supports twenty cameras? No: up to 20 cameras.", "?", &p).is_empty());
        assert_eq!(unsupported_claims("Delivery takes eleven days.", "?", &p), vec!["11"]);
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

    #[test]
    fn the_best_sentence_and_its_close_neighbours_are_quoted_in_order() {
        let candidates = vec![
            (0, "Refunds go back to the card.".to_owned()),
            (0, "It takes five days.".to_owned()),
            (0, "Labels are free.".to_owned()),
            (1, "Shipping is fast.".to_owned()),
        ];
        let picked = pick_sentences(&candidates, &[0.7, 0.62, 0.2, 0.65]);
        assert_eq!(picked, vec!["Refunds go back to the card.", "It takes five days."]);
    }
}
