//! The feedback SDK's pure parts, compiled on every target so they are unit-tested natively: the
//! limits, tag normalisation, the `?lang=` code, clipping, and the JSON body of a feedback.
//!
//! The bundle has a size budget, so this avoids what costs kilobytes of wasm: `f64` and integer
//! formatting (numbers reach the JSON through the browser's `JSON.stringify`) and generic
//! iterator plumbing.

use crate::json_string;

/// Tags kept per feedback, after deduplication.
pub const MAX_TAGS: usize = 20;
/// The longest tag kept, in characters; longer ones are dropped (not cut) with a warning.
pub const MAX_TAG_CHARS: usize = 64;
/// Console entries sent with a feedback: the last ones (`sdk.js` keeps as many, each message
/// clipped to 1000 characters).
pub const MAX_LOG_ENTRIES: u32 = 50;
/// The longest answer in the follow-up conversation, in characters (the server's limit).
pub const MAX_ANSWER_CHARS: usize = 2000;

/// `s` cut to at most `max` characters (never inside a character).
pub fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        // `get` rather than indexing: `end` is a boundary, and this keeps the panic path out.
        Some((end, _)) => s.get(..end).unwrap_or(s),
        None => s,
    }
}

/// Normalises the `tags` given to `collect`, item by item (`None` for an item that is not a
/// string): trimmed, empty ones dropped, deduplicated, at most [`MAX_TAGS`], each at most
/// [`MAX_TAG_CHARS`]. Returns the tags and the warnings for the developer's console.
pub fn normalise_tags(items: Vec<Option<String>>) -> (Vec<String>, Vec<String>) {
    let (mut tags, mut warnings) = (Vec::<String>::new(), Vec::new());
    let (mut not_strings, mut over_limit) = (false, false);
    for item in items {
        let Some(item) = item else {
            not_strings = true;
            continue;
        };
        let tag = item.trim();
        if tag.is_empty() || tags.iter().any(|t| t == tag) {
            continue;
        }
        if clip(tag, MAX_TAG_CHARS).len() < tag.len() {
            let mut warning = String::from("Iterato: the tag '");
            warning.push_str(clip(tag, 32));
            warning.push_str("…' is longer than 64 characters and was dropped.");
            warnings.push(warning);
        } else if tags.len() == MAX_TAGS {
            over_limit = true;
        } else {
            tags.push(tag.to_owned());
        }
    }
    if not_strings {
        warnings.push("Iterato: tags must be strings; the other values were ignored.".to_owned());
    }
    if over_limit {
        warnings.push("Iterato: at most 20 tags are kept; the others were dropped.".to_owned());
    }
    (tags, warnings)
}

/// The language code for `?lang=` from `navigator.language` (`"es-ES"` → `"es"`); `"en"` when
/// it is not a plausible BCP 47 primary subtag.
pub fn language_code(language: &str) -> String {
    let language = language.trim();
    let end = language.bytes().position(|b| b == b'-' || b == b'_').unwrap_or(language.len());
    let primary = language.get(..end).unwrap_or_default();
    if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        primary.to_ascii_lowercase()
    } else {
        "en".to_owned()
    }
}

/// The visitor's answer to the toast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reaction {
    Positive,
    Negative,
}

impl Reaction {
    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::Positive => "positive",
            Reaction::Negative => "negative",
        }
    }
}

/// Everything `POST /sdk/v1/feedback` takes. The `*_json` fields are JSON text the browser
/// wrote (`JSON.stringify`); an empty one stands for `{}` (or `[]` for the console).
pub struct Feedback<'a> {
    pub project_id: &'a str,
    pub event_id: &'a str,
    pub tags: &'a [String],
    pub reaction: Reaction,
    /// `user_info`: the page's `setUser` object.
    pub user_json: &'a str,
    /// `console_log`: `[{level, message, at}]`.
    pub console_log_json: &'a str,
    pub browser: &'a str,
    /// `connectivity`: `{online, effective_type, downlink, rtt}`.
    pub connectivity_json: &'a str,
    pub language: &'a str,
}

impl Feedback<'_> {
    /// The request body.
    pub fn to_json(&self) -> String {
        let mut tags = String::new();
        for tag in self.tags {
            if !tags.is_empty() {
                tags.push(',');
            }
            tags.push_str(&json_string(tag));
        }
        let parts = [
            "{\"project_id\":",
            &json_string(self.project_id),
            ",\"event_id\":",
            &json_string(self.event_id),
            ",\"tags\":[",
            &tags,
            "],\"reaction\":\"",
            self.reaction.as_str(),
            "\",\"user_info\":",
            or_empty(self.user_json, "{}"),
            ",\"console_log\":",
            or_empty(self.console_log_json, "[]"),
            ",\"browser\":",
            &json_string(self.browser),
            ",\"connectivity\":",
            or_empty(self.connectivity_json, "{}"),
            ",\"language\":",
            &json_string(self.language),
            "}",
        ];
        cat(&parts)
    }
}

/// `json`, or `empty` when it is blank.
fn or_empty<'a>(json: &'a str, empty: &'a str) -> &'a str {
    if json.trim().is_empty() { empty } else { json }
}

/// `parts` end to end: what `format!` does for strings, without pulling the formatting machinery
/// (or `[&str]::concat`, a kilobyte of its own) into the bundle.
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<Option<String>> {
        items.iter().map(|s| Some((*s).to_owned())).collect()
    }

    #[test]
    fn clipping_counts_characters_not_bytes() {
        assert_eq!(clip("héllo", 2), "hé");
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("", 3), "");
        assert_eq!(clip(&"é".repeat(2500), MAX_ANSWER_CHARS).chars().count(), 2000);
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_emptied_out() {
        let (tags, warnings) = normalise_tags(strings(&[" paid ", "paid", "", "  ", "live-836"]));
        assert_eq!(tags, ["paid", "live-836"]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_single_string_is_one_tag() {
        let (tags, _) = normalise_tags(vec![Some("interacted-with-chat".to_owned())]);
        assert_eq!(tags, ["interacted-with-chat"]);
    }

    #[test]
    fn long_tags_are_dropped_with_a_warning() {
        let long = "a".repeat(MAX_TAG_CHARS + 1);
        let exact = "é".repeat(MAX_TAG_CHARS);
        let (tags, warnings) = normalise_tags(strings(&[&long, &exact]));
        assert_eq!(tags, [exact]);
        assert_eq!(
            warnings,
            [format!("Iterato: the tag '{}…' is longer than 64 characters and was dropped.", "a".repeat(32))]
        );
    }

    #[test]
    fn at_most_twenty_tags_are_kept() {
        let many: Vec<String> = (0..25).map(|i| format!("t{i}")).collect();
        let (tags, warnings) = normalise_tags(many.into_iter().map(Some).collect());
        assert_eq!(tags.len(), MAX_TAGS);
        assert_eq!(tags.last().map(String::as_str), Some("t19"));
        assert_eq!(warnings, ["Iterato: at most 20 tags are kept; the others were dropped."]);
    }

    #[test]
    fn values_that_are_not_strings_are_ignored_with_a_warning() {
        let (tags, warnings) = normalise_tags(vec![Some("ok".to_owned()), None, None]);
        assert_eq!(tags, ["ok"]);
        assert_eq!(warnings, ["Iterato: tags must be strings; the other values were ignored."]);
    }

    #[test]
    fn the_language_code_is_the_primary_subtag() {
        assert_eq!(language_code("es-ES"), "es");
        assert_eq!(language_code(" PT_br"), "pt");
        assert_eq!(language_code("fil"), "fil");
        assert_eq!(language_code("de"), "de");
        assert_eq!(language_code(""), "en");
        assert_eq!(language_code("x"), "en");
        assert_eq!(language_code("1234-56"), "en");
        assert_eq!(language_code("é-x"), "en");
    }

    #[test]
    fn the_feedback_body_is_the_api_shape() {
        let body = Feedback {
            project_id: "project-1",
            event_id: "checkout-success",
            tags: &["paid".to_owned(), "say \"hi\"".to_owned()],
            reaction: Reaction::Negative,
            user_json: "{\"uid\":\"u1\"}",
            console_log_json: "[{\"level\":\"warn\",\"message\":\"x\",\"at\":\"2025-05-07T10:08:20.714Z\"}]",
            browser: "Mozilla/5.0",
            connectivity_json: "{\"online\":true,\"effective_type\":\"4g\",\"downlink\":10,\"rtt\":null}",
            language: "es-ES",
        }
        .to_json();
        assert_eq!(
            body,
            "{\"project_id\":\"project-1\",\"event_id\":\"checkout-success\",\"tags\":[\"paid\",\"say \\\"hi\\\"\"],\
             \"reaction\":\"negative\",\"user_info\":{\"uid\":\"u1\"},\"console_log\":[{\"level\":\"warn\",\
             \"message\":\"x\",\"at\":\"2025-05-07T10:08:20.714Z\"}],\"browser\":\"Mozilla/5.0\",\
             \"connectivity\":{\"online\":true,\"effective_type\":\"4g\",\"downlink\":10,\"rtt\":null},\
             \"language\":\"es-ES\"}"
        );
    }

    #[test]
    fn missing_json_parts_become_empty_values() {
        let body = Feedback {
            project_id: "p",
            event_id: "e",
            tags: &[],
            reaction: Reaction::Positive,
            user_json: "",
            console_log_json: " ",
            browser: "",
            connectivity_json: "",
            language: "en",
        }
        .to_json();
        assert_eq!(
            body,
            "{\"project_id\":\"p\",\"event_id\":\"e\",\"tags\":[],\"reaction\":\"positive\",\"user_info\":{},\
             \"console_log\":[],\"browser\":\"\",\"connectivity\":{},\"language\":\"en\"}"
        );
    }

    #[test]
    fn cat_joins_without_separators() {
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert_eq!(cat(&[]), "");
    }
}
