//! The session and the live stream: opening the visitor's session, the server-sent events of
//! agent replies, typing and status changes, reconnection with back-off, and catching up on
//! what was missed.

use super::*;

impl Widget {
    /// Opens (or resumes) the session: token, branding, history, live stream.
    pub(super) async fn open_session(self: Rc<Self>) {
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
            if let Some(line) = self.append_line(Role::Visitor.class(), &text, None) {
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

    /// The live stream: agent messages and status changes. Its handlers are made here, once;
    /// [`Widget::connect`] opens the connection (and opens it again after a drop).
    pub(super) fn listen(self: &Rc<Self>) {
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
                let status = Status::parse(&status);
                if status != Status::Ai {
                    w.remove_cta();
                }
                w.status.set(status);
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
    pub(super) async fn connect(self: Rc<Self>) {
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
    pub(super) fn reconnect_later(self: &Rc<Self>) {
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

    pub(super) async fn catch_up(self: Rc<Self>) {
        let after = self.last_id.borrow().clone();
        let path = match after {
            Some(id) => format!("/messages?after={id}"),
            None => "/messages".into(),
        };
        if let Ok(page) = self.get_json(&path).await {
            if let Some(status) = get_str(&page, "status") {
                self.status.set(Status::parse(&status));
            }
            if let Some(list) = get(&page, "messages").dyn_ref::<js_sys::Array>() {
                // The visitor's own lines are already on screen.
                for m in list.iter().filter(|m| Role::parse(&get_str(m, "role").unwrap_or_default()) != Role::Visitor) {
                    self.render_message(&m, true);
                }
            }
            self.offer_contact();
        }
    }
}
