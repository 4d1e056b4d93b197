//! What the panel shows: messages and their sources, the 👍/"Talk to a human" pair, the
//! waiting state after a hand-off and the contact form, in the visitor's language.

use super::*;

impl Widget {
    /// Once the conversation is handed off, a visitor the team cannot reach is asked how (they
    /// may skip it, and are not asked again); in the language of the latest line.
    /// The visitor gave a way to reach them: not asked again, on this browser.
    pub(super) fn remember_contact(&self) {
        self.contact_given.set(true);
        if let Some(s) = storage() {
            let _ = s.set_item(&format!("iterochat:{}:contact", self.key), "1");
        }
    }

    pub(super) fn offer_contact(&self) {
        self.show_waiting();
        let handed_off = self.status.get() == Status::Escalated;
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
    pub(super) fn show_waiting(&self) {
        let waiting = self.status.get() == Status::Escalated;
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
    pub(super) fn latest_lang(&self) -> String {
        self.root
            .query_selector_all(".msg[lang]")
            .ok()
            .and_then(|all| all.item(all.length().checked_sub(1)?))
            .and_then(|n| n.dyn_into::<Element>().ok())
            .and_then(|m| m.get_attribute("lang"))
            .unwrap_or_else(|| "en".into())
    }

    pub(super) fn needs_contact(&self) -> bool {
        self.config.borrow().require_contact && !self.contact_given.get()
    }

    pub(super) fn show_contact_form_if_needed(&self) {
        let needs = self.needs_contact();
        self.set_hidden(".contact", !needs);
        self.set_hidden(".composer", needs);
    }

    /// Appends a message once (by id); `live` ones count as unread while the panel is closed.
    pub(super) fn render_message(&self, message: &JsValue, live: bool) {
        let Some(id) = get_str(message, "id") else { return };
        if self.seen.borrow().contains(&id) {
            return;
        }
        self.seen.borrow_mut().push(id.clone());
        *self.last_id.borrow_mut() = Some(id.clone());
        let role = Role::parse(&get_str(message, "role").unwrap_or_default());
        let text = get_str(message, "text").unwrap_or_default();
        let citations = get(message, "citations");
        let sources: Vec<(String, Option<String>)> = citations
            .dyn_ref::<js_sys::Array>()
            .map(|a| a.iter().filter_map(|c| Some((get_str(&c, "title")?, get_str(&c, "source_url")))).collect())
            .unwrap_or_default();
        if role == Role::Agent {
            self.set_hidden(".typing", true);
        }
        let li = self.append_line(role.class(), &text, Some(&id));
        if let (Some(li), Some(lang)) = (&li, get_str(message, "language")) {
            let _ = li.set_attribute("lang", &lang);
        }
        // An agent's reply carries their name and initial, so the visitor knows a person wrote it.
        if let (Some(li), Some(author), true) = (&li, get_str(message, "author"), role == Role::Agent)
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
        if role == Role::Ai && self.config.borrow().show_cta && self.status.get() == Status::Ai {
            self.add_cta(&id);
        }
        if live && !self.open.get() && role != Role::Visitor {
            self.unread.set(self.unread.get() + 1);
            self.show_badge();
        }
        self.scroll_to_end();
    }

    pub(super) fn append_line(&self, role: &str, text: &str, id: Option<&str>) -> Option<Element> {
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

    pub(super) fn add_cta(&self, message_id: &str) {
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

    pub(super) async fn save_contact(self: Rc<Self>, name: String, email: String) {
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

    pub(super) async fn feedback(self: Rc<Self>, message_id: String) {
        if self.post(&format!("/messages/{message_id}/feedback"), "{\"helpful\":true}").await.is_ok() {
            self.remove_cta();
            // Acknowledged in the language the AI answered in.
            let lang = self.q(&format!(".msg[data-id=\"{message_id}\"]")).and_then(|m| m.get_attribute("lang"));
            self.append_line("system thanks", glad_it_helped(lang.as_deref().unwrap_or("en")), None);
            self.scroll_to_end();
        }
    }

    pub(super) async fn escalate(self: Rc<Self>) {
        self.remove_cta();
        if let Ok(turn) = self.post("/escalate", "{}").await {
            self.apply_turn(&turn);
        }
    }

    /// A turn's answer (`POST /messages`, `/escalate`): the conversation's new status, the reply
    /// if there is one, and the contact form when the hand-off asks for it.
    pub(super) fn apply_turn(&self, turn: &JsValue) {
        if let Some(status) = get_str(turn, "status") {
            self.status.set(Status::parse(&status));
        }
        let reply = get(turn, "reply");
        if reply.is_object() {
            self.render_message(&reply, false);
        }
        self.offer_contact();
    }

    /// Removes the escalation buttons; focus (if it was on them) moves to the message box.
    pub(super) fn remove_cta(&self) {
        if let Some(cta) = self.q(".cta") {
            let had_focus = self.root.active_element().is_some_and(|a| cta.contains(Some(&a)));
            cta.remove();
            if had_focus && let Some(input) = self.q(".composer input").and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                let _ = input.focus();
            }
        }
    }

    /// Clicks on the escalation buttons, delegated from the message log.
    pub(super) fn wire_cta(self: &Rc<Self>) {
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
}

/// The acknowledgement of a 👍, in the answer's language (ISO 639-1).
pub(super) fn glad_it_helped(lang: &str) -> &'static str {
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
pub(super) fn waiting_words(lang: &str) -> (&'static str, &'static str, &'static str) {
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
pub(super) fn weekday_time(lang: &str, at: f64) -> String {
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
pub(super) fn reach_you(lang: &str) -> (&'static str, &'static str, &'static str, &'static str) {
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
