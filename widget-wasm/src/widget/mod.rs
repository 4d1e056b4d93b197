//! The widget in the browser: DOM inside a Shadow DOM, the widget API, the live stream.
//!
//! This module mounts the widget and holds its state and the HTTP helpers; [`launcher`] wires the
//! controls (launcher, nudge, focus, counter), [`panel`] draws messages, the hand-off and the
//! contact form, [`stream`] opens the session and follows the live stream, [`queue`] keeps
//! unsent messages across going offline and reloads.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_net::http::Request;
use js_sys::JSON;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{Element, EventSource, HtmlElement, HtmlInputElement, ShadowRoot};

use crate::dom::{document, get, get_str};
use crate::{Position, check_contact, json_string, normalise_color};

mod launcher;
mod panel;
mod queue;
mod stream;

const CSS: &str = include_str!("../widget.css");

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
    status: Cell<Status>,
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

/// Where the visitor's conversation is (the `status` of the session, of a turn and of the
/// stream's `status` events). Anything unknown reads as `Ai`, which only shows more.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ai,
    Escalated,
    Claimed,
    Resolved,
}

impl Status {
    fn parse(value: &str) -> Self {
        match value {
            "escalated" => Self::Escalated,
            "claimed" => Self::Claimed,
            "resolved" => Self::Resolved,
            _ => Self::Ai,
        }
    }

    /// Waiting for or with a person.
    fn with_team(self) -> bool {
        matches!(self, Self::Escalated | Self::Claimed)
    }
}

/// Who wrote a message (its `role`); also its line's CSS class.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Visitor,
    Ai,
    Agent,
    System,
}

impl Role {
    fn parse(value: &str) -> Self {
        match value {
            "visitor" => Self::Visitor,
            "agent" => Self::Agent,
            "ai" => Self::Ai,
            _ => Self::System,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Self::Visitor => "visitor",
            Self::Ai => "ai",
            Self::Agent => "agent",
            Self::System => "system",
        }
    }
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
        status: Cell::new(Status::Ai),
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
