use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::{FormError, Nav, action_error, data_epoch, refresh_on_success};
use crate::dto::{OrganizationDto, SessionDto};
use crate::error::AppError;
use crate::server_fns::auth::get_session;
use crate::server_fns::orgs::{CreateOrganization, get_organization, widget_snippet};

/// `/dashboard`: the selected organisation at a glance, its widget snippet, and a form to
/// create another organisation.
///
/// Everything the page shows is read by one blocking resource: a blocking resource created
/// inside another's resolved view is streamed, not awaited, and the page then sometimes failed
/// to hydrate (a third of loads in a stress run).
#[component]
pub fn DashboardPage() -> impl IntoView {
    let page = Resource::new_blocking(data_epoch, |_| async move {
        let Some(session) = get_session().await? else { return Ok::<_, AppError>(None) };
        let org = match session.current.as_ref().map(|m| m.organization.id) {
            Some(id) => Some((get_organization(id).await?, widget_snippet(id).await?)),
            None => None,
        };
        Ok(Some((session, org)))
    });
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some((s, org))) => {
                        view! {
                            <Nav session=s.clone() />
                            <Overview session=s org />
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login?next=/dashboard" /> }.into_any(),
                    Err(e) => {
                        view! {
                            <p class="form-error" role="alert">
                                {e.to_string()}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(session: SessionDto, org: Option<(OrganizationDto, String)>) -> impl IntoView {
    let create = ServerAction::<CreateOrganization>::new();
    refresh_on_success(create);
    // A created organisation empties the form, ready for none or another.
    let name = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        create.version().track();
        if matches!(create.value().get_untracked(), Some(Ok(_)))
            && let Some(input) = name.get_untracked()
        {
            input.set_value("");
        }
    });
    let role = session.current.as_ref().map(|m| m.role.clone()).unwrap_or_default();
    let summary = match org {
        Some((o, snippet)) => view! {
            <section class="card">
                <h1>{o.name.clone()}</h1>
                <p class="muted">"Your role: " <strong class="role">{role}</strong></p>
                <h2>"Put the chat on your site"</h2>
                <p>"Paste this before " <code>"</body>"</code> ":"</p>
                <pre class="snippet">
                    <code>{snippet}</code>
                </pre>
                <p class="muted">"Widget key: " <code class="widget-key">{o.widget_key.clone()}</code></p>
            </section>
        }
        .into_any(),
        None => view! {
            <section class="card">
                <h1>"Welcome"</h1>
                <p>"You are not in any organization yet. Create one below, or open an invite link."</p>
            </section>
        }
        .into_any(),
    };
    view! {
        <main class="page">
            {summary} <section class="card" id="new-organization">
                <h2>"New organization"</h2>
                <ActionForm action=create>
                    <label>"Name"<input type="text" name="name" required maxlength="100" node_ref=name /></label>
                    <FormError error=action_error(create) />
                    <button type="submit">"Create organization"</button>
                </ActionForm>
            </section>
        </main>
    }
}
