use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use uuid::Uuid;

use crate::components::{
    FormError, LiveUpdates, LocalTime, Shortcuts, SignedIn, TypingIndicator, TypingNow, action_error, data_epoch,
    refresh_on_success, urlencode,
};
use crate::dto::{
    ConversationStatus, ConversationSummaryDto, ConversationViewDto, InboxPageDto, MessageRole, SessionDto, StatsDto,
    TranscriptEntryDto,
};
use crate::error::AppError;
use crate::server_fns::inbox::{
    AddConversationTag, ClaimConversation, CreateSavedReply, DeleteSavedReply, MergeClaimedContact,
    RemoveConversationTag, ReopenConversation, ReplyToConversation, ResolveConversation, UpdateSavedReply,
    get_conversation_view, get_inbox, get_saved_replies,
};

/// Filter pills of the inbox, in order.
const FILTERS: &[(&str, &str)] = &[
    ("unresolved", "Unresolved"),
    ("escalated", "Escalated"),
    ("claimed", "Claimed"),
    ("resolved", "Resolved"),
    ("all", "All"),
];

/// Where the workspace lives; a conversation is `{BASE}/{id}`.
const BASE: &str = "/dashboard/conversations";

/// What the workspace's panes share: the organisation and the list (whose stats the empty pane
/// shows).
#[derive(Clone, Copy)]
struct Desk {
    org_id: Option<Uuid>,
    list: Resource<Result<InboxPageDto, AppError>>,
}

/// `/dashboard/conversations[/{id}]`: the agents' workspace in one screen. The conversation list
/// (filters, search, export) on the left stays while a conversation opens beside it: its thread
/// with the composer at the bottom in the middle, summary, actions, contact and tags on the
/// right. Live throughout; on a phone one pane at a time.
#[component]
pub fn InboxPage() -> impl IntoView {
    view! { <SignedIn next=BASE.to_owned() inner=|s| view! { <Workspace session=s /> }.into_any() /> }
}

#[component]
fn Workspace(session: SessionDto) -> impl IntoView {
    let org_id = session.current.as_ref().map(|m| m.organization.id);
    let me = session.user.id;
    // Who is typing in the open conversation, as the live connection hears it.
    provide_context(TypingNow::default());
    let query = use_query_map();
    let list = Resource::new(
        move || {
            let q = query.read();
            let get = |k: &str| q.get(k).unwrap_or_default();
            (org_id, get("status"), get("q"), get("tag"), get("after"), data_epoch())
        },
        |(org_id, status, q, tag, after, _)| async move {
            match org_id {
                Some(id) => get_inbox(id, status, q, tag, after).await,
                None => Err(AppError::NotFound("organization not found".into())),
            }
        },
    );
    provide_context(Desk { org_id, list });
    let location = use_location();
    let selected = Memo::new(move |_| selected_id(&location.pathname.get()));
    view! {
        <main class=move || if selected.get().is_some() { "page workspace has-selection" } else { "page workspace" }>
            <div class="toolbar">{org_id.map(|id| view! { <LiveUpdates org_id=id me /> })} <Shortcuts /></div>
            <div class="panes">
                <section class="pane list-pane" aria-label="Conversations">
                    <Transition fallback=|| {
                        view! { <p class="muted">"Loading…"</p> }
                    }>
                        {move || Suspend::new(async move {
                            match list.await {
                                Ok(page) => {
                                    view! { <ConversationList page selected org_id=org_id.unwrap_or_default() /> }
                                        .into_any()
                                }
                                Err(e) => {
                                    crate::components::set_response_status(e.status_code());
                                    view! {
                                        <h1>"Inbox"</h1>
                                        <p class="form-error" role="alert">
                                            {e.to_string()}
                                        </p>
                                    }
                                        .into_any()
                                }
                            }
                        })}
                    </Transition>
                </section>
                <Outlet />
            </div>
        </main>
    }
    .into_any()
}

/// The conversation in the path, if one is open.
fn selected_id(path: &str) -> Option<Uuid> {
    path.strip_prefix(BASE)?.strip_prefix('/').and_then(|id| Uuid::parse_str(id.trim_end_matches('/')).ok())
}

/// The list pane: filters, search, export and one row per conversation; a row opens the
/// conversation beside the list, keeping the filter.
#[component]
fn ConversationList(page: InboxPageDto, selected: Memo<Option<Uuid>>, org_id: Uuid) -> impl IntoView {
    let status = page.status.clone();
    let q = page.q.clone();
    let tag = page.tag.clone();
    let keep = format!("status={}&q={}&tag={}", urlencode(&status), urlencode(&q), urlencode(&tag));
    let export = format!("/api/v1/orgs/{org_id}/conversations.csv?{keep}");
    let newest = (!page.after.is_empty()).then(|| format!("{BASE}?{keep}"));
    let older = page.next.as_ref().map(|next| format!("{BASE}?{keep}&after={}", urlencode(next)));
    view! {
        <h1>"Inbox"</h1>
        <nav class="pills" aria-label="Filter">
            {FILTERS
                .iter()
                .map(|(value, label)| {
                    let href = format!("{BASE}?status={value}&q={}&tag={}", urlencode(&q), urlencode(&tag));
                    let current = (*value == status).then_some("page");
                    view! {
                        <a class="pill" href=href aria-current=current>
                            {*label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
        <form method="get" action=BASE class="search" role="search">
            <input type="hidden" name="status" value=status.clone() />
            <input type="hidden" name="tag" value=tag.clone() />
            <label>
                <span class="sr-only">"Search"</span>
                <input
                    type="search"
                    name="q"
                    value=q.clone()
                    placeholder="Words, a name or email"
                    aria-label="Search"
                />
            </label>
            <button type="submit" class="secondary">
                "Search"
            </button>
        </form>
        <p class="list-tools">
            {(!tag.is_empty())
                .then(|| {
                    view! {
                        <span class="tag-filter">
                            "Tagged " <span class="tag">{tag.clone()}</span> " · "
                            <a href=format!("{BASE}?status={}&q={}", urlencode(&status), urlencode(&q))>"show all"</a>
                        </span>
                    }
                })} <a class="export" href=export>
                "Export CSV"
            </a>
        </p>
        {if page.conversations.is_empty() {
            view! { <p class="muted empty">"Nothing here. New escalations appear on their own."</p> }.into_any()
        } else {
            view! {
                <ul class="conversation-list">
                    {page
                        .conversations
                        .into_iter()
                        .map(|c| view! { <Row c keep=keep.clone() selected /> })
                        .collect_view()}
                </ul>
                {(newest.is_some() || older.is_some())
                    .then(|| {
                        view! {
                            <nav class="pager" aria-label="More conversations">
                                {newest.map(|href| view! { <a href=href>"← Newest"</a> })}
                                {older
                                    .map(|href| {
                                        view! {
                                            <a href=href rel="next">
                                                "Older conversations →"
                                            </a>
                                        }
                                    })}
                            </nav>
                        }
                    })}
            }
                .into_any()
        }}
    }
}

#[component]
fn Row(c: ConversationSummaryDto, keep: String, selected: Memo<Option<Uuid>>) -> impl IntoView {
    let id = c.id;
    let href = format!("{BASE}/{id}?{keep}");
    let current = move || (selected.get() == Some(id)).then_some("page");
    let meta = [
        c.escalation_reason.as_deref().map(|r| reason_label(r).to_owned()),
        c.claimed_by_name.clone().map(|n| format!("with {n}")),
        Some(match c.message_count {
            1 => "1 message".to_owned(),
            n => format!("{n} messages"),
        }),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li class="conversation" data-id=id.to_string() data-status=c.status.as_str()>
            <a class="open" href=href aria-current=current>
                <span class="who">{c.visitor_label.clone()}</span>
                <span class=format!("badge {}", c.status)>{c.status.as_str()}</span>
                <span class="preview">{c.last_message.clone().map(|m| clip(&m, 90)).unwrap_or_default()}</span>
                <span class="meta">{meta} " · " <LocalTime at=c.escalated_at.unwrap_or(c.updated_at) /></span>
            </a>
            {(!c.tags.is_empty())
                .then(|| {
                    view! {
                        <span class="row-tags">
                            {c
                                .tags
                                .iter()
                                .map(|t| {
                                    view! {
                                        <a class="tag" href=format!("{BASE}?status=all&tag={}", urlencode(t))>
                                            {t.clone()}
                                        </a>
                                        " "
                                    }
                                })
                                .collect_view()}
                        </span>
                    }
                })}
        </li>
    }
}

/// The middle and right panes while no conversation is open: the figures of the last 30 days
/// and the team's saved replies.
#[component]
pub fn NoConversation() -> impl IntoView {
    let desk = expect_context::<Desk>();
    view! {
        <div class="pane detail-pane overview">
            <Transition>
                {move || Suspend::new(async move {
                    desk.list.await.ok().map(|page| view! { <StatsStrip stats=page.stats /> })
                })}
            </Transition>
            <p class="muted choose">"Choose a conversation on the left to read and answer it here."</p>
            {desk.org_id.map(|id| view! { <SavedRepliesManager org_id=id /> })}
        </div>
    }
    .into_any()
}

/// The human-support figures of the last 30 days and escalations per day.
#[component]
fn StatsStrip(stats: StatsDto) -> impl IntoView {
    let max = stats.per_day.iter().map(|d| d.escalations).max().unwrap_or(0).max(1);
    let width = stats.per_day.len().max(1) * 6;
    let bars: Vec<_> = stats
        .per_day
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let h = (d.escalations as f64 / max as f64 * 30.0).round();
            let title = format!("{}: {}", d.date, d.escalations);
            view! {
                <rect x=(i * 6).to_string() y=(32.0 - h).to_string() width="5" height=h.to_string()>
                    <title>{title}</title>
                </rect>
            }
        })
        .collect();
    let unresolved_class = if stats.unresolved > 0 { "figure amber" } else { "figure" };
    let peak = stats.per_day.iter().map(|d| d.escalations).max().unwrap_or(0);
    view! {
        <section class="card stats" aria-label="Last 30 days">
            <div class="figure">
                <span class="value total-conversations">{stats.total_conversations}</span>
                <span class="label">"Conversations"</span>
            </div>
            <div class="figure">
                <span class="value total-escalations">{stats.total_escalations}</span>
                <span class="label">"Escalations"</span>
            </div>
            <div class=unresolved_class>
                <span class="value unresolved">{stats.unresolved}</span>
                <span class="label">"Unresolved"</span>
            </div>
            <div class="figure">
                <span class="value">{percent(stats.resolution_rate)}</span>
                <span class="label">"Resolution rate"</span>
            </div>
            <div class="figure">
                <span class="value">{percent(stats.escalation_rate)}</span>
                <span class="label">"Escalation rate"</span>
            </div>
            <div class="figure">
                <span class="value">{duration_label(stats.avg_hours_to_resolve)}</span>
                <span class="label">"Avg. time to resolve"</span>
            </div>
            <figure class="chart-box">
                <svg
                    class="chart"
                    viewBox=format!("0 0 {width} 34")
                    role="img"
                    aria-label=format!("Escalations per day, last 30 days; at most {peak} a day")
                >
                    {bars}
                    <line class="axis" x1="0" y1="32.5" x2=width.to_string() y2="32.5"></line>
                </svg>
                <figcaption class="label">{format!("Escalations per day, 30 days · peak {peak}")}</figcaption>
            </figure>
        </section>
    }
}

/// An open conversation beside the list: the thread with the composer fixed at its bottom, and
/// the summary, actions, contact and tags on the right. Follows the conversation live.
#[component]
pub fn ConversationPane() -> impl IntoView {
    let Desk { org_id, .. } = expect_context::<Desk>();
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| Uuid::parse_str(&s).ok());
    let claim = ServerAction::<ClaimConversation>::new();
    let resolve = ServerAction::<ResolveConversation>::new();
    let reopen = ServerAction::<ReopenConversation>::new();
    let untag = ServerAction::<RemoveConversationTag>::new();
    refresh_on_success(untag);
    refresh_on_success(claim);
    refresh_on_success(resolve);
    refresh_on_success(reopen);
    let view_data = Resource::new(
        move || (org_id, id(), data_epoch()),
        |(org_id, id, _)| async move {
            match (org_id, id) {
                (Some(org), Some(id)) => get_conversation_view(org, id).await,
                _ => Err(AppError::NotFound("conversation not found".into())),
            }
        },
    );
    let failed = move |e: AppError| {
        crate::components::set_response_status(e.status_code());
        view! {
            <section class="card">
                <h2>"Conversation"</h2>
                <p class="form-error" role="alert">
                    {e.to_string()}
                </p>
            </section>
        }
        .into_any()
    };
    view! {
        <div class="pane detail-pane conversation">
            <section class="thread" aria-label="Conversation">
                <p class="back">
                    <a href=BASE data-shortcut="i">
                        "← Inbox"
                    </a>
                </p>
                <div class="scroll">
                    <Transition fallback=|| {
                        view! { <p class="muted">"Loading…"</p> }
                    }>
                        {move || Suspend::new(async move {
                            match view_data.await {
                                Ok(v) => view! { <Thread v /> }.into_any(),
                                Err(e) => failed(e),
                            }
                        })}
                    </Transition>
                </div>
                {move || {
                    let held_by = Signal::derive(move || {
                        view_data
                            .get()
                            .and_then(Result::ok)
                            .and_then(|v| {
                                let c = v.conversation;
                                (c.status == ConversationStatus::Claimed && c.claimed_by != Some(v.me))
                                    .then(|| c.claimed_by_name.unwrap_or_else(|| "A colleague".into()))
                            })
                    });
                    id()
                        .zip(org_id)
                        .map(|(id, org)| {
                            // Who holds the conversation, when it is a colleague: the reply box asks first.
                            view! { <ReplyBox org_id=org id held_by /> }
                        })
                }}
            </section>
            <aside class="side" aria-label="Details">
                <Transition>
                    {move || Suspend::new(async move {
                        view_data
                            .await
                            .ok()
                            .map(|v| view! { <Side v org_id=org_id.unwrap_or_default() claim resolve reopen untag /> })
                    })}
                </Transition>
                <FormError error=action_error(untag) />
            </aside>
        </div>
    }
    .into_any()
}

/// The visitor, the status and the transcript, scrolled to its newest line each time it is
/// drawn. (No resource is read here: a resource read outside a `Transition` would make the
/// page's `Suspense` redraw everything, and the reply box lose its focus, on every update.)
#[component]
fn Thread(v: ConversationViewDto) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::prelude::request_animation_frame(|| {
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector(".thread .scroll").ok().flatten())
            {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });
    let c = v.conversation;
    view! {
        <h2 class="thread-title">
            {c.visitor_label.clone()} " " <span class=format!("badge {}", c.status) data-testid="status">
                {c.status.as_str()}
            </span>
        </h2>
        <ol class="transcript">{v.messages.into_iter().map(|m| view! { <Line m /> }).collect_view()}</ol>
        <TypingIndicator id=c.id />
    }
}

/// The right pane: why it came to a person, the summary, the actions, tags and contact.
#[component]
fn Side(
    v: ConversationViewDto,
    org_id: Uuid,
    claim: ServerAction<ClaimConversation>,
    resolve: ServerAction<ResolveConversation>,
    reopen: ServerAction<ReopenConversation>,
    untag: ServerAction<RemoveConversationTag>,
) -> impl IntoView {
    let c = v.conversation.clone();
    let (org, id) = (org_id.to_string(), c.id.to_string());
    let mine = c.claimed_by == Some(v.me);
    // A colleague's claim stands: no Claim button then, their name instead (the page follows
    // claims live).
    let can_claim = c.status.claimable();
    let transcript = format!("/api/v1/orgs/{org_id}/conversations/{}/transcript.csv", c.id);
    let contact = c.contact.clone();
    view! {
        <section class="card pinned">
            {c
                .escalation_reason
                .clone()
                .map(|r| {
                    view! {
                        <p class="reason">
                            "Escalated: " <strong>{reason_label(&r)}</strong> " · "
                            {c.escalated_at.map(|t| view! { <LocalTime at=t /> })}
                        </p>
                    }
                })} {c.handoff_summary.clone().map(|s| view! { <p class="summary">{s}</p> })}
            {c
                .claimed_by_name
                .clone()
                .map(|n| {
                    view! {
                        <p class="claimed">"Claimed by " <strong>{if mine { "you".to_owned() } else { n }}</strong></p>
                    }
                })}
            <div class="row actions">
                {can_claim
                    .then(|| {
                        let (org, id) = (org.clone(), id.clone());
                        view! {
                            <ActionForm action=claim>
                                <input type="hidden" name="org_id" value=org />
                                <input type="hidden" name="id" value=id />
                                <button type="submit" data-shortcut="c" aria-keyshortcuts="c">
                                    "Claim"
                                </button>
                            </ActionForm>
                        }
                    })}
                {(c.status != ConversationStatus::Resolved)
                    .then(|| {
                        let (org, id) = (org.clone(), id.clone());
                        view! {
                            <ActionForm action=resolve>
                                <input type="hidden" name="org_id" value=org />
                                <input type="hidden" name="id" value=id />
                                <button type="submit" class="secondary" data-shortcut="e" aria-keyshortcuts="e">
                                    "Mark resolved"
                                </button>
                            </ActionForm>
                        }
                    })}
                {(c.status == ConversationStatus::Resolved)
                    .then(|| {
                        let (org, id) = (org.clone(), id.clone());
                        view! {
                            <ActionForm action=reopen>
                                <input type="hidden" name="org_id" value=org />
                                <input type="hidden" name="id" value=id />
                                <button type="submit" class="secondary" data-shortcut="o" aria-keyshortcuts="o">
                                    "Reopen"
                                </button>
                            </ActionForm>
                        }
                    })} <a class="export" href=transcript>
                    "Transcript CSV"
                </a>
            </div> <FormError error=action_error(claim) /> <FormError error=action_error(resolve) />
            <FormError error=action_error(reopen) />
        </section>
        <section class="card contact">
            <h2>"Contact"</h2>
            {match contact {
                Some(k) => {
                    view! {
                        <dl>
                            <dt>"Name"</dt>
                            <dd>{k.name.unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Email"</dt>
                            <dd>{k.email.unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Phone"</dt>
                            <dd>{k.phone.unwrap_or_else(|| "—".into())}</dd>
                        </dl>
                    }
                        .into_any()
                }
                None => view! { <p class="muted">{c.visitor_label.clone()}</p> }.into_any(),
            }}
            {c.language.clone().map(|l| view! { <p class="muted">"Language: " {l}</p> })}
            {c.claimed.clone().map(|k| view! { <ClaimedDetails org_id id=c.id claimed=k /> })}
        </section>
        <section class="card tags">
            <h2>"Tags"</h2>
            {if c.tags.is_empty() {
                view! { <p class="muted">"No tags yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="tag-list">
                        {c
                            .tags
                            .iter()
                            .map(|t| {
                                let (org, id, t) = (org.clone(), id.clone(), t.clone());
                                view! {
                                    <li>
                                        <span class="tag">{t.clone()}</span>
                                        <ActionForm action=untag>
                                            <input type="hidden" name="org_id" value=org />
                                            <input type="hidden" name="id" value=id />
                                            <input type="hidden" name="tag" value=t.clone() />
                                            <button type="submit" class="link" aria-label=format!("Remove tag {t}")>
                                                "✕"
                                            </button>
                                        </ActionForm>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <TagForm org_id id=c.id />
        </section>
        {v.can_delete.then(|| view! { <DeleteConversation org_id id=c.id /> })}
    }
}

/// What the visitor says about themselves that names another, stored contact: shown as
/// unverified until an agent confirms it is the same person (one action, logged).
#[component]
fn ClaimedDetails(org_id: Uuid, id: Uuid, claimed: crate::dto::ContactDto) -> impl IntoView {
    let merge = ServerAction::<MergeClaimedContact>::new();
    refresh_on_success(merge);
    let who = [claimed.name.clone(), claimed.email.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    view! {
        <div class="claimed-details" data-testid="claimed">
            <p>
                <strong>"Unverified: "</strong>
                "the visitor says they are "
                <span class="claim">{who}</span>
                ". That email belongs to a stored contact; nothing was changed on it."
            </p>
            <ActionForm action=merge>
                <input type="hidden" name="org_id" value=org_id.to_string() />
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="secondary">
                    "Same person: merge into that contact"
                </button>
            </ActionForm>
            <FormError error=action_error(merge) />
        </div>
    }
}

/// Adds a tag to the conversation.
#[component]
fn TagForm(org_id: Uuid, id: Uuid) -> impl IntoView {
    let tag = ServerAction::<AddConversationTag>::new();
    refresh_on_success(tag);
    view! {
        <ActionForm action=tag>
            <input type="hidden" name="org_id" value=org_id.to_string() />
            <input type="hidden" name="id" value=id.to_string() />
            <div class="row">
                <label>"Add a tag"<input type="text" name="tag" required maxlength="32" placeholder="billing" /></label>
                <button type="submit" class="secondary">
                    "Tag"
                </button>
            </div>
            <FormError error=action_error(tag) />
        </ActionForm>
    }
}

#[component]
fn Line(m: TranscriptEntryDto) -> impl IntoView {
    let msg = m.message.message.clone();
    let who = match msg.role {
        MessageRole::Visitor => "Visitor".to_owned(),
        MessageRole::Ai => "AI".to_owned(),
        MessageRole::System => "System".to_owned(),
        MessageRole::Agent => m.message.author_name.clone().unwrap_or_else(|| "Agent".into()),
    };
    let citations = msg.citations.clone().unwrap_or_default();
    view! {
        <li class=format!("line {}", msg.role)>
            <p class="meta">
                <strong>{who}</strong>
                " · "
                <LocalTime at=msg.created_at style=crate::components::TimeStyle::Clock />
            </p>
            {match m.html {
                Some(html) => view! { <div class="markdown" inner_html=html></div> }.into_any(),
                None => view! { <p class="text">{msg.text.clone()}</p> }.into_any(),
            }}
            {(!citations.is_empty())
                .then(|| {
                    view! {
                        <p class="sources muted">
                            "Sources: " {citations.iter().map(|c| c.title.clone()).collect::<Vec<_>>().join(", ")}
                        </p>
                    }
                })}
        </li>
    }
}

/// The reply form and saved replies, at the bottom of the thread; outside the live-refreshed
/// part so typing survives updates.
#[component]
fn ReplyBox(org_id: Uuid, id: Uuid, #[prop(into)] held_by: Signal<Option<String>>) -> impl IntoView {
    let reply = ServerAction::<ReplyToConversation>::new();
    refresh_on_success(reply);
    let saved = Resource::new(move || org_id, get_saved_replies);
    let text = NodeRef::<leptos::html::Textarea>::new();
    // What the box holds; "/" and a few letters at its start open the saved-reply picker.
    let draft = RwSignal::new(String::new());
    let replies = move || saved.get().and_then(Result::ok).map(|s| s.replies).unwrap_or_default();
    let matches = move || {
        let d = draft.get();
        let query = d.strip_prefix('/').filter(|q| !q.contains(char::is_whitespace))?.to_lowercase();
        Some(replies().into_iter().filter(|r| r.title.to_lowercase().contains(&query)).collect::<Vec<_>>())
    };
    let insert = move |body: String| {
        if let Some(t) = text.get_untracked() {
            t.set_value(&body);
            let _ = t.focus();
        }
        draft.set(body);
    };
    Effect::new(move |_| {
        reply.version().track();
        if matches!(reply.value().get_untracked(), Some(Ok(())))
            && let Some(t) = text.get_untracked()
        {
            t.set_value("");
            draft.set(String::new());
        }
    });
    view! {
        <section class="card reply">
            <ActionForm action=reply>
                <input type="hidden" name="org_id" value=org_id.to_string() />
                <input type="hidden" name="id" value=id.to_string() />
                <label>
                    "Reply to the visitor"
                    <textarea
                        name="text"
                        rows="3"
                        required
                        maxlength="4000"
                        node_ref=text
                        data-shortcut="r"
                        aria-keyshortcuts="r"
                        placeholder="Type / for saved replies"
                        on:input=move |ev| {
                            draft.set(event_target_value(&ev));
                            typing_ping(org_id, id);
                        }
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" && !ev.shift_key()
                                && let Some(first) = matches().and_then(|m| m.into_iter().next())
                            {
                                ev.prevent_default();
                                insert(first.body);
                            }
                        }
                    ></textarea>
                </label>
                {move || {
                    matches()
                        .map(|found| {
                            view! {
                                <ul class="picker" aria-label="Saved replies">
                                    {if found.is_empty() {
                                        view! { <li class="muted">"No saved reply matches."</li> }.into_any()
                                    } else {
                                        found
                                            .into_iter()
                                            .map(|r| {
                                                let body = r.body.clone();
                                                view! {
                                                    <li>
                                                        <button
                                                            type="button"
                                                            class="link"
                                                            on:click=move |_| insert(body.clone())
                                                        >
                                                            <strong>{r.title.clone()}</strong>
                                                            <span class="muted">" " {clip(&r.body, 80)}</span>
                                                        </button>
                                                    </li>
                                                }
                                            })
                                            .collect_view()
                                            .into_any()
                                    }}
                                </ul>
                            }
                        })
                }}
                <Transition>
                    {move || {
                        held_by
                            .get()
                            .map(|name| {
                                view! {
                                    <label class="check held">
                                        <input type="checkbox" name="confirm" required />
                                        {format!(" Reply anyway: {name} holds this conversation")}
                                    </label>
                                }
                            })
                    }}
                </Transition>
                <FormError error=action_error(reply) />
                <button type="submit">"Send"</button>
            </ActionForm>
            <Suspense>
                {move || Suspend::new(async move {
                    let replies = saved.await.map(|s| s.replies).unwrap_or_default();
                    (!replies.is_empty())
                        .then(|| {
                            view! {
                                <details class="saved-replies">
                                    <summary>"Saved replies"</summary>
                                    <ul>
                                        {replies
                                            .into_iter()
                                            .map(|r| {
                                                let body = r.body.clone();
                                                view! {
                                                    <li>
                                                        <button
                                                            type="button"
                                                            class="secondary"
                                                            on:click=move |_| insert(body.clone())
                                                        >
                                                            {r.title.clone()}
                                                        </button>
                                                        <span class="muted">" " {clip(&r.body, 120)}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                </details>
                            }
                        })
                })}
            </Suspense>
        </section>
    }
}

/// Tells the visitor (and colleagues) that this agent is typing: at most every 3 s, in the
/// background; a failed ping is nothing to report.
fn typing_ping(org_id: Uuid, id: Uuid) {
    #[cfg(feature = "hydrate")]
    {
        thread_local! {
            static LAST: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
        }
        let now = js_sys::Date::now();
        if now - LAST.with(std::cell::Cell::get) < 3000.0 {
            return;
        }
        LAST.with(|l| l.set(now));
        leptos::task::spawn_local(async move {
            let _ = crate::server_fns::inbox::agent_typing(org_id, id).await;
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (org_id, id);
}

/// Saved replies: everyone sees them; owners and admins add and delete them.
#[component]
fn SavedRepliesManager(org_id: Uuid) -> impl IntoView {
    let create = ServerAction::<CreateSavedReply>::new();
    let update = ServerAction::<UpdateSavedReply>::new();
    let delete = ServerAction::<DeleteSavedReply>::new();
    refresh_on_success(create);
    refresh_on_success(update);
    refresh_on_success(delete);
    let saved = Resource::new(move || (org_id, data_epoch()), |(org_id, _)| get_saved_replies(org_id));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let Ok(page) = saved.await else { return None };
                page.can_manage
                    .then(|| {
                        view! {
                            <section class="card" id="saved-replies">
                                <h2>"Saved replies"</h2>
                                <p class="muted">
                                    "Canned answers agents insert into a reply with one click, or by typing / and a few letters of the title in the reply box."
                                </p>
                                <ul class="saved-list">
                                    {page
                                        .replies
                                        .into_iter()
                                        .map(|r| {
                                            let (edit_title, edit_body, edit_id) = (
                                                r.title.clone(),
                                                r.body.clone(),
                                                r.id.to_string(),
                                            );
                                            let (delete_label, delete_id) = (
                                                format!("Delete saved reply {}", r.title),
                                                r.id.to_string(),
                                            );
                                            view! {
                                                <li data-title=r.title.clone()>
                                                    <strong>{r.title.clone()}</strong>
                                                    <span class="muted">" " {clip(&r.body, 120)}</span>
                                                    <details class="edit">
                                                        <summary aria-label=format!(
                                                            "Edit saved reply {}",
                                                            r.title,
                                                        )>"Edit"</summary>
                                                        <ActionForm action=update>
                                                            <input
                                                                type="hidden"
                                                                name="org_id"
                                                                value=org_id.to_string()
                                                            />
                                                            <input type="hidden" name="id" value=edit_id />
                                                            <label>
                                                                "Title"
                                                                <input
                                                                    type="text"
                                                                    name="title"
                                                                    required
                                                                    maxlength="80"
                                                                    value=edit_title
                                                                />
                                                            </label>
                                                            <label>
                                                                "Text"
                                                                <textarea name="body" rows="3" required maxlength="4000">
                                                                    {edit_body}
                                                                </textarea>
                                                            </label>
                                                            <button type="submit">"Save changes"</button>
                                                        </ActionForm>
                                                    </details>
                                                    <ActionForm action=delete>
                                                        <input type="hidden" name="org_id" value=org_id.to_string() />
                                                        <input type="hidden" name="id" value=delete_id />
                                                        <button type="submit" class="danger" aria-label=delete_label>
                                                            "Delete"
                                                        </button>
                                                    </ActionForm>
                                                </li>
                                            }
                                        })
                                        .collect_view()} <FormError error=action_error(update) />
                                </ul>
                                <ActionForm action=create>
                                    <input type="hidden" name="org_id" value=org_id.to_string() />
                                    <label>"Title"<input type="text" name="title" required maxlength="80" /></label>
                                    <label>
                                        "Text"<textarea name="body" rows="3" required maxlength="4000"></textarea>
                                    </label>
                                    <FormError error=action_error(create) />
                                    <FormError error=action_error(delete) />
                                    <button type="submit">"Save reply"</button>
                                </ActionForm>
                            </section>
                        }
                    })
            })}
        </Suspense>
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

/// Owners and admins: move the conversation to the trash, or erase it for good after typing the
/// confirmation word.
#[component]
fn DeleteConversation(org_id: Uuid, id: Uuid) -> impl IntoView {
    use crate::server_fns::privacy::{ERASE_CONFIRMATION, EraseConversation, TrashConversation};
    let trash = ServerAction::<TrashConversation>::new();
    let erase = ServerAction::<EraseConversation>::new();
    view! {
        <section class="card danger-zone">
            // Open while either form has an error to show (also after a no-JS post).
            <details open=move || action_error(trash).get().is_some() || action_error(erase).get().is_some()>
                <summary>"Delete or erase this conversation"</summary>
                <ActionForm action=trash>
                    <input type="hidden" name="org_id" value=org_id.to_string() />
                    <input type="hidden" name="id" value=id.to_string() />
                    <p class="muted">
                        "Deleting moves it to the trash (Data & privacy), where it can be restored until it is purged."
                    </p>
                    <FormError error=action_error(trash) />
                    <button type="submit" class="secondary">
                        "Move to trash"
                    </button>
                </ActionForm>
                <ActionForm action=erase>
                    <input type="hidden" name="org_id" value=org_id.to_string() />
                    <input type="hidden" name="id" value=id.to_string() />
                    <label>
                        {format!(
                            "Type \"{ERASE_CONFIRMATION}\" to erase it for good: messages, summary, tags and alerts, with no way back",
                        )} <input name="confirm" autocomplete="off" required />
                    </label>
                    <FormError error=action_error(erase) />
                    <button type="submit" class="danger">
                        "Erase for good"
                    </button>
                </ActionForm>
            </details>
        </section>
    }
}

/// An escalation reason in words.
pub fn reason_label(code: &str) -> &'static str {
    match code {
        "refund" => "Refund request",
        "complaint" => "Complaint",
        "account" => "Account problem",
        "low_confidence" => "Low confidence",
        "requested" => "Asked for a person",
        _ => "Other",
    }
}

/// A mean time to resolve: minutes under an hour, hours with one decimal above, "–" for none.
fn duration_label(hours: f64) -> String {
    if hours <= 0.0 {
        "–".into()
    } else if hours < 1.0 {
        format!("{} min", (hours * 60.0).round().max(1.0))
    } else {
        format!("{hours:.1} h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_durations_read_as_words() {
        assert_eq!(reason_label("low_confidence"), "Low confidence");
        assert_eq!(reason_label("refund"), "Refund request");
        assert_eq!(duration_label(0.0), "–");
        assert_eq!(duration_label(0.25), "15 min");
        assert_eq!(duration_label(0.001), "1 min");
        assert_eq!(duration_label(2.0), "2.0 h");
    }
}
