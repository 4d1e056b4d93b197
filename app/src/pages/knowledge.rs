use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use super::inbox::reason_label;
use crate::components::{FormError, LocalTime, Nav, action_error, data_epoch, refresh_on_success, set_response_status};
use crate::dto::{DocumentDto, DocumentStatus, SessionDto, TrialDto};
use crate::error::AppError;
use crate::server_fns::auth::get_session;
use crate::server_fns::knowledge::{
    DeleteDocument, PreviewMarkdown, SaveDocument, get_document, list_documents, test_question,
};

/// Loads the session, renders the nav, and hands the selected organisation to `content`;
/// signed-out visitors go to the sign-in page, agents see a 403 message.
fn knowledge_frame(
    next: &'static str,
    content: impl Fn(SessionDto, Uuid) -> AnyView + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let session = Resource::new_blocking(data_epoch, |_| get_session());
    view! {
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || {
                let content = content.clone();
                Suspend::new(async move {
                    match session.await {
                        Ok(Some(s)) => {
                            match s.current.as_ref().map(|m| m.organization.id) {
                                Some(org_id) if s.can_manage_knowledge => {
                                    view! {
                                        <Nav session=s.clone() />
                                        {content(s, org_id)}
                                    }
                                        .into_any()
                                }
                                _ => {
                                    set_response_status(http::StatusCode::FORBIDDEN);
                                    view! {
                                        <Nav session=s />
                                        <main class="page">
                                            <section class="card">
                                                <h1>"Knowledge base"</h1>
                                                <p class="form-error" role="alert">
                                                    "Only owners and admins can manage the knowledge base."
                                                </p>
                                            </section>
                                        </main>
                                    }
                                        .into_any()
                                }
                            }
                        }
                        Ok(None) => view! { <Redirect path=format!("/login?next={next}") /> }.into_any(),
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert">
                                    {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// `/dashboard/knowledge`: documents with status and progress, a new-document form, file
/// upload, and the "test a question" box showing what retrieval returns.
#[component]
pub fn KnowledgePage() -> impl IntoView {
    knowledge_frame("/dashboard/knowledge", |_, org_id| view! { <Knowledge org_id /> }.into_any())
}

#[component]
fn Knowledge(org_id: Uuid) -> impl IntoView {
    let delete = ServerAction::<DeleteDocument>::new();
    refresh_on_success(delete);
    let docs = Resource::new_blocking(move || (org_id, data_epoch()), |(org_id, _)| list_documents(org_id));
    let query = use_query_map();
    let upload_error = move || query.read().get("upload_error").filter(|e| !e.is_empty());
    view! {
        <main class="page">
            <section class="card">
                <h1>"Knowledge base"</h1>
                <p class="muted">
                    "The AI answers only from these documents. New and edited documents are indexed in the background."
                </p>
                <FormError error=action_error(delete) />
                <Suspense>
                    {move || Suspend::new(async move {
                        match docs.await {
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted empty">"No documents yet. Add one below."</p> }.into_any()
                            }
                            Ok(list) => {
                                let processing = list.iter().any(|d| d.status == DocumentStatus::Processing);
                                view! {
                                    {processing.then(|| view! { <Meta http_equiv="refresh" content="3" /> })}
                                    <table class="documents">
                                        <thead>
                                            <tr>
                                                <th>"Title"</th>
                                                <th>"Status"</th>
                                                <th>"Passages"</th>
                                                <th>"Updated"</th>
                                                <th></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|d| view! { <DocumentRow doc=d org_id delete /> })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                                    .into_any()
                            }
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
            </section>
            <section class="card">
                <h2>"Add a document"</h2>
                <p>
                    <a class="button" href="/dashboard/knowledge/new">
                        "Write a document"
                    </a>
                </p>
                <form method="post" action="/dashboard/knowledge/upload" enctype="multipart/form-data" class="upload">
                    <input type="hidden" name="org_id" value=org_id.to_string() />
                    <label>
                        "Or upload a file (.md, .txt, .html)"
                        <input type="file" name="file" accept=".md,.markdown,.txt,.html,.htm" required />
                    </label>
                    {move || {
                        upload_error()
                            .map(|e| {
                                view! {
                                    <p class="form-error" role="alert">
                                        {e}
                                    </p>
                                }
                            })
                    }}
                    <button type="submit" class="secondary">
                        "Upload"
                    </button>
                </form>
            </section>
            <TestQuestion org_id />
        </main>
    }
}

#[component]
fn DocumentRow(doc: DocumentDto, org_id: Uuid, delete: ServerAction<DeleteDocument>) -> impl IntoView {
    let status = match doc.status {
        DocumentStatus::Processing => format!("processing {}/{}", doc.chunks_done, doc.chunk_count),
        other => other.as_str().to_owned(),
    };
    let id = doc.id.to_string();
    let label = format!("Delete {}", doc.title);
    view! {
        <tr data-title=doc.title.clone()>
            <td>
                <a href=format!("/dashboard/knowledge/{}", doc.id)>{doc.title.clone()}</a>
            </td>
            <td>
                <span class=format!("badge status-{}", doc.status)>{status}</span>
                {doc.error.clone().map(|e| view! { <small class="form-error">{e}</small> })}
            </td>
            <td class="chunks">{doc.chunk_count}</td>
            <td class="muted">
                <LocalTime at=doc.updated_at />
            </td>
            <td>
                // Asks first, with and without JavaScript: the button that deletes is behind a
                // disclosure that says where the document goes.
                <details class="confirm-delete">
                    <summary aria-label=format!("Delete {}…", doc.title)>"Delete"</summary>
                    <ActionForm action=delete>
                        <input type="hidden" name="org_id" value=org_id.to_string() />
                        <input type="hidden" name="id" value=id.clone() />
                        <p>
                            "It moves to the trash (Data & privacy) and the AI stops using it; it can be restored there."
                        </p>
                        <button type="submit" class="danger" aria-label=label.clone()>
                            "Move to trash"
                        </button>
                    </ActionForm>
                </details>
            </td>
        </tr>
    }
}

/// A GET form (`?q=`), so results render on the server and work without JavaScript: what the
/// AI would do with the question (answer, with the reply; hand off, with the reason), then the
/// passages it reads.
#[component]
fn TestQuestion(org_id: Uuid) -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    let result = Resource::new_blocking(q, move |q| async move {
        match q {
            Some(q) => test_question(org_id, q).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <section class="card" id="test">
            <h2>"Test a question"</h2>
            <p class="muted">
                "Ask as a visitor would: see whether the AI would answer or hand the conversation to your team, and which passages it reads (1.00 = identical meaning). Nothing is stored."
            </p>
            <form method="get" action="/dashboard/knowledge#test">
                <label>
                    "Question"
                    <input type="text" name="q" required maxlength="1000" value=move || q().unwrap_or_default() />
                </label>
                <button type="submit">"Test"</button>
            </form>
            <Suspense>
                {move || Suspend::new(async move {
                    match result.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(found)) => {
                            view! {
                                <Verdict trial=found.trial />
                                {if found.hits.is_empty() {
                                    view! { <p class="muted">"Nothing in the knowledge base matches."</p> }.into_any()
                                } else {
                                    view! {
                                        <h3>"Passages it reads"</h3>
                                        <ol class="hits">
                                            {found
                                                .hits
                                                .into_iter()
                                                .map(|h| {
                                                    view! {
                                                        <li>
                                                            <strong>{h.title.clone()}</strong>
                                                            {(!h.heading.is_empty())
                                                                .then(|| {
                                                                    view! {
                                                                        <span class="muted">" · " {h.heading.clone()}</span>
                                                                    }
                                                                })}
                                                            <span class="score">{format!("{:.2}", h.score)}</span>
                                                            <p>{h.text.clone()}</p>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ol>
                                    }
                                        .into_any()
                                }}
                            }
                                .into_any()
                        }
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
        </section>
    }
}

/// The AI's decision on a test question, in words.
#[component]
fn Verdict(trial: TrialDto) -> impl IntoView {
    let (class, headline, reply) = match trial {
        TrialDto::Answers { reply, source } => {
            ("verdict answers", format!("The AI would answer, quoting “{source}”:"), reply)
        }
        TrialDto::HandsOff { reason, reply } => (
            "verdict hands-off",
            format!("The AI would hand this conversation to your team ({}). The visitor reads:", reason_label(&reason)),
            reply,
        ),
        TrialDto::DeclinesAlone { reason, reply } => (
            "verdict declines",
            format!(
                "The AI would not answer ({}), and hands nothing off (AI-only mode). The visitor reads:",
                reason_label(&reason)
            ),
            reply,
        ),
    };
    view! {
        <div class=class data-testid="verdict">
            <p>
                <strong>{headline}</strong>
            </p>
            <blockquote>{reply}</blockquote>
        </div>
    }
}

/// `/dashboard/knowledge/:id` (`new` for a new document): Markdown editor with preview.
#[component]
pub fn DocumentEditorPage() -> impl IntoView {
    knowledge_frame("/dashboard/knowledge", |_, org_id| view! { <DocumentEditor org_id /> }.into_any())
}

#[component]
fn DocumentEditor(org_id: Uuid) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<Uuid>().ok());
    let doc = Resource::new_blocking(id, move |id| async move {
        match id {
            Some(id) => get_document(org_id, id).await.map(Some),
            None => Ok::<_, AppError>(None),
        }
    });
    let save = ServerAction::<SaveDocument>::new();
    let preview = ServerAction::<PreviewMarkdown>::new();
    view! {
        <main class="page">
            <Suspense>
                {move || Suspend::new(async move {
                    match doc.await {
                        Err(e) => {
                            set_response_status(e.status_code());
                            view! {
                                <section class="card">
                                    <p class="form-error" role="alert">
                                        {e.to_string()}
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Ok(doc) => {
                            let heading = if doc.is_some() { "Edit document" } else { "New document" };
                            let id = doc.as_ref().map(|d| d.id.to_string()).unwrap_or_default();
                            let title = doc.as_ref().map(|d| d.title.clone()).unwrap_or_default();
                            let source = doc.as_ref().and_then(|d| d.source_url.clone()).unwrap_or_default();
                            let content = doc.as_ref().and_then(|d| d.content.clone()).unwrap_or_default();
                            let draft = RwSignal::new(content.clone());
                            let render = move || {
                                preview
                                    .dispatch(PreviewMarkdown {
                                        content: draft.get_untracked(),
                                    });
                            };
                            // What the editor holds now: the preview renders this, not what was stored.
                            view! {
                                <section class="card">
                                    <h1>{heading}</h1>
                                    <ActionForm action=save>
                                        <input type="hidden" name="org_id" value=org_id.to_string() />
                                        {(!id.is_empty())
                                            .then(|| view! { <input type="hidden" name="id" value=id.clone() /> })}
                                        <label>
                                            "Title"
                                            <input type="text" name="title" required maxlength="200" value=title />
                                        </label>
                                        <label>
                                            "Source URL (optional)"<input type="url" name="source_url" value=source />
                                        </label>
                                        <label>
                                            "Content (Markdown)"
                                            <textarea
                                                name="content"
                                                rows="18"
                                                required
                                                on:input=move |ev| draft.set(event_target_value(&ev))
                                            >
                                                {content}
                                            </textarea>
                                        </label>
                                        <FormError error=action_error(save) />
                                        <button type="submit">"Save"</button>
                                    </ActionForm>
                                    // Opening it renders what the editor holds; "Refresh" after more typing.
                                    <details class="preview">
                                        <summary on:click=move |_| render()>"Preview"</summary>
                                        <noscript>
                                            <p class="muted">"The preview needs JavaScript; save to keep your text."</p>
                                        </noscript>
                                        <button type="button" class="secondary" on:click=move |_| render()>
                                            "Refresh preview"
                                        </button>
                                        {move || match preview.value().get() {
                                            Some(Ok(html)) => {
                                                view! {
                                                    <div class="markdown" data-testid="preview" inner_html=html></div>
                                                }
                                                    .into_any()
                                            }
                                            Some(Err(e)) => {
                                                view! {
                                                    <p class="form-error" role="alert">
                                                        {e.to_string()}
                                                    </p>
                                                }
                                                    .into_any()
                                            }
                                            None => ().into_any(),
                                        }}
                                    </details>
                                    <p>
                                        <a href="/dashboard/knowledge">"Back to the knowledge base"</a>
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
