//! The Iterato-compatible feedback SDK in the browser: the project's settings, and the toast
//! `collect` shows, inside a Shadow DOM on `<div id="iterato-feedback">`.
//!
//! `sdk.js` (served as `/sdk/iterato.js`) owns the public `IteratoService`, the console capture
//! and the user; it calls [`init_project`] once per project and hands each `collect` over to
//! [`collect`] after that succeeded.
//!
//! The toast's classes (stable, for end-to-end tests):
//! - `.toast`: the dialog; `.question`: the event's question;
//! - `.up` / `.down`: 👍 / 👎 (inside `.reactions`); `.close`: ×;
//! - `.log`: the follow-up conversation after 👎, with `.msg.ai` and `.msg.user` bubbles;
//! - `.answer`: the form (an `input` and a submit `button`) for the visitor's answers;
//! - `.thanks`: the thank-you line after 👍 (or when the server ends at once after 👎);
//! - `.error`: a failed request's message (`role="alert"`).
//!
//! The bundle has a budget of 30 KB gzipped, loader and glue included, so it talks to the API
//! with the browser's `fetch` rather than gloo-net (which, with the `http` crate and its error
//! formatting, would take a third of it), lets the browser's `JSON` write the numbers and the
//! console lines, and joins strings with [`cat`](crate::sdk::cat) rather than `format!`.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, JSON, Object, Reflect};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement, HtmlInputElement, ShadowRoot};

use crate::dom::{document, get, get_str};
use crate::json_string;
use crate::sdk::{Feedback, MAX_ANSWER_CHARS, MAX_LOG_ENTRIES, Reaction, cat, clip, language_code, normalise_tags};

const CSS: &str = include_str!("feedback.css");

/// The toast's markup: static, every text is set afterwards with `set_text_content`.
const SKELETON: &str = r#"<div class="toast" role="dialog">
<p class="question"></p>
<div class="reactions"><button class="up" type="button">👍</button><button class="down" type="button">👎</button></div>
<ol class="log" aria-live="polite"></ol>
<form class="answer" novalidate hidden><input name="text" maxlength="2000" autocomplete="off"><button type="submit"></button></form>
<p class="thanks" role="status" hidden></p>
<p class="error" role="alert" hidden></p>
<button class="close" type="button">×</button>
</div>"#;

/// Shown when a request gets no answer at all.
const OFFLINE: &str = "We could not send your feedback. Check your connection and try again.";
/// Shown when the server refuses without saying why.
const REFUSED: &str = "Something went wrong. Please try again.";

/// How long the thanks after 👍 stay before the toast goes away.
const THANKS_MS: i32 = 3000;
/// How long the last words of the conversation after 👎 stay.
const DONE_MS: i32 = 4000;

/// Everything the SDK remembers between calls.
struct State {
    /// The project `init_project` loaded last.
    project: Option<Rc<Project>>,
    /// The project the latest `init_project` asked for: an older answer arriving late is dropped.
    wanted: String,
    /// `sdk.js`'s `(level, message)`: the page's own `console`, so the SDK's messages are not
    /// captured with the page's.
    logger: Option<Function>,
    /// The toast on screen; one at a time.
    toast: Option<Rc<Toast>>,
}

thread_local! {
    static STATE: RefCell<State> =
        const { RefCell::new(State { project: None, wanted: String::new(), logger: None, toast: None }) };
}

/// Runs `f` on the state. (`try_with` rather than `with`, whose panic brings in formatting.)
fn state<R: Default>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.try_with(|s| f(&mut s.borrow_mut())).unwrap_or_default()
}

/// A project's settings (`GET /sdk/v1/projects/{id}`).
struct Project {
    api: String,
    id: String,
    /// `navigator.language`, sent with each feedback.
    language: String,
    /// `(event_id, question)`.
    events: Vec<(String, String)>,
    texts: Texts,
}

/// The toast's words, in the visitor's language (the server picks them from `?lang=`).
struct Texts {
    positive: String,
    negative: String,
    thanks: String,
    placeholder: String,
    send: String,
    close: String,
}

impl Project {
    fn parse(api: String, id: String, language: String, config: &JsValue) -> Self {
        let texts = get(config, "texts");
        let text = |key: &str, default: &str| {
            get_str(&texts, key).filter(|t| !t.trim().is_empty()).unwrap_or_else(|| default.to_owned())
        };
        let question = text("question", "How was your experience?");
        let events = get(config, "events")
            .dyn_ref::<Array>()
            .map(|list| {
                list.iter()
                    .filter_map(|e| {
                        let asked = get_str(&e, "question").filter(|q| !q.trim().is_empty());
                        Some((get_str(&e, "event_id")?, asked.unwrap_or_else(|| question.clone())))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Project {
            api,
            id,
            language,
            events,
            texts: Texts {
                positive: text("positive", "Good"),
                negative: text("negative", "Bad"),
                thanks: text("thanks", "Thanks for your feedback!"),
                placeholder: text("placeholder", "Type your answer…"),
                send: text("send", "Send"),
                close: text("close", "Close"),
            },
        }
    }
}

/// Writes to the page's console without going through the SDK's capture.
fn say(level: &str, message: &str) {
    match state(|s| s.logger.clone()) {
        Some(f) => {
            let _ = f.call2(&JsValue::NULL, &level.into(), &message.into());
        }
        None => web_sys::console::warn_1(&message.into()),
    }
}

/// Why a request failed: the HTTP status (0 when there was no answer) and the message to show.
type Failure = (u16, String);

/// A request to the SDK API: a GET, or a POST of the JSON `body`. `Ok` is the JSON answer;
/// `Err` the server's `{"error": …}` message (or a generic one).
async fn fetch(url: &str, token: Option<&str>, body: Option<String>) -> Result<JsValue, Failure> {
    let offline = || (0, OFFLINE.to_owned());
    let window = web_sys::window().ok_or_else(offline)?;
    let init = web_sys::RequestInit::new();
    if let Some(body) = body {
        init.set_method("POST");
        init.set_body(&body.into());
        let headers = Object::new();
        let _ = Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
        if let Some(token) = token {
            let _ = Reflect::set(&headers, &"Authorization".into(), &cat(&["Bearer ", token]).into());
        }
        init.set_headers(&headers);
    }
    // `fetch` always resolves to a `Response`.
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|_| offline())?.unchecked_into();
    let text = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let value = JSON::parse(&text).unwrap_or(JsValue::NULL);
    if response.ok() {
        Ok(value)
    } else {
        Err((response.status(), get_str(&value, "error").unwrap_or_else(|| REFUSED.to_owned())))
    }
}

/// Loads a project's settings: `true` when the server knows the project.
#[wasm_bindgen]
pub async fn init_project(api: String, project_id: String, language: String, log: JsValue) -> bool {
    // `log` is `sdk.js`'s `(level, message)`, for the SDK's own console messages. This never
    // rejects: each failure is one warning and `false`. (Details live in `//` comments on the
    // exports: doc comments are copied into the JS glue, which counts towards the budget.)
    state(|s| {
        if let Ok(f) = log.dyn_into::<Function>() {
            s.logger = Some(f);
        }
        // Until the answer comes, `collect` refers to no project rather than to the previous one.
        s.project = None;
        s.wanted.clone_from(&project_id);
    });
    let api = api.trim_end_matches('/').to_owned();
    let id = String::from(js_sys::encode_uri_component(&project_id));
    let url = cat(&[&api, "/sdk/v1/projects/", &id, "?lang=", &language_code(&language)]);
    match fetch(&url, None, None).await {
        Ok(config) => {
            state(|s| {
                if s.wanted == project_id {
                    s.project = Some(Rc::new(Project::parse(api, project_id, language, &config)));
                }
            });
            true
        }
        Err((0, _)) => {
            say("warn", &cat(&["Iterato: could not reach ", &api, "; feedback is off on this page."]));
            false
        }
        Err((404, _)) => {
            let id = clip(&project_id, 100);
            say("warn", &cat(&["Iterato: unknown project '", id, "'; check the project_id given to init()."]));
            false
        }
        Err((_, message)) => {
            say("warn", &cat(&["Iterato: the project could not be loaded: ", &message]));
            false
        }
    }
}

/// Shows the feedback toast for one of the project's events.
#[wasm_bindgen]
pub fn collect(event_id: JsValue, tags: JsValue, user: JsValue, logs: JsValue) {
    // `tags` is a string or an array of strings; `user` the `setUser` object (or null); `logs`
    // the recorded console lines `[{level, message, at}]`. Nothing new shows while a toast is up.
    // A toast whose host the page removed (a single-page app re-rendering `body`) is gone.
    let (project, showing) = state(|s| (s.project.clone(), s.toast.as_ref().is_some_and(|t| t.host.is_connected())));
    let Some(project) = project else {
        say("warn", "Iterato: call IteratoService.init(project_id) before collect().");
        return;
    };
    let Some(event_id) = event_id.as_string() else {
        say("warn", "Iterato: collect() needs an event_id string.");
        return;
    };
    let Some(question) = project.events.iter().find(|(id, _)| *id == event_id).map(|(_, q)| q.clone()) else {
        let id = clip(&event_id, 100);
        say("warn", &cat(&["Iterato: unknown event '", id, "' in project '", &project.id, "'; no feedback is asked."]));
        return;
    };
    let (tags, warnings) = if tags.is_undefined() || tags.is_null() {
        (Vec::new(), Vec::new())
    } else if let Some(list) = tags.dyn_ref::<Array>() {
        let mut items = Vec::new();
        for tag in list.iter() {
            items.push(tag.as_string());
        }
        normalise_tags(items)
    } else if tags.as_string().is_some() {
        normalise_tags(vec![tags.as_string()])
    } else {
        (Vec::new(), vec!["Iterato: tags must be a string or an array of strings; they were ignored.".to_owned()])
    };
    for warning in warnings {
        say("warn", &warning);
    }
    if showing {
        let id = clip(&event_id, 100);
        say("info", &cat(&["Iterato: a feedback toast is already showing; collect('", id, "') ignored."]));
        return;
    }
    // Both come from `sdk.js` in shape (a JSON copy of the user; the clipped console lines), so
    // they go on as the browser writes them.
    let user_json = if user.is_object() && !Array::is_array(&user) { stringify(&user) } else { String::new() };
    let console_log_json = match logs.dyn_ref::<Array>() {
        Some(list) => stringify(&list.slice(list.length().saturating_sub(MAX_LOG_ENTRIES), list.length())),
        None => String::new(),
    };
    let pending = Pending { event_id, tags, user_json, console_log_json };
    if let Some(toast) = Toast::mount(project, &question, pending) {
        state(|s| s.toast = Some(toast));
    }
}

/// What is sent with the reaction.
struct Pending {
    event_id: String,
    tags: Vec<String>,
    user_json: String,
    console_log_json: String,
}

/// `JSON.stringify(value)`, or an empty string when it cannot be written.
fn stringify(value: &JsValue) -> String {
    JSON::stringify(value).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

struct Toast {
    host: Element,
    root: ShadowRoot,
    project: Rc<Project>,
    pending: Pending,
    /// `(feedback_id, token)` once a 👎 is stored: the follow-up conversation.
    conversation: RefCell<Option<(String, String)>>,
    /// A request is under way; further clicks and submits wait for it.
    busy: Cell<bool>,
}

/// `navigator.userAgent`, and the network status as the JSON of `{online, effective_type,
/// downlink, rtt}`. `navigator.connection` is Chromium-only and not in web-sys's stable API, so
/// the navigator is read with `Reflect` throughout; missing figures are `null`.
fn browser_and_connectivity() -> (String, String) {
    let navigator = web_sys::window().map_or(JsValue::UNDEFINED, |w| w.navigator().into());
    let connection = get(&navigator, "connection");
    let info = Object::new();
    let set = |key: &str, value: JsValue| {
        let value = if value.is_undefined() { JsValue::NULL } else { value };
        let _ = Reflect::set(&info, &key.into(), &value);
    };
    set("online", get(&navigator, "onLine"));
    set("effective_type", get(&connection, "effectiveType"));
    set("downlink", get(&connection, "downlink"));
    set("rtt", get(&connection, "rtt"));
    (get_str(&navigator, "userAgent").unwrap_or_default(), stringify(&info))
}

/// Takes the toast off the page after `ms`, unless it is gone already.
fn dismiss_after(toast: &Rc<Toast>, ms: i32) {
    let Some(window) = web_sys::window() else { return };
    let toast = Rc::downgrade(toast);
    let callback = Closure::once_into_js(move || {
        if let Some(toast) = toast.upgrade() {
            toast.dismiss();
        }
    });
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms);
}

/// Adds `handler` for `event` on `target`. The listener holds the toast weakly and lives as long
/// as the element (listeners are never removed, so the closure is leaked on purpose: a few bytes
/// per toast).
fn listen(target: &Element, event: &str, toast: &Rc<Toast>, handler: fn(Rc<Toast>, web_sys::Event)) {
    let toast: Weak<Toast> = Rc::downgrade(toast);
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        if let Some(toast) = toast.upgrade() {
            handler(toast, e);
        }
    });
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

impl Toast {
    /// Builds the toast and puts it on the page. Focus stays where it is: the toast is unasked for.
    fn mount(project: Rc<Project>, question: &str, pending: Pending) -> Option<Rc<Self>> {
        let doc = document()?;
        let host = doc.create_element("div").ok()?;
        let _ = host.set_attribute("id", "iterato-feedback");
        let root = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).ok()?;
        root.set_inner_html(&cat(&["<style>", CSS, "</style>", SKELETON]));
        let toast =
            Rc::new(Toast { host, root, project, pending, conversation: RefCell::new(None), busy: Cell::new(false) });
        let texts = &toast.project.texts;
        toast.set_text(".question", question);
        toast.set_attr(".toast", "aria-label", question);
        toast.set_attr(".up", "aria-label", &texts.positive);
        toast.set_attr(".down", "aria-label", &texts.negative);
        toast.set_attr(".close", "aria-label", &texts.close);
        toast.set_attr(".answer input", "placeholder", &texts.placeholder);
        toast.set_attr(".answer input", "aria-label", &texts.placeholder);
        toast.set_text(".answer button", &texts.send);
        toast.wire();
        doc.body()?.append_child(&toast.host).ok()?;
        Some(toast)
    }

    fn q(&self, selector: &str) -> Option<Element> {
        self.root.query_selector(selector).ok().flatten()
    }

    /// The answer box. (Unchecked casts here and in `focus`: the elements come from `SKELETON`.)
    fn input(&self) -> Option<HtmlInputElement> {
        self.q(".answer input").map(|e| e.unchecked_into())
    }

    fn focus(&self, selector: &str) {
        if let Some(el) = self.q(selector) {
            let _ = el.unchecked_into::<HtmlElement>().focus();
        }
    }

    fn set_text(&self, selector: &str, text: &str) {
        if let Some(el) = self.q(selector) {
            el.set_text_content(Some(text));
        }
    }

    fn set_attr(&self, selector: &str, name: &str, value: &str) {
        if let Some(el) = self.q(selector) {
            let _ = el.set_attribute(name, value);
        }
    }

    fn set_flag(&self, selector: &str, name: &str, on: bool) {
        if let Some(el) = self.q(selector) {
            let _ = if on { el.set_attribute(name, "") } else { el.remove_attribute(name) };
        }
    }

    fn set_hidden(&self, selector: &str, hidden: bool) {
        self.set_flag(selector, "hidden", hidden);
    }

    fn show_error(&self, message: &str) {
        self.set_text(".error", message);
        self.set_hidden(".error", message.is_empty());
    }

    /// `aria-disabled` rather than `disabled`, so a keyboard user's focus stays on the button.
    fn set_reactions_disabled(&self, disabled: bool) {
        let value = if disabled { "true" } else { "false" };
        self.set_attr(".up", "aria-disabled", value);
        self.set_attr(".down", "aria-disabled", value);
    }

    fn set_answer_disabled(&self, disabled: bool) {
        self.set_flag(".answer input", "disabled", disabled);
        self.set_flag(".answer button", "disabled", disabled);
    }

    /// Appends a bubble to the conversation (`class` is `msg ai` or `msg user`).
    fn bubble(&self, class: &str, text: &str) -> Option<Element> {
        let li = document()?.create_element("li").ok()?;
        let _ = li.set_attribute("class", class);
        li.set_text_content(Some(text));
        let log = self.q(".log")?;
        log.append_child(&li).ok()?;
        log.set_scroll_top(log.scroll_height());
        Some(li)
    }

    /// Takes the toast off the page; a later `collect` may show another.
    fn dismiss(self: &Rc<Self>) {
        self.host.remove();
        state(|s| {
            if s.toast.as_ref().is_some_and(|current| Rc::ptr_eq(current, self)) {
                s.toast = None;
            }
        });
    }

    /// The conversation is over: the form goes, the toast follows after `ms`.
    fn finish(self: &Rc<Self>, ms: i32) {
        self.set_hidden(".answer", true);
        dismiss_after(self, ms);
    }

    /// Clicks (delegated from the dialog), Escape while the focus is inside, and the answer form.
    fn wire(self: &Rc<Self>) {
        let Some(dialog) = self.q(".toast") else { return };
        listen(&dialog, "click", self, |toast, e| {
            // The buttons hold only text, so a click on one targets the button itself.
            let reaction = match e.target().and_then(|t| get_str(&t, "className")).as_deref() {
                Some("up") => Reaction::Positive,
                Some("down") => Reaction::Negative,
                Some("close") => return toast.dismiss(),
                _ => return,
            };
            wasm_bindgen_futures::spawn_local(toast.react(reaction));
        });
        listen(&dialog, "keydown", self, |toast, e| {
            if get_str(&e, "key").as_deref() == Some("Escape") {
                toast.dismiss();
            }
        });
        if let Some(form) = self.q(".answer") {
            listen(&form, "submit", self, |toast, e| {
                e.prevent_default();
                wasm_bindgen_futures::spawn_local(toast.answer());
            });
        }
    }

    /// Stores the reaction. 👍 ends with thanks; 👎 opens the follow-up conversation with the
    /// server's first question.
    async fn react(self: Rc<Self>, reaction: Reaction) {
        if self.busy.replace(true) {
            return;
        }
        self.set_reactions_disabled(true);
        self.show_error("");
        let (browser, connectivity_json) = browser_and_connectivity();
        let project = &self.project;
        let body = Feedback {
            project_id: &project.id,
            event_id: &self.pending.event_id,
            tags: &self.pending.tags,
            reaction,
            user_json: &self.pending.user_json,
            console_log_json: &self.pending.console_log_json,
            browser: &browser,
            connectivity_json: &connectivity_json,
            language: &project.language,
        }
        .to_json();
        let result = fetch(&cat(&[&project.api, "/sdk/v1/feedback"]), None, Some(body)).await;
        self.busy.set(false);
        let stored = match result {
            Ok(stored) => stored,
            Err((_, message)) => {
                self.show_error(&message);
                self.set_reactions_disabled(false);
                return;
            }
        };
        self.set_hidden(".reactions", true);
        let reply = get_str(&stored, "reply").filter(|r| !r.trim().is_empty());
        let done = get(&stored, "done").as_bool().unwrap_or(false);
        match (reaction, get_str(&stored, "feedback_id"), get_str(&stored, "token")) {
            (Reaction::Negative, Some(id), Some(token)) if !done => {
                *self.conversation.borrow_mut() = Some((id, token));
                if let Some(reply) = reply {
                    self.bubble("msg ai", &reply);
                }
                self.set_hidden(".answer", false);
                // The visitor asked for this by clicking 👎, so the answer box may take the focus.
                self.focus(".answer input");
            }
            (Reaction::Positive, ..) => {
                self.set_text(".thanks", &project.texts.thanks);
                self.set_hidden(".thanks", false);
                self.finish(THANKS_MS);
            }
            _ => {
                self.set_text(".thanks", reply.as_deref().unwrap_or(&project.texts.thanks));
                self.set_hidden(".thanks", false);
                self.finish(DONE_MS);
            }
        }
    }

    /// Sends the visitor's answer and shows the reply; on failure the text stays for a retry.
    async fn answer(self: Rc<Self>) {
        let Some(input) = self.input() else { return };
        let text = clip(input.value().trim(), MAX_ANSWER_CHARS).to_owned();
        let conversation = self.conversation.borrow().clone();
        let Some((feedback_id, token)) = conversation.filter(|_| !text.is_empty()) else { return };
        if self.busy.replace(true) {
            return;
        }
        let line = self.bubble("msg user", &text);
        self.set_answer_disabled(true);
        self.show_error("");
        let id = String::from(js_sys::encode_uri_component(&feedback_id));
        let url = cat(&[&self.project.api, "/sdk/v1/feedback/", &id, "/messages"]);
        let result = fetch(&url, Some(&token), Some(cat(&["{\"text\":", &json_string(&text), "}"]))).await;
        self.busy.set(false);
        self.set_answer_disabled(false);
        match result {
            Ok(turn) => {
                input.set_value("");
                let reply = get_str(&turn, "reply").filter(|r| !r.trim().is_empty());
                if get(&turn, "done").as_bool().unwrap_or(false) {
                    // The last reply is the thank-you.
                    self.bubble("msg ai", reply.as_deref().unwrap_or(&self.project.texts.thanks));
                    self.finish(DONE_MS);
                } else {
                    if let Some(reply) = reply {
                        self.bubble("msg ai", &reply);
                    }
                    self.focus(".answer input");
                }
            }
            Err((status, message)) => {
                // Not stored: the bubble goes, the text stays in the box.
                if let Some(line) = line {
                    line.remove();
                }
                self.show_error(&message);
                if status == 409 {
                    // The conversation is already over; another try would fail the same way.
                    self.finish(DONE_MS);
                } else {
                    self.focus(".answer input");
                }
            }
        }
    }
}
