//! Live updates for the inbox pages: a WebSocket to `/api/v1/orgs/{id}/live` (session cookie).
//! Every event bumps the [`DataEpoch`](super::DataEpoch) — coalesced over 150 ms — so the page's
//! resources re-read; after a reconnect (backoff 1 s doubling to 30 s) the page re-reads too, so
//! nothing missed while offline stays stale. Without JavaScript the pages are plain
//! server-rendered lists.

use leptos::prelude::*;
use uuid::Uuid;

/// The last "is typing" the live connection heard, for the page that shows a conversation
/// (provided by it; the indicator goes 4 s after the last one).
#[derive(Clone, Copy, Debug, Default)]
pub struct TypingNow(pub RwSignal<Option<TypingSeen>>);

/// Who is typing where: `agent` is `None` for the visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypingSeen {
    pub conversation_id: Uuid,
    pub agent: Option<String>,
    /// Counts the events, so a newer one keeps the indicator up.
    pub seq: u32,
}

/// "Visitor is typing…" / "Ana is typing…" for conversation `id`, while it lasts.
#[component]
pub fn TypingIndicator(id: Uuid) -> impl IntoView {
    let typing = use_context::<TypingNow>();
    move || {
        let seen = typing?.0.get().filter(|t| t.conversation_id == id)?;
        let who = seen.agent.unwrap_or_else(|| "The visitor".to_owned());
        Some(view! {
            <p class="typing" role="status">
                {who}
                " is typing…"
            </p>
        })
    }
}

/// Shows the connection state and keeps the page live while mounted in the browser.
#[component]
pub fn LiveUpdates(org_id: Uuid, #[prop(optional)] me: Option<Uuid>) -> impl IntoView {
    let state = RwSignal::new("offline");
    #[cfg(feature = "hydrate")]
    {
        let epoch = use_context::<super::DataEpoch>().map(|e| e.0);
        let alive = std::rc::Rc::new(std::cell::Cell::new(true));
        let socket: std::rc::Rc<std::cell::RefCell<Option<web_sys::WebSocket>>> = Default::default();
        let typing = use_context::<TypingNow>();
        if let Some(epoch) = epoch {
            browser::open(org_id, browser::Live { epoch, state, typing, me }, 0, alive.clone(), socket.clone());
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
    let _ = (org_id, me);
    // Desktop alerts: offered once the page runs in a browser that can show them and has not
    // been answered yet; the server-rendered page offers nothing.
    let alerts = RwSignal::new(Permission::Unsupported);
    // A sound on each new escalation: this browser's choice (off until the agent turns it on),
    // offered once the page runs in a browser.
    let sound = RwSignal::new(None::<bool>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        alerts.set(browser::permission());
        sound.set(Some(browser::sound_on()));
    });
    view! {
        <span class="live-bar">
            <span class=move || format!("live-state {}", state.get()) title="Live updates">
                {move || state.get()}
            </span>
            {move || {
                sound
                    .get()
                    .map(|on| {
                        view! {
                            <label class="check sound" title="Play a sound when a conversation enters the queue">
                                <input
                                    type="checkbox"
                                    prop:checked=on
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        sound.set(Some(on));
                                        #[cfg(feature = "hydrate")] browser::set_sound(on);
                                    }
                                />
                                " Sound"
                            </label>
                        }
                    })
            }}
            {move || {
                (alerts.get() == Permission::NotAsked)
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="secondary desktop-alerts"
                                on:click=move |_| {
                                    #[cfg(feature = "hydrate")] browser::ask(alerts);
                                }
                            >
                                "Turn on desktop alerts"
                            </button>
                        }
                    })
            }}
        </span>
    }
}

/// Whether the browser shows this site's desktop notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// No Notification API (or not in a browser yet).
    Unsupported,
    /// The agent has not been asked.
    NotAsked,
    Granted,
    Denied,
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

    use super::Permission;

    /// What the connection updates on the page.
    #[derive(Clone, Copy)]
    pub struct Live {
        pub epoch: RwSignal<u32>,
        pub state: RwSignal<&'static str>,
        pub typing: Option<super::TypingNow>,
        /// The signed-in agent: their own typing is not shown back to them.
        pub me: Option<Uuid>,
    }

    pub fn open(
        org_id: Uuid,
        live: Live,
        attempt: u32,
        alive: Rc<Cell<bool>>,
        socket: Rc<RefCell<Option<web_sys::WebSocket>>>,
    ) {
        let Live { epoch, state, .. } = live;
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
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let kind = event_type(&event);
            if kind.as_deref() == Some("escalated") {
                alert_escalation();
            }
            // Typing changes nothing stored: the indicator shows, the page is not re-read.
            if kind.as_deref() == Some("typing") {
                if let Some(typing) = live.typing {
                    show_typing(&event, typing, live.me);
                }
                return;
            }
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
            set_timeout(move || open(org_id, live, attempt + 1, alive, socket), delay);
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        *socket.borrow_mut() = Some(ws);
    }

    const SOUND: &str = "iterochat:sound";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// Whether the agent turned the escalation sound on in this browser.
    pub fn sound_on() -> bool {
        storage().and_then(|s| s.get_item(SOUND).ok().flatten()).is_some_and(|v| v == "on")
    }

    /// Remembers the choice; turning it on plays the sound once, so the agent hears what it is
    /// (and the browser lets the page play sound from then on).
    pub fn set_sound(on: bool) {
        if let Some(s) = storage() {
            let _ = if on { s.set_item(SOUND, "on") } else { s.remove_item(SOUND) };
        }
        if on {
            chime();
        }
    }

    thread_local! {
        static AUDIO: RefCell<Option<web_sys::AudioContext>> = const { RefCell::new(None) };
    }

    /// Two short soft tones, made in the browser (no sound file to download).
    fn chime() {
        AUDIO.with(|audio| {
            let mut audio = audio.borrow_mut();
            if audio.is_none() {
                *audio = web_sys::AudioContext::new().ok();
            }
            let Some(ctx) = audio.as_ref() else { return };
            let _ = ctx.resume();
            let start = ctx.current_time();
            for (i, freq) in [660.0_f32, 880.0].into_iter().enumerate() {
                let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else { return };
                let at = start + 0.16 * i as f64;
                osc.frequency().set_value(freq);
                let _ = gain.gain().set_value_at_time(0.0, at);
                let _ = gain.gain().linear_ramp_to_value_at_time(0.15, at + 0.02);
                let _ = gain.gain().linear_ramp_to_value_at_time(0.0, at + 0.15);
                let _ = osc.connect_with_audio_node(&gain);
                let _ = gain.connect_with_audio_node(&ctx.destination());
                let _ = osc.start_with_when(at);
                let _ = osc.stop_with_when(at + 0.16);
            }
        });
    }

    /// Shows a typing event for 4 s (a newer one keeps it up), unless it is the agent's own.
    fn show_typing(event: &web_sys::MessageEvent, typing: super::TypingNow, me: Option<Uuid>) {
        let Some(value) = event.data().as_string().and_then(|d| js_sys::JSON::parse(&d).ok()) else { return };
        let field = |v: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(v, &k.into()).ok();
        let Some(conversation_id) =
            field(&value, "conversation_id").and_then(|v| v.as_string()).and_then(|s| s.parse::<Uuid>().ok())
        else {
            return;
        };
        let agent = field(&value, "agent").filter(|a| a.is_object());
        let agent_id = agent.as_ref().and_then(|a| field(a, "id")).and_then(|v| v.as_string());
        if agent_id.is_some_and(|id| me.is_some_and(|me| me.to_string() == id)) {
            return;
        }
        let name = agent.as_ref().and_then(|a| field(a, "name")).and_then(|v| v.as_string());
        let seq = typing.0.get_untracked().map_or(0, |t| t.seq.wrapping_add(1));
        typing.0.set(Some(super::TypingSeen { conversation_id, agent: name, seq }));
        set_timeout(
            move || {
                if typing.0.try_get_untracked().flatten().is_some_and(|t| t.seq == seq) {
                    typing.0.try_set(None);
                }
            },
            Duration::from_secs(4),
        );
    }

    /// The `type` of a live event's JSON.
    fn event_type(event: &web_sys::MessageEvent) -> Option<String> {
        let value = js_sys::JSON::parse(&event.data().as_string()?).ok()?;
        js_sys::Reflect::get(&value, &"type".into()).ok()?.as_string()
    }

    /// Whether this browser has desktop notifications at all.
    fn supported() -> bool {
        web_sys::window().is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
    }

    /// What this browser says of desktop notifications for this site.
    pub fn permission() -> Permission {
        if !supported() {
            return Permission::Unsupported;
        }
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => Permission::Granted,
            web_sys::NotificationPermission::Denied => Permission::Denied,
            _ => Permission::NotAsked,
        }
    }

    /// Asks the browser for permission (the agent clicked), then records the answer.
    pub fn ask(alerts: RwSignal<Permission>) {
        let Ok(promise) = web_sys::Notification::request_permission() else { return };
        let done = Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(move |_| alerts.set(permission()));
        let _ = promise.then(&done);
        done.forget();
    }

    thread_local! {
        /// Escalations that arrived while the tab was in the background.
        static UNSEEN: Cell<u32> = const { Cell::new(0) };
        static WATCHING: Cell<bool> = const { Cell::new(false) };
    }

    /// The page title without a "(3) " count in front.
    fn bare_title(title: &str) -> &str {
        match title.strip_prefix('(').and_then(|t| t.split_once(") ")) {
            Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => title,
        }
    }

    /// A new escalation: a count in the tab title while the tab is hidden (cleared when the agent
    /// comes back), and a desktop notification when the agent allowed them.
    fn alert_escalation() {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        if document.hidden() {
            let unseen = UNSEEN.with(|u| {
                u.set(u.get() + 1);
                u.get()
            });
            let title = document.title();
            document.set_title(&format!("({unseen}) {}", bare_title(&title)));
            if !WATCHING.with(|w| w.replace(true)) {
                let doc = document.clone();
                let on_visible = Closure::<dyn FnMut()>::new(move || {
                    if !doc.hidden() {
                        UNSEEN.with(|u| u.set(0));
                        let title = doc.title();
                        doc.set_title(bare_title(&title));
                    }
                });
                let _ =
                    document.add_event_listener_with_callback("visibilitychange", on_visible.as_ref().unchecked_ref());
                on_visible.forget();
            }
        }
        if sound_on() {
            chime();
        }
        if permission() == Permission::Granted {
            let options = web_sys::NotificationOptions::new();
            options.set_body("A visitor is waiting for a person in the inbox.");
            options.set_tag("iterochat-escalation");
            let _ = web_sys::Notification::new_with_options("New conversation in the queue", &options);
        }
    }
}
