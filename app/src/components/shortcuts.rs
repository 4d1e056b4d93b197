//! Keyboard shortcuts for the inbox and a conversation, listed by `?`.
//!
//! Keys act on what the page shows: an element marked `data-shortcut="c"` is clicked by `c`
//! (a button, a link) or focused (a text field). `j` / `k` move through the inbox's rows; on a
//! conversation they open the next or previous conversation of the list last shown in the
//! inbox (kept in the tab's `sessionStorage`). Keys are ignored while typing in a field and
//! with Ctrl, Alt or Cmd held, so the browser's own shortcuts and typing are untouched.

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
            "Keyboard shortcuts " <kbd>"?"</kbd>
        </button>
        <Show when=move || open.get()>
            <div class="shortcuts" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts">
                <h2>"Keyboard shortcuts"</h2>
                <table>
                    <tbody>
                        {SHORTCUTS.iter().map(|(key, what)| view! { <tr><td><kbd>{*key}</kbd></td><td>{*what}</td></tr> }).collect_view()}
                    </tbody>
                </table>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
    .into_any()
}

/// Remembers the inbox's current list (conversation links, in order) for `j` / `k` on a
/// conversation page.
#[component]
pub fn RememberQueue(ids: Vec<String>) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::remember_queue(&ids));
    #[cfg(not(feature = "hydrate"))]
    let _ = ids;
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast as _;

    const QUEUE: &str = "iterochat:queue";

    pub fn remember_queue(ids: &[String]) {
        if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = storage.set_item(QUEUE, &ids.join(","));
        }
    }

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
            "i" => go("/dashboard/conversations"),
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

    /// In the inbox: moves the focus to the next or previous row's link. On a conversation:
    /// opens the next or previous conversation of the inbox's last list.
    fn step(doc: &web_sys::Document, by: i32) -> bool {
        let links = doc.query_selector_all("tr.conversation td:first-child a").ok();
        if let Some(links) = links.filter(|l| l.length() > 0) {
            let n = links.length() as i32;
            let active = doc.active_element();
            let at = (0..n)
                .find(|&i| links.item(i as u32).zip(active.clone()).is_some_and(|(l, a)| l.is_same_node(Some(&a))));
            let next = match at {
                Some(i) => (i + by).clamp(0, n - 1),
                None if by > 0 => 0,
                None => n - 1,
            };
            if let Some(link) = links.item(next as u32).and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = link.focus();
            }
            return true;
        }
        let Some(path) = web_sys::window().and_then(|w| w.location().pathname().ok()) else { return false };
        let Some(current) = path.strip_prefix("/dashboard/conversations/") else { return false };
        let queue = web_sys::window()
            .and_then(|w| w.session_storage().ok().flatten())
            .and_then(|s| s.get_item(QUEUE).ok().flatten())
            .unwrap_or_default();
        let ids: Vec<&str> = queue.split(',').filter(|s| !s.is_empty()).collect();
        let Some(at) = ids.iter().position(|id| *id == current) else { return go("/dashboard/conversations") };
        match ids.get((at as i32 + by).max(0) as usize).filter(|id| **id != current) {
            Some(id) => go(&format!("/dashboard/conversations/{id}")),
            None => false,
        }
    }

    fn go(path: &str) -> bool {
        web_sys::window().is_some_and(|w| w.location().assign(path).is_ok())
    }
}
