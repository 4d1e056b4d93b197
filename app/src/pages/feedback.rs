use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{FormError, LocalTime, SignedIn, action_error, data_epoch, refresh_on_success};
use crate::dto::{FeedbackDto, FeedbackProjectPageDto, FeedbackProjectsPageDto, FeedbackTurnRole, SessionDto};
use crate::error::AppError;
use crate::server_fns::feedback::{
    AddFeedbackEvent, CreateFeedbackProject, DeleteFeedbackProject, RotateFeedbackKey, get_feedback_project,
    get_feedback_projects,
};

/// `/dashboard/feedback`: the organisation's feedback projects (Iterato SDK), each with its
/// events and counts; owners and admins create projects.
#[component]
pub fn FeedbackPage() -> impl IntoView {
    view! { <SignedIn next="/dashboard/feedback".to_owned() inner=|s| view! { <Projects session=s /> }.into_any() /> }
}

#[component]
fn Projects(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let page = Resource::new_blocking(
        move || (org_id, data_epoch()),
        |(org_id, _)| async move {
            match org_id {
                Some(id) => get_feedback_projects(id).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    view! {
        <main class="page feedback">
            <Suspense>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <ProjectsView page /> }.into_any(),
                        Err(e) => failure("Feedback", e),
                    }
                })}
            </Suspense>
        </main>
    }
}

fn failure(title: &'static str, e: AppError) -> AnyView {
    crate::components::set_response_status(e.status_code());
    view! {
        <section class="card">
            <h1>{title}</h1>
            <p class="form-error" role="alert">
                {e.to_string()}
            </p>
        </section>
    }
    .into_any()
}

#[component]
fn ProjectsView(page: FeedbackProjectsPageDto) -> impl IntoView {
    let create = ServerAction::<CreateFeedbackProject>::new();
    let org_id = page.organization.id.to_string();
    view! {
        <section class="card">
            <h1>"Feedback for " {page.organization.name.clone()}</h1>
            <p class="muted">
                "Projects collect 👍/👎 feedback from your product with the Iterato-compatible SDK. A 👎 starts a short "
                "AI conversation, summarised for you."
            </p>
            {if page.projects.is_empty() {
                view! { <p class="muted">"No projects yet."</p> }.into_any()
            } else {
                view! {
                    <table class="projects">
                        <thead>
                            <tr>
                                <th>"Project"</th>
                                <th>"Project id"</th>
                                <th>"Events"</th>
                                <th>"👍"</th>
                                <th>"👎"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page
                                .projects
                                .into_iter()
                                .map(|p| {
                                    let positive: i64 = p.events.iter().map(|e| e.positive).sum();
                                    let negative: i64 = p.events.iter().map(|e| e.negative).sum();
                                    view! {
                                        <tr class="project">
                                            <td>
                                                <a href=format!(
                                                    "/dashboard/feedback/{}",
                                                    p.project_id,
                                                )>{p.name.clone()}</a>
                                            </td>
                                            <td>
                                                <code>{p.project_id.clone()}</code>
                                            </td>
                                            <td>{p.events.len()}</td>
                                            <td>{positive}</td>
                                            <td>{negative}</td>
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
        {page
            .can_manage
            .then(|| {
                view! {
                    <section class="card">
                        <h2>"New project"</h2>
                        <ActionForm action=create>
                            <input type="hidden" name="org_id" value=org_id />
                            <label>"Name"<input name="name" required maxlength="80" placeholder="Web app" /></label>
                            <FormError error=action_error(create) />
                            <button type="submit">"Create project"</button>
                        </ActionForm>
                    </section>
                }
            })}
    }
}

/// `/dashboard/feedback/{project_id}`: the embed snippet, the key (shown once after creation or
/// rotation), events with counts, and the feedback, filtered by event, tag and reaction and
/// paginated, with each 👎's summary and the diagnostics behind it.
#[component]
pub fn FeedbackProjectPage() -> impl IntoView {
    let params = use_params_map();
    let next = move || format!("/dashboard/feedback/{}", params.read_untracked().get("project_id").unwrap_or_default());
    view! { <SignedIn next=next() inner=|s| view! { <ProjectPage session=s /> }.into_any() /> }
}

#[component]
fn ProjectPage(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || {
            let q = query.read();
            let get = |k: &str| q.get(k).unwrap_or_default();
            let number = get("page").parse::<u64>().unwrap_or(1);
            let project = params.read().get("project_id").unwrap_or_default();
            (org_id, project, get("event"), get("tag"), get("reaction"), number, get("reveal"), data_epoch())
        },
        |(org_id, project, event, tag, reaction, number, reveal, _)| async move {
            match org_id {
                Some(id) => get_feedback_project(id, project, event, tag, reaction, number, reveal).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    view! {
        <main class="page feedback">
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <ProjectView page /> }.into_any(),
                        Err(e) => failure("Feedback project", e),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn ProjectView(page: FeedbackProjectPageDto) -> impl IntoView {
    let rotate = ServerAction::<RotateFeedbackKey>::new();
    let delete = ServerAction::<DeleteFeedbackProject>::new();
    let add = ServerAction::<AddFeedbackEvent>::new();
    refresh_on_success(add);
    let org_id = page.organization.id.to_string();
    let project = page.project.clone();
    let snippet = format!(
        "<script src=\"{url}/sdk/iterato.js\"></script>\n<script>\n  IteratoService.init(\"{id}\");\n</script>",
        url = page.public_url,
        id = project.project_id
    );
    view! {
        <section class="card">
            <p>
                <a href="/dashboard/feedback">"← All projects"</a>
            </p>
            <h1>{project.name.clone()}</h1>
            <p>"Project id " <code class="project-id">{project.project_id.clone()}</code></p>
            {page
                .revealed_secret
                .clone()
                .map(|s| {
                    view! {
                        <div class="notice" role="status">
                            "Secret key for "
                            <code>"POST /fetchFeedbacks"</code>
                            " (shown only now; store it on your server): "
                            <code class="project-secret">{s}</code>
                        </div>
                    }
                })}
            <p class="muted">"Secret key ends in " <code>{project.secret_hint.clone()}</code> "."</p>
            {page
                .can_manage
                .then({
                    let (org_id, project_id) = (org_id.clone(), project.project_id.clone());
                    move || {
                        view! {
                            <ActionForm action=rotate>
                                <input type="hidden" name="org_id" value=org_id />
                                <input type="hidden" name="project_id" value=project_id />
                                <label class="check">
                                    <input type="checkbox" name="confirm" required />
                                    " The current key stops working at once"
                                </label>
                                <button type="submit" class="secondary">
                                    "Rotate secret key"
                                </button>
                            </ActionForm>
                            <FormError error=action_error(rotate) />
                        }
                    }
                })}
            {page
                .can_manage
                .then({
                    let (org_id, project_id) = (org_id.clone(), project.project_id.clone());
                    move || {
                        view! {
                            <details class="danger-zone" open=move || action_error(delete).get().is_some()>
                                <summary>"Delete this project"</summary>
                                <ActionForm action=delete>
                                    <input type="hidden" name="org_id" value=org_id />
                                    <input type="hidden" name="project_id" value=project_id />
                                    <label class="check">
                                        <input type="checkbox" name="confirm" required />
                                        " Its key stops working; it waits in the trash (Data & privacy) until restored or purged"
                                    </label>
                                    <FormError error=action_error(delete) />
                                    <button type="submit" class="danger">
                                        "Delete project"
                                    </button>
                                </ActionForm>
                            </details>
                        }
                    }
                })}
            <h2>"Embed"</h2>
            <p class="muted">
                "Add this to your pages, then call " <code>"IteratoService.setUser({uid, userName, userEmail})"</code>
                " and " <code>"IteratoService.collect(event_id, tags)"</code> " where you want feedback."
            </p>
            <pre class="snippet">{snippet}</pre>
        </section>
        <section class="card">
            <h2>"Events"</h2>
            {if project.events.is_empty() {
                view! { <p class="muted">"No events yet: add one, then call collect with its id."</p> }.into_any()
            } else {
                view! {
                    <table class="events">
                        <thead>
                            <tr>
                                <th>"Event id"</th>
                                <th>"Name"</th>
                                <th>"Question"</th>
                                <th>"👍"</th>
                                <th>"👎"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {project
                                .events
                                .iter()
                                .map(|e| {
                                    view! {
                                        <tr class="event" data-event=e.event_id.clone()>
                                            <td>
                                                <code>{e.event_id.clone()}</code>
                                            </td>
                                            <td>{e.name.clone()}</td>
                                            <td class="muted">
                                                {e.question.clone().unwrap_or_else(|| "(default)".into())}
                                            </td>
                                            <td class="count-positive">{e.positive}</td>
                                            <td class="count-negative">{e.negative}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
            {page
                .can_manage
                .then(|| {
                    view! {
                        <h3>"Add an event"</h3>
                        <ActionForm action=add>
                            <input type="hidden" name="org_id" value=org_id.clone() />
                            <input type="hidden" name="project_id" value=project.project_id.clone() />
                            <label>
                                "Event id"
                                <input name="event_id" required maxlength="100" placeholder="checkout-success" />
                            </label>
                            <label>"Name"<input name="name" required maxlength="80" placeholder="Checkout" /></label>
                            <label>
                                "Question (optional)"
                                <input name="question" maxlength="200" placeholder="How was your checkout?" />
                            </label>
                            <FormError error=action_error(add) />
                            <button type="submit">"Add event"</button>
                        </ActionForm>
                    }
                })}
        </section>
        <FeedbackList page=page.clone() />
    }
}

#[component]
fn FeedbackList(page: FeedbackProjectPageDto) -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked();
    let (event, tag, reaction) =
        (q.get("event").unwrap_or_default(), q.get("tag").unwrap_or_default(), q.get("reaction").unwrap_or_default());
    let feedback = page.feedback;
    let first = feedback.page.saturating_sub(1).saturating_mul(feedback.per_page).saturating_add(1);
    let last = first.saturating_add(feedback.items.len() as u64).saturating_sub(1);
    let pages = feedback.total.div_ceil(feedback.per_page).max(1);
    let base = format!("/dashboard/feedback/{}", page.project.project_id);
    let link = {
        let (base, event, tag, reaction) = (base.clone(), event.clone(), tag.clone(), reaction.clone());
        move |n: u64| format!("{base}?event={}&tag={}&reaction={}&page={n}", enc(&event), enc(&tag), enc(&reaction))
    };
    let negatives: Vec<FeedbackDto> = feedback
        .items
        .iter()
        .filter(|f| f.reaction == "negative" && f.conversation_summary.is_some())
        .cloned()
        .collect();
    view! {
        <section class="card">
            <h2>"Feedback"</h2>
            <form method="get" action=base.clone() class="filters">
                <label>
                    "Event" <select name="event">
                        <option value="" selected=event.is_empty()>
                            "All events"
                        </option>
                        {page
                            .project
                            .events
                            .iter()
                            .map(|e| {
                                view! {
                                    <option value=e.event_id.clone() selected=e.event_id == event>
                                        {e.name.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>"Tag"<input name="tag" value=tag.clone() placeholder="paid" /></label>
                <label>
                    "Reaction" <select name="reaction">
                        <option value="" selected=reaction.is_empty()>
                            "Both"
                        </option>
                        <option value="positive" selected=reaction == "positive">
                            "👍 Positive"
                        </option>
                        <option value="negative" selected=reaction == "negative">
                            "👎 Negative"
                        </option>
                    </select>
                </label>
                <button type="submit" class="secondary">
                    "Filter"
                </button>
            </form>
            {(!negatives.is_empty())
                .then(|| {
                    view! {
                        <h3>"What went wrong"</h3>
                        <ul class="summaries">
                            {negatives
                                .into_iter()
                                .map(|f| {
                                    view! {
                                        <li class="summary">
                                            {f.conversation_summary.clone()}
                                            <span class="muted">" · " {f.event_name.clone()}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            {if feedback.items.is_empty() {
                view! { <p class="muted empty">"No feedback matches."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">{format!("Showing {first}–{last} of {}", feedback.total)}</p>
                    <ul class="feedback-list">
                        {feedback.items.into_iter().map(|f| view! { <FeedbackItem f /> }).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <nav class="pager" aria-label="Pages">
                {(feedback.page > 1)
                    .then(|| {
                        view! {
                            <a href=link(feedback.page - 1) rel="prev">
                                "← Newer"
                            </a>
                        }
                    })}
                <span class="muted">{format!(" Page {} of {pages} ", feedback.page)}</span>
                {(feedback.page < pages)
                    .then(|| {
                        view! {
                            <a href=link(feedback.page + 1) rel="next">
                                "Older →"
                            </a>
                        }
                    })}
            </nav>
        </section>
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `userName`/`userEmail`/`uid` from `setUser`, as one line.
fn who(info: &serde_json::Value) -> String {
    let get = |k: &str| info.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let parts: Vec<String> =
        [get("userName"), get("userEmail"), get("uid")].into_iter().filter(|s| !s.is_empty()).collect();
    if parts.is_empty() { "Anonymous".into() } else { parts.join(" · ") }
}

#[component]
fn FeedbackItem(f: FeedbackDto) -> impl IntoView {
    let console = f.console_log.as_array().cloned().unwrap_or_default();
    let reaction_label = if f.reaction == "positive" { "👍 positive" } else { "👎 negative" };
    view! {
        <li class=format!("feedback {}", f.reaction) data-id=f.id.clone()>
            <p>
                <span class=format!("badge {}", f.reaction)>{reaction_label}</span>
                " "
                <strong>{f.event_name.clone()}</strong>
                " · "
                {who(&f.user_info)}
                " · "
                <span class="muted">
                    <LocalTime at=f.created_at />
                </span>
                {f
                    .tags
                    .iter()
                    .map(|t| {
                        view! {
                            " "
                            <span class="badge tag">{t.clone()}</span>
                        }
                    })
                    .collect_view()}
            </p>
            {f
                .conversation_summary
                .clone()
                .filter(|_| f.reaction == "negative")
                .map(|s| view! { <p class="feedback-summary">{s}</p> })}
            <details>
                <summary>"Details"</summary>
                {(!f.conversation.is_empty())
                    .then(|| {
                        view! {
                            <h4>"Conversation"</h4>
                            <ol class="feedback-conversation">
                                {f
                                    .conversation
                                    .iter()
                                    .map(|t| {
                                        view! {
                                            <li class=format!("turn {}", t.role)>
                                                <strong>
                                                    {if t.role == FeedbackTurnRole::Ai { "AI" } else { "User" }}
                                                </strong>
                                                ": "
                                                {t.text.clone()}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        }
                    })}
                <h4>{format!("Console ({} entries)", console.len())}</h4>
                <pre class="console-log">
                    {console
                        .iter()
                        .map(|e| {
                            format!(
                                "[{}] {} {}\n",
                                e["level"].as_str().unwrap_or("log"),
                                e["at"].as_str().unwrap_or(""),
                                e["message"].as_str().unwrap_or(""),
                            )
                        })
                        .collect::<String>()}
                </pre>
                <dl class="diagnostics">
                    <dt>"User"</dt>
                    <dd>
                        <code>{f.user_info.to_string()}</code>
                    </dd>
                    <dt>"Browser"</dt>
                    <dd>{f.browser.clone()}</dd>
                    <dt>"Connectivity"</dt>
                    <dd>
                        <code>{f.connectivity.to_string()}</code>
                    </dd>
                    <dt>"IP"</dt>
                    <dd>
                        <code>{f.ip_details.to_string()}</code>
                    </dd>
                    <dt>"Language"</dt>
                    <dd>{f.language.clone()}</dd>
                    <dt>"Id"</dt>
                    <dd>
                        <code>{f.id.clone()}</code>
                    </dd>
                </dl>
            </details>
        </li>
    }
}
