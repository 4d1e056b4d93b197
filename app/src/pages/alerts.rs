use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{FormError, LocalTime, SignedIn, action_error, data_epoch, refresh_on_success};
use crate::dto::{AlertsPageDto, DeliveryDto, DeliveryStatus, SessionDto, WebhookDto};
use crate::error::AppError;
use crate::server_fns::alerts::{
    AddWebhook, DeleteWebhook, RetryDelivery, RotateWebhookSecret, SetNotifications, TestWebhook, get_alerts,
};

/// `/dashboard/alerts`: who is told about escalations and how. Everyone has their own "notify
/// me" switch; owners and admins also manage webhooks (add, rotate the
/// secret, send a test, delete, read the delivery log, retry) and read the mails sent.
#[component]
pub fn AlertsPage() -> impl IntoView {
    view! { <SignedIn next="/dashboard/alerts".to_owned() inner=|s| view! { <Alerts session=s /> }.into_any() /> }
}

#[component]
fn Alerts(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let query = use_query_map();
    let page = Resource::new_blocking(
        move || (org_id, query.read().get("reveal").unwrap_or_default(), data_epoch()),
        |(org_id, reveal, _)| async move {
            match org_id {
                Some(id) => get_alerts(id, reveal).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    view! {
        <main class="page">
            <Suspense>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <AlertsView page /> }.into_any(),
                        Err(e) => crate::components::error_card("Alerts", &e),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn AlertsView(page: AlertsPageDto) -> impl IntoView {
    let notify = ServerAction::<SetNotifications>::new();
    refresh_on_success(notify);
    let org_id = page.organization.id.to_string();
    let org_name = page.organization.name.clone();
    // What this person gets, said as it is: owners and listed recipients get mail (unless they
    // turned it off); everyone else sees escalations in the inbox only.
    let (state, mine, toggle) = match (page.on_mail_list, page.notify_escalations) {
        (true, true) => ("on", format!("You get a mail for every escalation in {org_name}."), Some(("Stop escalation mails to me", "false"))),
        (true, false) => (
            "off",
            format!("You are on {org_name}'s mail list, but you turned your escalation mails off (for all your organisations)."),
            Some(("Send me escalation mails", "true")),
        ),
        (false, _) => (
            "not-listed",
            "You are not on this organisation's mail list, so escalations reach you in the inbox only (with a desktop notification if you allow it there). Owners and admins add recipients under Settings → Human support.".to_owned(),
            None,
        ),
    };
    view! {
        <section class="card">
            <h1>"Alerts for " {org_name.clone()}</h1>
            <p>
                "Every escalation mails the organisation's owners and the recipients set under Settings → Human support, "
                "and calls the webhooks below."
            </p>
            <p class="notify-state" data-state=state>
                {mine}
            </p>
            {toggle
                .map(|(label, next)| {
                    view! {
                        <ActionForm action=notify>
                            <input type="hidden" name="on" value=next />
                            <button type="submit" class="secondary">
                                {label}
                            </button>
                        </ActionForm>
                    }
                })}
            <FormError error=action_error(notify) />
        </section>
        {page
            .can_manage
            .then(|| {
                view! {
                    <Webhooks
                        org_id=org_id.clone()
                        webhooks=page.webhooks.clone()
                        revealed=page.revealed_secret.clone()
                    />
                    <SentMail org_id=org_id.clone() mails=page.mails.clone() folder=page.mails_written_to.clone() />
                }
            })}
    }
}

#[component]
fn Webhooks(org_id: String, webhooks: Vec<WebhookDto>, revealed: Option<String>) -> impl IntoView {
    let add = ServerAction::<AddWebhook>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let test = ServerAction::<TestWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let retry = ServerAction::<RetryDelivery>::new();
    refresh_on_success(add);
    refresh_on_success(rotate);
    refresh_on_success(test);
    refresh_on_success(delete);
    refresh_on_success(retry);
    let query = use_query_map();
    // The secret comes with the page data, once (see `domain::reveal`); the URL names only the webhook.
    let shown = move || revealed.clone().map(|s| (query.read().get("webhook").unwrap_or_default(), s));
    view! {
        <section class="card">
            <h2>"Webhooks"</h2>
            <p class="muted">
                "Each delivery is a JSON POST signed with the webhook's secret: "
                <code>"X-Iterochat-Signature: sha256=HMAC(secret, timestamp + \".\" + body)"</code>
                ". Failed deliveries are retried with growing delays."
            </p>
            {move || {
                shown()
                    .map(|(id, secret)| {
                        view! {
                            <div class="notice" role="status" data-webhook=id>
                                "Webhook secret (shown only now; store it in your receiver): "
                                <code class="webhook-secret">{secret}</code>
                            </div>
                        }
                    })
            }}
            <FormError error=action_error(rotate) />
            <FormError error=action_error(test) />
            <FormError error=action_error(delete) />
            <FormError error=action_error(retry) />
            {if webhooks.is_empty() {
                view! { <p class="muted">"No webhooks yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="webhooks">
                        {webhooks
                            .into_iter()
                            .map(|hook| {
                                let id = hook.id.to_string();
                                let org = org_id.clone();
                                let (org2, org3, org4, id2, id3) = (
                                    org.clone(),
                                    org.clone(),
                                    org.clone(),
                                    id.clone(),
                                    id.clone(),
                                );
                                view! {
                                    <li class="webhook" data-url=hook.url.clone()>
                                        <p>
                                            <code>{hook.url.clone()}</code>
                                            " · "
                                            <span class="muted">{hook.events.join(", ")}</span>
                                        </p>
                                        <div class="row">
                                            <ActionForm action=test>
                                                <input type="hidden" name="org_id" value=org.clone() />
                                                <input type="hidden" name="webhook_id" value=id.clone() />
                                                <button type="submit" class="secondary">
                                                    "Send test"
                                                </button>
                                            </ActionForm>
                                            <ActionForm action=rotate>
                                                <input type="hidden" name="org_id" value=org2 />
                                                <input type="hidden" name="webhook_id" value=id2 />
                                                <button type="submit" class="secondary">
                                                    "Rotate secret"
                                                </button>
                                            </ActionForm>
                                            <ActionForm action=delete>
                                                <input type="hidden" name="org_id" value=org3 />
                                                <input type="hidden" name="webhook_id" value=id3 />
                                                <button type="submit" class="danger">
                                                    "Delete"
                                                </button>
                                            </ActionForm>
                                        </div>
                                        <DeliveryLog org_id=org4 deliveries=hook.deliveries.clone() retry />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <h3>"Add a webhook"</h3>
            <ActionForm action=add>
                <input type="hidden" name="org_id" value=org_id.clone() />
                <label>"URL"<input type="url" name="url" required placeholder="https://example.com/iterochat" /></label>
                <fieldset>
                    <legend>"Events"</legend>
                    <label class="check">
                        <input type="checkbox" name="escalated" checked />
                        "conversation.escalated"
                    </label>
                    <label class="check">
                        <input type="checkbox" name="resolved" />
                        "conversation.resolved"
                    </label>
                    <label class="check">
                        <input type="checkbox" name="message_created" />
                        "message.created"
                    </label>
                </fieldset>
                <FormError error=action_error(add) />
                <button type="submit">"Add webhook"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn DeliveryLog(org_id: String, deliveries: Vec<DeliveryDto>, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="muted">"No deliveries yet."</p> }.into_any();
    }
    view! {
        <table class="deliveries">
            <thead>
                <tr>
                    <th>"When"</th>
                    <th>"Event"</th>
                    <th>"Status"</th>
                    <th>"Attempts"</th>
                    <th>"Last response"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {deliveries
                    .into_iter()
                    .map(|d| {
                        let dead = d.status == DeliveryStatus::Dead;
                        let payload = serde_json::to_string_pretty(&d.payload).unwrap_or_default();
                        let org = org_id.clone();
                        view! {
                            <tr class=format!("delivery {}", d.status)>
                                <td>
                                    <LocalTime at=d.created_at />
                                </td>
                                <td>{d.event.clone()}</td>
                                <td>
                                    <span class="status">{d.status.as_str()}</span>
                                </td>
                                <td>{format!("{}/{}", d.attempts, d.max_attempts)}</td>
                                <td>
                                    {d.last_status.map(|s| s.to_string())}
                                    {d.last_error.clone().map(|e| view! { <span class="muted">" " {e}</span> })}
                                    <details>
                                        <summary>"Payload"</summary>
                                        <pre>{payload}</pre>
                                    </details>
                                </td>
                                <td>
                                    {dead
                                        .then(|| {
                                            view! {
                                                <ActionForm action=retry>
                                                    <input type="hidden" name="org_id" value=org />
                                                    <input type="hidden" name="delivery_id" value=d.id.to_string() />
                                                    <button type="submit" class="secondary">
                                                        "Retry"
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
    }
    .into_any()
}

#[component]
fn SentMail(org_id: String, mails: Vec<DeliveryDto>, folder: Option<String>) -> impl IntoView {
    let retry = ServerAction::<RetryDelivery>::new();
    refresh_on_success(retry);
    view! {
        <section class="card" id="sent-mail">
            <h2>"Sent mail"</h2>
            {folder
                .map(|f| {
                    view! {
                        <p class="muted">
                            "No SMTP server is configured, so mails are written as .eml files to " <code>{f}</code> "."
                        </p>
                    }
                })}
            <FormError error=action_error(retry) />
            {if mails.is_empty() {
                view! { <p class="muted">"No alert mails yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mails">
                        {mails
                            .into_iter()
                            .map(|m| {
                                let subject = m.payload["subject"].as_str().unwrap_or_default().to_owned();
                                let text = m.payload["text"].as_str().unwrap_or_default().to_owned();
                                let dead = m.status == DeliveryStatus::Dead;
                                let org = org_id.clone();
                                view! {
                                    <li class=format!("mail {}", m.status)>
                                        <details>
                                            <summary>
                                                <strong>{subject}</strong>
                                                " → "
                                                {m.target.clone()}
                                                " · "
                                                <span class="status">{m.status.as_str()}</span>
                                                " · "
                                                <span class="muted">
                                                    <LocalTime at=m.created_at />
                                                </span>
                                            </summary>
                                            <pre class="mail-text">{text}</pre>
                                            {m.last_error.clone().map(|e| view! { <p class="form-error">{e}</p> })}
                                        </details>
                                        {dead
                                            .then(|| {
                                                view! {
                                                    <ActionForm action=retry>
                                                        <input type="hidden" name="org_id" value=org />
                                                        <input
                                                            type="hidden"
                                                            name="delivery_id"
                                                            value=m.id.to_string()
                                                        />
                                                        <button type="submit" class="secondary">
                                                            "Retry"
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
