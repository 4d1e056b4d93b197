//! The embeddable visitor widget. This first version holds the embed configuration rules that
//! `widget.js` applies; the chat UI arrives with the widget issue.

use wasm_bindgen::prelude::wasm_bindgen;

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

/// Exposed to `widget.js` so the bundle's version can be checked against the server's.
#[wasm_bindgen]
pub fn widget_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
