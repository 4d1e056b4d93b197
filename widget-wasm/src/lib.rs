//! Two standalone, tiny browser bundles (web-sys; no Leptos), picked with features:
//!
//! - `chat` (default): the embeddable visitor widget, a launcher bubble and chat panel inside a
//!   Shadow DOM, talking to the widget API (`/api/v1/widget`, in the OpenAPI description) with gloo-net and listening to the live
//!   stream. `widget.js` (served by the server, see `loader.js`) loads this bundle and calls
//!   [`start`] with `{widgetKey, apiUrl, primaryColor?, companyName?, position?}`.
//! - `feedback`: the Iterato-compatible feedback SDK (`feedback.rs`): a feedback toast with a
//!   short follow-up conversation. `/sdk/iterato.js` (`sdk.js`) defines `IteratoService` and
//!   loads this bundle on the first `init()`. Built alone (`--no-default-features --features
//!   feedback`), it carries none of the chat, and has a budget of 30 KB gzipped: it calls
//!   `fetch` itself and brings its own small allocator (`heap.rs`).
//!
//! JSON is read through the browser's own `JSON` and written by hand (no serde), which keeps
//! the bundles small. The pure helpers here and in [`sdk`] are compiled everywhere and tested
//! natively.

#[cfg(all(target_arch = "wasm32", any(feature = "chat", feature = "feedback")))]
mod dom;
#[cfg(all(target_arch = "wasm32", feature = "feedback"))]
mod feedback;
// The feedback bundle's small allocator (built alone, without the chat); tested natively.
#[cfg(any(
    test,
    all(target_arch = "wasm32", feature = "feedback", not(feature = "chat"), not(target_feature = "atomics"))
))]
#[cfg_attr(test, allow(dead_code))]
mod heap;
pub mod sdk;
#[cfg(all(target_arch = "wasm32", feature = "chat"))]
mod widget;

#[cfg(feature = "chat")]
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(all(target_arch = "wasm32", feature = "feedback", not(feature = "chat"), not(target_feature = "atomics")))]
#[global_allocator]
static HEAP: heap::Global = heap::Global::new(heap::grow);

/// Where the launcher sits on the host page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    BottomRight,
    BottomLeft,
}

impl Position {
    /// Parses the `position` option; anything unknown falls back to bottom-right, as the
    /// organisation's saved setting is validated on the server already.
    pub fn parse(value: &str) -> Self {
        if value.trim().eq_ignore_ascii_case("bottom-left") { Position::BottomLeft } else { Position::BottomRight }
    }

    /// The CSS class of the widget root.
    pub fn class(self) -> &'static str {
        match self {
            Position::BottomRight => "right",
            Position::BottomLeft => "left",
        }
    }
}

/// Normalises the `primaryColor` option to `#rrggbb`, or `None` when it is not a hex colour.
pub fn normalise_color(value: &str) -> Option<String> {
    let hex = value.trim().strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(format!("#{}", hex.chars().flat_map(|c| [c, c]).collect::<String>().to_ascii_lowercase())),
        _ => None,
    }
}

/// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                // By hand rather than `format!("\\u{:04x}")`: integer formatting is a kilobyte of wasm.
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize >> 4) & 15]));
                out.push(char::from(HEX[c as usize & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The widget's own check of the pre-chat form (the server checks again): a name, and an email
/// shaped `local@domain.tld`. `Err` carries the message shown beside the form.
pub fn check_contact(name: &str, email: &str) -> Result<(), &'static str> {
    if name.trim().is_empty() {
        return Err("Please tell us your name.");
    }
    let email = email.trim();
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.contains('.')
            && !email.contains(char::is_whitespace)
            && email.matches('@').count() == 1
    });
    if valid { Ok(()) } else { Err("Please enter a valid email address.") }
}

/// Whether a message gives an email address (the server stores it as the visitor's contact, so
/// the widget need not ask for one at hand-off). Words are split as the server splits them.
pub fn mentions_email(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '"' | '\''))
        .map(|w| w.trim_end_matches(['.', '!', '?', ':']))
        .any(|w| w.contains('@') && check_contact("-", w).is_ok())
}

/// Exposed to `widget.js` so the bundle's version can be checked against the server's.
#[cfg(feature = "chat")]
#[wasm_bindgen]
pub fn widget_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Renders the widget with `options` (`{widgetKey, apiUrl, primaryColor?, companyName?,
/// position?}`); a second call replaces nothing and returns at once.
#[cfg(feature = "chat")]
#[wasm_bindgen]
pub fn start(options: wasm_bindgen::JsValue) {
    #[cfg(target_arch = "wasm32")]
    widget::start(options);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = options;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_in_a_message_is_seen_as_the_servers_reading_sees_it() {
        assert!(mentions_email("You can write to ana@example.com."));
        assert!(mentions_email("mail: <ana.b@shop.co.uk>, thanks"));
        assert!(!mentions_email("my handle is @ana on the forum"));
        assert!(!mentions_email("ana@localhost please"));
        assert!(!mentions_email("No email here."));
    }

    #[test]
    fn colours_are_normalised_or_refused() {
        assert_eq!(normalise_color("#ABC").as_deref(), Some("#aabbcc"));
        assert_eq!(normalise_color("#3B82F6").as_deref(), Some("#3b82f6"));
        assert_eq!(normalise_color("red"), None);
        assert_eq!(normalise_color("#12345"), None);
    }

    #[test]
    fn unknown_positions_fall_back_to_bottom_right() {
        assert_eq!(Position::parse("Bottom-Left"), Position::BottomLeft);
        assert_eq!(Position::parse("top"), Position::BottomRight);
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("say \"hi\"\\\n\u{1}"), "\"say \\\"hi\\\"\\\\\\n\\u0001\"");
        assert_eq!(json_string("¿qué?"), "\"¿qué?\"");
        assert_eq!(json_string("\u{1f}\u{7f}"), "\"\\u001f\u{7f}\"");
    }

    #[test]
    fn the_pre_chat_form_wants_a_name_and_a_plausible_email() {
        assert!(check_contact("Ana", "ana@example.com").is_ok());
        assert_eq!(check_contact(" ", "ana@example.com"), Err("Please tell us your name."));
        for bad in ["ana", "ana@", "@example.com", "ana@example", "ana @example.com", "a@b@c.com"] {
            assert!(check_contact("Ana", bad).is_err(), "{bad}");
        }
    }
}
