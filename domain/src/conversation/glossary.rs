//! Reading a question in another language against an English knowledge base when the embedding
//! model is English-only (the default all-MiniLM-L6-v2): the question's everyday support words
//! ("envío", "Öffnungszeiten", "mot de passe") are rendered in English from a small glossary
//! (`glossary.txt`, seven languages), names, numbers and identifiers are kept as written, and the
//! result ("how much does it cost shipping Spain") is retrieved and answered like an English
//! question. It is only tried when the question as written found nothing to quote, so a
//! knowledge base in the visitor's own language is read as before. The reply stays in the
//! visitor's language; the quote says its source is in English.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::escalation::normalise;
use super::language::Language;

/// The glossary's columns after English, in file order.
const COLUMNS: [Language; 6] = [Language::Es, Language::De, Language::Fr, Language::Pt, Language::It, Language::Nl];

/// The longest ending tolerated after a variant of five letters or more ("envio" → "envios").
const ENDING: usize = 3;
/// The longest ending tolerated after a variant of four letters.
const SHORT_ENDING: usize = 2;
/// The shortest part of a compound word that is looked up on its own ("speicher|platz").
const COMPOUND_PART: usize = 4;

/// Contractions of a preposition and an article, which the stop words do not list.
const CONTRACTIONS: &[&str] = &[
    "al", "del", "ao", "aos", "pelo", "pela", "pelos", "pelas", "num", "numa", "au", "aux", "du", "des", "allo",
    "alla", "ai", "agli", "alle", "dal", "dalla", "nel", "nella", "nei", "sul", "sulla", "zum", "zur", "im", "am",
    "vom", "beim", "ins",
];

/// One glossary entry: its words in one language, and the English they stand for.
struct Entry {
    words: Vec<String>,
    english: &'static str,
    proper: bool,
}

/// Entries by language, longest phrases first.
static GLOSSARY: LazyLock<HashMap<Language, Vec<Entry>>> = LazyLock::new(|| {
    let mut by_language: HashMap<Language, Vec<Entry>> = HashMap::new();
    for line in include_str!("glossary.txt").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cells = line.split('|');
        let Some(english) = cells.next() else { continue };
        let (english, proper) = match english.strip_prefix('!') {
            Some(name) => (name, true),
            None => (english, false),
        };
        for (lang, cell) in COLUMNS.into_iter().zip(cells) {
            for variant in cell.split(',') {
                let words = fold(variant);
                if !words.is_empty() {
                    by_language.entry(lang).or_default().push(Entry { words, english, proper });
                }
            }
        }
    }
    // Longest first, so "tienda de campana" (a tent) wins over "tienda" (a shop); among equals,
    // the file's order.
    for entries in by_language.values_mut() {
        entries.sort_by_key(|e| std::cmp::Reverse(e.words.len()));
    }
    by_language
});

/// Folded words: as [`normalise`], with apostrophes and hyphens splitting words ("l'heure" →
/// "l heure", "e-mail" → "e mail").
fn fold(text: &str) -> Vec<String> {
    normalise(&text.replace(['\'', '’', '-', '‑'], " "))
}

/// Whether a question's word is the glossary's: the same, or the same with an ending of up to
/// three letters (five-letter variants and longer) or two (four letters: "akku" → "akkus").
fn word_matches(variant: &str, word: &str) -> bool {
    let n = variant.chars().count();
    let ending = match n {
        ..4 => 0,
        4 => SHORT_ENDING,
        _ => ENDING,
    };
    word == variant || (ending > 0 && word.starts_with(variant) && word.chars().count() - n <= ending)
}

/// An English rendering of a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gloss {
    /// The question in English words, with its names, numbers and untranslated words as written.
    pub text: String,
    /// How many of its words or phrases the glossary translated.
    pub translated: usize,
}

/// `question` (in `lang`) in English words, or `None` when the glossary knows none of them (or
/// the question is English). `names` are the question's named things ([`super::understanding::
/// named_things`]): their words keep their capitals, every other untranslated word is written in
/// lower case (a German noun is no name).
pub fn to_english(question: &str, lang: Language, names: &[String]) -> Option<Gloss> {
    english_words(question, lang, names).filter(|g| g.translated > 0)
}

/// [`to_english`], also when the glossary knows none of the words (a follow-up's own words,
/// "Und auf die Regenhülle?", read with the question before it). `None` for English.
pub fn english_words(question: &str, lang: Language, names: &[String]) -> Option<Gloss> {
    let entries = GLOSSARY.get(&lang)?;
    let name_words: Vec<String> = names.iter().flat_map(|n| fold(n)).collect();
    // Each folded word with the token it came from (for names and numbers written as given).
    let tokens: Vec<(String, String)> = question
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '’' | '-' | '‑'))
        .flat_map(|raw| {
            let raw =
                raw.trim_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '.' | ',' | '€' | '$' | '£' | '%'));
            let raw = raw.trim_end_matches(['.', ',']);
            let folded = normalise(raw);
            // "¿Cuánto" folds to one word; a token that folds to several keeps its parts.
            if folded.len() == 1 {
                vec![(folded[0].clone(), raw.to_owned())]
            } else {
                folded.into_iter().map(|w| (w.clone(), w)).collect()
            }
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut translated = 0;
    let mut at = 0;
    while at < tokens.len() {
        let words: Vec<&str> = tokens[at..].iter().map(|(w, _)| w.as_str()).collect();
        // The longest phrase; among equals, the one written as the question writes it ("rezeption"
        // is reception, not "rezept" with an ending), then the file's order.
        let entry = entries
            .iter()
            .filter(|e| {
                let n = e.words.len();
                n <= words.len()
                    && e.words[..n - 1].iter().zip(&words).all(|(a, b)| a == b)
                    && word_matches(&e.words[n - 1], words[n - 1])
            })
            .min_by_key(|e| (std::cmp::Reverse(e.words.len()), e.words[e.words.len() - 1] != words[e.words.len() - 1]));
        if let Some(entry) = entry {
            out.push(english(entry));
            translated += 1;
            at += entry.words.len();
            continue;
        }
        let (word, raw) = &tokens[at];
        at += 1;
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push(raw.clone());
        } else if let Some(parts) = compound(entries, word, lang) {
            translated += parts.iter().filter(|p| p.1).count();
            out.extend(parts.into_iter().map(|p| p.0));
        } else if name_words.contains(word) {
            out.push(raw.clone());
        } else if !super::understanding::is_stopword(word) && !CONTRACTIONS.contains(&word.as_str()) {
            out.push(word.clone());
        }
    }
    Some(Gloss { text: out.join(" "), translated })
}

fn english(entry: &Entry) -> String {
    if entry.proper { entry.english.to_owned() } else { entry.english.to_lowercase() }
}

/// A German or Dutch compound whose last part the glossary knows ("Hotelzimmer" → "hotel
/// room", "Speicherplatz" → "storage space"): the parts, each with whether it was translated.
fn compound(entries: &[Entry], word: &str, lang: Language) -> Option<Vec<(String, bool)>> {
    if !matches!(lang, Language::De | Language::Nl) {
        return None;
    }
    let single = |w: &str| entries.iter().find(|e| e.words.len() == 1 && word_matches(&e.words[0], w));
    let chars: Vec<char> = word.chars().collect();
    // The longest known tail first: "zahn|reinigung" before "zahnrein|igung".
    for split in COMPOUND_PART..=chars.len().saturating_sub(COMPOUND_PART) {
        let head: String = chars[..split].iter().collect();
        let tail: String = chars[split..].iter().collect();
        let Some(tail_entry) = single(&tail) else { continue };
        // A linking "s" or "n" between the parts ("Versicherungs|karte").
        let head_entry = single(&head).or_else(|| head.strip_suffix(['s', 'n']).and_then(single));
        let head = match head_entry {
            Some(e) => (english(e), true),
            None => (head, false),
        };
        return Some(vec![head, (english(tail_entry), true)]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gloss(q: &str, lang: Language) -> String {
        to_english(q, lang, &[]).map(|g| g.text).unwrap_or_default()
    }

    #[test]
    fn every_line_has_all_seven_languages() {
        for (n, line) in include_str!("glossary.txt").lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line.split('|').collect();
            assert_eq!(cells.len(), 7, "line {}: {line}", n + 1);
            assert!(cells.iter().all(|c| !c.trim().is_empty()), "line {}: an empty cell", n + 1);
            for cell in &cells[1..] {
                assert_eq!(cell.to_owned(), cell.to_lowercase(), "line {}: variants are folded", n + 1);
            }
        }
    }

    #[test]
    fn questions_in_six_languages_become_english_words() {
        assert_eq!(
            gloss("¿Cuánto cuesta el envío a España?", Language::Es),
            "how much does it cost shipping delivery Spain"
        );
        assert_eq!(
            gloss("Wie lange dauert die Lieferung nach Österreich?", Language::De),
            "how long take shipping delivery Austria"
        );
        assert_eq!(gloss("Combien de temps faut-il pour être remboursé ?", Language::Fr), "how long take refund");
        assert_eq!(gloss("Kan ik in termijnen betalen?", Language::Nl), "can i instalments installments pay payment");
        assert_eq!(
            gloss("A que horas abre a piscina ao domingo?", Language::Pt),
            "what time open pool swimming sunday"
        );
        assert_eq!(
            gloss("Quanto costa il parcheggio per una notte?", Language::It),
            "how much does it cost parking car park night"
        );
    }

    #[test]
    fn names_numbers_and_unknown_words_are_kept() {
        let names = vec!["lumen 800".to_owned()];
        let g = to_english("Wie viel kostet die Stirnlampe Lumen 800?", Language::De, &names).expect("glossed");
        assert_eq!(g.text, "how much does it cost headlamp head torch Lumen 800");
        // A German noun the glossary does not know is a word, not a name.
        assert_eq!(gloss("Wie lange hält die Regenhülle?", Language::De), "how long halt regenhulle");
    }

    #[test]
    fn a_word_written_as_an_entry_wins_over_a_shorter_entry_with_an_ending() {
        // "rezept" + "ion" would be a prescription; the glossary has "rezeption" itself.
        assert_eq!(
            gloss("Wie lautet die Telefonnummer der Rezeption?", Language::De),
            "what is phone number reception front desk"
        );
        assert_eq!(gloss("Brauche ich ein Rezept?", Language::De), "need prescription");
    }

    #[test]
    fn compounds_are_split_at_a_known_tail() {
        assert_eq!(gloss("Wie groß ist der Speicherplatz?", Language::De), "how big large storage space");
        assert_eq!(gloss("Haben Sie Hotelzimmer frei?", Language::De), "do you have hotel room stock available");
    }

    #[test]
    fn a_follow_up_s_own_words_are_rendered_even_when_none_is_known() {
        assert_eq!(english_words("Und auf die Akkus?", Language::De, &[]).map(|g| g.text).as_deref(), Some("battery"));
        let g = english_words("Und auf die Regenhülle?", Language::De, &[]).expect("German");
        assert_eq!((g.text.as_str(), g.translated), ("regenhulle", 0));
    }

    #[test]
    fn english_and_unknown_text_have_no_gloss() {
        assert_eq!(to_english("How much is shipping to Spain?", Language::En, &[]), None);
        assert_eq!(to_english("Xyzzy plugh?", Language::Es, &[]), None);
    }
}
