use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use crate::components::{FormError, LocalTime, Nav, action_error, data_epoch, refresh_on_success, set_response_status};
use crate::dto::{DocumentDto, SessionDto};
use crate::error::AppError;
use crate::server_fns::auth::get_session;
use crate::server_fns::knowledge::{
    DeleteDocument, PreviewMarkdown, SaveDocument, get_document, list_documents, search_knowledge,
};

/// Loads the session, renders the nav, and hands the selected organisation to `content`;
/// signed-out visitors go to the sign-in page, agents see a 403 message.
fn knowledge_frame(
    next: &'static str,
    content: impl Fn(SessionDto, Uuid) -> AnyView + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let session = Resource::new_blocking(data_epoch, |_| get_session());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let content = content.clone();
                Suspend::new(async move {
                    match session.await {
                        Ok(Some(s)) => match s.current.as_ref().map(|m| m.organization.id) {
                            Some(org_id) if s.can_manage_knowledge => {
                                view! { <Nav session=s.clone() /> {content(s, org_id)} }.into_any()
                            }
                            _ => {
                                set_response_status(http::StatusCode::FORBIDDEN);
                                view! {
                                    <Nav session=s />
                                    <main class="page"><section class="card">
                                        <h1>"Knowledge base"</h1>
                                        <p class="form-error" role="alert">"Only owners and admins can manage the knowledge base."</p>
                                    </section></main>
                                }.into_any()
                            }
                        },
                        Ok(None) => view! { <Redirect path=format!("/login?next={next}") /> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
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
                <p class="muted">"The AI answers only from these documents. New and edited documents are indexed in the background."</p>
                <FormError error=action_error(delete) />
                <Suspense>
                    {move || Suspend::new(async move {
                        match docs.await {
                            Ok(list) if list.is_empty() => view! { <p class="muted empty">"No documents yet. Add one below."</p> }.into_any(),
                            Ok(list) => {
                                let processing = list.iter().any(|d| d.status == "processing");
                                view! {
                                    {processing.then(|| view! { <Meta http_equiv="refresh" content="3" /> })}
                                    <table class="documents">
                                        <thead><tr><th>"Title"</th><th>"Status"</th><th>"Passages"</th><th>"Updated"</th><th></th></tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|d| view! { <DocumentRow doc=d org_id delete /> }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }
                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <section class="card">
                <h2>"Add a document"</h2>
                <p><a class="button" href="/dashboard/knowledge/new">"Write a document"</a></p>
                <form method="post" action="/dashboard/knowledge/upload" enctype="multipart/form-data" class="upload">
                    <input type="hidden" name="org_id" value=org_id.to_string() />
                    <label>"Or upload a file (.md, .txt, .html)"<input type="file" name="file" accept=".md,.markdown,.txt,.html,.htm" required /></label>
                    {move || upload_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <button type="submit" class="secondary">"Upload"</button>
                </form>
            </section>
            <TestQuestion org_id />
        </main>
    }
}

#[component]
fn DocumentRow(doc: DocumentDto, org_id: Uuid, delete: ServerAction<DeleteDocument>) -> impl IntoView {
    let status = match doc.status.as_str() {
        "processing" => format!("processing {}/{}", doc.chunks_done, doc.chunk_count),
        other => other.to_owned(),
    };
    let id = doc.id.to_string();
    let label = format!("Delete {}", doc.title);
    view! {
        <tr data-title=doc.title.clone()>
            <td><a href=format!("/dashboard/knowledge/{}", doc.id)>{doc.title.clone()}</a></td>
            <td>
                <span class=format!("badge status-{}", doc.status)>{status}</span>
                {doc.error.clone().map(|e| view! { <small class="form-error">{e}</small> })}
            </td>
            <td class="chunks">{doc.chunk_count}</td>
            <td class="muted"><LocalTime at=doc.updated_at /></td>
            <td>
                <ActionForm action=delete>
                    <input type="hidden" name="org_id" value=org_id.to_string() />
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" class="danger" aria-label=label.clone()>"Delete"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// A GET form (`?q=`), so results render on the server and work without JavaScript.
#[component]
fn TestQuestion(org_id: Uuid) -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    let hits = Resource::new_blocking(q, move |q| async move {
        match q {
            Some(q) => search_knowledge(org_id, q).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <section class="card" id="test">
            <h2>"Test a question"</h2>
            <p class="muted">"See which passages the AI would read, and how well they match (1.00 = identical meaning)."</p>
            <form method="get" action="/dashboard/knowledge#test">
                <label>"Question"<input type="text" name="q" required maxlength="1000" value={move || q().unwrap_or_default()} /></label>
                <button type="submit">"Search"</button>
            </form>
            <Suspense>
                {move || Suspend::new(async move {
                    match hits.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(hits)) if hits.is_empty() => view! { <p class="muted">"Nothing in the knowledge base matches."</p> }.into_any(),
                        Ok(Some(hits)) => view! {
                            <ol class="hits">
                                {hits.into_iter().map(|h| view! {
                                    <li>
                                        <strong>{h.title.clone()}</strong>
                                        {(!h.heading.is_empty()).then(|| view! { <span class="muted">" · " {h.heading.clone()}</span> })}
                                        <span class="score">{format!("{:.2}", h.score)}</span>
                                        <p>{h.text.clone()}</p>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
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
                            view! { <section class="card"><p class="form-error" role="alert">{e.to_string()}</p></section> }.into_any()
                        }
                        Ok(doc) => {
                            let heading = if doc.is_some() { "Edit document" } else { "New document" };
                            let id = doc.as_ref().map(|d| d.id.to_string()).unwrap_or_default();
                            let title = doc.as_ref().map(|d| d.title.clone()).unwrap_or_default();
                            let source = doc.as_ref().and_then(|d| d.source_url.clone()).unwrap_or_default();
                            let content = doc.as_ref().and_then(|d| d.content.clone()).unwrap_or_default();
                            let preview_source = content.clone();
                            view! {
                                <section class="card">
                                    <h1>{heading}</h1>
                                    <ActionForm action=save>
                                        <input type="hidden" name="org_id" value=org_id.to_string() />
                                        {(!id.is_empty()).then(|| view! { <input type="hidden" name="id" value=id.clone() /> })}
                                        <label>"Title"<input type="text" name="title" required maxlength="200" value=title /></label>
                                        <label>"Source URL (optional)"<input type="url" name="source_url" value=source /></label>
                                        <label>"Content (Markdown)"<textarea name="content" rows="18" required>{content}</textarea></label>
                                        <FormError error=action_error(save) />
                                        <button type="submit">"Save"</button>
                                    </ActionForm>
                                    <details class="preview">
                                        <summary>"Preview"</summary>
                                        <ActionForm action=preview>
                                            <textarea name="content" rows="6" aria-label="Markdown to preview">{preview_source}</textarea>
                                            <button type="submit" class="secondary">"Render preview"</button>
                                        </ActionForm>
                                        {move || preview.value().get().and_then(Result::ok).map(|html| view! { <div class="markdown" inner_html=html></div> })}
                                    </details>
                                    <p><a href="/dashboard/knowledge">"Back to the knowledge base"</a></p>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}
