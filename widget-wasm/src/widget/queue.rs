//! The offline queue: a visitor's message is kept in `localStorage` under its own id until the
//! server has it, and sent again (once) when the page is back online or reloaded.

use super::*;

impl Widget {
    /// Sends a message through the offline queue: it is queued (in localStorage) with an id of
    /// its own, shown at once, and sent; offline, it waits and is re-sent when the browser is back
    /// online. The server stores an id once, so a re-send never duplicates it.
    pub(super) async fn send(self: Rc<Self>, text: String) {
        self.show_error(".composer-error", "");
        let client_id = random_uuid();
        let mut queue = self.queue();
        queue.push((client_id.clone(), text.clone()));
        self.save_queue(&queue);
        // Shown at once, so replies (and live events) always come after it.
        if let Some(line) = self.append_line(Role::Visitor.class(), &text, None) {
            let _ = line.set_attribute("data-client", &client_id);
            line.set_class_name("msg visitor pending");
        }
        self.scroll_to_end();
        self.flush().await;
    }

    /// Sends the queued messages in order; stops at the first network failure.
    pub(super) async fn flush(self: &Rc<Self>) {
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
                    self.apply_turn(&turn);
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

    pub(super) fn queue_key(&self) -> String {
        format!("iterochat:{}:queue", self.key)
    }

    /// The queued messages: `(client id, text)`, oldest first.
    pub(super) fn queue(&self) -> Vec<(String, String)> {
        let Some(raw) = storage().and_then(|s| s.get_item(&self.queue_key()).ok().flatten()) else { return Vec::new() };
        let Ok(list) = JSON::parse(&raw) else { return Vec::new() };
        list.dyn_ref::<js_sys::Array>()
            .map(|a| a.iter().filter_map(|item| Some((get_str(&item, "c")?, get_str(&item, "t")?))).collect())
            .unwrap_or_default()
    }

    pub(super) fn save_queue(&self, queue: &[(String, String)]) {
        let items: Vec<String> =
            queue.iter().map(|(c, t)| format!("{{\"c\":{},\"t\":{}}}", json_string(c), json_string(t))).collect();
        if let Some(s) = storage() {
            let _ = s.set_item(&self.queue_key(), &format!("[{}]", items.join(",")));
        }
    }

    pub(super) fn drop_from_queue(&self, client_id: &str) {
        let queue: Vec<(String, String)> = self.queue().into_iter().filter(|(c, _)| c != client_id).collect();
        self.save_queue(&queue);
    }
}
