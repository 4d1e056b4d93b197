use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::components::{FormError, Nav, action_error, data_epoch, refresh_on_success};
use crate::dto::{SessionDto, TeamPageDto};
use crate::error::AppError;
use crate::server_fns::auth::get_session;
use crate::server_fns::team::{ChangeMemberRole, InviteMember, RemoveMember, RevokeInvite, get_team};

/// `/dashboard/team`: members with role changes and removal, invites (pending and new). Owners
/// and admins only; agents get a 403 page, and the server fns refuse them too.
#[component]
pub fn TeamPage() -> impl IntoView {
    let session = Resource::new_blocking(data_epoch, |_| get_session());
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(s)) => {
                        view! {
                            <Nav session=s.clone() />
                            <Team session=s />
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login?next=/dashboard/team" /> }.into_any(),
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
fn Team(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    refresh_on_success(change);
    refresh_on_success(remove);
    refresh_on_success(revoke);
    let team = Resource::new_blocking(
        move || (org_id, data_epoch()),
        |(org_id, ..)| async move {
            match org_id {
                Some(id) => get_team(id).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    let me = session.user.id;
    view! {
        <main class="page">
            <Suspense>
                {move || Suspend::new(async move {
                    match team.await {
                        Ok(page) => view! { <TeamView page me change remove revoke /> }.into_any(),
                        Err(e) => {
                            crate::components::set_response_status(e.status_code());
                            let message = match &e {
                                AppError::Forbidden(_) => "Only owners and admins can manage the team.".to_owned(),
                                other => other.to_string(),
                            };
                            view! {
                                <section class="card">
                                    <h1>"Team"</h1>
                                    <p class="form-error" role="alert">
                                        {message}
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn TeamView(
    page: TeamPageDto,
    me: Uuid,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    revoke: ServerAction<RevokeInvite>,
) -> impl IntoView {
    let org_id = page.organization.id.to_string();
    let invitable = page.invitable_roles.clone();
    let members = page.members.clone();
    let invites = page.invites.clone();
    view! {
        <section class="card">
            <h1>"Team of " {page.organization.name.clone()}</h1>
            <p class="muted">"Your role: " <strong class="role">{page.my_role.clone()}</strong></p>
            <FormError error=action_error(change) />
            <FormError error=action_error(remove) />
            <table class="members">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Email"</th>
                        <th>"Role"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {members
                        .into_iter()
                        .map(|row| {
                            let m = row.member.clone();
                            let is_me = m.user_id == me;
                            let (org_for_change, org_for_remove) = (org_id.clone(), org_id.clone());
                            let user_id = m.user_id.to_string();
                            let user_id_for_remove = user_id.clone();
                            let role_label = format!("Role of {}", m.email);
                            let remove_label = format!("Remove {}", m.email);
                            view! {
                                <tr data-email=m.email.clone()>
                                    <td>{m.name.clone()} {is_me.then_some(" (you)")}</td>
                                    <td>{m.email.clone()}</td>
                                    <td>
                                        {if row.assignable_roles.is_empty() {
                                            view! { <span class="role">{m.role.clone()}</span> }.into_any()
                                        } else {
                                            let current = m.role.clone();
                                            view! {
                                                <ActionForm action=change>
                                                    <input type="hidden" name="org_id" value=org_for_change.clone() />
                                                    <input type="hidden" name="user_id" value=user_id.clone() />
                                                    <select name="role" aria-label=role_label.clone()>
                                                        {row
                                                            .assignable_roles
                                                            .iter()
                                                            .map(|r| {
                                                                view! {
                                                                    <option value=r.clone() selected=*r == current>
                                                                        {r.clone()}
                                                                    </option>
                                                                }
                                                            })
                                                            .collect_view()}
                                                    </select>
                                                    <button type="submit" class="secondary">
                                                        "Change role"
                                                    </button>
                                                </ActionForm>
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                    <td>
                                        {(row.can_remove && !is_me)
                                            .then(|| {
                                                view! {
                                                    <ActionForm action=remove>
                                                        <input
                                                            type="hidden"
                                                            name="org_id"
                                                            value=org_for_remove.clone()
                                                        />
                                                        <input
                                                            type="hidden"
                                                            name="user_id"
                                                            value=user_id_for_remove.clone()
                                                        />
                                                        <button
                                                            type="submit"
                                                            class="danger"
                                                            aria-label=remove_label.clone()
                                                        >
                                                            "Remove"
                                                        </button>
                                                    </ActionForm>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
        <InviteForm org_id=org_id.clone() roles=invitable.clone() public_url=page.public_url.clone() />
        <section class="card">
            <h2>"Pending invites"</h2>
            <FormError error=action_error(revoke) />
            {if invites.is_empty() {
                view! { <p class="muted">"No pending invites."</p> }.into_any()
            } else {
                view! {
                    <ul class="invites">
                        {invites
                            .into_iter()
                            .map(|inv| {
                                let can_revoke = invitable.contains(&inv.role);
                                let org_id = org_id.clone();
                                view! {
                                    <li>
                                        <span>{inv.email.clone()}</span>
                                        <span class="role">{inv.role.clone()}</span>
                                        <span class="muted">
                                            {if inv.expired {
                                                "expired".to_owned()
                                            } else {
                                                format!("expires {}", inv.expires_at.format("%Y-%m-%d"))
                                            }}
                                        </span>
                                        {can_revoke
                                            .then(|| {
                                                view! {
                                                    <ActionForm action=revoke>
                                                        <input type="hidden" name="org_id" value=org_id />
                                                        <input
                                                            type="hidden"
                                                            name="invite_id"
                                                            value=inv.id.to_string()
                                                        />
                                                        <button type="submit" class="secondary">
                                                            "Revoke"
                                                        </button>
                                                    </ActionForm>
                                                }
                                            })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn InviteForm(org_id: String, roles: Vec<String>, public_url: String) -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    refresh_on_success(invite);
    let query = use_query_map();
    let token = move || query.read().get("invite_token").filter(|t| !t.is_empty());
    view! {
        <section class="card">
            <h2>"Invite a teammate"</h2>
            {move || {
                token()
                    .map(|t| {
                        let link = format!("{public_url}/invite/{t}");
                        view! {
                            <div class="notice" role="status">
                                "Invite created and mailed to your teammate. You can also send them this link (shown only once; it expires in 7 days): "
                                <a class="invite-link" href=link.clone()>
                                    {link.clone()}
                                </a>
                            </div>
                        }
                    })
            }}
            <ActionForm action=invite>
                <input type="hidden" name="org_id" value=org_id />
                <label>"Email"<input type="email" name="email" required autocomplete="off" /></label>
                <label>
                    "Role"
                    <select name="role">
                        {roles
                            .into_iter()
                            .rev()
                            .map(|r| view! { <option value=r.clone()>{r.clone()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <FormError error=action_error(invite) />
                <button type="submit">"Send invite"</button>
            </ActionForm>
        </section>
    }
}
