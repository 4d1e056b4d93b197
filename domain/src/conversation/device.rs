//! What the inbox calls a visitor who gave no name or email: "Visitor from Berlin · Chrome on
//! Windows". The browser comes from the `User-Agent` header; the place from the time zone the
//! visitor's own browser reports. There is no IP geolocation: no address database, nothing sent
//! anywhere, and a VPN does not move the visitor.

/// The longest `User-Agent` prefix looked at: real ones are a few hundred bytes, and a
/// hostile megabyte-long header must not cost a scan per marker.
const MAX_USER_AGENT: usize = 512;

/// "Chrome on Windows" from a `User-Agent`; `None` when neither part is recognised.
pub fn browser(user_agent: &str) -> Option<String> {
    let mut end = user_agent.len().min(MAX_USER_AGENT);
    while !user_agent.is_char_boundary(end) {
        end -= 1;
    }
    let ua = &user_agent[..end];
    let has = |s: &str| ua.contains(s);
    // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
    let name = if has("Edg/") || has("EdgA/") || has("EdgiOS/") {
        Some("Edge")
    } else if has("OPR/") {
        Some("Opera")
    } else if has("SamsungBrowser/") {
        Some("Samsung Internet")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        Some("Chrome")
    } else if has("Safari/") && has("Version/") {
        Some("Safari")
    } else {
        None
    };
    let os = if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Android") {
        Some("Android")
    } else if has("Windows") {
        Some("Windows")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Macintosh") || has("Mac OS X") {
        Some("macOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (name, os) {
        (Some(n), Some(o)) => Some(format!("{n} on {o}")),
        (Some(only), None) | (None, Some(only)) => Some(only.to_owned()),
        (None, None) => None,
    }
}

/// A time zone as the browser reported it ("Europe/Berlin"), if it has the shape of one.
pub fn time_zone(raw: &str) -> Option<String> {
    let tz = raw.trim();
    let shaped = (3..=64).contains(&tz.len())
        && tz.contains('/')
        && tz.split('/').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        });
    shaped.then(|| tz.to_owned())
}

/// The place a time zone is named after: "Europe/Berlin" → "Berlin", "America/Argentina/
/// Buenos_Aires" → "Buenos Aires"; none for the `Etc/` zones, which name no place.
pub fn place(time_zone: &str) -> Option<String> {
    if time_zone.starts_with("Etc/") {
        return None;
    }
    time_zone.rsplit('/').next().map(|city| city.replace('_', " ")).filter(|city| !city.is_empty())
}

/// How the inbox names a visitor without a contact.
pub fn anonymous_label(time_zone: Option<&str>, browser: Option<&str>) -> String {
    let mut label = match time_zone.and_then(place) {
        Some(place) => format!("Visitor from {place}"),
        None => "Anonymous visitor".to_owned(),
    };
    if let Some(browser) = browser {
        label.push_str(" · ");
        label.push_str(browser);
    }
    label
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::chrome_windows(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        Some("Chrome on Windows")
    )]
    #[case::edge(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        Some("Edge on Windows")
    )]
    #[case::safari_iphone(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        Some("Safari on iPhone")
    )]
    #[case::firefox_linux(
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        Some("Firefox on Linux")
    )]
    #[case::chrome_android(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        Some("Chrome on Android")
    )]
    #[case::safari_mac(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        Some("Safari on macOS")
    )]
    #[case::a_script("curl/8.5.0", None)]
    fn browsers_are_named_from_their_user_agent(#[case] ua: &str, #[case] expected: Option<&str>) {
        assert_eq!(browser(ua).as_deref(), expected);
    }

    #[test]
    fn only_the_head_of_a_huge_user_agent_is_read() {
        // Markers past the first 512 bytes are not looked at, and a cut through a
        // multi-byte character does not panic.
        let padded = format!("{}{}", "é".repeat(300), " (Windows NT 10.0) Firefox/133.0");
        assert_eq!(browser(&padded), None);
        let head = format!("Mozilla/5.0 (Windows NT 10.0) Firefox/133.0 {}", "x".repeat(1 << 20));
        assert_eq!(browser(&head).as_deref(), Some("Firefox on Windows"));
    }

    #[rstest]
    #[case::city("Europe/Berlin", Some("Europe/Berlin"), Some("Berlin"))]
    #[case::three_parts("America/Argentina/Buenos_Aires", Some("America/Argentina/Buenos_Aires"), Some("Buenos Aires"))]
    #[case::no_place("Etc/GMT+2", Some("Etc/GMT+2"), None)]
    #[case::bare_utc("UTC", None, None)]
    #[case::markup("<script>/x", None, None)]
    #[case::too_long(&"Europe/".repeat(20), None, None)]
    fn time_zones_are_checked_and_name_their_place(
        #[case] raw: &str,
        #[case] kept: Option<&str>,
        #[case] expected_place: Option<&str>,
    ) {
        let tz = time_zone(raw);
        assert_eq!(tz.as_deref(), kept);
        assert_eq!(tz.as_deref().and_then(place).as_deref(), expected_place);
    }

    #[test]
    fn an_anonymous_visitor_is_named_by_place_and_browser_when_known() {
        assert_eq!(anonymous_label(Some("Europe/Berlin"), Some("Chrome")), "Visitor from Berlin · Chrome");
        assert_eq!(anonymous_label(None, Some("Safari on iPhone")), "Anonymous visitor · Safari on iPhone");
        assert_eq!(anonymous_label(Some("Etc/UTC"), None), "Anonymous visitor");
    }
}
