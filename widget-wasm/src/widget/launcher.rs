//! The launcher and the panel around it: wiring the controls, the proactive nudge, opening and
//! closing, focus trapping, the unread badge and the composer's character counter.

use super::*;

impl Widget {
    /// Event handlers: launcher, close, Escape, focus trap, forms.
    pub(super) fn wire(self: &Rc<Self>) {
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
                let now = js_sys::Date::now();
                if w.status.get().with_team() && now - w.typing_sent.get() > 3000.0 {
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
    pub(super) fn arm_nudge(self: &Rc<Self>) {
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
    pub(super) fn trap_focus(&self, event: &web_sys::KeyboardEvent) {
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
    pub(super) fn show_counter(&self, chars: usize) {
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
    pub(super) fn toggle(&self, open: bool, focus: bool) {
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

    pub(super) fn show_badge(&self) {
        let n = self.unread.get();
        self.set_text(".badge", &n.to_string());
        self.set_hidden(".badge", n == 0);
    }
}

/// The longest message the server takes (`domain::conversation::MAX_MESSAGE_CHARS`).
pub(super) const MAX_CHARS: usize = 4000;

/// 4120 → "4,120".
pub(super) fn thousands(n: usize) -> String {
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
