//! Live updates for the inbox pages: a WebSocket to `/api/v1/orgs/{id}/live` (session cookie).
//! Every event bumps the [`DataEpoch`](super::DataEpoch) — coalesced over 150 ms — so the page's
//! resources re-read; after a reconnect (backoff 1 s doubling to 30 s) the page re-reads too, so
//! nothing missed while offline stays stale. Without JavaScript the pages are plain
//! server-rendered lists.

use leptos::prelude::*;
use uuid::Uuid;

/// Shows the connection state and keeps the page live while mounted in the browser.
#[component]
pub fn LiveUpdates(org_id: Uuid) -> impl IntoView {
    let state = RwSignal::new("offline");
    #[cfg(feature = "hydrate")]
    {
        let epoch = use_context::<super::DataEpoch>().map(|e| e.0);
        let alive = std::rc::Rc::new(std::cell::Cell::new(true));
        let socket: std::rc::Rc<std::cell::RefCell<Option<web_sys::WebSocket>>> = Default::default();
        if let Some(epoch) = epoch {
            browser::open(org_id, epoch, state, 0, alive.clone(), socket.clone());
        }
        on_cleanup({
            let alive = send_wrapper::SendWrapper::new(alive);
            let socket = send_wrapper::SendWrapper::new(socket);
            move || {
                alive.set(false);
                if let Some(ws) = socket.borrow_mut().take() {
                    let _ = ws.close();
                }
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = org_id;
    view! { <span class=move || format!("live-state {}", state.get()) title="Live updates">{move || state.get()}</span> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::*;
    use uuid::Uuid;
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::closure::Closure;

    pub fn open(
        org_id: Uuid,
        epoch: RwSignal<u32>,
        state: RwSignal<&'static str>,
        attempt: u32,
        alive: Rc<Cell<bool>>,
        socket: Rc<RefCell<Option<web_sys::WebSocket>>>,
    ) {
        let Some(location) = web_sys::window().map(|w| w.location()) else { return };
        let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
        let Ok(host) = location.host() else { return };
        let Ok(ws) = web_sys::WebSocket::new(&format!("{scheme}://{host}/api/v1/orgs/{org_id}/live")) else {
            return;
        };
        state.set(if attempt == 0 { "connecting" } else { "reconnecting" });

        let on_open = Closure::<dyn FnMut()>::new(move || {
            state.set("live");
            // Anything may have happened while we were away.
            if attempt > 0 {
                epoch.update(|e| *e += 1);
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        let pending = Rc::new(Cell::new(false));
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_event: web_sys::MessageEvent| {
            // A burst of events (an escalation is three) refreshes the page once.
            if !pending.replace(true) {
                let pending = pending.clone();
                set_timeout(
                    move || {
                        pending.set(false);
                        epoch.update(|e| *e += 1);
                    },
                    Duration::from_millis(150),
                );
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();

        let reopen = socket.clone();
        let on_close = Closure::<dyn FnMut()>::new(move || {
            if !alive.get() {
                return;
            }
            state.set("reconnecting");
            let delay = Duration::from_secs(1u64 << attempt.min(5)).min(Duration::from_secs(30));
            let (alive, socket) = (alive.clone(), reopen.clone());
            set_timeout(move || open(org_id, epoch, state, attempt + 1, alive, socket), delay);
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        *socket.borrow_mut() = Some(ws);
    }
}
