/// Sets the HTTP status of the page being rendered on the server; nothing in the browser.
pub fn set_response_status(status: http::StatusCode) {
    #[cfg(feature = "ssr")]
    if let Some(resp) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// What a page shows when its data could not be loaded: its title and the error, with the
/// error's HTTP status on the server-rendered response.
pub fn error_card(title: &'static str, error: &crate::error::AppError) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    set_response_status(error.status_code());
    view! {
        <section class="card">
            <h1>{title}</h1>
            <p class="form-error" role="alert">
                {error.to_string()}
            </p>
        </section>
    }
    .into_any()
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
