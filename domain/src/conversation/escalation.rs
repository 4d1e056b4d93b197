//! Deciding, before answering, whether a visitor message must go to a person: a refund
//! request, a complaint, an account problem, or an explicit request for a human. Rules in
//! English, Spanish, German, French, Portuguese and Italian; accents, case and small typos
//! ("refnud", "humain", "reembolzo") do not matter, and indirect phrasings count ("give me my
//! money back", "I can't get into my account").
//!
//! A rule is a short sequence of word patterns that must appear in order within a window of
//! [`WINDOW`] words. A pattern is a word, a prefix (`refund*`) or alternatives (`cant|cannot`).
//! Informational questions ("how long do refunds take?") are left to the knowledge base:
//! refund rules need a request ("I want", "give me", "can I get").
//!
//! Rules only catch the wordings someone wrote a rule for, so two learned voters back them,
//! both trained on `domain/data/intents.tsv` (labelled messages in all seven languages, with
//! informational questions on the same topics as hard negatives):
//! - [`IntentModel`], a naive Bayes classifier over word stems and word pairs, trained when
//!   first used (a few milliseconds);
//! - nearest neighbours among the examples' sentence embeddings ([`nearest_intent`]), computed
//!   by the conversation engine with the local model.
//!
//! Either one escalates only when it is confident; the thresholds were chosen with `make eval`
//! on its tuning set (README).

use serde::{Deserialize, Serialize};

/// Why a conversation went to a person (the names on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    Refund,
    Complaint,
    Account,
    LowConfidence,
    Requested,
}

impl EscalationReason {
    pub const ALL: [Self; 5] = [Self::Refund, Self::Complaint, Self::Account, Self::Requested, Self::LowConfidence];

    /// Wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::Complaint => "complaint",
            Self::Account => "account",
            Self::LowConfidence => "low_confidence",
            Self::Requested => "requested",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "refund" => Self::Refund,
            "complaint" => Self::Complaint,
            "account" => Self::Account,
            "low_confidence" => Self::LowConfidence,
            "requested" => Self::Requested,
            _ => return None,
        })
    }
}

/// Words a rule may skip between its patterns.
pub const WINDOW: usize = 6;

/// `(reason, rules)`; checked in this order, first match wins.
const RULES: &[(EscalationReason, &[&str])] = &[
    (
        EscalationReason::Requested,
        &[
            // English
            "human",
            "humans",
            "real person",
            "live person",
            "live agent",
            "real agent",
            "an agent",
            "operator",
            "talk|speak|chat to|with someone",
            "talk|speak|chat to|with somebody",
            "talk|speak|chat to|with person",
            "need|want a person|agent",
            "customer service rep*",
            "representative",
            "staff member",
            // Spanish
            "humano",
            "persona real",
            "hablar con alguien|persona|agente|asesor*",
            "un agente",
            "operador*",
            // German
            "mensch*",
            "mitarbeiter*",
            "berater*",
            "echte person",
            "mit jemandem sprechen",
            // French
            "humain*",
            "conseill*",
            "vraie personne",
            "parler a|avec quelqu*|personne|agent|conseill*",
            // Portuguese
            "atendente",
            "pessoa real",
            "falar com alguem|pessoa|atendente|agente",
            // Italian
            "operatore",
            "umano",
            "persona vera",
            "parlare con qualcuno|persona|operatore",
            // Dutch
            "medewerker*",
            "echt persoon|mens",
            "spreken|praten met iemand|persoon|medewerker",
        ],
    ),
    (
        EscalationReason::Refund,
        &[
            // English
            "money back",
            "refund me",
            "want|need|demand|get|give|request|like|issue refund*",
            "reimburse me|us",
            "want|need|demand|request|like|expect reimburse*",
            "charge back",
            "chargeback",
            // Spanish
            "devuelv* dinero",
            "devolucion dinero",
            "quiero|necesito|exijo reembols*",
            "reembolsen*",
            "mi dinero",
            // German
            "geld zuruck*",
            "will|mochte|verlange|fordere|bitte|wollen|hatte erstatt*|ruckerstatt*",
            "erstatten sie",
            "will|mochte|verlange geld",
            // French
            "veux|voudrais|exige|demande|souhaite|dois|voulons rembours*",
            "remboursez moi|nous",
            "mon argent",
            "argent rendu",
            // Portuguese
            "meu dinheiro",
            "quero|preciso reembols*",
            "quero|preciso|exijo|peco|queremos estorn*",
            "estornem*",
            "devolvam*",
            // Italian
            "voglio|vorrei|chiedo|esigo|pretendo|vogliamo rimbors*",
            "rimborsatemi",
            "rimborsami",
            "soldi indietro",
            "miei soldi",
            // Dutch
            "geld terug",
            "terugbetal*",
            "restitutie",
        ],
    ),
    (
        EscalationReason::Complaint,
        &[
            // English
            "complain*",
            "unacceptable",
            "disgrace*",
            "outrage*",
            "furious",
            "terrible service",
            "awful service",
            "worst service",
            "very disappointed",
            "so disappointed",
            "ripped off",
            "scam",
            // Spanish
            "queja*",
            "reclamacion*",
            "inaceptable",
            "pesimo servicio",
            "estafa*",
            // German
            "beschwer*",
            "unverschamt*",
            "inakzeptabel",
            "katastroph*",
            // French
            "plainte",
            "reclamation*",
            "inacceptable",
            "scandal*",
            "arnaque*",
            // Portuguese
            "reclamacao",
            "reclamar",
            "inaceitavel",
            "pessimo",
            "absurdo",
            // Italian
            "reclamo",
            "lamentel*",
            "inaccettabile",
            "vergogn*",
            "truffa",
            // Dutch
            "klacht*",
            "onacceptabel",
            "schandalig",
            "belachelijk",
        ],
    ),
    (
        EscalationReason::Account,
        &[
            // English
            "account locked|blocked|suspended|hacked|compromised|disabled|closed|deleted",
            "cant|cannot|unable|cant log|login|sign|access",
            "get into my|account",
            "locked out",
            "hacked",
            "someone|somebody accessed|using my account",
            "password not|doesnt|isnt work*",
            "reset not|doesnt|isnt work*",
            "delete my account",
            "close my account",
            // Spanish
            "cuenta bloquead*|hackead*|suspendid*|cerrad*",
            "no puedo acceder|entrar|iniciar",
            "hackearon",
            // German
            "konto gesperrt|gehackt|deaktiviert",
            "kann nicht anmelden|einloggen",
            "komme nicht ins|in konto",
            "nicht einloggen|anmelden",
            // French
            "compte bloque|pirate|suspendu|desactive",
            "peux pas connecter|acceder",
            "impossible connecter|acceder",
            // Portuguese
            "conta bloqueada|hackeada|suspensa",
            "nao consigo entrar|acessar|logar",
            // Italian
            "account bloccato|hackerato|sospeso",
            "non riesco accedere|entrare",
            // Dutch
            "account geblokkeerd|gehackt|gesloten",
            "kan niet inloggen|aanmelden",
            "niet meer inloggen|aanmelden",
        ],
    ),
];

/// The reason to hand this message to a person, if any.
pub fn classify(message: &str) -> Option<EscalationReason> {
    let words = normalise(message);
    RULES.iter().find(|(_, rules)| rules.iter().any(|rule| matches_rule(rule, &words))).map(|(reason, _)| *reason)
}

/// The training examples: `label<TAB>lang<TAB>text`.
const INTENT_EXAMPLES: &str = include_str!("../../data/intents.tsv");

/// A labelled example message; `None` is "no escalation".
pub fn intent_examples() -> Vec<(Option<EscalationReason>, &'static str)> {
    INTENT_EXAMPLES
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let label = fields.next()?;
            let _lang = fields.next()?;
            let text = fields.next()?.trim();
            let reason = match label {
                "none" => None,
                other => Some(EscalationReason::parse(other)?),
            };
            Some((reason, text))
        })
        .collect()
}

/// Classes of [`IntentModel`], `None` (no escalation) first.
const CLASSES: [Option<EscalationReason>; 5] = [
    None,
    Some(EscalationReason::Refund),
    Some(EscalationReason::Complaint),
    Some(EscalationReason::Account),
    Some(EscalationReason::Requested),
];

/// Multinomial naive Bayes over word stems (five letters, accents folded) and pairs of
/// neighbouring stems, with add-½ smoothing.
#[derive(Debug)]
pub struct IntentModel {
    log_prior: [f32; 5],
    /// Per feature, its log-likelihood in each class.
    features: std::collections::HashMap<String, [f32; 5]>,
}

fn intent_features(text: &str) -> Vec<String> {
    intent_features_marked(text).into_iter().map(|(f, _)| f).collect()
}

/// The features, each marked `true` when it is made of topic words only (not "and", "for a",
/// "ce que" or "the full").
fn intent_features_marked(text: &str) -> Vec<(String, bool)> {
    let stems: Vec<(String, bool)> =
        normalise(text).iter().map(|w| (w.chars().take(5).collect(), !super::understanding::is_stopword(w))).collect();
    let mut out = stems.clone();
    out.extend(stems.windows(2).map(|w| (format!("{} {}", w[0].0, w[1].0), w[0].1 && w[1].1)));
    out
}

/// How much more likely, in log odds, a message's topic words alone must make an escalation
/// class than "no escalation" for the model to escalate: e² ≈ 7×. Function words still weigh
/// in the posterior, but they alone never send a conversation to a person ("And for a week?"
/// and "Est-ce que vous acceptez les espèces ?" were refund demands to the posterior, from
/// "and", "for a" and "ce que" seen in a few refund examples).
const MIN_TOPIC_EVIDENCE: f32 = 2.0;

impl IntentModel {
    /// Trains on `(label, text)` examples.
    pub fn train(examples: &[(Option<EscalationReason>, &str)]) -> Self {
        const ALPHA: f32 = 0.5;
        let class_of = |label: &Option<EscalationReason>| CLASSES.iter().position(|c| c == label).unwrap_or(0);
        let mut docs = [0f32; 5];
        let mut counts: std::collections::HashMap<String, [f32; 5]> = std::collections::HashMap::new();
        let mut totals = [0f32; 5];
        for (label, text) in examples {
            let c = class_of(label);
            docs[c] += 1.0;
            for f in intent_features(text) {
                counts.entry(f).or_default()[c] += 1.0;
                totals[c] += 1.0;
            }
        }
        let vocabulary = counts.len() as f32;
        let n: f32 = docs.iter().sum();
        let log_prior = docs.map(|d| ((d + 1.0) / (n + 5.0)).ln());
        let denominators: [f32; 5] = std::array::from_fn(|c| totals[c] + ALPHA * vocabulary);
        let features = counts
            .into_iter()
            .map(|(f, k)| (f, std::array::from_fn(|c| ((k[c] + ALPHA) / denominators[c]).ln())))
            .collect();
        Self { log_prior, features }
    }

    /// The model trained on the shipped examples.
    pub fn shipped() -> &'static Self {
        static MODEL: std::sync::LazyLock<IntentModel> =
            std::sync::LazyLock::new(|| IntentModel::train(&intent_examples()));
        &MODEL
    }

    /// The most probable class and its posterior probability. Features seen in no example
    /// say nothing and are skipped.
    pub fn predict(&self, text: &str) -> (Option<EscalationReason>, f32) {
        let mut score = self.log_prior;
        let mut known = 0;
        for f in intent_features(text) {
            if let Some(ll) = self.features.get(&f) {
                known += 1;
                for c in 0..5 {
                    score[c] += ll[c];
                }
            }
        }
        if known == 0 {
            return (None, 1.0);
        }
        let max = score.iter().copied().fold(f32::MIN, f32::max);
        let exp: Vec<f32> = score.iter().map(|s| (s - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let (best, p) =
            exp.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, e)| (i, e / sum)).unwrap_or((0, 1.0));
        if best != 0 && self.topic_evidence(text, best) < MIN_TOPIC_EVIDENCE {
            return (None, exp[0] / sum);
        }
        (CLASSES[best], p)
    }

    /// Log odds of class `class` against "no escalation" from the message's topic features.
    fn topic_evidence(&self, text: &str, class: usize) -> f32 {
        intent_features_marked(text)
            .into_iter()
            .filter(|(_, topic)| *topic)
            .filter_map(|(f, _)| self.features.get(&f))
            .map(|ll| ll[class] - ll[0])
            .sum()
    }
}

/// Nearest-neighbour vote among labelled examples: `neighbours` are `(label, similarity)` of the
/// examples most similar to the message, best first. An escalation label wins when the nearest
/// example carries it with at least `min_similarity` and the labels of the examples within
/// 0.05 of it agree.
pub fn nearest_intent(neighbours: &[(Option<EscalationReason>, f32)], min_similarity: f32) -> Option<EscalationReason> {
    let &(label, best) = neighbours.first()?;
    let label = label?;
    if best < min_similarity {
        return None;
    }
    let close: Vec<&(Option<EscalationReason>, f32)> = neighbours.iter().filter(|(_, s)| *s >= best - 0.05).collect();
    let agreeing = close.iter().filter(|(l, _)| l.is_some()).count();
    (agreeing * 3 >= close.len() * 2).then_some(label)
}

/// Lower-case, accents folded, apostrophes dropped ("can't" → "cant"), punctuation as spaces.
pub fn normalise(text: &str) -> Vec<String> {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| *c != '\'' && *c != '’')
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ß' => 's',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().map(str::to_owned).collect()
}

fn matches_rule(rule: &str, words: &[String]) -> bool {
    let patterns: Vec<&str> = rule.split(' ').collect();
    (0..words.len()).any(|start| {
        if !matches_pattern(patterns[0], &words[start]) {
            return false;
        }
        let mut at = start;
        for pattern in &patterns[1..] {
            let window_end = (at + 1 + WINDOW).min(words.len());
            match (at + 1..window_end).find(|&i| matches_pattern(pattern, &words[i])) {
                Some(i) => at = i,
                None => return false,
            }
        }
        true
    })
}

fn matches_pattern(pattern: &str, word: &str) -> bool {
    pattern.split('|').any(|alt| match alt.strip_suffix('*') {
        Some(prefix) => {
            word.starts_with(prefix) || {
                let head: String = word.chars().take(prefix.chars().count()).collect();
                close(prefix, &head)
            }
        }
        None => word == alt || close(alt, word),
    })
}

/// Tolerates one typo (insertion, deletion, substitution or swap) in words of 5+ letters and
/// two in words of 9+.
fn close(expected: &str, word: &str) -> bool {
    let allowed = match expected.chars().count() {
        0..=4 => return false,
        5..=8 => 1,
        _ => 2,
    };
    osa_distance(expected, word) <= allowed
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps).
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::EscalationReason::*;
    use super::*;

    #[rstest]
    // refunds, directly and indirectly, with typos
    #[case("I want a refund for my order", Some(Refund))]
    #[case("give me my money back!!", Some(Refund))]
    #[case("i want a refnud now", Some(Refund))]
    #[case("Quiero un reembolso de mi pedido", Some(Refund))]
    #[case("devuélvanme mi dinero", Some(Refund))]
    #[case("Ich will mein Geld zurück", Some(Refund))]
    #[case("Bitte erstatten Sie den Betrag", Some(Refund))]
    #[case("Je veux être remboursé", Some(Refund))]
    #[case("Quero o meu dinheiro de volta", Some(Refund))]
    #[case("Vorrei un rimborso", Some(Refund))]
    // complaints
    #[case("I want to file a complaint about your driver", Some(Complaint))]
    #[case("This is unacceptable", Some(Complaint))]
    #[case("Quiero poner una queja", Some(Complaint))]
    #[case("Ich möchte mich beschweren", Some(Complaint))]
    #[case("Je souhaite déposer une plainte", Some(Complaint))]
    #[case("Quero fazer uma reclamação", Some(Complaint))]
    #[case("Voglio fare un reclamo", Some(Complaint))]
    // account problems
    #[case("I can't get into my account", Some(Account))]
    #[case("I cannot log in anymore", Some(Account))]
    #[case("my account was hacked", Some(Account))]
    #[case("No puedo acceder a mi cuenta", Some(Account))]
    #[case("Mein Konto ist gesperrt", Some(Account))]
    #[case("Je ne peux pas me connecter", Some(Account))]
    #[case("Não consigo entrar na minha conta", Some(Account))]
    #[case("Non riesco ad accedere al mio account", Some(Account))]
    // asking for a person
    #[case("Can I talk to a human please?", Some(Requested))]
    #[case("I need to speak with someone", Some(Requested))]
    #[case("let me talk to a real persn", Some(Requested))]
    #[case("Quiero hablar con una persona", Some(Requested))]
    #[case("Ich möchte mit einem Mitarbeiter sprechen", Some(Requested))]
    #[case("Je veux parler à un conseiller", Some(Requested))]
    #[case("Quero falar com um atendente", Some(Requested))]
    #[case("Posso parlare con un operatore?", Some(Requested))]
    #[case("Necesito un reembolso urgente", Some(Refund))]
    #[case("Ich möchte eine Rückerstattung", Some(Refund))]
    #[case("Remboursez-moi s'il vous plaît", Some(Refund))]
    #[case("I'd like a refund please", Some(Refund))]
    #[case("You charged me twice, give the money back", Some(Refund))]
    #[case("Estou muito insatisfeito, quero fazer uma reclamação formal", Some(Complaint))]
    #[case("Das ist inakzeptabel!", Some(Complaint))]
    #[case("C'est inacceptable", Some(Complaint))]
    #[case("This is a scam", Some(Complaint))]
    #[case("Es inaceptable lo que hicieron", Some(Complaint))]
    #[case("Somebody accessed my account without permission", Some(Account))]
    #[case("Mi cuenta está bloqueada", Some(Account))]
    #[case("Ich kann mich nicht einloggen", Some(Account))]
    #[case("Mon compte est bloqué", Some(Account))]
    #[case("Please delete my account", Some(Account))]
    #[case("Can I speak to a representative?", Some(Requested))]
    #[case("I want a live agent", Some(Requested))]
    #[case("My parcel never arrived, I need a person", Some(Requested))]
    #[case("Necesito hablar con un agente", Some(Requested))]
    #[case("Je veux parler à un humain", Some(Requested))]
    #[case("Vorrei parlare con una persona", Some(Requested))]
    // ordinary questions stay with the AI
    #[case("How long do refunds take to arrive?", None)]
    #[case("Do you have a store in Berlin?", None)]
    #[case("What are your opening hours?", None)]
    #[case("Which cameras work with the hub?", None)]
    #[case("Can I pay with PayPal?", None)]
    #[case("How do I pair a new sensor?", None)]
    #[case("Is the Pro plan worth it?", None)]
    #[case("Where can I download my invoice?", None)]
    #[case("Does the camera have night vision?", None)]
    #[case("¿Tienen tarjetas regalo?", None)]
    #[case("¿Cómo restablezco mi contraseña?", None)]
    #[case("Welche Zahlungsmethoden akzeptieren Sie?", None)]
    #[case("Où puis-je suivre mon colis ?", None)]
    #[case("Quanto costa la spedizione?", None)]
    #[case("Qual é o prazo de entrega?", None)]
    #[case("Is my data encrypted?", None)]
    #[case("What is your refund policy?", None)]
    #[case("How do I reset my password?", None)]
    #[case("Do you ship to Canada?", None)]
    #[case("¿Cuánto tarda el envío?", None)]
    #[case("Wie lange dauert die Lieferung?", None)]
    #[case("Combien coûte la livraison express ?", None)]
    #[case("Combien de temps faut-il pour être remboursé après un retour ?", None)]
    #[case("Wann wird der Betrag erstattet?", None)]
    #[case("Quanto tempo ci vuole per il rimborso?", None)]
    #[case("Ik wil mijn geld terug", Some(Refund))]
    #[case("Ik kan niet inloggen op mijn account", Some(Account))]
    #[case("Kan ik met een medewerker praten?", Some(Requested))]
    fn escalates_what_needs_a_person_and_nothing_else(
        #[case] message: &str,
        #[case] expected: Option<EscalationReason>,
    ) {
        assert_eq!(classify(message), expected, "{message}");
    }

    #[test]
    fn the_shipped_examples_parse_and_cover_every_class() {
        let examples = intent_examples();
        assert!(examples.len() >= 500, "{}", examples.len());
        for class in CLASSES {
            assert!(examples.iter().filter(|(l, _)| *l == class).count() >= 50, "{class:?}");
        }
    }

    #[test]
    fn the_learned_model_reads_wordings_no_rule_was_written_for() {
        let model = IntentModel::train(&[
            (Some(Refund), "please reverse the charge on my card"),
            (Some(Refund), "I want the payment returned"),
            (Some(Refund), "reverse that payment and refund me"),
            (Some(Refund), "reverse the payment, I was charged twice"),
            (Some(Complaint), "I am fed up with your service"),
            (Some(Complaint), "fed up, this is the worst service"),
            (Some(Complaint), "so fed up with this service"),
            (None, "how long does a refund take"),
            (None, "what payment methods do you take"),
        ]);
        assert_eq!(model.predict("reverse the payment please").0, Some(Refund));
        assert_eq!(model.predict("fed up with this").0, Some(Complaint));
        assert_eq!(model.predict("how long does delivery take").0, None);
        assert_eq!(model.predict("zzz qqq"), (None, 1.0), "nothing known says nothing");
    }

    #[test]
    fn function_words_alone_never_escalate() {
        // Short follow-ups and plain questions whose only known words are function words that
        // happen to occur in a few escalation examples ("and", "for a", "the", "ce que").
        let model = IntentModel::shipped();
        for message in [
            "And for a week?",
            "And the full one?",
            "Est-ce que vous acceptez les espèces ?",
            "Und für zwei Nächte?",
            "E per il fine settimana?",
            "¿Y para un grupo de ocho?",
        ] {
            assert_eq!(model.predict(message).0, None, "{message}");
        }
    }

    #[test]
    fn neighbours_escalate_only_when_close_and_agreeing() {
        assert_eq!(nearest_intent(&[(Some(Refund), 0.8), (Some(Refund), 0.78)], 0.7), Some(Refund));
        assert_eq!(nearest_intent(&[(Some(Refund), 0.6)], 0.7), None, "not close enough");
        assert_eq!(nearest_intent(&[(None, 0.9), (Some(Refund), 0.88)], 0.7), None, "nearest says no");
        assert_eq!(nearest_intent(&[(Some(Refund), 0.8), (None, 0.79), (None, 0.78)], 0.7), None, "disagreement");
        assert_eq!(nearest_intent(&[], 0.7), None);
    }

    #[test]
    fn normalisation_folds_accents_apostrophes_and_punctuation() {
        assert_eq!(normalise("Can't GET in—Ñandú, ça?"), vec!["cant", "get", "in", "nandu", "ca"]);
    }

    #[test]
    fn small_typos_are_tolerated_only_in_longer_words() {
        assert!(close("refund", "refnud"));
        assert!(close("complaint", "complant"));
        assert!(!close("human", "hymen"), "two substitutions");
        assert!(!close("cant", "cart"));
    }
}
