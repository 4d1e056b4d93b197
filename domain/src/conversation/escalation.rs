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

use serde::{Deserialize, Serialize};

/// Why a conversation went to a person (the wire names of CONTRACTS.md).
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
        ],
    ),
    (
        EscalationReason::Refund,
        &[
            // English
            "money back",
            "refund me",
            "want|need|demand|get|give|request|like|issue refund*",
            "reimburse*",
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
            "erstatt*",
            "ruckerstatt*",
            "will|mochte|verlange geld",
            // French
            "rembourse*",
            "mon argent",
            "argent rendu",
            // Portuguese
            "meu dinheiro",
            "quero|preciso reembols*",
            "estorn*",
            "devolvam*",
            // Italian
            "rimbors*",
            "soldi indietro",
            "miei soldi",
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
        ],
    ),
];

/// The reason to hand this message to a person, if any.
pub fn classify(message: &str) -> Option<EscalationReason> {
    let words = normalise(message);
    RULES.iter().find(|(_, rules)| rules.iter().any(|rule| matches_rule(rule, &words))).map(|(reason, _)| *reason)
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
    fn escalates_what_needs_a_person_and_nothing_else(
        #[case] message: &str,
        #[case] expected: Option<EscalationReason>,
    ) {
        assert_eq!(classify(message), expected, "{message}");
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
