use leptos::prelude::*;

/// Unknown paths: a 404 with a way back.
#[component]
pub fn NotFound() -> impl IntoView {
    crate::components::set_response_status(http::StatusCode::NOT_FOUND);
    view! {
        <main class="narrow">
            <h1>"Page not found"</h1>
            <p>
                <a href="/dashboard">"Go to the dashboard"</a>
            </p>
        </main>
    }
}
