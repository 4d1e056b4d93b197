//! What a visitor's question asks, read without a model: its content words, the named things it
//! is about, whether it is a yes/no question, and whether it only makes sense after the previous
//! question ("And to Spain?", "How much does it weigh?").
//!
//! Everything here is lexical and works the same in every supported language: accents and case
//! are folded, words are cut to a five-letter stem ("delivery" and "delivered" meet), and the
//! function words of all seven languages are ignored.

use super::escalation::normalise;
use super::language::Language;

/// Words that carry no topic: articles, pronouns, auxiliaries, question words and the verbs of
/// asking, in the seven supported languages, accents folded.
const STOPWORDS: &[&str] = &[
    // English
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
    "about", "as", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "have", "has",
    "had", "having", "can", "could", "will", "would", "shall", "should", "may", "might", "must", "i", "me", "my",
    "mine", "you", "your", "yours", "we", "us", "our", "ours", "it", "its", "they", "them", "their", "he", "she",
    "his", "her", "this", "that", "these", "those", "there", "here", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "much", "many", "long", "get", "got", "any", "some", "so", "too", "also", "just", "please",
    "thanks", "thank", "hi", "hello", "hey", "tell", "know", "need", "want", "like", "would", "one", "ones", "not",
    "no", "yes", "than", "then", "very", "there", "s", "t", "im", "ive", "id", "dont", "doesnt", "cant", "way",
    "about", "again", "else", "still", "ok", "okay", "until", "till", // Spanish
    "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "al", "y", "o", "en", "con", "por", "para",
    "que", "como", "cual", "cuales", "cuanto", "cuanta", "cuantos", "cuantas", "cuando", "donde", "quien", "es", "son",
    "esta", "estan", "ser", "estar", "hay", "tiene", "tienen", "tengo", "mi", "mis", "tu", "tus", "su", "sus", "se",
    "me", "te", "lo", "le", "les", "nos", "puedo", "puede", "pueden", "podria", "ustedes", "usted", "yo", "este",
    "esto", "eso", "ese", "esa", "si", "no", "muy", "mas", "tambien", "hola", "gracias", "favor", "quiero", "necesito",
    "saber", // German
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "und", "oder", "zu", "im",
    "am", "um", "mit", "von", "fur", "auf", "aus", "nach", "bei", "ist", "sind", "war", "sein", "hat", "haben", "habe",
    "kann", "konnen", "konnte", "wird", "werden", "ich", "mich", "mir", "mein", "meine", "meinen", "sie", "ihr",
    "ihre", "ihnen", "wir", "uns", "unser", "es", "wie", "was", "wann", "wo", "wer", "welche", "welcher", "welches",
    "warum", "viel", "lange", "gibt", "man", "nicht", "kein", "keine", "auch", "noch", "bitte", "danke", "hallo", "ja",
    "nein", "gern", "gerne", "mochte", "will", // French
    "le", "les", "un", "une", "des", "du", "de", "et", "ou", "a", "au", "aux", "en", "dans", "sur", "pour", "par",
    "avec", "est", "sont", "etre", "avoir", "ai", "as", "avez", "ont", "je", "j", "me", "moi", "mon", "ma", "mes",
    "vous", "votre", "vos", "nous", "notre", "nos", "il", "elle", "ils", "elles", "on", "ce", "cet", "cette", "ces",
    "qui", "que", "qu", "quoi", "quel", "quelle", "quels", "quelles", "comment", "combien", "quand", "pourquoi",
    "puis", "peux", "peut", "pouvez", "faut", "ne", "pas", "plus", "aussi", "bonjour", "merci", "oui", "non", "l", "d",
    "c", "s", "n", "y", "est-ce", "ca", // Portuguese
    "o", "os", "as", "um", "uma", "uns", "umas", "da", "das", "do", "dos", "no", "na", "nos", "nas", "em", "com",
    "por", "para", "que", "como", "qual", "quais", "quanto", "quanta", "quando", "onde", "quem", "e", "sao", "esta",
    "estao", "tem", "ter", "eu", "meu", "minha", "meus", "minhas", "voces", "voce", "seu", "sua", "posso", "pode",
    "podem", "nao", "sim", "mais", "tambem", "ola", "obrigado", "obrigada", "quero", "preciso", // Italian
    "il", "lo", "gli", "i", "uno", "di", "del", "della", "dei", "delle", "al", "alla", "ai", "nel", "nella", "con",
    "per", "tra", "fra", "che", "come", "quale", "quali", "quanto", "quanta", "quanti", "quando", "dove", "chi",
    "perche", "sono", "siete", "ho", "hai", "ha", "abbiamo", "avete", "hanno", "mio", "mia", "miei", "vostro",
    "vostra", "posso", "puo", "potete", "non", "anche", "ciao", "grazie", "voglio", "ci", "si", "vi",
    // Dutch
    "de", "het", "een", "en", "of", "van", "te", "in", "op", "aan", "met", "voor", "naar", "bij", "uit", "is", "zijn",
    "was", "heb", "hebt", "heeft", "hebben", "kan", "kun", "kunt", "kunnen", "wordt", "worden", "ik", "mij", "mijn",
    "jij", "je", "jullie", "u", "uw", "we", "wij", "ons", "onze", "hij", "zij", "ze", "dit", "dat", "deze", "die",
    "wat", "welke", "wanneer", "waar", "wie", "hoe", "hoeveel", "lang", "niet", "geen", "ook", "nog", "graag", "dank",
    "bedankt", "hallo", "ja", "nee", "er", "ik", "wil",
];

/// Whether a folded word is a function word of one of the seven languages.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Capitalised words that name nothing in particular: the start of questions, days, months,
/// greetings, common product-neutral nouns written with a capital in titles.
const NOT_NAMES: &[&str] = &[
    "i",
    "hi",
    "hello",
    "please",
    "thanks",
    "ok",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mondays",
    "tuesdays",
    "wednesdays",
    "thursdays",
    "fridays",
    "saturdays",
    "sundays",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "christmas",
    "easter",
    "eu",
    "europe",
    "uk",
    "usa",
    "us",
    "pdf",
    "csv",
    "faq",
    "ai",
    "tv",
];

/// Words that mark a message as continuing the previous question ("and …?", "what about …?").
const CONTINUATIONS: &[&str] = &[
    "and",
    "also",
    "what about",
    "how about",
    "what if",
    "same for",
    "y",
    "y si",
    "y para",
    "e",
    "e se",
    "e para",
    "et",
    "et pour",
    "et si",
    "und",
    "und fur",
    "und wenn",
    "und was",
    "en",
    "en voor",
    "en als",
    "ed",
    "anche",
    "ook",
    "aussi",
    "auch",
    "tambien",
    "tambem",
];

/// Pronouns that point back at the thing discussed before.
const POINTERS: &[&str] = &[
    "it", "its", "they", "them", "this", "that", "these", "those", "one", "lo", "la", "los", "las", "eso", "esto",
    "ese", "esa", "es", "er", "sie", "ihn", "ihm", "dies", "diese", "dieser", "dieses", "il", "elle", "le", "ca",
    "cela", "ele", "ela", "isso", "isto", "esse", "essa", "lui", "questo", "questa", "quello", "quella", "het", "dit",
    "dat", "deze", "die", "hij", "zij",
];

/// A word without accents, in lower case ("Lieferzeit" → "lieferzeit").
fn folded_words(text: &str) -> Vec<String> {
    normalise(text)
}

/// The stem of a folded word: a plural or English verb ending dropped, then at most five
/// letters ("deliveries", "delivered" → "deliv"; "shipping" → "ship"; "dogs" → "dog"). An
/// ending is only dropped when three letters remain ("bring" stays whole). Numbers stay whole.
fn stem(word: &str) -> String {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    let mut w = word.to_owned();
    let long_enough = |base: &str| base.chars().count() >= 3;
    let n = w.chars().count();
    if let Some(base) = w.strip_suffix("ies").filter(|_| n > 4) {
        w = format!("{base}y");
    } else if let Some(base) =
        w.strip_suffix("ing").or_else(|| w.strip_suffix("ed")).filter(|b| n > 4 && long_enough(b))
    {
        w = base.to_owned();
        // "shipp" → "ship"
        let chars: Vec<char> = w.chars().collect();
        if chars.len() >= 2 && chars[chars.len() - 1] == chars[chars.len() - 2] {
            w.pop();
        }
    } else if n >= 4 && w.ends_with('s') && !w.ends_with("ss") {
        w.pop();
    }
    w.chars().take(5).collect()
}

/// Whether two stems are the same word: equal, or one a prefix of the other of four letters
/// or more ("take"/"takes", "pric"/"price").
pub fn stems_match(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.chars().count() >= 4 && long.starts_with(short))
}

/// The stems of a text's content words, in order, without repeats.
pub fn content_stems(text: &str) -> Vec<String> {
    stems_of(folded_words(&join_short_hyphenations(text)))
}

/// A follow-up's own content stems, without the words that only name the kind of fact asked for
/// ("time" of "Until what time?"): the units that mention them are preferred.
pub fn focus_stems(text: &str) -> Vec<String> {
    let words = folded_words(&join_short_hyphenations(text));
    stems_of(words.into_iter().filter(|w| !super::expectation::is_kind_word(w)).collect())
}

fn stems_of(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let is_number = w.chars().all(|c| c.is_ascii_digit());
        if STOPWORDS.contains(&w.as_str()) || (w.chars().count() < 3 && !is_number) {
            continue;
        }
        let s = stem(&w);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Hyphenated words with a short part written as one word ("e-bike" → "ebike", "Wi-Fi" →
/// "WiFi"), so the part that tells them apart is not dropped as too short; "check-in" (a stop
/// word of two letters) and "3-5" stay apart.
fn join_short_hyphenations(text: &str) -> std::borrow::Cow<'_, str> {
    let joins = |token: &str| {
        let parts: Vec<&str> = token.split(['-', '‑']).collect();
        parts.len() > 1
            && parts.iter().all(|p| !p.is_empty() && p.chars().all(char::is_alphabetic))
            && parts.iter().any(|p| {
                let n = p.chars().count();
                n == 1 || (n == 2 && !STOPWORDS.contains(&p.to_lowercase().as_str()))
            })
    };
    if !text.split_whitespace().any(|t| joins(t.trim_matches(|c: char| !c.is_alphanumeric()))) {
        return std::borrow::Cow::Borrowed(text);
    }
    let words: Vec<String> = text
        .split_whitespace()
        .map(|t| {
            if joins(t.trim_matches(|c: char| !c.is_alphanumeric())) {
                t.replace(['-', '‑'], "")
            } else {
                t.to_owned()
            }
        })
        .collect();
    std::borrow::Cow::Owned(words.join(" "))
}

/// The named things a question is about: product and model names ("Summit 4", "Apple Pay"),
/// identifiers ("E401", "X200", "2FA") and codes of three digits or more. An answer must come
/// from a passage that mentions every one of them: "What does the Summit 4 weigh?" is not
/// answered from the Summit 3's record. `exempt` are names that never need to appear (the
/// organisation's own name).
///
/// Capitalisation is a sign of a name in every supported language but German, where every noun
/// is capitalised; there only identifiers and mid-sentence words in CamelCase or all capitals
/// count.
pub fn named_things(question: &str, lang: Language, exempt: &[String]) -> Vec<String> {
    let exempt: Vec<String> = exempt.iter().flat_map(|e| folded_words(e)).collect();
    let mut out: Vec<String> = Vec::new();
    let push = |name: String, out: &mut Vec<String>| {
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    };
    for sentence in crate::knowledge::chunking::sentences(question) {
        let raw: Vec<&str> = sentence.split_whitespace().collect();
        let mut run: Vec<String> = Vec::new();
        for (i, token) in raw.iter().enumerate() {
            let word: String = token
                .trim_matches(|c: char| !c.is_alphanumeric())
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '-')
                .collect();
            let folded = folded_words(&word).join("");
            let lower_is_common = NOT_NAMES.contains(&folded.as_str())
                || STOPWORDS.contains(&folded.as_str())
                || exempt.contains(&folded);
            let has_digit = word.chars().any(|c| c.is_ascii_digit());
            let has_alpha = word.chars().any(char::is_alphabetic);
            let digits = word.chars().filter(char::is_ascii_digit).count();
            let identifier = has_digit && (has_alpha || digits >= 3);
            let first_upper = word.chars().next().is_some_and(char::is_uppercase);
            let inner_upper = word.chars().skip(1).any(char::is_uppercase);
            // In German a capitalised word counts when a model number follows ("Summit 4",
            // "Modell X"); before a code that names itself ("Fehler E401") it is just a noun.
            let next_is_model_number = raw.get(i + 1).is_some_and(|n| {
                let n = n.trim_matches(|c: char| !c.is_alphanumeric());
                (n.chars().all(|c| c.is_ascii_digit()) && (1..=2).contains(&n.len()))
                    || (n.chars().count() == 1 && n.chars().all(char::is_uppercase))
            });
            let capitalised = match lang {
                Language::De => (inner_upper && word.chars().count() >= 2) || (first_upper && next_is_model_number),
                _ => first_upper && (i > 0 || inner_upper),
            };
            // A single capital letter or a number right after a name continues it ("Model Z",
            // "Summit 4").
            let continues = !run.is_empty()
                && ((word.chars().count() == 1 && first_upper) || (has_digit && word.chars().count() <= 4));
            if identifier || continues || (capitalised && !lower_is_common) {
                run.push(folded);
            } else {
                if !run.is_empty() {
                    push(run.join(" "), &mut out);
                }
                run.clear();
            }
        }
        if !run.is_empty() {
            push(run.join(" "), &mut out);
        }
    }
    out
}

/// Whether every named thing occurs in `text` (folded, as whole words or word sequences; a
/// trailing plural "s" is tolerated either way).
pub fn mentions_all(text: &str, names: &[String]) -> bool {
    if names.is_empty() {
        return true;
    }
    let words = folded_words(text);
    names.iter().all(|name| mentions(&words, name))
}

fn mentions(words: &[String], name: &str) -> bool {
    let parts: Vec<&str> = name.split(' ').collect();
    let same = |a: &str, b: &str| {
        a == b
            || a.strip_suffix('s') == Some(b)
            || b.strip_suffix('s') == Some(a)
            || (a.contains('-') && a.replace('-', "") == b.replace('-', ""))
    };
    // "wi-fi" in the question and "wi fi" after folding in the text: compare hyphen-free forms.
    let flat: Vec<String> = words.iter().map(|w| w.replace('-', "")).collect();
    let parts_flat: Vec<String> = parts.iter().map(|p| p.replace('-', "")).collect();
    if parts.len() == 1 {
        // "wifi" is written "Wi-Fi" (two words once folded) as often as one.
        return flat.iter().any(|w| same(w, &parts_flat[0]))
            || flat.windows(2).any(|pair| same(&format!("{}{}", pair[0], pair[1]), &parts_flat[0]))
            || (0..flat.len()).any(|at| abbreviates(&parts_flat[0], &flat[at..]));
    }
    flat.windows(parts.len()).any(|win| win.iter().zip(&parts_flat).all(|(w, p)| same(w, p)))
        || flat.concat().contains(&parts_flat.concat())
}

/// Whether `name` abbreviates the words `words` starts with: "amex" for "American Express"
/// (the start of each word, two letters or more), "ups" for "United Parcel Service" (initials).
/// Two to four words, each of three letters or more, so "nova" is not "no vat".
fn abbreviates(name: &str, words: &[String]) -> bool {
    fn pieces(rest: &str, words: &[String], used: usize, initials: bool) -> bool {
        if rest.is_empty() {
            return used >= 2;
        }
        let Some(word) = words.first().filter(|w| used < 4 && w.len() >= 3 && w.is_ascii()) else { return false };
        let lengths: Vec<usize> = if initials { vec![1] } else { (2..=rest.len().min(word.len())).rev().collect() };
        lengths.into_iter().any(|n| {
            rest.is_char_boundary(n)
                && word.starts_with(&rest[..n])
                && pieces(&rest[n..], &words[1..], used + 1, initials)
        })
    }
    name.len() >= 3 && name.is_ascii() && (pieces(name, words, 0, true) || pieces(name, words, 0, false))
}

/// Day names in the seven languages (folded), Monday first; plurals lose their "s".
const DAYS: [&[&str]; 7] = [
    &["monday", "lunes", "montag", "lundi", "segunda", "lunedi", "maandag"],
    &["tuesday", "martes", "dienstag", "mardi", "terca", "martedi", "dinsdag"],
    &["wednesday", "miercoles", "mittwoch", "mercredi", "quarta", "mercoledi", "woensdag"],
    &["thursday", "jueves", "donnerstag", "jeudi", "quinta", "giovedi", "donderdag"],
    &["friday", "viernes", "freitag", "vendredi", "sexta", "venerdi", "vrijdag"],
    &["saturday", "sabado", "samstag", "sonnabend", "samedi", "sabato", "zaterdag"],
    &["sunday", "domingo", "sonntag", "dimanche", "domenica", "zondag"],
];
/// Abbreviations, counted only inside a range ("Mon–Fri"): alone, "sun" or "mon" mean other things.
const DAY_ABBREVIATIONS: [&[&str]; 7] = [
    &["mon", "mo", "lun", "ma"],
    &["tue", "tues", "di", "mar"],
    &["wed", "mi", "mer", "wo"],
    &["thu", "thur", "thurs", "do", "jeu", "gio"],
    &["fri", "fr", "ven", "vr"],
    &["sat", "sa", "sab", "sam", "za"],
    &["sun", "so", "dom", "dim", "zo"],
];
const RANGE_WORDS: &[&str] = &["to", "till", "until", "through", "thru", "bis", "a", "al", "au", "tot", "ao"];
const WEEKEND: &[&str] = &["weekend", "weekends", "wochenende", "wochenenden"];
const WEEKEND_PHRASES: &[&str] = &["fin de semana", "fines de semana", "week end", "fim de semana", "fine settimana"];
const WEEKDAY: &[&str] =
    &["weekday", "weekdays", "werktag", "werktags", "werktagen", "wochentags", "werkdag", "werkdagen", "doordeweeks"];
const WEEKDAY_PHRASES: &[&str] = &[
    "entre semana",
    "en semaine",
    "dias uteis",
    "dias laborables",
    "giorni feriali",
    "during the week",
    "in the week",
    "unter der woche",
    "durante la semana",
    "pendant la semaine",
    "durante a semana",
    "durante la settimana",
    "door de week",
];

fn day_of(word: &str, abbreviations: bool) -> Option<usize> {
    let w = word.strip_suffix('s').filter(|_| word.len() > 4).unwrap_or(word);
    DAYS.iter()
        .position(|names| names.contains(&w) || names.contains(&word))
        .or_else(|| abbreviations.then(|| DAY_ABBREVIATIONS.iter().position(|a| a.contains(&word))).flatten())
}

/// The days of the week a text speaks of, as a bit set (bit 0 = Monday): day names, ranges
/// ("Monday to Friday", "Mon–Fri", "lundi au vendredi"), weekdays and weekends, in the seven
/// languages. Opening-hours tables answer "on Fridays" with their "Monday to Friday" row.
pub fn days(text: &str) -> u8 {
    let words = folded_words(text);
    let joined = format!(" {} ", words.join(" "));
    let mut out = 0u8;
    if words.iter().any(|w| WEEKEND.contains(&w.as_str()))
        || WEEKEND_PHRASES.iter().any(|p| joined.contains(&format!(" {p} ")))
    {
        out |= 0b110_0000;
    }
    if words.iter().any(|w| WEEKDAY.contains(&w.as_str()))
        || WEEKDAY_PHRASES.iter().any(|p| joined.contains(&format!(" {p} ")))
    {
        out |= 0b001_1111;
    }
    let mut i = 0;
    while i < words.len() {
        let Some(start) = day_of(&words[i], false).or_else(|| {
            // An abbreviation counts when a day (or abbreviation) follows as a range.
            let next = words.get(i + 1)?;
            let (after, connected) =
                if RANGE_WORDS.contains(&next.as_str()) { (words.get(i + 2)?, true) } else { (next, false) };
            // "Mon–Fri", "Mon to Fri", "Mon to Friday"; not "Do Saturday deliveries…".
            if !connected && day_of(after, false).is_some() {
                return None;
            }
            day_of(after, true)?;
            day_of(&words[i], true)
        }) else {
            i += 1;
            continue;
        };
        out |= 1 << start;
        let (connector, end_at) = match words.get(i + 1) {
            Some(w) if RANGE_WORDS.contains(&w.as_str()) => (true, i + 2),
            _ => (false, i + 1),
        };
        // "Monday to Friday", "Mon–Fri": every day from the first to the last.
        if let Some(end) = words.get(end_at).and_then(|w| day_of(w, true)) {
            let mut d = start;
            while d != end {
                d = (d + 1) % 7;
                out |= 1 << d;
            }
            if connector || end != (start + 1) % 7 {
                i = end_at + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Whether a question asks for a yes or a no ("Do you take Apple Pay?", "Kann ich …?",
/// "Est-ce que …?"). Languages without a marker for it (Spanish, Portuguese, Italian) never
/// get a bare yes/no from the extractive answerer: the quote alone answers.
pub fn is_yes_no(question: &str, lang: Language) -> bool {
    let words = folded_words(question);
    let Some(first) = words.first().map(String::as_str) else { return false };
    match lang {
        Language::En => matches!(
            first,
            "do" | "does"
                | "did"
                | "is"
                | "are"
                | "was"
                | "were"
                | "can"
                | "could"
                | "will"
                | "would"
                | "should"
                | "have"
                | "has"
                | "may"
                | "must"
                | "shall"
        ),
        Language::Fr => {
            question.to_lowercase().starts_with("est-ce que") || words.len() > 1 && question.contains("-vous")
        }
        Language::De => matches!(
            first,
            "kann"
                | "konnen"
                | "ist"
                | "sind"
                | "gibt"
                | "habt"
                | "haben"
                | "hat"
                | "nehmt"
                | "nehmen"
                | "akzeptieren"
                | "liefern"
                | "darf"
                | "durfen"
                | "muss"
                | "bietet"
                | "bieten"
        ),
        Language::Nl => matches!(
            first,
            "kan"
                | "kunnen"
                | "kunt"
                | "is"
                | "zijn"
                | "heeft"
                | "hebben"
                | "hebt"
                | "accepteren"
                | "leveren"
                | "mag"
                | "moet"
                | "bieden"
                | "biedt"
        ),
        _ => false,
    }
}

/// How a message relates to the previous question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ellipsis {
    /// It continues the previous question with another thing or aspect: "And to Spain?",
    /// "What about weekends?".
    Continues,
    /// It points back at the thing discussed: "How much does it weigh?".
    Points,
    /// Short enough to be a follow-up, or says "it"/"this" without naming what: read both alone
    /// and with the previous question (which first, the caller decides).
    Maybe,
    /// A question of its own.
    Standalone,
}

/// Reads whether `message` continues the previous question.
pub fn ellipsis(message: &str) -> Ellipsis {
    let words = folded_words(message);
    if words.is_empty() || words.len() > 12 {
        return Ellipsis::Standalone;
    }
    let joined = words.join(" ");
    let continues =
        words.len() <= 9 && CONTINUATIONS.iter().any(|c| joined == *c || joined.starts_with(&format!("{c} ")));
    // "How much does it weigh?" points back; "What does it cost to ship to Spain?" says enough
    // to stand alone.
    let points =
        words.len() <= 7 && words.iter().any(|w| POINTERS.contains(&w.as_str())) && content_stems(message).len() <= 2;
    // "Can I use it in heavy rain?" says more, but "it" may still be the thing asked about
    // before: worth a reading with that question (which the caller checks for relevance).
    let refers = words.iter().any(|w| POINTERS.contains(&w.as_str()));
    if continues {
        Ellipsis::Continues
    } else if points {
        Ellipsis::Points
    } else if (content_stems(message).len() <= 2 && words.len() <= 6) || refers {
        Ellipsis::Maybe
    } else {
        Ellipsis::Standalone
    }
}

/// The follow-up read together with the previous question, for retrieval and answering:
/// "And to Spain?" after "How long does delivery to Norway take?" becomes "How long does
/// delivery to Spain take?" (the new named thing replaces the old one). Otherwise the two are
/// read together ("Tell me about the Summit 2. How much does it weigh?"); which named things
/// the answer must mention is [`Ellipsis`]'s business.
pub fn resolve(message: &str, previous: &str, lang: Language, exempt: &[String]) -> String {
    let new_names = named_things(message, lang, exempt);
    let old_names = named_things(previous, lang, exempt);
    let message = message.trim();
    let content = content_stems(message);
    if !new_names.is_empty() && old_names.len() == 1 && content.len() <= new_names.len() + 1 {
        // Replace the old name, keeping its original spelling's position.
        let words: Vec<&str> = previous.split_whitespace().collect();
        let old: Vec<&str> = old_names[0].split(' ').collect();
        let new_display = original_spelling(message, &new_names);
        for start in 0..words.len() {
            let window: Vec<String> =
                words.iter().skip(start).take(old.len()).map(|w| folded_words(w).join("")).collect();
            if window.len() == old.len() && window.iter().zip(&old).all(|(w, o)| w == o) {
                let mut out: Vec<String> = words[..start].iter().map(|w| (*w).to_owned()).collect();
                out.push(new_display.clone());
                let trail: String =
                    words[start + old.len() - 1].chars().rev().take_while(|c| !c.is_alphanumeric()).collect();
                if !trail.is_empty() {
                    out.last_mut().expect("pushed").push_str(&trail.chars().rev().collect::<String>());
                }
                out.extend(words[start + old.len()..].iter().map(|w| (*w).to_owned()));
                return out.join(" ");
            }
        }
    }
    format!("{previous} {message}")
}

/// The named things as they were written in `text` ("summit 2" → "Summit 2").
fn original_spelling(text: &str, names: &[String]) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for name in names {
        let n = name.split(' ').count();
        let found = (0..words.len()).find_map(|s| {
            let window = words.get(s..s + n)?;
            let folded: Vec<String> = window.iter().map(|w| folded_words(w).join("")).collect();
            (folded.join(" ") == *name).then(|| {
                window.iter().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric())).collect::<Vec<_>>().join(" ")
            })
        });
        out.push(found.unwrap_or_else(|| name.clone()));
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[test]
    fn abbreviations_and_initials_name_what_they_shorten() {
        let words = |t: &str| folded_words(t).iter().map(|w| w.replace('-', "")).collect::<Vec<_>>();
        assert!(mentions(&words("American Express is not accepted."), "amex"));
        assert!(mentions(&words("We ship with United Parcel Service."), "ups"));
        assert!(!mentions(&words("Prices include no VAT at all."), "nova"), "short words are not pieces");
        assert!(!mentions(&words("American Express is not accepted."), "amexco"));
        assert!(!mentions(&words("Model X and Model Y"), "modz"));
    }

    #[test]
    fn stems_meet_across_word_forms() {
        for (a, b) in [
            ("takes", "take"),
            ("shipping", "ship"),
            ("delivered", "delivery"),
            ("weighs", "weight"),
            ("dogs", "dog"),
            ("bags", "bag"),
            ("pets", "pet"),
        ] {
            assert!(stems_match(&stem(a), &stem(b)), "{a} ~ {b}: {} {}", stem(a), stem(b));
        }
        // An ending is dropped only when a word remains.
        assert_eq!(stem("bring"), "bring");
        assert!(!stems_match(&stem("bring"), &stem("brand")));
        assert!(!stems_match(&stem("pay"), &stem("payment")), "three letters must match whole");
        // A short part of a hyphenated word is kept, joined: the e-bike is not any bike.
        assert_eq!(content_stems("And the e-bike?"), vec!["ebike"]);
        assert_eq!(content_stems("Is there Wi-Fi?"), vec!["wifi"]);
        assert_eq!(content_stems("check-in after 3-5 days"), vec!["check", "after", "3", "5", "day"]);
        assert_eq!(focus_stems("Until what time?"), Vec::<String>::new());
        assert_eq!(focus_stems("And the price for kids?"), vec!["kid"]);
        assert!(!stems_match(&stem("card"), &stem("care")));
    }

    #[test]
    fn content_words_drop_function_words_in_every_language() {
        assert_eq!(content_stems("How long does delivery to Norway take?"), vec!["deliv", "norwa", "take"]);
        assert_eq!(content_stems("Do you take Apple Pay?"), vec!["take", "apple", "pay"]);
        assert_eq!(content_stems("¿Cuánto cuesta el envío a España?"), vec!["cuest", "envio", "espan"]);
        assert_eq!(content_stems("What does error 404 mean?"), vec!["error", "404", "mean"]);
    }

    #[rstest]
    #[case("What is the battery life of the Model Z?", &["model z"])]
    #[case("Do you take Apple Pay?", &["apple pay"])]
    #[case("How heavy is the Summit 4?", &["summit 4"])]
    #[case("What does error E401 mean?", &["e401"])]
    #[case("Is 2FA available on the Team plan?", &["2fa", "team"])]
    #[case("How long does delivery to Norway take?", &["norway"])]
    #[case("Are you open on Sunday?", &[])]
    #[case("How long does standard delivery take?", &[])]
    #[case("Can I pay with PayPal at Trailhead?", &["paypal"])]
    fn named_things_are_names_identifiers_and_codes(#[case] q: &str, #[case] expected: &[&str]) {
        assert_eq!(named_things(q, Language::En, &["Trailhead Outfitters".into()]), expected, "{q}");
    }

    #[test]
    fn german_nouns_are_not_names_but_identifiers_are() {
        assert!(named_things("Wie lange dauert die Lieferung nach Spanien?", Language::De, &[]).is_empty());
        assert_eq!(named_things("Was kostet das Modell X200?", Language::De, &[]), vec!["x200"]);
        assert_eq!(named_things("Wie viel kostet die Stirnlampe Lumen 800?", Language::De, &[]), vec!["800"]);
        assert_eq!(named_things("Wie schwer ist das Summit 4?", Language::De, &[]), vec!["summit 4"]);
        assert_eq!(named_things("Was bedeutet der Fehler E401?", Language::De, &[]), vec!["e401"]);
    }

    #[test]
    fn names_must_all_be_mentioned() {
        let text = "Summit 2 — Battery: 10 hours. We accept Visa, Apple Pay and bank transfer.";
        assert!(mentions_all(text, &["summit 2".into(), "apple pay".into()]));
        assert!(!mentions_all(text, &["summit 4".into()]));
        assert!(!mentions_all(text, &["model z".into()]));
        assert!(mentions_all("Free Wi-Fi in all rooms", &["wifi".into()]));
        assert_eq!(named_things("Is there Wi-Fi at the Lisbon store?", Language::En, &[]), vec!["wifi", "lisbon"]);
        assert!(mentions_all("Our stores in Lisbon", &["store".into()]));
    }

    #[rstest]
    #[case("Are you open on Fridays?", 0b001_0000)]
    #[case("Monday to Friday · Hours: 8:00 to 18:00", 0b001_1111)]
    #[case("Mon–Thu 9–17", 0b000_1111)]
    #[case("Saturday and Sunday: closed", 0b110_0000)]
    #[case("What about weekends?", 0b110_0000)]
    #[case("Et le week-end ?", 0b110_0000)]
    #[case("du lundi au vendredi", 0b001_1111)]
    #[case("Friday to Monday", 0b111_0001)]
    #[case("We open at 9 am.", 0)]
    #[case("The sun is out", 0)]
    #[case("Do Saturday deliveries happen?", 0b010_0000)]
    #[case("And during the week?", 0b001_1111)]
    fn days_named_in_ranges_and_words(#[case] text: &str, #[case] expected: u8) {
        assert_eq!(days(text), expected, "{text}: {:07b}", days(text));
    }

    #[rstest]
    #[case("Do you take Apple Pay?", Language::En, true)]
    #[case("How do I pay?", Language::En, false)]
    #[case("Kann ich mit Karte zahlen?", Language::De, true)]
    #[case("Est-ce que vous livrez en Suisse ?", Language::Fr, true)]
    #[case("Acceptez-vous PayPal ?", Language::Fr, true)]
    #[case("Kan ik met iDEAL betalen?", Language::Nl, true)]
    #[case("¿Aceptan PayPal?", Language::Es, false)]
    fn yes_no_questions(#[case] q: &str, #[case] lang: Language, #[case] expected: bool) {
        assert_eq!(is_yes_no(q, lang), expected, "{q}");
    }

    #[rstest]
    #[case("And to Spain?", Ellipsis::Continues)]
    #[case("How much does it weigh?", Ellipsis::Points)]
    #[case("What does it cost?", Ellipsis::Points)]
    #[case("Et le week-end ?", Ellipsis::Continues)]
    #[case("Und am Samstag?", Ellipsis::Continues)]
    #[case("What about Saturdays?", Ellipsis::Continues)]
    #[case("Express?", Ellipsis::Maybe)]
    #[case("Do you take Apple Pay?", Ellipsis::Standalone)]
    // Says enough to stand alone, and is read alone first since it names its own place.
    #[case("What does it cost to ship to Spain?", Ellipsis::Maybe)]
    #[case("Can I use it in heavy rain?", Ellipsis::Maybe)]
    #[case("Is it fine to use it when it is raining?", Ellipsis::Maybe)]
    #[case("What if there are six of us?", Ellipsis::Continues)]
    #[case("Which payment methods do you accept for online orders?", Ellipsis::Standalone)]
    #[case("How long does delivery to Norway take?", Ellipsis::Standalone)]
    fn follow_ups_are_recognised(#[case] q: &str, #[case] expected: Ellipsis) {
        assert_eq!(ellipsis(q), expected, "{q}");
    }

    #[test]
    fn follow_ups_are_resolved_against_the_previous_question() {
        let prev = "How long does delivery to Norway take?";
        assert_eq!(resolve("And to Spain?", prev, Language::En, &[]), "How long does delivery to Spain take?");
        assert_eq!(
            resolve("How much does it weigh?", "Tell me about the Summit 2.", Language::En, &[]),
            "Tell me about the Summit 2. How much does it weigh?"
        );
        assert_eq!(
            resolve("What about Saturdays?", "When are you open on weekdays?", Language::En, &[]),
            "When are you open on weekdays? What about Saturdays?"
        );
    }
}
