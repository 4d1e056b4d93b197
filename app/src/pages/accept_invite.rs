use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::{FormError, action_error};
use crate::server_fns::team::{AcceptInvite, JoinWithInvite, get_invite};

/// `/invite/:token`: who invited you where. Signed in as the invitee → accept; signed out →
/// create an account right here (no extra organisation) or sign in first.
#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invite = Resource::new_blocking(token, get_invite);
    let accept = ServerAction::<AcceptInvite>::new();
    let join = ServerAction::<JoinWithInvite>::new();
    view! {
        <main class="narrow card">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    let token = token();
                    let login_href = format!("/login?next=/invite/{token}");
                    match invite.await {
                        Err(e) => {
                            view! {
                                <h1>"Invite not found"</h1>
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                        Ok((preview, _)) if preview.accepted || preview.expired => {
                            view! {
                                <h1>"Invite to " {preview.organization.name.clone()}</h1>
                                <p class="form-error" role="alert">
                                    {if preview.accepted {
                                        "This invite has already been used."
                                    } else {
                                        "This invite has expired; ask for a new one."
                                    }}
                                </p>
                            }
                                .into_any()
                        }
                        Ok((preview, Some(user))) => {
                            view! {
                                <h1>"Join " {preview.organization.name.clone()}</h1>
                                <p>
                                    "You were invited as " <strong>{preview.role.clone()}</strong> " ("
                                    {preview.email.clone()} ")."
                                </p>
                                <p class="muted">"Signed in as " {user.email.clone()}</p>
                                <ActionForm action=accept>
                                    <input type="hidden" name="token" value=token.clone() />
                                    <FormError error=action_error(accept) />
                                    <button type="submit">"Accept invite"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        Ok((preview, None)) => {
                            view! {
                                <h1>"Join " {preview.organization.name.clone()}</h1>
                                <p>
                                    "You were invited as " <strong>{preview.role.clone()}</strong> " with "
                                    <strong>{preview.email.clone()}</strong> "."
                                </p>
                                <h2>"Create your account"</h2>
                                <ActionForm action=join>
                                    <input type="hidden" name="token" value=token.clone() />
                                    <label>
                                        "Your name"<input type="text" name="name" required autocomplete="name" />
                                    </label>
                                    <label>
                                        "Password"
                                        <input
                                            type="password"
                                            name="password"
                                            required
                                            minlength="8"
                                            autocomplete="new-password"
                                        />
                                    </label>
                                    <FormError error=action_error(join) />
                                    <button type="submit">"Create account and join"</button>
                                </ActionForm>
                                <p class="muted">
                                    "Already have an account? " <a href=login_href>"Sign in to accept"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
