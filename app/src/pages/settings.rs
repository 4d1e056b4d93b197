use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::components::{SignedIn, action_error, data_epoch, refresh_on_success, urlencode};
use crate::dto::{SessionDto, SettingsPageDto};
use crate::error::AppError;
use crate::server_fns::alerts::SaveRecipients;
use crate::server_fns::settings::{
    RotateWidgetKey, SaveAiSettings, SaveOfficeHours, SaveSupportSettings, SaveWidgetSettings, get_settings,
};

/// `/dashboard/settings`: the widget's look and greeting, the AI's mode, and how visitors reach a
/// person, for owners and admins (agents get a 403 page). Each card saves on its own; a wrong
/// value shows beside its form and nothing stored changes. Works without JavaScript.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! { <SignedIn next="/dashboard/settings".to_owned() inner=|s| view! { <Settings session=s /> }.into_any() /> }
}

#[component]
fn Settings(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let page = Resource::new_blocking(
        move || (org_id, data_epoch()),
        |(org_id, _)| async move {
            match org_id {
                Some(id) => get_settings(id).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    view! {
        <main class="page">
            <Suspense>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <SettingsView page /> }.into_any(),
                        Err(e) => crate::components::error_card("Settings", &e),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The label a form field has on this page, for an error about it.
fn field_label(field: &str) -> &'static str {
    match field {
        "company_name" => "Company name",
        "primary_color" => "Colour",
        "position" => "Position",
        "greeting" => "Greeting",
        "proactive_message" => "Nudge message",
        "proactive_trigger" => "Nudge trigger",
        "proactive_after" => "Nudge after",
        "allowed_origins" => "Allowed sites",
        "contact_route" => "Contact route",
        "ai_instructions" => "AI instructions",
        "confidence" => "When the AI answers",
        "positive_feedback_label" => "Positive button label",
        "request_help_label" => "Talk-to-a-person button label",
        "confirmation_message" => "Confirmation message",
        "confirm" => "Confirm",
        "escalation_recipients" => "Extra recipients",
        "office_hours" => "Office hours",
        _ => "Value",
    }
}

/// A save's error, naming the field it is about ("Colour: must be a #rrggbb colour").
#[component]
fn SaveError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let text = match e.field() {
                Some(field) => format!("{}: {e}", field_label(field)),
                None => e.to_string(),
            };
            view! {
                <p class="form-error" role="alert">
                    {text}
                </p>
            }
        })
    }
}

/// "Saved." after a successful save, until the next one.
fn saved<I>(action: ServerAction<I>) -> impl IntoView
where
    I: leptos::server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    move || {
        matches!(action.value().get(), Some(Ok(()))).then(|| {
            view! {
                <p class="notice" role="status">
                    "Saved."
                </p>
            }
        })
    }
}

#[component]
fn SettingsView(page: SettingsPageDto) -> impl IntoView {
    let widget = ServerAction::<SaveWidgetSettings>::new();
    let ai = ServerAction::<SaveAiSettings>::new();
    let support = ServerAction::<SaveSupportSettings>::new();
    let rotate = ServerAction::<RotateWidgetKey>::new();
    let recipients = ServerAction::<SaveRecipients>::new();
    let hours = ServerAction::<SaveOfficeHours>::new();
    refresh_on_success(hours);
    refresh_on_success(rotate);
    refresh_on_success(recipients);
    refresh_on_success(widget);
    refresh_on_success(ai);
    refresh_on_success(support);
    let org_id = page.organization.id.to_string();
    let (org2, org3, org4, org5) = (org_id.clone(), org_id.clone(), org_id.clone(), org_id.clone());
    let position = page.position.clone();
    let trigger = page.proactive_trigger.clone();
    let confidence = page.confidence.clone();
    // The live preview: the real widget on this server's preview page, with the form's unsaved
    // look (colour and position as they change, texts when a field is left).
    let org_name = page.organization.name.clone();
    let preview_color = RwSignal::new(page.primary_color.clone());
    let preview_company = RwSignal::new(page.company_name.clone());
    let preview_position = RwSignal::new(page.position.clone());
    let preview_greeting = RwSignal::new(page.greeting.clone());
    let widget_key = page.widget_key.clone();
    let preview_src = move || {
        let company = preview_company.get();
        let company = if company.trim().is_empty() { org_name.clone() } else { company };
        format!(
            "/preview?key={}&color={}&company={}&position={}&greeting={}&open=1",
            urlencode(&widget_key),
            urlencode(&preview_color.get()),
            urlencode(&company),
            urlencode(&preview_position.get()),
            urlencode(&preview_greeting.get())
        )
    };
    // Each new address reloads the preview (and the widget's session in it): a colour dragged
    // through the picker reloads it once, 400 ms after it stops.
    let shown_src = RwSignal::new(untrack(preview_src.clone()));
    let generation = StoredValue::new(0u32);
    Effect::new(move |_| {
        let src = preview_src();
        let mine = generation.get_value().wrapping_add(1);
        generation.set_value(mine);
        set_timeout(
            move || {
                // The page may be gone by now (the owner moved on): then nothing is left to do.
                if generation.try_get_value() == Some(mine) && shown_src.try_get_untracked().is_some_and(|s| s != src) {
                    shown_src.set(src);
                }
            },
            std::time::Duration::from_millis(400),
        );
    });
    view! {
        {view! {
            <section class="card settings" id="widget">
                <h1>"Settings for " {page.organization.name.clone()}</h1>
                <h2>"Widget"</h2>
                <p class="muted">
                    "How the chat looks and greets visitors on your site. Changes reach the live widget on its next page load."
                </p>
                <ActionForm action=widget>
                    <input type="hidden" name="org_id" value=org_id />
                    <label>
                        "Company name"
                        <input
                            name="company_name"
                            value=page.company_name.clone()
                            placeholder=page.organization.name.clone()
                            maxlength="100"
                            on:change=move |ev| preview_company.set(event_target_value(&ev))
                        />
                    </label>
                    <label>
                        "Colour"
                        <input
                            type="color"
                            name="primary_color"
                            value=page.primary_color.clone()
                            on:input=move |ev| preview_color.set(event_target_value(&ev))
                        />
                    </label>
                    <label>
                        "Position"
                        <select name="position" on:change=move |ev| preview_position.set(event_target_value(&ev))>
                            <option value="bottom-right" selected=position == "bottom-right">
                                "Bottom right"
                            </option>
                            <option value="bottom-left" selected=position == "bottom-left">
                                "Bottom left"
                            </option>
                        </select>
                    </label>
                    <label>
                        "Greeting"
                        <textarea
                            name="greeting"
                            rows="2"
                            maxlength="500"
                            on:change=move |ev| preview_greeting.set(event_target_value(&ev))
                        >
                            {page.greeting.clone()}
                        </textarea>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="require_contact" checked=page.require_contact />
                        " Ask for name and email before the first message (pre-chat form)"
                    </label>
                    <fieldset>
                        <legend>"Proactive nudge"</legend>
                        <p class="muted">
                            "A short message beside the launcher, at most once a day per visitor. Leave it empty for none."
                        </p>
                        <label>
                            "Nudge message"
                            <input
                                name="proactive_message"
                                value=page.proactive_message.clone()
                                maxlength="200"
                                placeholder="Need help choosing?"
                            />
                        </label>
                        <label>
                            "Nudge trigger" <select name="proactive_trigger">
                                <option value="delay" selected=trigger == "delay">
                                    "After some seconds on the page"
                                </option>
                                <option value="scroll" selected=trigger == "scroll">
                                    "After scrolling a share of the page"
                                </option>
                                <option value="idle" selected=trigger == "idle">
                                    "After some seconds without activity"
                                </option>
                            </select>
                        </label>
                        <label>
                            "Nudge after (seconds, or percent scrolled)"
                            <input
                                type="number"
                                name="proactive_after"
                                min="0"
                                max="3600"
                                value=page.proactive_after.to_string()
                            />
                        </label>
                    </fieldset>
                    <label>
                        "Allowed sites (one per line; empty = any site)"
                        <textarea name="allowed_origins" rows="3" placeholder="https://shop.example">
                            {page.allowed_origins.join("\n")}
                        </textarea>
                    </label>
                    <p class="muted">
                        "On any other site the widget refuses to open a chat, so a copied snippet cannot use your key."
                    </p>
                    <SaveError error=action_error(widget) />
                    {saved(widget)}
                    <button type="submit">"Save widget settings"</button>
                </ActionForm>
                <h3>"Live preview"</h3>
                <p class="muted">
                    "The real widget with the values above, before you save. A message typed here is a real test conversation."
                </p>
                <iframe class="widget-preview" title="Live preview of the widget" src=move || shown_src.get()></iframe>
            </section>
        }
            .into_any()}
        {view! {
            <section class="card settings" id="widget-key">
                <h2>"Widget key"</h2>
                <p>"Your snippet carries the key " <code class="widget-key">{page.widget_key.clone()}</code> "."</p>
                <p class="muted">
                    "A new key stops the current one at once: every page that still has the old snippet shows no chat "
                    "until you paste the new one (the overview shows it). Conversations are kept."
                </p>
                <ActionForm action=rotate>
                    <input type="hidden" name="org_id" value=org4 />
                    <label class="check">
                        <input type="checkbox" name="confirm" required />
                        " I understand that the old snippet stops working"
                    </label>
                    <SaveError error=action_error(rotate) />
                    <button type="submit" class="danger">
                        "Rotate widget key"
                    </button>
                </ActionForm>
            </section>
        }
            .into_any()}
        {view! {
            <section class="card settings" id="ai">
                <h2>"AI"</h2>
                <ActionForm action=ai>
                    <input type="hidden" name="org_id" value=org2 />
                    <label class="check">
                        <input type="checkbox" name="ai_only_mode" checked=page.ai_only_mode />
                        " AI-only mode: the AI never hands a conversation to a person"
                    </label>
                    <p class="muted">
                        "Without it, refunds, complaints, account problems, requests for a person and questions the "
                        "knowledge base does not answer go to your inbox, and the AI stops speaking there."
                    </p>
                    <label>
                        "When the AI answers" <select name="confidence">
                            <option value="answer_more" selected=confidence == "answer_more">
                                "Answer more: less certain matches too"
                            </option>
                            <option value="balanced" selected=confidence == "balanced">
                                "Balanced (recommended)"
                            </option>
                            <option value="escalate_more" selected=confidence == "escalate_more">
                                "Escalate more: only clear matches"
                            </option>
                        </select>
                    </label>
                    <p class="muted">
                        "How sure the AI must be that a passage of your knowledge base answers before it quotes it; "
                        "below that, the question goes to a person (or gets \"I don't know\")."
                    </p>
                    <fieldset>
                        <legend>"Hand a conversation to a person when…"</legend>
                        {[
                            ("refund", "the visitor wants money back"),
                            ("complaint", "the visitor complains"),
                            ("account", "the visitor cannot get into their account or fears it was taken over"),
                            ("requested", "the visitor asks for a person in a message"),
                            ("low_confidence", "the knowledge base does not answer the question"),
                        ]
                            .into_iter()
                            .map(|(reason, words)| {
                                let on = page.escalation_reasons.iter().any(|r| r == reason);
                                view! {
                                    <label class="check">
                                        <input type="checkbox" name=format!("reason_{reason}") checked=on />
                                        " "
                                        {words}
                                    </label>
                                }
                            })
                            .collect_view()}
                        <p class="muted">
                            "Off: a refund or complaint is answered from the knowledge base like any question, and an "
                            "unanswered one gets \"I don't know\" with your contact route. The visitor's own "
                            "\"talk to a person\" button always reaches your inbox."
                        </p>
                    </fieldset>
                    <label>
                        "Contact route (offered when the AI cannot help and no person takes over)"
                        <input
                            name="contact_route"
                            value=page.contact_route.clone()
                            maxlength="200"
                            placeholder="support@example.com or +44 20 7946 0000"
                        />
                    </label>
                    <label>
                        "AI instructions (persona, tone, extra rules; up to 2,000 characters)"
                        <textarea
                            name="ai_instructions"
                            rows="4"
                            maxlength="2000"
                            placeholder="Call yourself Lumi. Be warm and brief. Never promise delivery dates."
                        >
                            {page.ai_instructions.clone()}
                        </textarea>
                    </label>
                    <p class="muted">
                        "Used when a chat model is configured (OPENAI_BASE_URL). They come after Iterochat's own rules, which "
                        "always win: answers stay grounded in your knowledge base and cite it."
                    </p>
                    <SaveError error=action_error(ai) />
                    {saved(ai)}
                    <button type="submit">"Save AI settings"</button>
                </ActionForm>
            </section>
        }
            .into_any()}
        {view! {
            <section class="card settings" id="human-support">
                <h2>"Human support"</h2>
                <ActionForm action=support>
                    <input type="hidden" name="org_id" value=org3 />
                    <label class="check">
                        <input type="checkbox" name="show_escalation_cta" checked=page.show_escalation_cta />
                        " Show two buttons after each AI answer: it helped, or talk to a person"
                    </label>
                    <label class="check">
                        <input type="checkbox" name="ask_contact_at_handoff" checked=page.ask_contact_at_handoff />
                        " Ask visitors we have no email for to leave one when the chat goes to the team"
                    </label>
                    <label>
                        "Positive button label"
                        <input
                            name="positive_feedback_label"
                            value=page.positive_feedback_label.clone()
                            maxlength="80"
                            required
                        />
                    </label>
                    <label>
                        "Talk-to-a-person button label"
                        <input
                            name="request_help_label"
                            value=page.request_help_label.clone()
                            maxlength="80"
                            required
                        />
                    </label>
                    <label>
                        "Confirmation message (shown when a person takes over)"
                        <textarea name="confirmation_message" rows="2" maxlength="500" required>
                            {page.confirmation_message.clone()}
                        </textarea>
                    </label>
                    <p class="muted">
                        "Left as it is, visitors read a sentence in their own language that says why a person takes over "
                        "(a question the AI was unsure of, a matter for a person, or their own request). A message of your "
                        "own is shown as written."
                    </p>
                    <SaveError error=action_error(support) />
                    {saved(support)}
                    <button type="submit">"Save human support settings"</button>
                </ActionForm>
                <h3>"Who is told about a hand-off"</h3>
                <p class="muted">
                    "Owners always get the hand-off mail. Add up to 10 more addresses, one per line; an address that is not \
                     a member's first confirms by a link we mail it. Webhooks and the " "delivery log are under "
                    <a href="/dashboard/alerts">"Alerts"</a> "."
                </p>
                <ActionForm action=recipients>
                    <input type="hidden" name="org_id" value=org5 />
                    <label>
                        "Extra recipients"
                        // `prop:value` too: after a save the stored (normalised) list replaces what was typed.
                        <textarea name="recipients" rows="4" prop:value=page.escalation_recipients.join("\n")>
                            {page.escalation_recipients.join("\n")}
                        </textarea>
                    </label>
                    {(!page.pending_recipients.is_empty())
                        .then(|| {
                            view! {
                                <p class="muted pending-recipients">
                                    "Waiting for confirmation (a link was mailed to them; nothing is sent before they open it): "
                                    {page.pending_recipients.join(", ")}
                                </p>
                            }
                        })}
                    <SaveError error=action_error(recipients) />
                    {saved(recipients)}
                    <button type="submit">"Save recipients"</button>
                </ActionForm>
                <OfficeHoursForm
                    org_id=page.organization.id.to_string()
                    time_zone=page.office_hours_time_zone.clone()
                    days=page.office_hours_days.clone()
                    action=hours
                />
            </section>
        }
            .into_any()}
    }
}

/// Weekday names of the office-hours form, Monday first, with their field names.
const WEEK: [(&str, &str); 7] = [
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
];

/// When the team is usually in: a visitor handed to a person outside these hours is told when
/// the team is back, in their own language and time zone.
#[component]
fn OfficeHoursForm(
    org_id: String,
    time_zone: String,
    days: Vec<String>,
    action: ServerAction<SaveOfficeHours>,
) -> impl IntoView {
    view! {
        <h3 id="office-hours">"Office hours"</h3>
        <p class="muted">
            "While a visitor waits for a person outside these hours, the widget says when the team is back "
            "(in the visitor's language and time zone). Write each day's hours as 09:00-17:00; leave a day empty "
            "when the team is off, and everything empty for no office hours."
        </p>
        <ActionForm action=action attr:class="office-hours">
            <input type="hidden" name="org_id" value=org_id />
            <label>
                // `prop:value` too: after a save the stored (normalised) value replaces what was typed.
                "Time zone"
                <input
                    name="time_zone"
                    value=time_zone.clone()
                    prop:value=time_zone
                    maxlength="64"
                    placeholder="Europe/Berlin"
                    autocomplete="off"
                />
            </label>
            <div class="week">
                {WEEK
                    .iter()
                    .enumerate()
                    .map(|(i, (field, label))| {
                        let value = days.get(i).cloned().unwrap_or_default();
                        view! {
                            <label>
                                {*label}
                                <input
                                    name=*field
                                    value=value.clone()
                                    prop:value=value
                                    maxlength="11"
                                    placeholder="closed"
                                    pattern="[0-9]{1,2}:[0-9]{2} ?[-–] ?[0-9]{1,2}:[0-9]{2}"
                                />
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <SaveError error=action_error(action) />
            {saved(action)}
            <button type="submit">"Save office hours"</button>
        </ActionForm>
    }
}
