//! HTML uploads reduced to Markdown-ish text: headings stay headings (so chunks keep them),
//! block elements become paragraphs, list items stay items, scripts and styles vanish.

/// Converts an HTML page to text suitable for [`super::chunking::chunk`].
pub fn to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut skip_until: Option<&'static str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            out.push_str(&decode_entities(&rest[..lt]));
        }
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            break;
        };
        let tag = after[1..gt].trim();
        rest = &after[gt + 1..];
        if tag.starts_with("!--") {
            if let Some(end) = after.find("-->") {
                rest = &after[end + 3..];
            }
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(end) = skip_until {
            if closing && name == end {
                skip_until = None;
            }
            continue;
        }
        match name.as_str() {
            "script" | "style" | "noscript" | "template" | "svg" | "head" if !closing => {
                skip_until = Some(match name.as_str() {
                    "script" => "script",
                    "style" => "style",
                    "noscript" => "noscript",
                    "template" => "template",
                    "svg" => "svg",
                    _ => "head",
                });
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if closing {
                    out.push_str("\n\n");
                } else {
                    let level = name[1..].parse::<usize>().unwrap_or(1);
                    out.push_str(&format!("\n\n{} ", "#".repeat(level)));
                }
            }
            "li" if !closing => out.push_str("\n- "),
            "br" => out.push('\n'),
            "p" | "div" | "section" | "article" | "ul" | "ol" | "table" | "tr" | "blockquote" | "pre" | "header"
            | "footer" | "main" | "nav" | "aside" | "dl" | "dt" | "dd" | "li" | "hr" => out.push_str("\n\n"),
            "td" | "th" if !closing => out.push_str(" | "),
            _ => {}
        }
    }
    if skip_until.is_none() {
        out.push_str(&decode_entities(rest));
    }
    tidy(&out)
}

/// Decodes the entities real help-centre pages use; unknown ones are left as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let entity = &after[1..e];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                "hellip" => Some('…'),
                "euro" => Some('€'),
                "copy" => Some('©'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Collapses runs of spaces and blank lines.
fn tidy(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let mut out = String::new();
    let mut blank = 0;
    for line in lines {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_and_lists_survive_scripts_do_not() {
        let html = r#"<html><head><title>x</title><style>p{color:red}</style></head><body>
            <h1>Returns</h1><p>You can return items within <b>30&nbsp;days</b>.</p>
            <script>alert("no")</script><ul><li>Keep the receipt</li><li>Use the label &amp; box</li></ul>
            <!-- hidden --><h2>Exceptions</h2><p>Gift cards &#8211; final sale.</p></body></html>"#;
        let text = to_text(html);
        assert!(text.contains("# Returns"), "{text}");
        assert!(text.contains("You can return items within 30 days."), "{text}");
        assert!(text.contains("- Keep the receipt"), "{text}");
        assert!(text.contains("- Use the label & box"), "{text}");
        assert!(text.contains("## Exceptions"), "{text}");
        assert!(text.contains("Gift cards – final sale."), "{text}");
        assert!(!text.contains("alert") && !text.contains("color:red") && !text.contains("hidden"), "{text}");
    }
}
