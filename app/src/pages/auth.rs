use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{FormError, action_error};
use crate::server_fns::auth::{RequestPasswordReset, ResetPassword, SignIn, SignUp};

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
                <label>
                    "Password"<input type="password" name="password" required autocomplete="current-password" />
                </label>
                <FormError error=action_error(action) />
                <button type="submit">"Sign in"</button>
            </ActionForm>
            <p class="muted">
                <a href="/forgot-password">"Forgot password?"</a>
            </p>
            <p class="muted">"New here? " <a href=signup_href>"Create an account"</a></p>
        </main>
    }
}

/// `/forgot-password`: the account's email; a reset link is mailed when it has an account, and
/// the page says the same either way.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some() || action.value().get().is_some_and(|r| r.is_ok());
    view! {
        <main class="narrow card">
            <h1>"Reset your password"</h1>
            {move || {
                if sent() {
                    view! {
                        <p class="notice" role="status">
                            "If an account exists for that address, we have mailed it a link to choose a new password. The link works once, for 30 minutes."
                        </p>
                    }
                        .into_any()
                } else {
                    view! {
                        <ActionForm action>
                            <p class="muted">
                                "Enter the email you sign in with; we will mail you a link to choose a new password."
                            </p>
                            <label>"Email"<input type="email" name="email" required autocomplete="email" /></label>
                            <FormError error=action_error(action) />
                            <button type="submit">"Mail me a reset link"</button>
                        </ActionForm>
                    }
                        .into_any()
                }
            }}
            <p class="muted">
                <a href="/login">"Back to sign in"</a>
            </p>
        </main>
    }
}

/// `/reset-password/{token}`: a new password from a mailed link; then signed in on the dashboard.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let params = leptos_router::hooks::use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    view! {
        <main class="narrow card">
            <h1>"Choose a new password"</h1>
            <ActionForm action>
                <input type="hidden" name="token" value=token />
                <label>
                    "New password"
                    <input type="password" name="password" required minlength="8" autocomplete="new-password" />
                    <small class="muted">"At least 8 characters. Setting it signs you out everywhere else."</small>
                </label>
                <FormError error=action_error(action) />
                <button type="submit">"Set new password"</button>
            </ActionForm>
            <p class="muted">"Link expired? " <a href="/forgot-password">"Ask for a new one"</a></p>
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
                <label>
                    "Organization name"<input type="text" name="organization_name" required maxlength="100" />
                </label>
                <FormError error=action_error(action) />
                <button type="submit">"Create account"</button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </main>
    }
}
