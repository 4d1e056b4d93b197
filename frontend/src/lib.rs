//! Browser entry point: attaches the dashboard's interactivity to the server-rendered HTML.

/// Called by the hydration script cargo-leptos generates. Marks `<body data-hydrated>` when
/// done, so end-to-end tests (and curious humans) can tell hydration really happened.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
