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
            <p class="form-error" role="alert">{error.to_string()}</p>
        </section>
    }
    .into_any()
}
