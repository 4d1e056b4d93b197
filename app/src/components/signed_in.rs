use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::Nav;
use crate::dto::SessionDto;
use crate::server_fns::auth::get_session;

/// Renders `inner` with the top bar for a signed-in person, or sends them to sign in and back to
/// `next`. The session is read once, not on every data refresh: live events and actions refresh
/// the page's own data.
#[component]
pub fn SignedIn(next: String, inner: fn(SessionDto) -> AnyView) -> impl IntoView {
    let session = Resource::new_blocking(|| (), |_| get_session());
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || {
                let next = next.clone();
                Suspend::new(async move {
                    match session.await {
                        Ok(Some(s)) => {
                            view! {
                                <Nav session=s.clone() />
                                {inner(s)}
                            }
                                .into_any()
                        }
                        Ok(None) => view! { <Redirect path=format!("/login?next={next}") /> }.into_any(),
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
