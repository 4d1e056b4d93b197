//! The visitor's language, and the fixed phrases Iterochat itself says, in that language.

use serde::{Deserialize, Serialize};
use whatlang::{Detector, Lang};

/// Languages we detect and speak (ISO 639-1). Others fall back to English.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    En,
    Es,
    De,
    Fr,
    Pt,
    It,
    Nl,
}

impl Language {
    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Pt => "pt",
            Self::It => "it",
            Self::Nl => "nl",
        }
    }

    /// The language's English name (for prompts).
    pub fn english_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Es => "Spanish",
            Self::De => "German",
            Self::Fr => "French",
            Self::Pt => "Portuguese",
            Self::It => "Italian",
            Self::Nl => "Dutch",
        }
    }

    /// Parses an ISO 639-1 code.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "en" => Self::En,
            "es" => Self::Es,
            "de" => Self::De,
            "fr" => Self::Fr,
            "pt" => Self::Pt,
            "it" => Self::It,
            "nl" => Self::Nl,
            _ => return None,
        })
    }
}

/// Function words per language: short questions rarely carry enough letters for trigram
/// statistics, but they almost always contain a few of these.
const FUNCTION_WORDS: &[(Language, &[&str])] = &[
    (
        Language::En,
        &[
            "the", "a", "an", "is", "are", "do", "does", "how", "what", "when", "where", "why", "can", "my", "i",
            "you", "your", "to", "of", "and", "it", "for", "with", "long", "take", "please",
        ],
    ),
    (
        Language::Es,
        &[
            "el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "mi", "por", "como", "cómo", "qué",
            "cuánto", "cuándo", "dónde", "es", "no", "puedo", "tarda", "quiero", "para", "con", "cuál", "cuáles",
            "hay", "del", "tiene", "tienen", "puede", "está", "cuánta", "cuántos", "cuántas",
        ],
    ),
    (
        Language::De,
        &[
            "der", "die", "das", "und", "ist", "nicht", "ich", "mein", "meine", "wie", "was", "wann", "wo", "ein",
            "eine", "zu", "mit", "kann", "dauert", "bitte", "sie", "ihr", "auf", "für", "gibt", "habe", "haben",
            "welche", "viel", "lange", "darf", "kostet", "wieviel",
        ],
    ),
    (
        Language::Fr,
        &[
            "le", "la", "les", "de", "des", "et", "est", "je", "mon", "ma", "comment", "quoi", "pas", "ne", "un",
            "une", "combien", "où", "quand", "pour", "avec", "vous", "mes", "du", "à", "quel", "quelle", "quels",
            "quelles", "votre", "vos", "ça", "au", "aux", "peux", "faut", "sont", "nous", "ce", "cette", "sur",
        ],
    ),
    (
        Language::Pt,
        &[
            "o", "os", "a", "as", "de", "que", "e", "não", "meu", "minha", "como", "uma", "um", "quanto", "quando",
            "onde", "para", "com", "posso", "quero", "do", "da", "é", "ao", "aos", "pelo", "pela", "você", "vocês",
            "tem", "há", "são", "na", "quais", "quantos", "quantas",
        ],
    ),
    (
        Language::It,
        &[
            "il", "lo", "la", "gli", "di", "che", "e", "non", "mio", "mia", "come", "per", "un", "una", "quanto",
            "quando", "dove", "posso", "voglio", "sono", "con", "del", "della", "è", "quale", "quali", "alla", "nel",
            "nella", "ci", "quanti", "quante",
        ],
    ),
    (
        Language::Nl,
        &[
            "de", "het", "een", "en", "van", "ik", "niet", "mijn", "hoe", "wat", "is", "wanneer", "waar", "kan", "met",
            "voor", "duurt", "naar", "zijn", "ook", "hebben", "heeft", "jullie", "u", "kun", "welke", "hoeveel", "er",
        ],
    ),
];

/// Function-word hits: the leading language and its count, when one language leads.
fn by_function_words(text: &str) -> Option<(Language, usize)> {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    function_word_scores(&words)
}

fn function_word_scores(words: &[String]) -> Option<(Language, usize)> {
    let mut scores: Vec<(Language, usize)> = FUNCTION_WORDS
        .iter()
        .map(|(lang, list)| (*lang, words.iter().filter(|w| list.contains(&w.as_str())).count()))
        .collect();
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    match scores.as_slice() {
        [(lang, best), (_, second), ..] if *best > *second => Some((*lang, *best)),
        _ => None,
    }
}

/// Detects the language of `text`, in this order: function words when two or more clearly
/// point one way (or one does, in a message too short for trigrams); whatlang's trigram model
/// when it calls itself reliable; a single leading function word; the conversation's language
/// so far (`previous`); English.
pub fn detect(text: &str, previous: Option<Language>) -> Language {
    let words = by_function_words(text);
    let short = text.split_whitespace().count() < 6;
    if let Some((lang, best)) = words
        && (best >= 2 || short)
    {
        return lang;
    }
    let trigram = detector().detect(text).filter(|info| info.is_reliable()).and_then(|info| from_whatlang(info.lang()));
    trigram.or(words.map(|(lang, _)| lang)).or(previous).unwrap_or(Language::En)
}

/// The language of a longer text when it is clear, read from its prose only (table rows and
/// record lines such as "Per day: €45" repeat a few words and tell little): three different
/// function words of one language, or whatlang's trigrams calling themselves reliable on 40
/// characters or more. `None` when the text does not say.
pub fn detect_clearly(text: &str) -> Option<Language> {
    let prose = text.lines().map(str::trim).filter(|l| l.ends_with(['.', '!', '?'])).collect::<Vec<_>>().join(" ");
    let mut words: Vec<String> =
        prose.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    words.sort();
    words.dedup();
    if let Some((lang, hits)) = function_word_scores(&words)
        && hits >= 3
    {
        return Some(lang);
    }
    let info = detector().detect(&prose).filter(|info| info.is_reliable() && prose.chars().count() >= 40)?;
    from_whatlang(info.lang())
}

/// whatlang limited to the languages we speak.
fn detector() -> Detector {
    Detector::with_allowlist(vec![Lang::Eng, Lang::Spa, Lang::Deu, Lang::Fra, Lang::Por, Lang::Ita, Lang::Nld])
}

fn from_whatlang(lang: Lang) -> Option<Language> {
    Some(match lang {
        Lang::Eng => Language::En,
        Lang::Spa => Language::Es,
        Lang::Deu => Language::De,
        Lang::Fra => Language::Fr,
        Lang::Por => Language::Pt,
        Lang::Ita => Language::It,
        Lang::Nld => Language::Nl,
        _ => return None,
    })
}

/// A phrase Iterochat says to visitors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phrase {
    /// Default hand-off confirmation (an organisation's own message replaces it).
    Escalated,
    /// Default hand-off confirmation of a question the AI could not answer.
    PassedOn,
    /// Default hand-off confirmation of a refund, complaint or account problem.
    NeedsPerson,
    /// Introduces an extractive answer.
    AnswerIntro,
    /// AI-only mode, nothing relevant in the knowledge base.
    DontKnow,
    /// AI-only mode, a request that needs a person.
    CannotHandle,
    /// Tells the visitor an agent resolved the conversation, and that writing again starts anew.
    Resolved,
    /// Opens the answer to a yes/no question whose quote says yes.
    Yes,
    /// Opens the answer to a yes/no question whose quote says no.
    No,
}

/// The phrase in `lang`.
pub fn phrase(p: Phrase, lang: Language) -> &'static str {
    use Language::*;
    use Phrase::*;
    match (p, lang) {
        (Escalated, En) => "I've asked the team to join. They'll reply here soon.",
        (Escalated, Es) => "He pedido al equipo que se una. Te responderán aquí pronto.",
        (Escalated, De) => "Ich habe das Team gebeten, dazuzukommen. Sie erhalten hier bald eine Antwort.",
        (Escalated, Fr) => "J'ai demandé à l'équipe de vous rejoindre. Elle vous répondra ici bientôt.",
        (Escalated, Pt) => "Pedi à equipa que se junte à conversa. Responderão aqui em breve.",
        (Escalated, It) => "Ho chiesto al team di unirsi. Ti risponderanno qui a breve.",
        (Escalated, Nl) => "Ik heb het team gevraagd om mee te praten. Je krijgt hier snel antwoord.",
        (PassedOn, En) => "I'm not sure about that, so I've passed your question to the team. They'll reply here soon.",
        (PassedOn, Es) => {
            "No estoy seguro de eso, así que he pasado tu pregunta al equipo. Te responderán aquí pronto."
        }
        (PassedOn, De) => {
            "Da bin ich mir nicht sicher, deshalb habe ich Ihre Frage an das Team weitergegeben. Sie erhalten hier bald eine Antwort."
        }
        (PassedOn, Fr) => {
            "Je ne suis pas sûr de la réponse, j'ai donc transmis votre question à l'équipe. Elle vous répondra ici bientôt."
        }
        (PassedOn, Pt) => "Não tenho a certeza, por isso passei a sua pergunta à equipa. Responderão aqui em breve.",
        (PassedOn, It) => "Non ne sono sicuro, quindi ho passato la tua domanda al team. Ti risponderanno qui a breve.",
        (PassedOn, Nl) => {
            "Dat weet ik niet zeker, dus ik heb je vraag doorgegeven aan het team. Je krijgt hier snel antwoord."
        }
        (NeedsPerson, En) => {
            "This needs a person from our team, so I've passed your conversation on. They'll reply here soon."
        }
        (NeedsPerson, Es) => {
            "Esto necesita a una persona de nuestro equipo, así que he pasado tu conversación. Te responderán aquí pronto."
        }
        (NeedsPerson, De) => {
            "Darum muss sich jemand aus unserem Team kümmern, deshalb habe ich Ihr Gespräch weitergegeben. Sie erhalten hier bald eine Antwort."
        }
        (NeedsPerson, Fr) => {
            "Une personne de notre équipe doit s'en occuper, j'ai donc transmis votre conversation. Elle vous répondra ici bientôt."
        }
        (NeedsPerson, Pt) => {
            "Isto precisa de uma pessoa da nossa equipa, por isso passei a sua conversa. Responderão aqui em breve."
        }
        (NeedsPerson, It) => {
            "Serve una persona del nostro team, quindi ho passato la tua conversazione. Ti risponderanno qui a breve."
        }
        (NeedsPerson, Nl) => {
            "Hier is iemand van ons team voor nodig, dus ik heb je gesprek doorgegeven. Je krijgt hier snel antwoord."
        }
        (AnswerIntro, En) => "Here is what our help centre says:",
        (AnswerIntro, Es) => "Esto es lo que dice nuestro centro de ayuda:",
        (AnswerIntro, De) => "Das steht in unserem Hilfe-Center:",
        (AnswerIntro, Fr) => "Voici ce qu'indique notre centre d'aide :",
        (AnswerIntro, Pt) => "Eis o que diz a nossa central de ajuda:",
        (AnswerIntro, It) => "Ecco cosa dice il nostro centro assistenza:",
        (AnswerIntro, Nl) => "Dit staat in ons helpcentrum:",
        (DontKnow, En) => "Sorry, I don't know the answer to that. Our help centre doesn't cover it.",
        (DontKnow, Es) => "Lo siento, no sé la respuesta. Nuestro centro de ayuda no lo cubre.",
        (DontKnow, De) => "Das weiß ich leider nicht. Unser Hilfe-Center behandelt das nicht.",
        (DontKnow, Fr) => "Désolé, je ne connais pas la réponse. Notre centre d'aide ne couvre pas ce sujet.",
        (DontKnow, Pt) => "Desculpe, não sei a resposta. A nossa central de ajuda não cobre isso.",
        (DontKnow, It) => "Mi dispiace, non conosco la risposta. Il nostro centro assistenza non tratta questo tema.",
        (DontKnow, Nl) => "Sorry, dat weet ik niet. Ons helpcentrum behandelt dit niet.",
        (CannotHandle, En) => "Sorry, I can't help with that here, and this chat has no human support.",
        (CannotHandle, Es) => "Lo siento, no puedo ayudarte con eso aquí y este chat no tiene atención humana.",
        (CannotHandle, De) => {
            "Dabei kann ich hier leider nicht helfen, und dieser Chat hat keinen persönlichen Support."
        }
        (CannotHandle, Fr) => {
            "Désolé, je ne peux pas vous aider pour cela ici, et ce chat n'a pas d'assistance humaine."
        }
        (CannotHandle, Pt) => "Desculpe, não posso ajudar com isso aqui e este chat não tem atendimento humano.",
        (CannotHandle, It) => "Mi dispiace, non posso aiutarti qui e questa chat non ha assistenza umana.",
        (CannotHandle, Nl) => {
            "Sorry, daar kan ik hier niet mee helpen, en deze chat heeft geen menselijke ondersteuning."
        }
        (Resolved, En) => "This conversation was resolved. Write again any time to start a new one.",
        (Resolved, Es) => "Esta conversación se ha cerrado. Escríbenos cuando quieras para empezar otra.",
        (Resolved, De) => "Dieses Gespräch wurde abgeschlossen. Schreiben Sie jederzeit, um ein neues zu beginnen.",
        (Resolved, Fr) => "Cette conversation est résolue. Écrivez-nous à tout moment pour en commencer une nouvelle.",
        (Resolved, Pt) => "Esta conversa foi resolvida. Escreva quando quiser para iniciar outra.",
        (Resolved, It) => "Questa conversazione è stata risolta. Scrivi quando vuoi per iniziarne una nuova.",
        (Resolved, Nl) => "Dit gesprek is afgerond. Schrijf gerust opnieuw om een nieuw gesprek te beginnen.",
        (Yes, En) => "Yes.",
        (Yes, Es) => "Sí.",
        (Yes, De) => "Ja.",
        (Yes, Fr) => "Oui.",
        (Yes, Pt) => "Sim.",
        (Yes, It) => "Sì.",
        (Yes, Nl) => "Ja.",
        (No, En) => "No.",
        (No, Es) => "No.",
        (No, De) => "Nein.",
        (No, Fr) => "Non.",
        (No, Pt) => "Não.",
        (No, It) => "No.",
        (No, Nl) => "Nee.",
    }
}

/// "(This is quoted from our help centre in {source}.)" in the visitor's language, for a quote
/// written in another language than the visitor's.
pub fn source_note(visitor: Language, source: Language) -> String {
    use Language::*;
    // The source language's name, in the visitor's language.
    let name = match (visitor, source) {
        (En, l) => l.english_name(),
        (Es, En) => "inglés",
        (Es, Es) => "español",
        (Es, De) => "alemán",
        (Es, Fr) => "francés",
        (Es, Pt) => "portugués",
        (Es, It) => "italiano",
        (Es, Nl) => "neerlandés",
        (De, En) => "Englisch",
        (De, Es) => "Spanisch",
        (De, De) => "Deutsch",
        (De, Fr) => "Französisch",
        (De, Pt) => "Portugiesisch",
        (De, It) => "Italienisch",
        (De, Nl) => "Niederländisch",
        (Fr, En) => "anglais",
        (Fr, Es) => "espagnol",
        (Fr, De) => "allemand",
        (Fr, Fr) => "français",
        (Fr, Pt) => "portugais",
        (Fr, It) => "italien",
        (Fr, Nl) => "néerlandais",
        (Pt, En) => "inglês",
        (Pt, Es) => "espanhol",
        (Pt, De) => "alemão",
        (Pt, Fr) => "francês",
        (Pt, Pt) => "português",
        (Pt, It) => "italiano",
        (Pt, Nl) => "neerlandês",
        (It, En) => "inglese",
        (It, Es) => "spagnolo",
        (It, De) => "tedesco",
        (It, Fr) => "francese",
        (It, Pt) => "portoghese",
        (It, It) => "italiano",
        (It, Nl) => "olandese",
        (Nl, En) => "het Engels",
        (Nl, Es) => "het Spaans",
        (Nl, De) => "het Duits",
        (Nl, Fr) => "het Frans",
        (Nl, Pt) => "het Portugees",
        (Nl, It) => "het Italiaans",
        (Nl, Nl) => "het Nederlands",
    };
    match visitor {
        En => format!("(Quoted from our help centre, which is in {name}.)"),
        Es => format!("(Cita de nuestro centro de ayuda, que está en {name}.)"),
        De => format!("(Zitat aus unserem Hilfe-Center, das auf {name} ist.)"),
        Fr => format!("(Extrait de notre centre d'aide, rédigé en {name}.)"),
        Pt => format!("(Citação da nossa central de ajuda, que está em {name}.)"),
        It => format!("(Citazione dal nostro centro assistenza, che è in {name}.)"),
        Nl => format!("(Geciteerd uit ons helpcentrum, dat in {name} is geschreven.)"),
    }
}

/// "{name} joined the conversation" in `lang`: the line a visitor sees when an agent takes over.
pub fn joined(lang: Language, name: &str) -> String {
    match lang {
        Language::En => format!("{name} joined the conversation"),
        Language::Es => format!("{name} se ha unido a la conversación"),
        Language::De => format!("{name} ist dem Gespräch beigetreten"),
        Language::Fr => format!("{name} a rejoint la conversation"),
        Language::Pt => format!("{name} juntou-se à conversa"),
        Language::It => format!("{name} si è unito alla conversazione"),
        Language::Nl => format!("{name} neemt deel aan het gesprek"),
    }
}

/// "You can reach us at {route}." in `lang` (AI-only mode's way out).
pub fn contact_hint(lang: Language, route: &str) -> String {
    match lang {
        Language::En => format!("You can reach us at {route}."),
        Language::Es => format!("Puedes contactarnos en {route}."),
        Language::De => format!("Sie erreichen uns unter {route}."),
        Language::Fr => format!("Vous pouvez nous contacter via {route}."),
        Language::Pt => format!("Pode contactar-nos através de {route}."),
        Language::It => format!("Puoi contattarci tramite {route}."),
        Language::Nl => format!("U kunt ons bereiken via {route}."),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("How long does delivery take to Canada?", Language::En)]
    #[case("How long does standard delivery take?", Language::En)]
    #[case("Do gift cards expire?", Language::En)]
    #[case("¿Cuánto tarda el envío a Canadá?", Language::Es)]
    #[case("Wie lange dauert die Lieferung nach Kanada?", Language::De)]
    #[case("Combien de temps prend la livraison au Canada ?", Language::Fr)]
    #[case("Quanto tempo demora a entrega para o Canadá?", Language::Pt)]
    #[case("Quanto tempo ci vuole per ricevere il mio ordine? Grazie mille", Language::It)]
    #[case("Hoe lang duurt de levering naar België?", Language::Nl)]
    // Sharing "la", "de" and "en" with Spanish, French is told by its own words.
    #[case("À quelle heure ouvre la salle de sport en semaine ?", Language::Fr)]
    #[case("¿Hay aparcamiento en el hotel?", Language::Es)]
    #[case("Quais são os horários da piscina?", Language::Pt)]
    #[case("Hebben jullie een parkeerplaats?", Language::Nl)]
    fn detects_the_six_main_languages(#[case] text: &str, #[case] expected: Language) {
        assert_eq!(detect(text, None), expected);
    }

    #[test]
    fn short_messages_keep_the_conversation_language() {
        assert_eq!(detect("ok", Some(Language::De)), Language::De);
        assert_eq!(detect("ok", None), Language::En);
    }

    #[test]
    fn a_passages_language_is_read_from_its_prose_not_its_table_rows() {
        let table = "Rentals\nCity bike · Per hour: €6 · Per day: €22\nE-bike · Per hour: €12 · Per day: €45\nTandem · Per hour: €10 · Per day: €38";
        assert_eq!(detect_clearly(table), None, "\"per\" repeated is not Italian");
        let english =
            format!("{table}\nHelmets and locks are included with every rental. You must be 16 or older to rent one.");
        assert_eq!(detect_clearly(&english), Some(Language::En));
        assert_eq!(
            detect_clearly("Envíos\nLos pedidos a España llegan en tres días. No hacemos envíos los domingos."),
            Some(Language::Es)
        );
    }
}
