//! Markdown to HTML that is safe to put in a page: raw HTML in the source is shown as text,
//! links may only point to http(s), mailto or relative URLs, and images become links.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Renders Markdown (knowledge-base previews, AI replies) to sanitised HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
            }
            // An image is shown as a link to it: a document or an answer never makes the reader's
            // browser fetch from another site (tracking pixels), and the dashboard's policy
            // allows images from itself only.
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
            }
            Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
            other => other,
        });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('/')
        || lower.starts_with('#')
        || !lower.contains(':');
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_raw_html_does_not() {
        let html = to_safe_html(
            "# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) [y](https://ok.example)",
        );
        assert!(html.contains("<h1>Title</h1>") && html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains(r##"href="#""##) && html.contains(r#"href="https://ok.example""#), "{html}");
    }

    #[test]
    fn images_become_links_so_a_page_loads_nothing_from_elsewhere() {
        let html =
            to_safe_html("See ![the wiring diagram](https://img.example/track.png) and ![x](javascript:alert(1)).");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains(r#"<a href="https://img.example/track.png">the wiring diagram</a>"#), "{html}");
        assert!(html.contains(r##"<a href="#">x</a>"##), "{html}");
    }
}
