use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::components::{FormError, LocalTime, SignedIn, action_error, data_epoch, refresh_on_success};
use crate::dto::{
    AuditEntryDto, ContactRowDto, ExportJobDto, ExportStatus, PrivacyPageDto, SessionDto, TrashEntryDto, TrashKind,
};
use crate::error::AppError;
use crate::server_fns::privacy::{
    ERASE_CONFIRMATION, EraseContact, RestoreItem, SaveRetention, StartExport, get_privacy_page,
};

/// `/dashboard/privacy`: export the organisation's data, restore deleted items, find and erase a
/// contact, set how long things are kept, and (owners) read the audit log. Owners and admins;
/// agents get a 403 page. Works without JavaScript; while an export runs, the page refreshes
/// itself every two seconds to show its progress.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! { <SignedIn next="/dashboard/privacy".to_owned() inner=|s| view! { <Privacy session=s /> }.into_any() /> }
}

#[component]
fn Privacy(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || (org_id, query.read().get("q"), data_epoch()),
        |(org_id, q, _)| async move {
            match org_id {
                Some(id) => get_privacy_page(id, q).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    view! {
        <main class="page privacy">
            <Suspense>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <PrivacyView page /> }.into_any(),
                        Err(e) => crate::components::error_card("Data & privacy", &e),
                    }
                })}
            </Suspense>
        </main>
    }
    .into_any()
}

#[component]
fn PrivacyView(page: PrivacyPageDto) -> impl IntoView {
    let org_id = page.organization.id;
    let running = page.exports.iter().any(|j| j.status == ExportStatus::Running);
    view! {
        <section class="card">
            <h1>"Data & privacy for " {page.organization.name.clone()}</h1>
            <p class="muted">
                "Export everything, bring back what was deleted, and erase a person's data for good. "
                "Every export, restore and erase is written to the audit log."
            </p>
        </section>
        <Exports org_id jobs=page.exports.clone() running />
        <Trash org_id items=page.trash.clone() />
        <Contacts org_id query=page.contact_query.clone() contacts=page.contacts.clone() />
        <Retention org_id trash_days=page.trash_days retention_days=page.retention_days />
        {page.audit.clone().map(|entries| view! { <AuditLog entries /> })}
    }
    .into_any()
}

/// Bytes in words ("1.4 MB").
fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1_000_000.0),
        b if b >= 1_000 => format!("{:.0} KB", b as f64 / 1_000.0),
        b => format!("{b} bytes"),
    }
}

#[component]
fn Exports(org_id: Uuid, jobs: Vec<ExportJobDto>, running: bool) -> impl IntoView {
    let start = ServerAction::<StartExport>::new();
    refresh_on_success(start);
    // While an export runs, look again every two seconds: hydrated pages bump the data epoch
    // (effects run only in the browser); without JavaScript the meta refresh reloads the page.
    Effect::new(move |_| {
        if running && let Some(crate::components::DataEpoch(epoch)) = use_context::<crate::components::DataEpoch>() {
            set_timeout(move || epoch.update(|e| *e += 1), std::time::Duration::from_secs(2));
        }
    });
    view! {
        <section class="card" id="exports">
            <h2>"Export"</h2>
            <p class="muted">
                "One archive (.tar.gz) of JSON Lines files: conversations with their messages and tags, documents, "
                "contacts, saved replies, feedback projects and feedback, members and the audit log, with a "
                "manifest.json that names the format version. Archives stay downloadable for seven days."
            </p>
            {running
                .then(|| {
                    view! {
                        <noscript>
                            <meta http-equiv="refresh" content="2" />
                        </noscript>
                    }
                })}
            <ActionForm action=start>
                <input type="hidden" name="org_id" value=org_id.to_string() />
                <FormError error=action_error(start) />
                <button type="submit" disabled=running>
                    "Export all data"
                </button>
            </ActionForm>
            {(!jobs.is_empty())
                .then(|| {
                    view! {
                        <table class="exports">
                            <thead>
                                <tr>
                                    <th>"Started"</th>
                                    <th>"What"</th>
                                    <th>"Status"</th>
                                    <th></th>
                                </tr>
                            </thead>
                            <tbody>
                                {jobs
                                    .into_iter()
                                    .map(|j| {
                                        let what = if j.contact_id.is_some() { "One contact" } else { "Everything" };
                                        let status = match j.status {
                                            ExportStatus::Ready => {
                                                view! { <span class="badge resolved">"Ready"</span> }.into_any()
                                            }
                                            ExportStatus::Failed => {
                                                view! {
                                                    <span
                                                        class="badge escalated"
                                                        title=j.error.clone().unwrap_or_default()
                                                    >
                                                        "Failed"
                                                    </span>
                                                }
                                                    .into_any()
                                            }
                                            ExportStatus::Running => {
                                                view! {
                                                    <progress
                                                        max="1"
                                                        value=j.progress.to_string()
                                                        aria-label="Export progress"
                                                    ></progress>
                                                    " "
                                                    {format!("{:.0}%", j.progress * 100.0)}
                                                }
                                                    .into_any()
                                            }
                                        };
                                        let link = (j.status == ExportStatus::Ready)
                                            .then(|| {
                                                let href = format!("/api/v1/orgs/{org_id}/exports/{}/download", j.id);
                                                view! {
                                                    <a class="export" href=href download="">
                                                        "Download"
                                                        {j.bytes.map(|b| format!(" ({})", size(b)))}
                                                    </a>
                                                }
                                            });
                                        view! {
                                            <tr>
                                                <td>
                                                    <LocalTime at=j.created_at />
                                                </td>
                                                <td>{what}</td>
                                                <td>{status}</td>
                                                <td>{link}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
        </section>
    }
    .into_any()
}

/// A trash kind in words.
fn kind_label(kind: TrashKind) -> &'static str {
    match kind {
        TrashKind::Document => "Document",
        TrashKind::Conversation => "Conversation",
        TrashKind::SavedReply => "Saved reply",
        TrashKind::FeedbackProject => "Feedback project",
    }
}

#[component]
fn Trash(org_id: Uuid, items: Vec<TrashEntryDto>) -> impl IntoView {
    let restore = ServerAction::<RestoreItem>::new();
    refresh_on_success(restore);
    view! {
        <section class="card" id="trash">
            <h2>"Trash"</h2>
            <p class="muted">
                "Deleted documents, conversations, saved replies and feedback projects wait here until their purge date. Restore brings each back whole; a document is searchable again once re-embedded."
            </p>
            <FormError error=action_error(restore) />
            {if items.is_empty() {
                view! { <p class="muted">"The trash is empty."</p> }.into_any()
            } else {
                view! {
                    <table class="trash">
                        <thead>
                            <tr>
                                <th>"What"</th>
                                <th>"Title"</th>
                                <th>"Deleted"</th>
                                <th>"Purged on"</th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>
                            {items
                                .into_iter()
                                .map(|t| {
                                    let label = format!("Restore {} {}", kind_label(t.kind).to_lowercase(), t.title);
                                    view! {
                                        <tr>
                                            <td>{kind_label(t.kind)}</td>
                                            <td>{t.title.clone()}</td>
                                            <td>
                                                <LocalTime at=t.deleted_at />
                                                {t
                                                    .deleted_by
                                                    .clone()
                                                    .map(|who| view! { <span class="muted">" by " {who}</span> })}
                                            </td>
                                            <td>{t.purge_at.format("%Y-%m-%d").to_string()}</td>
                                            <td>
                                                <ActionForm action=restore>
                                                    <input type="hidden" name="org_id" value=org_id.to_string() />
                                                    <input type="hidden" name="kind" value=t.kind.as_str() />
                                                    <input type="hidden" name="id" value=t.id.to_string() />
                                                    <button type="submit" class="secondary" aria-label=label>
                                                        "Restore"
                                                    </button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn Contacts(org_id: Uuid, query: String, contacts: Vec<ContactRowDto>) -> impl IntoView {
    let erase = ServerAction::<EraseContact>::new();
    let export = ServerAction::<StartExport>::new();
    refresh_on_success(erase);
    refresh_on_success(export);
    view! {
        <section class="card" id="contacts">
            <h2>"Contacts"</h2>
            <p class="muted">
                "People who gave the widget their details. Export one person's data (right of access) or erase them with all their conversations (right to erasure)."
            </p>
            <form method="get" action="/dashboard/privacy#contacts" class="search">
                <label>
                    "Find a contact" <input type="search" name="q" value=query placeholder="Name, email or phone" />
                </label>
                <button type="submit" class="secondary">
                    "Search"
                </button>
            </form>
            <FormError error=action_error(export) />
            <FormError error=action_error(erase) />
            {if contacts.is_empty() {
                view! { <p class="muted">"No contacts found."</p> }.into_any()
            } else {
                view! {
                    <table class="contacts">
                        <thead>
                            <tr>
                                <th>"Name"</th>
                                <th>"Email"</th>
                                <th>"Phone"</th>
                                <th>"Conversations"</th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>
                            {contacts
                                .into_iter()
                                .map(|c| {
                                    let who = c
                                        .name
                                        .clone()
                                        .or_else(|| c.email.clone())
                                        .unwrap_or_else(|| "this contact".into());
                                    let export_label = format!("Export the data of {who}");
                                    let erase_label = format!("Erase {who}");
                                    let erase_prompt = format!(
                                        "Type \"{ERASE_CONFIRMATION}\" to erase {who} and {} conversation(s) for good",
                                        c.conversation_count,
                                    );
                                    view! {
                                        <tr>
                                            <td>{c.name.clone().unwrap_or_default()}</td>
                                            <td>{c.email.clone().unwrap_or_default()}</td>
                                            <td>{c.phone.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td>{c.conversation_count}</td>
                                            <td class="actions">
                                                <ActionForm action=export>
                                                    <input type="hidden" name="org_id" value=org_id.to_string() />
                                                    <input type="hidden" name="contact_id" value=c.id.to_string() />
                                                    <button type="submit" class="secondary" aria-label=export_label>
                                                        "Export"
                                                    </button>
                                                </ActionForm>
                                                <details class="erase">
                                                    <summary>"Erase…"</summary>
                                                    <ActionForm action=erase>
                                                        <input type="hidden" name="org_id" value=org_id.to_string() />
                                                        <input type="hidden" name="contact_id" value=c.id.to_string() />
                                                        <label>
                                                            {erase_prompt}
                                                            <input name="confirm" autocomplete="off" required />
                                                        </label>
                                                        <button type="submit" class="danger" aria-label=erase_label>
                                                            "Erase for good"
                                                        </button>
                                                    </ActionForm>
                                                </details>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn Retention(org_id: Uuid, trash_days: u32, retention_days: u32) -> impl IntoView {
    let save = ServerAction::<SaveRetention>::new();
    refresh_on_success(save);
    view! {
        <section class="card settings" id="retention">
            <h2>"Retention"</h2>
            <ActionForm action=save>
                <input type="hidden" name="org_id" value=org_id.to_string() />
                <label>
                    "Days deleted items stay in the trash"
                    <input type="number" name="trash_days" min="1" max="365" value=trash_days.to_string() required />
                </label>
                <label>
                    "Erase conversations after this many days without activity (0 = keep them)"
                    <input type="number" name="retention_days" min="0" max="3650" value=retention_days.to_string() />
                </label>
                <p class="muted">
                    "Checked every hour. Erased conversations are gone for good; usage figures keep no trace of them."
                </p>
                <FormError error=action_error(save) />
                {move || {
                    matches!(save.value().get(), Some(Ok(())))
                        .then(|| {
                            view! {
                                <p class="notice" role="status">
                                    "Saved."
                                </p>
                            }
                        })
                }}
                <button type="submit">"Save retention"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// An audit action in words.
fn action_label(action: &str) -> String {
    match action {
        "export" => "Export".into(),
        "trash" => "Deleted".into(),
        "restore" => "Restored".into(),
        "erase" => "Erased".into(),
        "retention" => "Retention erase".into(),
        "settings.update" => "Settings changed".into(),
        "member.role" => "Role changed".into(),
        "member.remove" => "Member removed".into(),
        "widget_key.rotate" => "Widget key rotated".into(),
        other => other.into(),
    }
}

#[component]
fn AuditLog(entries: Vec<AuditEntryDto>) -> impl IntoView {
    view! {
        <section class="card" id="audit">
            <h2>"Audit log"</h2>
            <p class="muted">"The last 50 actions on this organisation's data and settings (owners only)."</p>
            {if entries.is_empty() {
                view! { <p class="muted">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <table class="audit">
                        <thead>
                            <tr>
                                <th>"When"</th>
                                <th>"Who"</th>
                                <th>"What"</th>
                                <th>"On"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {entries
                                .into_iter()
                                .map(|e| {
                                    view! {
                                        <tr>
                                            <td>
                                                <LocalTime at=e.at />
                                            </td>
                                            <td>{e.actor.clone().unwrap_or_else(|| "System".into())}</td>
                                            <td>{action_label(&e.action)}</td>
                                            <td>{e.target.clone()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
    .into_any()
}
