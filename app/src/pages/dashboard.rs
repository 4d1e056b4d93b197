use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::{FormError, Nav, action_error, data_epoch, refresh_on_success};
use crate::dto::SessionDto;
use crate::error::AppError;
use crate::server_fns::auth::get_session;
use crate::server_fns::orgs::{CreateOrganization, get_organization, widget_snippet};

/// `/dashboard`: the selected organisation at a glance, its widget snippet, and a form to
/// create another organisation.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = Resource::new_blocking(data_epoch, |_| get_session());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(s)) => view! { <Nav session=s.clone() /> <Overview session=s /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login?next=/dashboard" /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(session: SessionDto) -> impl IntoView {
    let create = ServerAction::<CreateOrganization>::new();
    refresh_on_success(create);
    let current = session.current.clone();
    let org = Resource::new_blocking(
        move || current.as_ref().map(|m| m.organization.id),
        |id| async move {
            match id {
                Some(id) => {
                    let org = get_organization(id).await?;
                    let snippet = widget_snippet(id).await?;
                    Ok::<_, AppError>(Some((org, snippet)))
                }
                None => Ok(None),
            }
        },
    );
    let role = session.current.as_ref().map(|m| m.role.clone()).unwrap_or_default();
    view! {
        <main class="page">
            <Suspense>
                {move || {
                    let role = role.clone();
                    Suspend::new(async move {
                        match org.await {
                            Ok(Some((o, snippet))) => view! {
                                <section class="card">
                                    <h1>{o.name.clone()}</h1>
                                    <p class="muted">"Your role: " <strong class="role">{role}</strong></p>
                                    <h2>"Put the chat on your site"</h2>
                                    <p>"Paste this before " <code>"</body>"</code> ":"</p>
                                    <pre class="snippet"><code>{snippet}</code></pre>
                                    <p class="muted">"Widget key: " <code class="widget-key">{o.widget_key.clone()}</code></p>
                                </section>
                            }.into_any(),
                            Ok(None) => view! {
                                <section class="card"><h1>"Welcome"</h1><p>"You are not in any organization yet. Create one below, or open an invite link."</p></section>
                            }.into_any(),
                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <section class="card" id="new-organization">
                <h2>"New organization"</h2>
                <ActionForm action=create>
                    <label>"Name"<input type="text" name="name" required maxlength="100" /></label>
                    <FormError error=action_error(create) />
                    <button type="submit">"Create organization"</button>
                </ActionForm>
            </section>
        </main>
    }
}
