use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::server_fns::auth::get_session;

/// `/`: signed-in people go to the dashboard; others see what Iterochat is and how to start.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = Resource::new_blocking(|| (), |_| get_session());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(_)) => view! { <Redirect path="/dashboard" /> }.into_any(),
                    _ => {
                        view! {
                            <main class="narrow hero">
                                <h1>"Iterochat"</h1>
                                <p>
                                    "AI-first customer support that answers only from your knowledge base, and hands off to your team the moment it should."
                                </p>
                                <p class="actions">
                                    <a class="button" href="/signup">
                                        "Create an account"
                                    </a>
                                    <a class="button secondary" href="/login">
                                        "Sign in"
                                    </a>
                                </p>
                            </main>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
