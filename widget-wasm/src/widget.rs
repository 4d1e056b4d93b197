//! The widget in the browser: DOM inside a Shadow DOM, the widget API, the live stream.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_net::http::Request;
use js_sys::JSON;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{Element, EventSource, HtmlElement, HtmlInputElement, ShadowRoot};

use crate::dom::{document, get, get_str};
use crate::{Position, check_contact, json_string, normalise_color};

const CSS: &str = include_str!("widget.css");

const SKELETON: &str = r#"<div class="root">
<div class="nudge" hidden><button class="nudge-open" type="button"></button><button class="nudge-close" type="button" aria-label="Dismiss">×</button></div>
<button class="launcher" type="button" aria-label="Open chat" aria-expanded="false"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16v12H7l-3 3z"/></svg><span class="badge" hidden>0</span></button>
<section class="panel" role="dialog" aria-modal="true" hidden>
<header><span class="title"></span><button class="close" type="button" aria-label="Close chat">×</button></header>
<ol class="log" aria-live="polite"></ol>
<p class="typing" hidden></p>
<p class="waiting" role="status" hidden></p>
<form class="contact" hidden novalidate><p class="intro">Before we start, how can we reach you?</p>
<label>Name<input name="name" autocomplete="name" maxlength="100"></label>
<label>Email<input name="email" type="email" autocomplete="email" maxlength="254"></label>
<p class="error" role="alert" hidden></p><button type="submit">Start chat</button><button class="skip" type="button" hidden>Not now</button></form>
<form class="composer" novalidate><input name="text" aria-label="Message" placeholder="Type your question…" autocomplete="off"><button type="submit" aria-label="Send">➤</button></form>
<p class="counter" aria-live="polite" hidden></p>
<p class="error composer-error" role="alert" hidden></p>
</section></div>"#;

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// The organisation's widget settings (the session's `config`).
#[derive(Default)]
struct Config {
    require_contact: bool,
    ask_contact_at_handoff: bool,
    show_cta: bool,
    positive_label: String,
    help_label: String,
    greeting: String,
    /// The `greeting` option of `renderWebWidget` (the settings page's live preview).
    greeting_override: Option<String>,
    nudge: String,
    nudge_trigger: String,
    nudge_after: f64,
    /// Outside the team's office hours: when they are back (ms since the epoch).
    back_at: Option<f64>,
}

struct Widget {
    api: String,
    key: String,
    token: RefCell<String>,
    root: ShadowRoot,
    config: RefCell<Config>,
    status: RefCell<String>,
    open: Cell<bool>,
    unread: Cell<u32>,
    seen: RefCell<Vec<String>>,
    last_id: RefCell<Option<String>>,
    contact_given: Cell<bool>,
    stream: RefCell<Option<EventSource>>,
    /// The live stream's event handlers (made once, attached to each connection), and how many
    /// reconnections failed in a row.
    handlers: RefCell<Vec<(&'static str, JsValue)>>,
    retries: Cell<u32>,
    /// Counts "is typing" events, so only the latest one hides the indicator; and when the
    /// visitor last told the team they were typing (ms).
    typing_seq: Cell<u32>,
    typing_sent: Cell<f64>,
    flushing: Cell<bool>,
}

/// Why a request failed.
enum Failure {
    /// No answer: offline or the server unreachable. Worth sending again.
    Offline,
    /// The server refused it, with its message.
    Refused(String),
}

/// A random v4 UUID (the message's own id).
fn random_uuid() -> String {
    let mut out = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        let nibble = (js_sys::Math::random() * 16.0) as u32 & 15;
        let nibble = match i {
            12 => 4,
            16 => 8 | (nibble & 3),
            _ => nibble,
        };
        out.push(char::from_digit(nibble, 16).unwrap_or('0'));
    }
    out
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn start(options: JsValue) {
    if STARTED.with(|s| s.replace(true)) {
        return;
    }
    let Some(key) = get_str(&options, "widgetKey").filter(|k| !k.is_empty()) else {
        web_sys::console::warn_1(&"Iterochat: no widgetKey given; the widget is not shown.".into());
        return;
    };
    let api = get_str(&options, "apiUrl").unwrap_or_default().trim_end_matches('/').to_owned();
    let Some(widget) = mount(api, key) else { return };
    widget.apply_overrides(&options);
    let open = get(&options, "open").as_bool().unwrap_or(false);
    // `focus`: opened by the visitor's click on the loader's launcher, so the focus moves into
    // the panel as on any click. Opened by the page alone, the host page keeps its focus (a
    // settings form beside a preview must not lose the field being typed into).
    let focus = get(&options, "focus").as_bool().unwrap_or(false);
    wasm_bindgen_futures::spawn_local(async move {
        widget.clone().open_session().await;
        if open {
            widget.toggle(true, focus);
        }
    });
}

fn mount(api: String, key: String) -> Option<Rc<Widget>> {
    let doc = document()?;
    // The loader's launcher (drawn before the widget was fetched) is taken over in place.
    let root = match doc.get_element_by_id("iterochat-widget").and_then(|host| host.shadow_root()) {
        Some(root) => root,
        None => {
            let host = doc.create_element("div").ok()?;
            host.set_id("iterochat-widget");
            let root = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).ok()?;
            doc.body()?.append_child(&host).ok()?;
            root
        }
    };
    root.set_inner_html(&format!("<style>{CSS}</style>{SKELETON}"));
    let token = storage().and_then(|s| s.get_item(&format!("iterochat:{key}")).ok().flatten()).unwrap_or_default();
    let contact_given =
        storage().and_then(|s| s.get_item(&format!("iterochat:{key}:contact")).ok().flatten()).is_some();
    let widget = Rc::new(Widget {
        api,
        key,
        token: RefCell::new(token),
        root,
        config: RefCell::new(Config::default()),
        status: RefCell::new("ai".into()),
        open: Cell::new(false),
        unread: Cell::new(0),
        seen: RefCell::new(Vec::new()),
        last_id: RefCell::new(None),
        contact_given: Cell::new(contact_given),
        stream: RefCell::new(None),
        handlers: RefCell::new(Vec::new()),
        retries: Cell::new(0),
        typing_seq: Cell::new(0),
        typing_sent: Cell::new(0.0),
        flushing: Cell::new(false),
    });
    widget.wire();
    Some(widget)
}

impl Widget {
    fn q(&self, selector: &str) -> Option<Element> {
        self.root.query_selector(selector).ok().flatten()
    }

    fn input(&self, selector: &str) -> Option<HtmlInputElement> {
        self.q(selector)?.dyn_into().ok()
    }

    fn set_hidden(&self, selector: &str, hidden: bool) {
        if let Some(el) = self.q(selector) {
            let _ = if hidden { el.set_attribute("hidden", "") } else { el.remove_attribute("hidden") };
        }
    }

    fn set_text(&self, selector: &str, text: &str) {
        if let Some(el) = self.q(selector) {
            el.set_text_content(Some(text));
        }
    }

    fn apply_overrides(&self, options: &JsValue) {
        if let Some(color) = get_str(options, "primaryColor").and_then(|c| normalise_color(&c)) {
            self.brand(&color);
        }
        if let Some(name) = get_str(options, "companyName") {
            self.set_title(&name);
        }
        if let Some(position) = get_str(options, "position") {
            self.place(Position::parse(&position));
        }
        if let Some(greeting) = get_str(options, "greeting") {
            self.config.borrow_mut().greeting_override = Some(greeting);
        }
    }

    fn brand(&self, color: &str) {
        if let Some(root) = self.q(".root").and_then(|r| r.dyn_into::<HtmlElement>().ok()) {
            let _ = root.style().set_property("--primary", color);
        }
    }

    fn set_title(&self, name: &str) {
        self.set_text(".title", name);
        if let Some(panel) = self.q(".panel") {
            let _ = panel.set_attribute("aria-label", &format!("Chat with {name}"));
        }
    }

    fn place(&self, position: Position) {
        if let Some(root) = self.q(".root") {
            let _ = root.set_attribute("class", &format!("root {}", position.class()));
        }
    }

    /// Event handlers: launcher, close, Escape, focus trap, forms.
    fn wire(self: &Rc<Self>) {
        let on = |selector: &str, event: &str, handler: Box<dyn FnMut(web_sys::Event)>| {
            if let Some(el) = self.q(selector) {
                let closure = Closure::wrap(handler);
                let _ = el.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
                closure.forget();
            }
        };
        let w = self.clone();
        on(".launcher", "click", Box::new(move |_| w.toggle(!w.open.get(), true)));
        let w = self.clone();
        on(".close", "click", Box::new(move |_| w.toggle(false, true)));
        let w = self.clone();
        on(".nudge-open", "click", Box::new(move |_| w.toggle(true, true)));
        let w = self.clone();
        on(".nudge-close", "click", Box::new(move |_| w.set_hidden(".nudge", true)));
        let w = self.clone();
        on(
            ".panel",
            "keydown",
            Box::new(move |e| {
                if let Some(key) = e.dyn_ref::<web_sys::KeyboardEvent>()
                    && key.key() == "Tab"
                {
                    w.trap_focus(key);
                }
            }),
        );
        // Escape closes the open panel wherever the focus is on the page.
        let w = self.clone();
        let on_escape = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
            if e.key() == "Escape" && w.open.get() {
                w.toggle(false, true);
            }
        });
        if let Some(doc) = document() {
            let _ = doc.add_event_listener_with_callback("keydown", on_escape.as_ref().unchecked_ref());
        }
        on_escape.forget();
        // While a person has the conversation, the team sees the visitor typing (at most one
        // ping every 3 s; none while the AI answers).
        let w = self.clone();
        on(
            ".composer input",
            "input",
            Box::new(move |_| {
                let status = w.status.borrow().clone();
                let now = js_sys::Date::now();
                if (status == "escalated" || status == "claimed") && now - w.typing_sent.get() > 3000.0 {
                    w.typing_sent.set(now);
                    let w = w.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = w.try_post("/typing", "{}").await;
                    });
                }
            }),
        );
        let w = self.clone();
        on(
            ".composer",
            "submit",
            Box::new(move |e| {
                e.prevent_default();
                let Some(input) = w.input(".composer input") else { return };
                let text = input.value();
                if text.trim().is_empty() {
                    return;
                }
                // Too long: said beside the box, and nothing typed is lost or cut.
                if text.chars().count() > MAX_CHARS {
                    w.show_counter(text.chars().count());
                    return;
                }
                input.set_value("");
                w.show_counter(0);
                // An email written into a message becomes the visitor's contact on the server:
                // the hand-off need not ask for one again.
                if crate::mentions_email(&text) {
                    w.remember_contact();
                }
                let w = w.clone();
                wasm_bindgen_futures::spawn_local(async move { w.send(text).await });
            }),
        );
        let w = self.clone();
        on(
            ".composer input",
            "input",
            Box::new(move |_| {
                if let Some(input) = w.input(".composer input") {
                    w.show_counter(input.value().chars().count());
                }
            }),
        );
        let w = self.clone();
        on(
            ".contact",
            "submit",
            Box::new(move |e| {
                e.prevent_default();
                let name = w.input(".contact input[name=name]").map(|i| i.value()).unwrap_or_default();
                let email = w.input(".contact input[name=email]").map(|i| i.value()).unwrap_or_default();
                if let Err(message) = check_contact(&name, &email) {
                    w.show_error(".contact .error", message);
                    return;
                }
                let w = w.clone();
                wasm_bindgen_futures::spawn_local(async move { w.save_contact(name, email).await });
            }),
        );
        let w = self.clone();
        on(
            ".contact .skip",
            "click",
            Box::new(move |_| {
                if let Some(s) = storage() {
                    let _ = s.set_item(&format!("iterochat:{}:contact-skipped", w.key), "1");
                }
                w.show_error(".contact .error", "");
                w.set_hidden(".contact", true);
                if let Some(input) = w.q(".composer input").and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                    let _ = input.focus();
                }
            }),
        );
    }

    /// Arms the proactive nudge (organisation setting): after N seconds on the page, after
    /// scrolling N % of it, or after N idle seconds; at most once a day per visitor.
    fn arm_nudge(self: &Rc<Self>) {
        let (text, trigger, after) = {
            let c = self.config.borrow();
            (c.nudge.clone(), c.nudge_trigger.clone(), c.nudge_after)
        };
        let today = String::from(js_sys::Date::new_0().to_iso_string()).chars().take(10).collect::<String>();
        let key = format!("iterochat:{}:nudged", self.key);
        let shown_today = storage().and_then(|s| s.get_item(&key).ok().flatten()).is_some_and(|d| d == today);
        if text.is_empty() || shown_today {
            return;
        }
        self.set_text(".nudge-open", &text);
        let Some(window) = web_sys::window() else { return };
        let w = self.clone();
        let fired = Rc::new(Cell::new(false));
        let show = Rc::new(move || {
            if fired.replace(true) || w.open.get() {
                return;
            }
            w.set_hidden(".nudge", false);
            if let Some(s) = storage() {
                let _ = s.set_item(&key, &today);
            }
        });
        let ms = (after.max(0.0) * 1000.0) as i32;
        match trigger.as_str() {
            "scroll" => {
                let show = show.clone();
                let on_scroll = Closure::<dyn FnMut()>::new(move || {
                    let Some(window) = web_sys::window() else { return };
                    let seen = window.scroll_y().unwrap_or(0.0)
                        + window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
                    let total = document().and_then(|d| d.document_element()).map_or(1, |e| e.scroll_height()).max(1);
                    if seen / f64::from(total) * 100.0 >= after {
                        show();
                    }
                });
                let _ = window.add_event_listener_with_callback("scroll", on_scroll.as_ref().unchecked_ref());
                on_scroll.forget();
            }
            "idle" => {
                let timer = Rc::new(Cell::new(0));
                let restart = {
                    let (show, timer) = (show.clone(), timer.clone());
                    Closure::<dyn FnMut()>::new(move || {
                        let Some(window) = web_sys::window() else { return };
                        window.clear_timeout_with_handle(timer.get());
                        let show = show.clone();
                        let fire = Closure::once_into_js(move || show());
                        if let Ok(handle) =
                            window.set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), ms)
                        {
                            timer.set(handle);
                        }
                    })
                };
                for event in ["mousemove", "keydown", "scroll", "touchstart"] {
                    let _ = window.add_event_listener_with_callback(event, restart.as_ref().unchecked_ref());
                }
                if let Some(f) = restart.as_ref().dyn_ref::<js_sys::Function>() {
                    let _ = f.call0(&JsValue::NULL);
                }
                restart.forget();
            }
            _ => {
                let fire = Closure::once_into_js(move || show());
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), ms);
            }
        }
    }

    /// Keeps Tab inside the open panel.
    fn trap_focus(&self, event: &web_sys::KeyboardEvent) {
        let Ok(list) = self.root.query_selector_all(".panel button:not([hidden]), .panel form:not([hidden]) input")
        else {
            return;
        };
        let items: Vec<HtmlElement> =
            (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok()).collect();
        let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
        let active = self.root.active_element();
        let at = |el: &HtmlElement| active.as_ref().is_some_and(|a| a == el.unchecked_ref::<Element>());
        if event.shift_key() && at(first) {
            event.prevent_default();
            let _ = last.focus();
        } else if !event.shift_key() && at(last) {
            event.prevent_default();
            let _ = first.focus();
        }
    }

    /// The message length near and over the limit ("3,950 / 4,000"); hidden well below it.
    fn show_counter(&self, chars: usize) {
        let shown = chars * 10 >= MAX_CHARS * 9;
        self.set_hidden(".counter", !shown);
        if let Some(counter) = self.q(".counter") {
            let _ = counter.set_attribute("class", if chars > MAX_CHARS { "counter over" } else { "counter" });
        }
        if shown {
            let text = if chars > MAX_CHARS {
                format!("{} / {} characters: please shorten your message", thousands(chars), thousands(MAX_CHARS))
            } else {
                format!("{} / {}", thousands(chars), thousands(MAX_CHARS))
            };
            self.set_text(".counter", &text);
        }
    }

    /// Opens or closes the panel. `focus` moves the keyboard focus with it (into the composer on
    /// open, back to the launcher on close): only when the visitor did it.
    fn toggle(&self, open: bool, focus: bool) {
        self.open.set(open);
        self.set_hidden(".panel", !open);
        if let Some(launcher) = self.q(".launcher") {
            let _ = launcher.set_attribute("aria-expanded", if open { "true" } else { "false" });
            let _ = launcher.set_attribute("aria-label", if open { "Close chat" } else { "Open chat" });
        }
        if open {
            self.set_hidden(".nudge", true);
            self.unread.set(0);
            self.show_badge();
            self.show_contact_form_if_needed();
            self.scroll_to_end();
            let target = if self.needs_contact() { ".contact input[name=name]" } else { ".composer input" };
            if focus && let Some(input) = self.q(target).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                let _ = input.focus();
            }
        } else if focus && let Some(launcher) = self.q(".launcher").and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            let _ = launcher.focus();
        }
    }

    /// Once the conversation is handed off, a visitor the team cannot reach is asked how (they
    /// may skip it, and are not asked again); in the language of the latest line.
    /// The visitor gave a way to reach them: not asked again, on this browser.
    fn remember_contact(&self) {
        self.contact_given.set(true);
        if let Some(s) = storage() {
            let _ = s.set_item(&format!("iterochat:{}:contact", self.key), "1");
        }
    }

    fn offer_contact(&self) {
        self.show_waiting();
        let handed_off = *self.status.borrow() == "escalated";
        let skipped = storage()
            .and_then(|s| s.get_item(&format!("iterochat:{}:contact-skipped", self.key)).ok().flatten())
            .is_some();
        if !handed_off || !self.config.borrow().ask_contact_at_handoff || self.contact_given.get() || skipped {
            return;
        }
        let (intro, send, skip, _) = reach_you(&self.latest_lang());
        self.set_text(".contact .intro", intro);
        self.set_text(".contact button[type=submit]", send);
        self.set_text(".contact .skip", skip);
        self.set_hidden(".contact .skip", false);
        self.set_hidden(".contact", false);
        self.scroll_to_end();
    }

    /// While the conversation waits for a person: that it does, and outside office hours when
    /// the team is back (in the visitor's language and time zone).
    fn show_waiting(&self) {
        let waiting = *self.status.borrow() == "escalated";
        if waiting {
            let lang = self.latest_lang();
            let (queued, away, then) = waiting_words(&lang);
            match self.config.borrow().back_at.filter(|t| *t > js_sys::Date::now()) {
                Some(at) => self.set_text(".waiting", &[away, &weekday_time(&lang, at), then].concat()),
                None => self.set_text(".waiting", queued),
            }
        }
        self.set_hidden(".waiting", !waiting);
    }

    /// The language of the latest line that has one (the AI's and the system's do).
    fn latest_lang(&self) -> String {
        self.root
            .query_selector_all(".msg[lang]")
            .ok()
            .and_then(|all| all.item(all.length().checked_sub(1)?))
            .and_then(|n| n.dyn_into::<Element>().ok())
            .and_then(|m| m.get_attribute("lang"))
            .unwrap_or_else(|| "en".into())
    }

    fn needs_contact(&self) -> bool {
        self.config.borrow().require_contact && !self.contact_given.get()
    }

    fn show_contact_form_if_needed(&self) {
        let needs = self.needs_contact();
        self.set_hidden(".contact", !needs);
        self.set_hidden(".composer", needs);
    }

    fn show_badge(&self) {
        let n = self.unread.get();
        self.set_text(".badge", &n.to_string());
        self.set_hidden(".badge", n == 0);
    }

    fn show_error(&self, selector: &str, message: &str) {
        self.set_text(selector, message);
        self.set_hidden(selector, message.is_empty());
    }

    fn scroll_to_end(&self) {
        if let Some(log) = self.q(".log") {
            log.set_scroll_top(log.scroll_height());
        }
    }

    /// POSTs JSON to the widget API; `Err` carries the server's message.
    async fn post(&self, path: &str, body: &str) -> Result<JsValue, String> {
        self.try_post(path, body).await.map_err(|e| match e {
            Failure::Offline => "We could not reach the chat. Check your connection and try again.".to_owned(),
            Failure::Refused(message) => message,
        })
    }

    /// POSTs JSON, telling a network failure (worth retrying) from a refusal.
    async fn try_post(&self, path: &str, body: &str) -> Result<JsValue, Failure> {
        let token = self.token.borrow().clone();
        let mut request =
            Request::post(&format!("{}/api/v1/widget{path}", self.api)).header("Content-Type", "application/json");
        if !token.is_empty() {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let response = request
            .body(body.to_owned())
            .map_err(|e| Failure::Refused(e.to_string()))?
            .send()
            .await
            .map_err(|_| Failure::Offline)?;
        read(response).await.map_err(Failure::Refused)
    }

    async fn get_json(&self, path: &str) -> Result<JsValue, String> {
        let token = self.token.borrow().clone();
        let response = Request::get(&format!("{}/api/v1/widget{path}", self.api))
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        read(response).await
    }

    /// Opens (or resumes) the session: token, branding, history, live stream.
    async fn open_session(self: Rc<Self>) {
        let token = self.token.borrow().clone();
        // The browser's time zone: the team's inbox names an anonymous visitor by its place.
        let zone = js_sys::Reflect::get(
            &js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options(),
            &"timeZone".into(),
        )
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_default();
        let body = if token.is_empty() {
            format!("{{\"widget_key\":{},\"time_zone\":{}}}", json_string(&self.key), json_string(&zone))
        } else {
            format!(
                "{{\"widget_key\":{},\"visitor_token\":{},\"time_zone\":{}}}",
                json_string(&self.key),
                json_string(&token),
                json_string(&zone)
            )
        };
        let session = match self.post("/session", &body).await {
            Ok(s) => s,
            Err(e) => {
                web_sys::console::warn_1(&format!("Iterochat: {e}").into());
                return;
            }
        };
        if let Some(token) = get_str(&session, "visitor_token") {
            if let Some(s) = storage() {
                let _ = s.set_item(&format!("iterochat:{}", self.key), &token);
            }
            *self.token.borrow_mut() = token;
        }
        let config = get(&session, "config");
        {
            let mut c = self.config.borrow_mut();
            c.require_contact = get(&config, "require_contact").as_bool().unwrap_or(false);
            c.ask_contact_at_handoff = get(&config, "ask_contact_at_handoff").as_bool().unwrap_or(false);
            c.show_cta = get(&config, "show_escalation_cta").as_bool().unwrap_or(true);
            c.positive_label = get_str(&config, "positive_feedback_label").unwrap_or_else(|| "👍".into());
            c.help_label = get_str(&config, "request_help_label").unwrap_or_else(|| "Connect to an agent".into());
            c.greeting =
                c.greeting_override.clone().unwrap_or_else(|| get_str(&config, "greeting").unwrap_or_default());
            c.nudge = get_str(&config, "proactive_message").unwrap_or_default();
            c.nudge_trigger = get_str(&config, "proactive_trigger").unwrap_or_default();
            c.nudge_after = get(&config, "proactive_after").as_f64().unwrap_or(30.0);
            let hours = get(&config, "office_hours");
            c.back_at = (get(&hours, "open").as_bool() == Some(false))
                .then(|| get_str(&hours, "back_at").map(|t| js_sys::Date::parse(&t)))
                .flatten()
                .filter(|t| t.is_finite());
        }
        if self.q(".title").is_some_and(|t| t.text_content().unwrap_or_default().is_empty()) {
            self.set_title(&get_str(&config, "company_name").unwrap_or_default());
        }
        if let Some(color) = get_str(&config, "primary_color").and_then(|c| normalise_color(&c))
            && self.q(".root").and_then(|r| r.get_attribute("style")).is_none()
        {
            self.brand(&color);
        }
        if self.q(".root").is_some_and(|r| r.class_list().length() < 2) {
            self.place(Position::parse(&get_str(&config, "position").unwrap_or_default()));
        }
        let greeting = self.config.borrow().greeting.clone();
        if !greeting.is_empty() {
            self.append_line("greeting", &greeting, None);
        }
        let messages = get(&session, "messages");
        if let Some(list) = messages.dyn_ref::<js_sys::Array>() {
            for m in list.iter() {
                self.render_message(&m, false);
            }
        }
        // Messages queued on an earlier page, still waiting to be sent.
        for (client_id, text) in self.queue() {
            if let Some(line) = self.append_line("visitor", &text, None) {
                let _ = line.set_attribute("data-client", &client_id);
                line.set_class_name("msg visitor pending");
            }
        }
        self.listen();
        self.arm_nudge();
        let w = self.clone();
        let on_online = Closure::<dyn FnMut()>::new(move || {
            let w = w.clone();
            wasm_bindgen_futures::spawn_local(async move { w.flush().await });
        });
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        }
        on_online.forget();
        self.flush().await;
    }

    /// Appends a message once (by id); `live` ones count as unread while the panel is closed.
    fn render_message(&self, message: &JsValue, live: bool) {
        let Some(id) = get_str(message, "id") else { return };
        if self.seen.borrow().contains(&id) {
            return;
        }
        self.seen.borrow_mut().push(id.clone());
        *self.last_id.borrow_mut() = Some(id.clone());
        let role = get_str(message, "role").unwrap_or_default();
        let text = get_str(message, "text").unwrap_or_default();
        let citations = get(message, "citations");
        let sources: Vec<(String, Option<String>)> = citations
            .dyn_ref::<js_sys::Array>()
            .map(|a| a.iter().filter_map(|c| Some((get_str(&c, "title")?, get_str(&c, "source_url")))).collect())
            .unwrap_or_default();
        if role == "agent" {
            self.set_hidden(".typing", true);
        }
        let li = self.append_line(&role, &text, Some(&id));
        if let (Some(li), Some(lang)) = (&li, get_str(message, "language")) {
            let _ = li.set_attribute("lang", &lang);
        }
        // An agent's reply carries their name and initial, so the visitor knows a person wrote it.
        if let (Some(li), Some(author), true) = (&li, get_str(message, "author"), role == "agent")
            && let Some(doc) = document()
            && let (Ok(who), Ok(avatar)) = (doc.create_element("span"), doc.create_element("span"))
        {
            who.set_class_name("who");
            avatar.set_class_name("avatar");
            let _ = avatar.set_attribute("aria-hidden", "true");
            // Upper case by CSS: Rust's case tables would cost the bundle kilobytes.
            avatar.set_text_content(author.chars().next().map(String::from).as_deref());
            let _ = who.append_child(&avatar);
            let _ = who.append_with_str_1(&author);
            let _ = li.prepend_with_node_1(&who);
        }
        if let Some(li) = &li
            && !sources.is_empty()
            && let Some(doc) = document()
            && let Ok(p) = doc.create_element("p")
        {
            p.set_class_name("sources");
            p.set_text_content(Some("Sources: "));
            for (i, (title, url)) in sources.iter().enumerate() {
                if i > 0 {
                    let _ = p.append_with_str_1(", ");
                }
                // Only web links become links; the title is always text, never markup.
                let safe = url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://"));
                let node = match safe.and_then(|u| doc.create_element("a").ok().map(|a| (a, u))) {
                    Some((a, u)) => {
                        let _ = a.set_attribute("href", u);
                        let _ = a.set_attribute("target", "_blank");
                        let _ = a.set_attribute("rel", "noopener noreferrer");
                        a.set_text_content(Some(title));
                        a
                    }
                    None => match doc.create_element("span") {
                        Ok(span) => {
                            span.set_text_content(Some(title));
                            span
                        }
                        Err(_) => continue,
                    },
                };
                let _ = p.append_child(&node);
            }
            let _ = li.append_child(&p);
        }
        // The escalation buttons follow only the latest AI answer.
        if let Ok(old) = self.root.query_selector_all(".cta") {
            for i in 0..old.length() {
                if let Some(node) = old.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    node.remove();
                }
            }
        }
        if role == "ai" && self.config.borrow().show_cta && *self.status.borrow() == "ai" {
            self.add_cta(&id);
        }
        if live && !self.open.get() && role != "visitor" {
            self.unread.set(self.unread.get() + 1);
            self.show_badge();
        }
        self.scroll_to_end();
    }

    fn append_line(&self, role: &str, text: &str, id: Option<&str>) -> Option<Element> {
        let doc = document()?;
        let li = doc.create_element("li").ok()?;
        li.set_class_name(&format!("msg {role}"));
        if let Some(id) = id {
            let _ = li.set_attribute("data-id", id);
        }
        let p = doc.create_element("p").ok()?;
        // Arabic or Hebrew reads right to left, whatever the page's direction.
        let _ = p.set_attribute("dir", "auto");
        p.set_text_content(Some(text));
        li.append_child(&p).ok()?;
        self.q(".log")?.append_child(&li).ok()?;
        Some(li)
    }

    fn add_cta(&self, message_id: &str) {
        let Some(doc) = document() else { return };
        let Ok(div) = doc.create_element("li") else { return };
        div.set_class_name("cta");
        let (positive, help) = {
            let c = self.config.borrow();
            (c.positive_label.clone(), c.help_label.clone())
        };
        for (class, label) in [("helpful", positive), ("agent", help)] {
            if let Ok(b) = doc.create_element("button") {
                let _ = b.set_attribute("type", "button");
                b.set_class_name(class);
                b.set_text_content(Some(&label));
                let _ = b.set_attribute("data-message", message_id);
                let _ = div.append_child(&b);
            }
        }
        // Clicks reach the log's delegated handler (see `wire_cta`).
        if let Some(log) = self.q(".log") {
            let _ = log.append_child(&div);
        }
    }

    /// Sends a message through the offline queue: it is queued (in localStorage) with an id of
    /// its own, shown at once, and sent; offline, it waits and is re-sent when the browser is back
    /// online. The server stores an id once, so a re-send never duplicates it.
    async fn send(self: Rc<Self>, text: String) {
        self.show_error(".composer-error", "");
        let client_id = random_uuid();
        let mut queue = self.queue();
        queue.push((client_id.clone(), text.clone()));
        self.save_queue(&queue);
        // Shown at once, so replies (and live events) always come after it.
        if let Some(line) = self.append_line("visitor", &text, None) {
            let _ = line.set_attribute("data-client", &client_id);
            line.set_class_name("msg visitor pending");
        }
        self.scroll_to_end();
        self.flush().await;
    }

    /// Sends the queued messages in order; stops at the first network failure.
    async fn flush(self: &Rc<Self>) {
        if self.flushing.replace(true) {
            return;
        }
        while let Some((client_id, text)) = self.queue().into_iter().next() {
            let body = format!("{{\"text\":{},\"client_id\":{}}}", json_string(&text), json_string(&client_id));
            let line = self.q(&format!(".msg[data-client=\"{client_id}\"]"));
            match self.try_post("/messages", &body).await {
                Ok(turn) => {
                    self.drop_from_queue(&client_id);
                    if let Some(line) = &line {
                        line.set_class_name("msg visitor");
                    }
                    if let Some(status) = get_str(&turn, "status") {
                        *self.status.borrow_mut() = status;
                    }
                    let reply = get(&turn, "reply");
                    if reply.is_object() {
                        self.render_message(&reply, false);
                    }
                    self.offer_contact();
                }
                Err(Failure::Offline) => {
                    self.show_error(".composer-error", "You are offline. Your message will be sent when you are back.");
                    break;
                }
                Err(Failure::Refused(message)) => {
                    // Refused: nothing was stored, so the text goes back to the box.
                    self.drop_from_queue(&client_id);
                    if let Some(line) = line {
                        line.remove();
                    }
                    if let Some(input) = self.input(".composer input") {
                        input.set_value(&text);
                    }
                    self.show_error(".composer-error", &message);
                }
            }
        }
        if self.queue().is_empty() {
            self.show_error(".composer-error", "");
        }
        self.flushing.set(false);
    }

    fn queue_key(&self) -> String {
        format!("iterochat:{}:queue", self.key)
    }

    /// The queued messages: `(client id, text)`, oldest first.
    fn queue(&self) -> Vec<(String, String)> {
        let Some(raw) = storage().and_then(|s| s.get_item(&self.queue_key()).ok().flatten()) else { return Vec::new() };
        let Ok(list) = JSON::parse(&raw) else { return Vec::new() };
        list.dyn_ref::<js_sys::Array>()
            .map(|a| a.iter().filter_map(|item| Some((get_str(&item, "c")?, get_str(&item, "t")?))).collect())
            .unwrap_or_default()
    }

    fn save_queue(&self, queue: &[(String, String)]) {
        let items: Vec<String> =
            queue.iter().map(|(c, t)| format!("{{\"c\":{},\"t\":{}}}", json_string(c), json_string(t))).collect();
        if let Some(s) = storage() {
            let _ = s.set_item(&self.queue_key(), &format!("[{}]", items.join(",")));
        }
    }

    fn drop_from_queue(&self, client_id: &str) {
        let queue: Vec<(String, String)> = self.queue().into_iter().filter(|(c, _)| c != client_id).collect();
        self.save_queue(&queue);
    }

    async fn save_contact(self: Rc<Self>, name: String, email: String) {
        let body = format!("{{\"name\":{},\"email\":{}}}", json_string(&name), json_string(&email));
        match self.post("/contact", &body).await {
            Ok(_) => {
                // Asked at hand-off (the form offers to skip): the visitor hears it arrived.
                let at_handoff = self.q(".contact .skip").is_some_and(|b| !b.has_attribute("hidden"));
                if at_handoff {
                    self.set_hidden(".contact .skip", true);
                    self.append_line("system thanks", reach_you(&self.latest_lang()).3, None);
                    self.scroll_to_end();
                }
                self.remember_contact();
                self.show_error(".contact .error", "");
                self.show_contact_form_if_needed();
                if let Some(input) = self.q(".composer input").and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                    let _ = input.focus();
                }
            }
            Err(e) => self.show_error(".contact .error", &e),
        }
    }

    async fn feedback(self: Rc<Self>, message_id: String) {
        if self.post(&format!("/messages/{message_id}/feedback"), "{\"helpful\":true}").await.is_ok() {
            self.remove_cta();
            // Acknowledged in the language the AI answered in.
            let lang = self.q(&format!(".msg[data-id=\"{message_id}\"]")).and_then(|m| m.get_attribute("lang"));
            self.append_line("system thanks", glad_it_helped(lang.as_deref().unwrap_or("en")), None);
            self.scroll_to_end();
        }
    }

    async fn escalate(self: Rc<Self>) {
        self.remove_cta();
        if let Ok(turn) = self.post("/escalate", "{}").await {
            if let Some(status) = get_str(&turn, "status") {
                *self.status.borrow_mut() = status;
            }
            let reply = get(&turn, "reply");
            if reply.is_object() {
                self.render_message(&reply, false);
            }
            self.offer_contact();
        }
    }

    /// Removes the escalation buttons; focus (if it was on them) moves to the message box.
    fn remove_cta(&self) {
        if let Some(cta) = self.q(".cta") {
            let had_focus = self.root.active_element().is_some_and(|a| cta.contains(Some(&a)));
            cta.remove();
            if had_focus && let Some(input) = self.q(".composer input").and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                let _ = input.focus();
            }
        }
    }

    /// The live stream: agent messages and status changes. Its handlers are made here, once;
    /// [`Widget::connect`] opens the connection (and opens it again after a drop).
    fn listen(self: &Rc<Self>) {
        let mut handlers: Vec<(&'static str, JsValue)> = Vec::new();
        let w = self.clone();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(data) = e.data().as_string()
                && let Ok(message) = JSON::parse(&data)
            {
                w.render_message(&message, true);
            }
        });
        handlers.push(("message", on_message.into_js_value()));
        let w = self.clone();
        let on_status = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(data) = e.data().as_string()
                && let Ok(value) = JSON::parse(&data)
                && let Some(status) = get_str(&value, "status")
            {
                if status != "ai" {
                    w.remove_cta();
                }
                *w.status.borrow_mut() = status;
                w.offer_contact();
            }
        });
        handlers.push(("status", on_status.into_js_value()));
        // "Ana is typing…" for 4 s after the last such event.
        let w = self.clone();
        let on_typing = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Some(name) = e.data().as_string().and_then(|d| JSON::parse(&d).ok()).and_then(|v| get_str(&v, "name"))
            else {
                return;
            };
            let seq = w.typing_seq.get().wrapping_add(1);
            w.typing_seq.set(seq);
            w.set_text(".typing", &format!("{name} is typing…"));
            w.set_hidden(".typing", false);
            let w = w.clone();
            let hide = Closure::once_into_js(move || {
                if w.typing_seq.get() == seq {
                    w.set_hidden(".typing", true);
                }
            });
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(hide.unchecked_ref(), 4000);
            }
        });
        handlers.push(("typing", on_typing.into_js_value()));
        // The server says events may have been missed: read what came since the last one.
        let w = self.clone();
        let on_resync = Closure::<dyn FnMut()>::new(move || {
            let w = w.clone();
            wasm_bindgen_futures::spawn_local(async move { w.catch_up().await });
        });
        handlers.push(("resync", on_resync.into_js_value()));
        // A connection that drops is closed and opened again with a new ticket (a ticket opens
        // one connection), after 1, 2, 4… up to 30 s; once back, the widget sends what was queued
        // and reads what it missed.
        let w = self.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if w.retries.replace(0) > 0 {
                let w = w.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    w.flush().await;
                    w.catch_up().await;
                });
            }
        });
        handlers.push(("open", on_open.into_js_value()));
        let w = self.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || w.reconnect_later());
        let on_error = on_error.into_js_value();
        // The server is shutting down: the same as a drop.
        handlers.push(("reconnect", on_error.clone()));
        handlers.push(("error", on_error));
        *self.handlers.borrow_mut() = handlers;
        self.wire_cta();
        wasm_bindgen_futures::spawn_local(self.clone().connect());
    }

    /// Opens the live stream with a fresh single-use ticket (the visitor's token never goes in
    /// a URL).
    async fn connect(self: Rc<Self>) {
        let ticket = match self.try_post("/stream-ticket", "").await {
            Ok(value) => get_str(&value, "ticket").unwrap_or_default(),
            Err(_) => return self.reconnect_later(),
        };
        let Ok(source) = EventSource::new(&format!("{}/api/v1/widget/stream?ticket={ticket}", self.api)) else {
            return;
        };
        for (event, handler) in self.handlers.borrow().iter() {
            let _ = source.add_event_listener_with_callback(event, handler.unchecked_ref());
        }
        *self.stream.borrow_mut() = Some(source);
    }

    /// Closes the stream (if open) and connects again after a delay that doubles per failure.
    fn reconnect_later(self: &Rc<Self>) {
        if let Some(source) = self.stream.borrow_mut().take() {
            source.close();
        }
        let failures = self.retries.get();
        self.retries.set(failures + 1);
        let w = self.clone();
        let again = Closure::once_into_js(move || wasm_bindgen_futures::spawn_local(w.connect()));
        if let Some(window) = web_sys::window() {
            let ms = 1000 << failures.min(5);
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), ms.min(30_000));
        }
    }

    /// Clicks on the escalation buttons, delegated from the message log.
    fn wire_cta(self: &Rc<Self>) {
        let Some(log) = self.q(".log") else { return };
        let w = self.clone();
        let on_click = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
            let message = target.get_attribute("data-message").unwrap_or_default();
            if target.class_list().contains("helpful") {
                let w = w.clone();
                wasm_bindgen_futures::spawn_local(async move { w.feedback(message).await });
            } else if target.class_list().contains("agent") {
                let w = w.clone();
                wasm_bindgen_futures::spawn_local(async move { w.escalate().await });
            }
        });
        let _ = log.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        on_click.forget();
    }

    async fn catch_up(self: Rc<Self>) {
        let after = self.last_id.borrow().clone();
        let path = match after {
            Some(id) => format!("/messages?after={id}"),
            None => "/messages".into(),
        };
        if let Ok(page) = self.get_json(&path).await {
            if let Some(status) = get_str(&page, "status") {
                *self.status.borrow_mut() = status;
            }
            if let Some(list) = get(&page, "messages").dyn_ref::<js_sys::Array>() {
                // The visitor's own lines are already on screen.
                for m in list.iter().filter(|m| get_str(m, "role").as_deref() != Some("visitor")) {
                    self.render_message(&m, true);
                }
            }
            self.offer_contact();
        }
    }
}

/// The JSON body of a response, or the API's error message.
async fn read(response: gloo_net::http::Response) -> Result<JsValue, String> {
    let ok = response.ok();
    let text = response.text().await.unwrap_or_default();
    let value = JSON::parse(&text).unwrap_or(JsValue::NULL);
    if ok {
        Ok(value)
    } else {
        Err(get_str(&value, "error").unwrap_or_else(|| "Something went wrong. Please try again.".into()))
    }
}

/// The acknowledgement of a 👍, in the answer's language (ISO 639-1).
fn glad_it_helped(lang: &str) -> &'static str {
    match lang {
        "es" => "¡Me alegro de haberte ayudado!",
        "de" => "Freut mich, dass es geholfen hat!",
        "fr" => "Ravi d'avoir pu vous aider !",
        "pt" => "Ainda bem que ajudou!",
        "it" => "Felice di esserti stato utile!",
        "nl" => "Fijn dat het geholpen heeft!",
        _ => "Glad it helped!",
    }
}

/// The waiting state: in the queue; and away, before and after the time the team is back.
fn waiting_words(lang: &str) -> (&'static str, &'static str, &'static str) {
    match lang {
        "es" => (
            "Estás en la cola: el equipo te responderá aquí.",
            "El equipo no está ahora; vuelve el ",
            ". Su respuesta aparecerá aquí.",
        ),
        "de" => (
            "Sie sind in der Warteschlange: Das Team antwortet hier.",
            "Das Team ist gerade nicht da, wieder ab ",
            ". Die Antwort erscheint hier.",
        ),
        "fr" => (
            "Vous êtes dans la file : l'équipe vous répondra ici.",
            "L'équipe est absente ; de retour ",
            ". Sa réponse s'affichera ici.",
        ),
        "pt" => (
            "Está na fila: a equipa responderá aqui.",
            "A equipa está ausente; regressa ",
            ". A resposta aparecerá aqui.",
        ),
        "it" => {
            ("Sei in coda: il team ti risponderà qui.", "Il team ora non c'è; torna ", ". La risposta apparirà qui.")
        }
        "nl" => (
            "U staat in de wachtrij: het team antwoordt hier.",
            "Het team is er nu niet; terug op ",
            ". Het antwoord verschijnt hier.",
        ),
        _ => (
            "You're in the queue: the team will reply here.",
            "The team is away right now and back ",
            ". Their reply will appear here.",
        ),
    }
}

/// "Monday 09:00" in the visitor's language and time zone (their browser's conventions, such
/// as a 12- or 24-hour clock, when it speaks that language).
fn weekday_time(lang: &str, at: f64) -> String {
    let browser = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    let locale = if browser.starts_with(lang) { browser } else { lang.to_owned() };
    let options = js_sys::Object::new();
    for (key, value) in [("weekday", "long"), ("hour", "2-digit"), ("minute", "2-digit")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&locale.into()), &options).format();
    format
        .call1(&JsValue::NULL, &js_sys::Date::new(&JsValue::from_f64(at)))
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default()
}

/// The hand-off's request for a way to reach the visitor: intro, send and skip labels, thanks.
fn reach_you(lang: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match lang {
        "es" => (
            "Para que el equipo pueda responderte aunque cierres esta página, ¿cómo te contactamos?",
            "Enviar",
            "Ahora no",
            "Gracias. El equipo te responderá aquí o por correo.",
        ),
        "de" => (
            "Damit das Team Ihnen auch nach dem Schließen dieser Seite antworten kann: Wie erreichen wir Sie?",
            "Senden",
            "Nicht jetzt",
            "Danke. Das Team antwortet Ihnen hier oder per E-Mail.",
        ),
        "fr" => (
            "Pour que l'équipe puisse vous répondre même si vous fermez cette page, comment vous joindre ?",
            "Envoyer",
            "Plus tard",
            "Merci. L'équipe vous répondra ici ou par e-mail.",
        ),
        "pt" => (
            "Para que a equipa lhe possa responder mesmo que feche esta página, como o podemos contactar?",
            "Enviar",
            "Agora não",
            "Obrigado. A equipa responderá aqui ou por email.",
        ),
        "it" => (
            "Perché il team possa risponderti anche se chiudi questa pagina, come possiamo contattarti?",
            "Invia",
            "Non ora",
            "Grazie. Il team ti risponderà qui o via email.",
        ),
        "nl" => (
            "Zodat het team u ook kan antwoorden als u deze pagina sluit: hoe kunnen we u bereiken?",
            "Versturen",
            "Niet nu",
            "Bedankt. Het team antwoordt u hier of per e-mail.",
        ),
        _ => (
            "So the team can reply even if you close this page, how can we reach you?",
            "Send",
            "Not now",
            "Thank you. The team will reply here or by email.",
        ),
    }
}

/// The longest message the server takes (`domain::conversation::MAX_MESSAGE_CHARS`).
const MAX_CHARS: usize = 4000;

/// 4120 → "4,120".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
