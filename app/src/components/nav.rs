use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::dto::SessionDto;
use crate::server_fns::auth::SignOut;
use crate::server_fns::orgs::SwitchOrganization;

/// Top bar: organisation switcher, section links and sign-out. Works without JavaScript (the
/// switcher is a `<details>` menu of forms).
#[component]
pub fn Nav(session: SessionDto) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let switch = ServerAction::<SwitchOrganization>::new();
    crate::components::refresh_on_success(switch);
    let current_name =
        session.current.as_ref().map(|m| m.organization.name.clone()).unwrap_or_else(|| "No organization".into());
    let current_id = session.current.as_ref().map(|m| m.organization.id);
    let can_manage_team = session.can_manage_team;
    let can_manage_knowledge = session.can_manage_knowledge;
    let others: Vec<_> =
        session.memberships.iter().filter(|m| Some(m.organization.id) != current_id).cloned().collect();
    // The section being shown is marked for the eye and for screen readers.
    let pathname = leptos_router::hooks::use_location().pathname;
    let current = move |href: &'static str| {
        let path = pathname.get();
        let here = path == href || (href != "/dashboard" && path.starts_with(&format!("{href}/")));
        here.then_some("page")
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/dashboard">
                "Iterochat"
            </a>
            <details class="org-switcher">
                <summary aria-label="Switch organization">{current_name}</summary>
                <div class="menu">
                    {others
                        .into_iter()
                        .map(|m| {
                            view! {
                                <ActionForm action=switch>
                                    <input type="hidden" name="org_id" value=m.organization.id.to_string() />
                                    <button type="submit" class="link">
                                        {m.organization.name.clone()}
                                        <span class="muted">" · " {m.role.clone()}</span>
                                    </button>
                                </ActionForm>
                            }
                        })
                        .collect_view()} <a href="/dashboard#new-organization">"+ New organization"</a>
                </div>
            </details>
            <nav aria-label="Sections">
                <a href="/dashboard" aria-current=move || current("/dashboard")>
                    "Overview"
                </a>
                {can_manage_knowledge
                    .then(|| {
                        view! {
                            <a href="/dashboard/install" aria-current=move || current("/dashboard/install")>
                                "Install"
                            </a>
                        }
                    })}
                <a href="/dashboard/conversations" aria-current=move || current("/dashboard/conversations")>
                    "Inbox"
                </a>
                {can_manage_knowledge
                    .then(|| {
                        view! {
                            <a href="/dashboard/knowledge" aria-current=move || current("/dashboard/knowledge")>
                                "Knowledge base"
                            </a>
                        }
                    })}
                {can_manage_team
                    .then(|| {
                        view! {
                            <a href="/dashboard/team" aria-current=move || current("/dashboard/team")>
                                "Team"
                            </a>
                        }
                    })}
                <a href="/dashboard/alerts" aria-current=move || current("/dashboard/alerts")>
                    "Alerts"
                </a>
                <a href="/dashboard/feedback" aria-current=move || current("/dashboard/feedback")>
                    "Feedback"
                </a>
                {can_manage_knowledge
                    .then(|| {
                        view! {
                            <a href="/dashboard/usage" aria-current=move || current("/dashboard/usage")>
                                "Usage"
                            </a>
                        }
                    })}
                {can_manage_knowledge
                    .then(|| {
                        view! {
                            <a href="/dashboard/settings" aria-current=move || current("/dashboard/settings")>
                                "Settings"
                            </a>
                        }
                    })}
                {can_manage_knowledge
                    .then(|| {
                        view! {
                            <a href="/dashboard/privacy" aria-current=move || current("/dashboard/privacy")>
                                "Data & privacy"
                            </a>
                        }
                    })}
            </nav>
            <span class="spacer"></span>
            <span class="muted who">{session.user.name.clone()}</span>
            <ActionForm action=sign_out>
                <button type="submit" class="secondary">
                    "Sign out"
                </button>
            </ActionForm>
        </header>
    }
}
