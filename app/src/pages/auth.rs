use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{FormError, action_error};
use crate::server_fns::auth::{SignIn, SignUp};

/// `/login`: email and password; `?next=` is where to go afterwards.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let signup_href = move || {
        let n = next();
        if n.is_empty() { "/signup".to_owned() } else { format!("/signup?next={n}") }
    };
    view! {
        <main class="narrow card">
            <h1>"Sign in"</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next />
                <label>"Email"<input type="email" name="email" required autocomplete="email" /></label>
                <label>"Password"<input type="password" name="password" required autocomplete="current-password" /></label>
                <FormError error=action_error(action) />
                <button type="submit">"Sign in"</button>
            </ActionForm>
            <p class="muted">"New here? " <a href=signup_href>"Create an account"</a></p>
        </main>
    }
}

/// `/signup`: a person and their first organisation (they become its owner).
#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    view! {
        <main class="narrow card">
            <h1>"Create your account"</h1>
            <ActionForm action>
                <label>"Your name"<input type="text" name="name" required autocomplete="name" maxlength="100" /></label>
                <label>"Work email"<input type="email" name="email" required autocomplete="email" /></label>
                <label>
                    "Password"
                    <input type="password" name="password" required minlength="8" autocomplete="new-password" />
                    <small class="muted">"At least 8 characters."</small>
                </label>
                <label>"Organization name"<input type="text" name="organization_name" required maxlength="100" /></label>
                <FormError error=action_error(action) />
                <button type="submit">"Create account"</button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </main>
    }
}
