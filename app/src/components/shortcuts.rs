//! Keyboard shortcuts for the inbox and a conversation, listed by `?`.
//!
//! Keys act on what the page shows: an element marked `data-shortcut="c"` is clicked by `c`
//! (a button, a link) or focused (a text field). `j` / `k` move through the list's rows; while a
//! conversation is open beside the list they open the next or previous one. Keys are ignored
//! while typing in a field and with Ctrl, Alt or Cmd held, so the browser's own shortcuts and
//! typing are untouched.

use leptos::prelude::*;

/// `(key, what it does)`, as the help lists them.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("j / k", "Next / previous conversation"),
    ("Enter", "Open the selected conversation (in the inbox)"),
    ("c", "Claim the conversation"),
    ("r", "Write a reply"),
    ("e", "Mark resolved"),
    ("o", "Reopen"),
    ("/", "In the reply box: insert a saved reply"),
    ("i", "Back to the inbox"),
    ("?", "Show these shortcuts"),
];

/// The `?` help and the key handling, while mounted in the browser.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let open = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| browser::on_key(&ev, open));
        on_cleanup(move || handle.remove());
    }
    view! {
        <button type="button" class="link shortcuts-hint" aria-keyshortcuts="?" on:click=move |_| open.set(true)>
            "Keyboard shortcuts "
            <kbd>"?"</kbd>
        </button>
        <Show when=move || open.get()>
            <div class="shortcuts" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts">
                <h2>"Keyboard shortcuts"</h2>
                <table>
                    <tbody>
                        {SHORTCUTS
                            .iter()
                            .map(|(key, what)| {
                                view! {
                                    <tr>
                                        <td>
                                            <kbd>{*key}</kbd>
                                        </td>
                                        <td>{*what}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>
                    "Close"
                </button>
            </div>
        </Show>
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast as _;

    fn typing(ev: &web_sys::KeyboardEvent) -> bool {
        let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
        matches!(target.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || target.dyn_ref::<web_sys::HtmlElement>().is_some_and(|e| e.is_content_editable())
    }

    pub fn on_key(ev: &web_sys::KeyboardEvent, help: RwSignal<bool>) {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.default_prevented() {
            return;
        }
        let key = ev.key();
        if key == "Escape" {
            help.set(false);
            return;
        }
        if typing(ev) {
            return;
        }
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
        let handled = match key.as_str() {
            "?" => {
                help.update(|open| *open = !*open);
                true
            }
            "j" | "k" => step(&doc, if key == "j" { 1 } else { -1 }),
            "i" => act(&doc, "i") || go("/dashboard/conversations"),
            other => act(&doc, other),
        };
        if handled {
            ev.prevent_default();
        }
    }

    /// Clicks (or focuses, for a field) the element marked with this key.
    fn act(doc: &web_sys::Document, key: &str) -> bool {
        if key.chars().count() != 1 || !key.chars().all(|c| c.is_ascii_lowercase()) {
            return false;
        }
        let Some(el) = doc
            .query_selector(&format!("[data-shortcut=\"{key}\"]"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return false;
        };
        if matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA") {
            let _ = el.focus();
        } else {
            el.click();
        }
        true
    }

    /// With a conversation open: opens the next or previous one of the list. Otherwise moves
    /// the focus through the list's rows (Enter opens the focused one).
    fn step(doc: &web_sys::Document, by: i32) -> bool {
        let Some(links) = doc.query_selector_all("li.conversation a.open").ok().filter(|l| l.length() > 0) else {
            return false;
        };
        let n = links.length() as i32;
        let link = |i: i32| links.item(i as u32).and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok());
        // A conversation is open when the path names one (it may have left the list, e.g.
        // once resolved under "Unresolved": then `j` opens the first).
        let opened = web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .is_some_and(|p| p.strip_prefix("/dashboard/conversations/").is_some_and(|id| !id.is_empty()));
        let at = if opened {
            (0..n).find(|&i| link(i).is_some_and(|l| l.get_attribute("aria-current").as_deref() == Some("page")))
        } else {
            let focused = doc.active_element();
            (0..n).find(|&i| link(i).zip(focused.clone()).is_some_and(|(l, a)| l.is_same_node(Some(&a))))
        };
        let next = match at {
            Some(i) => (i + by).clamp(0, n - 1),
            None if by > 0 => 0,
            None => n - 1,
        };
        let Some(target) = link(next) else { return false };
        if !opened {
            let _ = target.focus();
        } else if Some(next) != at {
            target.click();
        }
        true
    }

    fn go(path: &str) -> bool {
        web_sys::window().is_some_and(|w| w.location().assign(path).is_ok())
    }
}
