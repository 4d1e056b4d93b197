use leptos::prelude::*;

use crate::components::{SignedIn, data_epoch};
use crate::dto::{InstallPageDto, SessionDto};
use crate::error::AppError;
use crate::server_fns::orgs::get_install_page;

/// `/dashboard/install`: the first thing a new organisation sees. The embed code with this
/// server's real address (a copy button; the `renderWebWidget` and React forms), a link that
/// opens the live widget on a preview page, and a checklist that ticks itself from real state.
/// Owners and admins.
#[component]
pub fn InstallPage() -> impl IntoView {
    view! { <SignedIn next="/dashboard/install".to_owned() inner=|s| view! { <Install session=s /> }.into_any() /> }
}

#[component]
fn Install(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let page = Resource::new_blocking(
        move || (org_id, data_epoch()),
        |(org_id, _)| async move {
            match org_id {
                Some(id) => get_install_page(id).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    view! {
        <main class="page install">
            <Suspense>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <InstallView page /> }.into_any(),
                        Err(e) => crate::components::error_card("Install", &e),
                    }
                })}
            </Suspense>
        </main>
    }
    .into_any()
}

/// JSON string literal for embedding a value in a code sample.
fn js(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into())
}

/// A value inside a single-quoted HTML attribute: `&` first, then `'`, so the browser decodes
/// back exactly the JavaScript written.
fn attr(value: &str) -> String {
    value.replace('&', "&amp;").replace('\'', "&#39;")
}

/// The three ways to embed the widget, as shown on the page.
pub fn embed_codes(p: &InstallPageDto) -> [(&'static str, &'static str, String); 3] {
    let (server, key) = (&p.server, &p.widget_key);
    [
        (
            "html",
            "Any site: paste before </body>",
            format!("<script src=\"{server}/widget.js\" data-widget-key=\"{key}\" async></script>"),
        ),
        (
            "render",
            "With options (renderWebWidget): override colour, name or position per page",
            format!(
                "<script src=\"{server}/widget.js\" async onload='Iterochat.renderWebWidget({{\n  widgetKey: {},\n  apiUrl: {},\n  primaryColor: {},\n  companyName: {},\n  position: {}\n}})'></script>",
                attr(&js(key)),
                attr(&js(server)),
                attr(&js(&p.primary_color)),
                attr(&js(&p.company_name)),
                attr(&js(&p.position))
            ),
        ),
        (
            "react",
            "React: render <SupportChat /> once, e.g. in your layout",
            format!(
                "import {{ useEffect }} from \"react\";\n\nexport function SupportChat() {{\n  useEffect(() => {{\n    const script = document.createElement(\"script\");\n    script.src = {};\n    script.async = true;\n    script.dataset.widgetKey = {};\n    document.body.appendChild(script);\n    return () => script.remove();\n  }}, []);\n  return null;\n}}",
                js(&format!("{server}/widget.js")),
                js(key)
            ),
        ),
    ]
}

#[component]
fn InstallView(page: InstallPageDto) -> impl IntoView {
    let preview = format!("/preview?key={}", page.widget_key);
    let steps = [
        (
            page.documents_ready > 0,
            "Add a document to the knowledge base",
            "/dashboard/knowledge",
            format!("{} ready to answer from", page.documents_ready),
        ),
        (
            page.widget_seen_at.is_some(),
            "Install the widget on your site",
            "#embed",
            match (&page.widget_seen_origin, page.widget_seen_at) {
                (Some(origin), Some(at)) => format!("seen on {origin}, {}", at.format("%Y-%m-%d %H:%M UTC")),
                _ => "not seen on a site yet".into(),
            },
        ),
        (
            page.conversations > 0,
            "Ask a test question",
            preview.as_str(),
            format!("{} conversation(s) so far", page.conversations),
        ),
        (
            page.teammates > 0,
            "Invite a teammate",
            "/dashboard/team",
            format!("{} teammate(s) or pending invite(s)", page.teammates),
        ),
    ];
    let done = steps.iter().filter(|s| s.0).count();
    view! {
        <section class="card">
            <h1>"Install Iterochat on " {page.organization.name.clone()}</h1>
            <p class="muted">{format!("{done} of 4 done.")}</p>
            <ol class="checklist">
                {steps
                    .into_iter()
                    .map(|(ok, label, href, detail)| {
                        view! {
                            <li class:done=ok>
                                <span class="tick" aria-hidden="true">
                                    {if ok { "✓" } else { "○" }}
                                </span>
                                <a href=href.to_owned()>{label}</a>
                                <span class="sr-only">{if ok { " (done)" } else { " (to do)" }}</span>
                                <span class="muted">" · " {detail}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
        <section class="card" id="embed">
            <h2>"Put the chat on your site"</h2>
            {embed_codes(&page)
                .into_iter()
                .map(|(id, title, code)| view! { <CodeSample id title code /> })
                .collect_view()}
            <p>
                <a class="button" href=preview target="_blank" rel="noopener">
                    "Send a test message"
                </a>
                <span class="muted">" opens your live widget on a preview page of this server."</span>
            </p>
            <p class="muted">
                "Widget key: " <code class="widget-key">{page.widget_key.clone()}</code>
                " · Limit it to your sites and change its look under " <a href="/dashboard/settings">"Settings"</a> "."
            </p>
        </section>
    }
    .into_any()
}

/// A code sample with a copy button (the text is also selectable without JavaScript).
#[component]
fn CodeSample(id: &'static str, title: &'static str, code: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = code.clone();
    // Enough rows for the text as it wraps in the card (about 90 characters a line).
    let rows = code.lines().map(|l| l.chars().count() / 90 + 1).sum::<usize>().clamp(2, 16);
    view! {
        <div class="code-sample" id=format!("embed-{id}")>
            <label for=format!("code-{id}")>{title}</label>
            <textarea id=format!("code-{id}") class="snippet" readonly rows=rows spellcheck="false">
                {code}
            </textarea>
            <button
                type="button"
                class="secondary"
                aria-label=format!("Copy: {title}")
                on:click=move |_| {
                    #[cfg(feature = "hydrate")]
                    {
                        let _ = window().navigator().clipboard().write_text(&text);
                        copied.set(true);
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = &text;
                }
            >
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_codes_escape_what_they_quote() {
        let page = InstallPageDto {
            organization: crate::dto::OrgRefDto { id: uuid::Uuid::nil(), name: "Ada".into() },
            server: "https://chat.example".into(),
            widget_key: "wk_abc".into(),
            primary_color: "#3b82f6".into(),
            company_name: "x&quot;+alert(1)+&quot; O'Brien".into(),
            position: "bottom-right".into(),
            documents_ready: 0,
            widget_seen_at: None,
            widget_seen_origin: None,
            conversations: 0,
            teammates: 0,
        };
        let [(_, _, html), (_, _, render), (_, _, react)] = embed_codes(&page);
        assert_eq!(html, r#"<script src="https://chat.example/widget.js" data-widget-key="wk_abc" async></script>"#);
        // The browser decodes the attribute back to the JSON string, never to code.
        assert!(render.contains(r#"companyName: "x&amp;quot;+alert(1)+&amp;quot; O&#39;Brien""#), "{render}");
        assert!(!render.contains("O'Brien"), "{render}");
        assert!(react.contains(r#"script.src = "https://chat.example/widget.js";"#), "{react}");
    }
}
