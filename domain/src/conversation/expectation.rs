//! What kind of fact a question asks for ("How long …?" wants a duration, "Where …?" a place),
//! and whether a unit of the knowledge base states one. A unit that states the kind of fact asked
//! for is evidence that meaning and shared words underrate: "How long is the trial?" is
//! answered by "Every new workspace gets a 14-day free trial", not by "When the trial ends …".
//! Patterns cover the seven supported languages, on folded words (lower case, no accents).

use super::escalation::normalise;

/// The kind of fact a question asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// "How long …?": a number with a unit of time ("3–5 days", "14-day", "30 minutes").
    Duration,
    /// "How much does … cost?": an amount of money, or "free" / "included".
    Money,
    /// "What time …?", "When do you open?": a time of day.
    Time,
    /// "How many …?", "How much storage …?": a number.
    Count,
    /// "Where …?": a place (a proper name, or a word for a place).
    Place,
    /// "How far …?", "What is the range …?": a distance ("90 km", "2 miles", "500 m").
    Distance,
}

/// Phrases (folded words) that ask for a distance. Checked before prices: "How far can I go on
/// one charge?" asks for kilometres, whatever "charge" means elsewhere.
const DISTANCE: &[&str] = &[
    "how far",
    "what range",
    "what is the range",
    "whats the range",
    "how many km",
    "how many kilometres",
    "how many kilometers",
    "how many miles",
    "how many metres",
    "how many meters",
    "que distancia",
    "a que distancia",
    "cuantos kilometros",
    "wie weit",
    "wie viele kilometer",
    "welche reichweite",
    "quelle distance",
    "a quelle distance",
    "quelle autonomie",
    "combien de kilometres",
    "jusquou",
    "quantos quilometros",
    "qual a distancia",
    "quanto lontano",
    "quanti chilometri",
    "quale autonomia",
    "hoe ver",
    "hoeveel kilometer",
];

const DISTANCE_UNITS: &[&str] = &[
    "km",
    "kms",
    "kilometre",
    "kilometres",
    "kilometer",
    "kilometers",
    "kilometro",
    "kilometros",
    "quilometro",
    "quilometros",
    "chilometro",
    "chilometri",
    "mile",
    "miles",
    "mi",
    "m",
    "metre",
    "metres",
    "meter",
    "meters",
    "metro",
    "metros",
    "metri",
];

/// Phrases (folded words) that ask for a duration.
const DURATION: &[&str] = &[
    "how long",
    "how many days",
    "how many weeks",
    "how many hours",
    "how many minutes",
    "how many months",
    "how many years",
    "how soon",
    "cuanto tiempo",
    "cuanto tarda",
    "cuanto tardan",
    "cuanto dura",
    "cuantos dias",
    "wie lange",
    "wie viele tage",
    "wie viele stunden",
    "combien de temps",
    "combien de jours",
    "quanto tempo",
    "quanto demora",
    "quanto dura",
    "quantos dias",
    "quanti giorni",
    "hoe lang",
    "hoeveel dagen",
];

/// Words that ask for a price wherever they stand.
const MONEY_WORDS: &[&str] = &[
    "cost",
    "costs",
    "price",
    "prices",
    "priced",
    "fee",
    "fees",
    "charge",
    "charged",
    "cheap",
    "expensive",
    "cuesta",
    "cuestan",
    "precio",
    "precios",
    "tarifa",
    "kostet",
    "kosten",
    "preis",
    "preise",
    "gebuhr",
    "coute",
    "coutent",
    "cout",
    "prix",
    "tarif",
    "frais",
    "custa",
    "custam",
    "preco",
    "precos",
    "taxa",
    "costa",
    "costano",
    "prezzo",
    "prezzi",
    "kost",
    "prijs",
    "prijzen",
];

/// "how much" + a verb is a price ("How much is the X?"); "how much" + a noun is an amount ("How
/// much storage …?").
const HOW_MUCH: &[&str] = &["how much", "cuanto", "wie viel", "wieviel", "combien", "quanto", "hoeveel"];
const VERBS_AFTER_HOW_MUCH: &[&str] = &[
    "is", "are", "does", "do", "will", "would", "was", "for", "es", "son", "vale", "valen", "ist", "sind", "est", "e",
    "sao", "fica", "ficam", "sono", "zijn", "kost",
];

const TIME: &[&str] = &[
    "what time",
    "when do you open",
    "when do you close",
    "when does",
    "when is",
    "opening hours",
    "opening times",
    "a que hora",
    "hasta que hora",
    "desde que hora",
    "horario",
    "um wie viel uhr",
    "um wieviel uhr",
    "bis wann",
    "ab wann",
    "offnungszeiten",
    "a quelle heure",
    "jusqu a quelle heure",
    "horaires",
    "horaire",
    "a que horas",
    "ate que horas",
    "horarios",
    "a che ora",
    "fino a che ora",
    "orari",
    "orario",
    "hoe laat",
    "tot hoe laat",
    "openingstijden",
];

const COUNT: &[&str] =
    &["how many", "cuantos", "cuantas", "wie viele", "combien de", "quantos", "quantas", "quanti", "quante", "hoeveel"];

const PLACE: &[&str] = &["where", "donde", "wo", "wohin", "ou", "onde", "dove", "waar"];

/// Words that only name the kind of fact asked for ("Until what time?", "And the price?"): a
/// follow-up made of them says what it wants, not which unit has it.
const KIND_WORDS: &[&str] = &[
    "time", "times", "hour", "hours", "cost", "costs", "price", "prices", "fee", "fees", "tiempo", "hora", "horas",
    "precio", "cuesta", "zeit", "uhr", "preis", "kostet", "kosten", "heure", "heures", "prix", "temps", "coute",
    "preco", "custa", "ora", "orario", "prezzo", "costa", "tijd", "uur", "prijs", "kost",
];

/// Whether a folded word only names a kind of fact ([`KIND_WORDS`]).
pub fn is_kind_word(word: &str) -> bool {
    KIND_WORDS.contains(&word)
}

/// The kind of fact `question` asks for, if it asks for one of these.
pub fn expected(question: &str) -> Option<Expect> {
    let words = normalise(question);
    let joined = format!(" {} ", words.join(" "));
    let has = |phrases: &[&str]| phrases.iter().any(|p| joined.contains(&format!(" {p} ")));
    if has(DURATION) {
        return Some(Expect::Duration);
    }
    if has(DISTANCE) {
        return Some(Expect::Distance);
    }
    if words.iter().any(|w| MONEY_WORDS.contains(&w.as_str())) {
        return Some(Expect::Money);
    }
    if let Some(after) = HOW_MUCH.iter().find_map(|p| {
        let p: Vec<&str> = p.split(' ').collect();
        words.windows(p.len() + 1).find(|w| w.iter().zip(&p).all(|(a, b)| a == b)).map(|w| w[p.len()].clone())
    }) {
        // "hoeveel dagen", "combien de" are counts; a verb after it is a price.
        if VERBS_AFTER_HOW_MUCH.contains(&after.as_str()) {
            return Some(Expect::Money);
        }
    }
    if has(TIME) {
        return Some(Expect::Time);
    }
    if has(COUNT) || has(HOW_MUCH) {
        return Some(Expect::Count);
    }
    if words.first().is_some_and(|w| PLACE.contains(&w.as_str())) || words.iter().take(3).any(|w| w == "where") {
        return Some(Expect::Place);
    }
    None
}

const TIME_UNITS: &[&str] = &[
    "minute",
    "minutes",
    "min",
    "mins",
    "hour",
    "hours",
    "hr",
    "hrs",
    "h",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "night",
    "nights",
    "minuto",
    "minutos",
    "hora",
    "horas",
    "dia",
    "dias",
    "semana",
    "semanas",
    "mes",
    "meses",
    "ano",
    "anos",
    "minuten",
    "stunde",
    "stunden",
    "tag",
    "tage",
    "tagen",
    "woche",
    "wochen",
    "monat",
    "monate",
    "monaten",
    "jahr",
    "jahre",
    "jahren",
    "heure",
    "heures",
    "jour",
    "jours",
    "semaine",
    "semaines",
    "mois",
    "an",
    "ans",
    "annee",
    "annees",
    "minuti",
    "ora",
    "ore",
    "giorno",
    "giorni",
    "settimana",
    "settimane",
    "mese",
    "mesi",
    "anno",
    "anni",
    "uur",
    "uren",
    "dag",
    "dagen",
    "week",
    "weken",
    "maand",
    "maanden",
    "jaar",
    "jaren",
    "business",
    "working",
    "werktage",
    "werkdagen",
    "ouvres",
    "uteis",
];

const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "thirty", "hundred", "dos", "tres", "zwei", "drei", "deux", "trois", "duas", "due", "tre", "twee",
    "drie",
];

/// "a day", "un jour": an article counts as one before a unit of time.
const ARTICLES: &[&str] = &["a", "an", "one", "uno", "una", "un", "une", "ein", "eine", "einen", "um", "uma", "een"];

const CURRENCY_WORDS: &[&str] = &[
    "euro", "euros", "eur", "dollar", "dollars", "usd", "pound", "pounds", "gbp", "chf", "pence", "cents", "cent",
    "franken", "francs", "reais", "real",
];

const FREE_WORDS: &[&str] = &[
    "free",
    "included",
    "complimentary",
    "gratis",
    "gratuito",
    "gratuita",
    "gratuitos",
    "incluido",
    "incluida",
    "kostenlos",
    "inklusive",
    "inbegriffen",
    "gratuit",
    "gratuite",
    "inclus",
    "incluse",
    "gratuitamente",
    "incluso",
    "inclusa",
    "inbegrepen",
    "kosteloos",
];

const PLACE_WORDS: &[&str] = &[
    "floor",
    "street",
    "road",
    "avenue",
    "square",
    "address",
    "building",
    "entrance",
    "next",
    "opposite",
    "near",
    "located",
    "location",
    "stored",
    "hosted",
    "centre",
    "center",
    "centres",
    "centers",
    "region",
    "country",
    "city",
    "reception",
    "lobby",
    "level",
    "upstairs",
    "downstairs",
    "corner",
    "planta",
    "calle",
    "edificio",
    "stock",
    "strasse",
    "gebaude",
    "etage",
    "rue",
    "batiment",
    "andar",
    "rua",
    "piano",
    "via",
    "verdieping",
    "straat",
];

/// Whether `unit` (as written) states the kind of fact `expect` asks for.
pub fn states(unit: &str, expect: Expect) -> bool {
    let words = normalise(unit);
    let number = |w: &str| w.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&w);
    let one = |w: &str| number(w) || ARTICLES.contains(&w);
    match expect {
        Expect::Duration => words.iter().enumerate().any(|(i, w)| {
            // "14 day", "3 5 days" (from "3–5 days"), "5 working days", "24h"
            let glued = w.chars().next().is_some_and(|c| c.is_ascii_digit())
                && TIME_UNITS.contains(&w.trim_start_matches(|c: char| c.is_ascii_digit()));
            glued || (one(w) && words[i + 1..].iter().take(3).any(|u| TIME_UNITS.contains(&u.as_str())))
        }),
        Expect::Money => {
            unit.contains(['€', '$', '£', '¥'])
                || words.iter().enumerate().any(|(i, w)| {
                    CURRENCY_WORDS.contains(&w.as_str()) && i > 0 && number(&words[i - 1])
                        || FREE_WORDS.contains(&w.as_str())
                })
        }
        Expect::Time => {
            let lower = unit.to_lowercase();
            let chars: Vec<char> = lower.chars().collect();
            // "9:30", "18h00" (a decimal point is a price as often as a time)
            let clock = chars.windows(4).any(|w| {
                w[0].is_ascii_digit() && matches!(w[1], ':' | 'h') && w[2].is_ascii_digit() && w[3].is_ascii_digit()
            });
            clock
                || words.iter().enumerate().any(|(i, w)| {
                    matches!(w.as_str(), "noon" | "midnight" | "mediodia" | "mittag" | "midi" | "mezzogiorno")
                        || matches!(w.as_str(), "am" | "pm" | "uhr") && i > 0 && number(&words[i - 1])
                })
        }
        Expect::Count => words.iter().any(|w| number(w)),
        Expect::Distance => words.iter().enumerate().any(|(i, w)| {
            // "90 km", "2 miles", "500m"; not "25 km/h" (a speed)
            let glued = w.chars().next().is_some_and(|c| c.is_ascii_digit())
                && DISTANCE_UNITS.contains(&w.trim_start_matches(|c: char| c.is_ascii_digit()));
            let spaced = number(w) && words.get(i + 1).is_some_and(|u| DISTANCE_UNITS.contains(&u.as_str()));
            let per_hour = words.get(if glued { i + 1 } else { i + 2 }).is_some_and(|h| h == "h");
            (glued || spaced) && !per_hour
        }),
        Expect::Place => {
            words.iter().any(|w| PLACE_WORDS.contains(&w.as_str()))
                || unit.split_whitespace().skip(1).any(|w| {
                    let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
                    w.chars().count() >= 3
                        && w.chars().next().is_some_and(char::is_uppercase)
                        && w.chars().skip(1).all(char::is_lowercase)
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_say_what_kind_of_fact_they_want() {
        assert_eq!(expected("How long is the trial?"), Some(Expect::Duration));
        assert_eq!(expected("Wie lange dauert der Versand nach Spanien?"), Some(Expect::Duration));
        assert_eq!(expected("¿Cuánto tarda el envío?"), Some(Expect::Duration));
        assert_eq!(expected("How much is the Summit 3?"), Some(Expect::Money));
        assert_eq!(expected("What do you charge for parking?"), Some(Expect::Money));
        assert_eq!(expected("Combien coûte une couronne ?"), Some(Expect::Money));
        assert_eq!(expected("Hoeveel kost tanden bleken?"), Some(Expect::Money));
        assert_eq!(expected("How much storage do I get?"), Some(Expect::Count));
        assert_eq!(expected("How many projects can I have?"), Some(Expect::Count));
        assert_eq!(expected("What time is check-out?"), Some(Expect::Time));
        assert_eq!(expected("À quelle heure ouvre la salle de sport ?"), Some(Expect::Time));
        assert_eq!(expected("Where are your servers located?"), Some(Expect::Place));
        assert_eq!(expected("¿Dónde está la clínica?"), Some(Expect::Place));
        assert_eq!(expected("How far can I go on one charge?"), Some(Expect::Distance));
        assert_eq!(expected("Wie weit ist es bis zum Bahnhof?"), Some(Expect::Distance));
        assert_eq!(expected("Do you take Apple Pay?"), None);
        assert_eq!(expected("Can I bring my dog?"), None);
    }

    #[test]
    fn units_state_a_kind_of_fact_or_not() {
        assert!(states("Every new workspace gets a 14-day free trial.", Expect::Duration));
        assert!(states("Norway · Standard: 5–7 working days", Expect::Duration));
        assert!(!states("When the trial ends, the workspace moves to Starter.", Expect::Duration));
        assert!(states("The garage costs €22 per 24 hours.", Expect::Money));
        assert!(states("Price: 249 euros", Expect::Money));
        assert!(states("Breakfast is included in every rate.", Expect::Money));
        assert!(!states("The garage has 20 spaces.", Expect::Money));
        assert!(states("Check-out: until 11:00.", Expect::Time));
        assert!(states("We open at 9 am on Saturdays.", Expect::Time));
        assert!(states("Reception is open 24h.", Expect::Duration));
        assert!(!states("Reception is open every day.", Expect::Time));
        assert!(states("Projects: 3 projects", Expect::Count));
        assert!(!states("Projects are unlimited.", Expect::Count));
        assert!(states("Customer data is stored in data centres in Frankfurt, Germany.", Expect::Place));
        assert!(!states("Ask us anything by email.", Expect::Place));
        assert!(states("A full battery lasts about 90 km in Eco mode.", Expect::Distance));
        assert!(states("The station is 500m from the hotel.", Expect::Distance));
        assert!(!states("The motor assists up to 25 km/h.", Expect::Distance));
        assert!(!states("Charging takes four hours.", Expect::Distance));
    }
}
