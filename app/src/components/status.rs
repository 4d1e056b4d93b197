/// Sets the HTTP status of the page being rendered on the server; nothing in the browser.
pub fn set_response_status(status: http::StatusCode) {
    #[cfg(feature = "ssr")]
    if let Some(resp) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}
