//! Words that name the same thing, for the lexical half of the confidence decision.
//!
//! A visitor rarely uses the article's word: "bags" for "luggage", "hire" for "rental", "flat
//! tyre" for "puncture". Sentence embeddings catch some of that; the word-coverage signal caught
//! none, so a sentence holding the answer in other words scored as if it shared nothing with the
//! question. `thesaurus.txt` lists groups of English support vocabulary (money, delivery,
//! accounts, opening times, places, people, hotels, health, rentals); a question word found in a
//! group is half covered by a unit holding another variant of it (as by a heading: weaker
//! evidence than the word itself), and the lexical leg of retrieval looks for every variant.
//! Names, numbers and identifiers still have to occur as written.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::escalation::normalise;
use super::understanding::content_stems;

/// One variant: its folded words (for finding it in a question) and its content stems (for
/// finding it in a unit; all of them must occur).
struct Variant {
    words: Vec<String>,
    stems: Vec<String>,
    /// Written `?do you charge`: a way of asking, looked for in questions only ("charge" alone
    /// in a unit is as likely a battery's).
    question_only: bool,
}

/// The groups, and for each group the variants it holds.
struct Thesaurus {
    groups: Vec<Vec<Variant>>,
    /// Groups by the first (singular) word of each of their variants.
    by_first_word: HashMap<String, Vec<(usize, usize)>>,
}

static THESAURUS: LazyLock<Thesaurus> = LazyLock::new(|| {
    let mut groups = Vec::new();
    let mut by_first_word: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for line in include_str!("thesaurus.txt").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let group: Vec<Variant> = line
            .split(',')
            .map(|v| {
                let (v, question_only) = match v.trim().strip_prefix('?') {
                    Some(asked) => (asked, true),
                    None => (v, false),
                };
                Variant {
                    words: normalise(v).iter().map(|w| singular(w)).collect(),
                    stems: content_stems(v),
                    question_only,
                }
            })
            .filter(|v| !v.words.is_empty() && !v.stems.is_empty())
            .collect();
        for (i, v) in group.iter().enumerate() {
            by_first_word.entry(v.words[0].clone()).or_default().push((groups.len(), i));
        }
        groups.push(group);
    }
    Thesaurus { groups, by_first_word }
});

/// A word without its plural ending, for looking it up ("bags" → "bag", "batteries" → "battery").
fn singular(word: &str) -> String {
    let n = word.chars().count();
    if let Some(base) = word.strip_suffix("ies").filter(|_| n > 4) {
        format!("{base}y")
    } else if n > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// The variants (group, variant) written in `question`, in order.
fn found_in(question: &str) -> Vec<(usize, usize)> {
    let words: Vec<String> = normalise(question).iter().map(|w| singular(w)).collect();
    let mut out = Vec::new();
    for start in 0..words.len() {
        for &(group, variant) in THESAURUS.by_first_word.get(&words[start]).into_iter().flatten() {
            let v = &THESAURUS.groups[group][variant].words;
            if words.get(start..start + v.len()) == Some(&v[..]) {
                out.push((group, variant));
            }
        }
    }
    out
}

/// Other ways to say a question's words: for each content stem of `question` (as
/// [`content_stems`] gives them) that belongs to a phrase of the thesaurus, the stems of every
/// other variant of its group. A unit mentioning all the stems of one alternative covers that
/// question word.
pub fn alternatives(question: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for (group, variant) in found_in(question) {
        let group = &THESAURUS.groups[group];
        for stem in &group[variant].stems {
            let others = group
                .iter()
                .enumerate()
                .filter(|(i, o)| *i != variant && !o.question_only && !o.stems.contains(stem))
                .map(|(_, o)| o.stems.clone());
            match out.iter_mut().find(|(s, _)| s == stem) {
                Some((_, alts)) => alts.extend(others),
                None => out.push((stem.clone(), others.collect())),
            }
        }
    }
    out
}

/// `question` followed by the other variants of the groups its words belong to, for the
/// lexical leg of retrieval ("bags" also ranks the passages that say "luggage").
pub fn expanded(question: &str) -> String {
    let words: Vec<String> = normalise(question).iter().map(|w| singular(w)).collect();
    let mut extra: Vec<&str> = Vec::new();
    for (group, _) in found_in(question) {
        for w in THESAURUS.groups[group].iter().filter(|o| !o.question_only).flat_map(|other| &other.words) {
            if !words.contains(w) && !extra.contains(&w.as_str()) {
                extra.push(w);
            }
        }
    }
    if extra.is_empty() { question.to_owned() } else { format!("{question} {}", extra.join(" ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::understanding::stems_match;

    fn covers(question: &str, word: &str, unit: &str) -> bool {
        let unit = content_stems(unit);
        let stem = content_stems(word).remove(0);
        alternatives(question)
            .iter()
            .filter(|(s, _)| *s == stem)
            .flat_map(|(_, alts)| alts)
            .any(|alt| alt.iter().all(|a| unit.iter().any(|u| stems_match(u, a))))
    }

    #[test]
    fn a_question_word_is_covered_by_another_name_for_the_same_thing() {
        assert!(covers("Can I leave my bags after check-out?", "bags", "We store luggage for free until 6 pm."));
        assert!(covers("Do you hire out bicycles?", "hire", "Bike rental starts at 9 am."));
        assert!(covers("What if I get a flat tyre?", "flat", "A puncture on the road is repaired for free."));
        assert!(covers("What colour is it?", "colour", "The color is red."));
    }

    #[test]
    fn words_of_other_groups_and_partial_phrases_do_not_cover() {
        assert!(!covers("Can I leave my bags after check-out?", "bags", "Bike rental starts at 9 am."));
        // "flat" alone is not a puncture ("a flat rate").
        assert!(alternatives("Is it a flat rate?").iter().all(|(s, _)| s != "flat"));
        // A way of asking is looked for in questions only.
        assert!(covers("How much do you charge for parking?", "charge", "Parking costs €22 per day."));
        assert!(!covers("Is there a fee?", "fee", "Free of charge."));
        assert!(alternatives("What does it cost?").iter().all(|(_, alts)| alts.iter().all(|a| a != &["charg"])));
        // Kinds of one thing cover their general word and back, never each other.
        assert!(covers("Are pets allowed?", "pets", "Dogs are welcome for €15 a night."));
        assert!(covers("Can I bring my dog?", "dog", "Pets are welcome for €15 a night."));
        assert!(!covers("Can I bring my cat?", "cat", "Dogs are welcome for €15 a night."));
        // A variant of several words counts only when every word occurs.
        assert!(!covers("Do you take debit cards?", "debit", "Debit is not the same as credit."));
    }

    #[test]
    fn every_group_has_at_least_two_usable_variants() {
        for group in &THESAURUS.groups {
            assert!(group.len() >= 2, "a group of one: {:?}", group.iter().map(|v| &v.words).collect::<Vec<_>>());
        }
    }
}
