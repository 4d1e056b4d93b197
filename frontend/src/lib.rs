//! Browser entry point: attaches the dashboard's interactivity to the server-rendered HTML.

/// Called by the hydration script cargo-leptos generates.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
