use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// How a [`LocalTime`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeStyle {
    /// Date and time ("6 Dec 2026, 22:12").
    DateTime,
    /// Time of day with seconds (a transcript line).
    Clock,
}

/// A moment in the reader's own time zone and language. The server renders UTC (which is what a
/// page without JavaScript shows, marked "UTC"); once hydrated, the browser rewrites it with
/// `Intl` in its time zone, and the UTC moment stays in the tooltip and `datetime`.
#[component]
pub fn LocalTime(at: DateTime<Utc>, #[prop(optional)] style: Option<TimeStyle>) -> impl IntoView {
    let style = style.unwrap_or(TimeStyle::DateTime);
    let utc = match style {
        TimeStyle::DateTime => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        TimeStyle::Clock => at.format("%H:%M:%S UTC").to_string(),
    };
    let node = NodeRef::<leptos::html::Time>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let options = js_sys::Object::new();
            let set = |k: &str, v: &str| {
                let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
            };
            match style {
                TimeStyle::DateTime => {
                    set("dateStyle", "medium");
                    set("timeStyle", "short");
                }
                TimeStyle::Clock => set("timeStyle", "medium"),
            }
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.timestamp_millis() as f64));
            let local: String = date.to_locale_string("default", &options).into();
            el.set_text_content(Some(&local));
        }
    });
    view! {
        <time datetime=at.to_rfc3339() title=utc.clone() node_ref=node>
            {utc.clone()}
        </time>
    }
}
